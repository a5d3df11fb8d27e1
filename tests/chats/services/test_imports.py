"""The import service (chats.services.imports) against the real database."""
from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chats.models import Author, Chat, Import, Link, Post, PostLink, PostTombstone, Redaction, Series
from chats.services.imports import SourceFile, import_run, transcript_import
from tests.factories import AuthorFactory, ChatFactory, PostFactory, SeriesFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("default_series_hcsmca")]

# The statuses of tests/fixtures/import_service/chat_small.jsonl.
T1_ID = "1085624398153904128"
A1_JO_ID = "1085624902431494145"
A1_AMIR_ID = "1085625154618208256"
REPLY_ID = "1085625406801723392"
RETWEET_ID = "1085625658984456193"
T2_ID = "1085626917472837632"
ALL_IDS = [T1_ID, A1_JO_ID, A1_AMIR_ID, REPLY_ID, RETWEET_ID, T2_ID]
FIRST_AT = datetime(2019, 1, 16, 20, 0, 0, tzinfo=UTC)
LAST_AT = datetime(2019, 1, 16, 20, 10, 0, tzinfo=UTC)
COCHRANE = "https://www.cochranelibrary.com/about/about-cochrane-reviews"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def run_import(data: bytes, name: str = "chat.jsonl", **options):
    return transcript_import(sources=[SourceFile(name, io.BytesIO(data))], **options)


def statuses(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def jsonl(values) -> bytes:
    return b"".join(json.dumps(value, ensure_ascii=False).encode() + b"\n" for value in values)


def with_text(path: Path, status_id: str, text: str) -> bytes:
    """The fixture with one status's text edited."""
    values = statuses(path)
    for value in values:
        if value["id_str"] == status_id:
            value["full_text"] = text
    return jsonl(values)


@pytest.fixture
def small_chat(small_chat_path) -> bytes:
    return small_chat_path.read_bytes()


# --- a first import ----------------------------------------------------------

def test_first_import_counts_and_chat(small_chat):
    outcome = run_import(small_chat)

    assert outcome.as_contract() == {
        "status": "succeeded", "format": "twitter-v1", "created": 6, "updated": 0, "unchanged": 0,
        "skipped": 0, "chats": ["hcsmca-1"], "errors": [],
    }
    chat = Chat.objects.select_related("series").get()
    assert (chat.slug, chat.series.hashtag, chat.number) == ("hcsmca-1", "hcsmca", 1)
    assert chat.start == FIRST_AT
    assert chat.end == LAST_AT
    assert Post.objects.filter(chat=chat).count() == 6
    assert sorted(Post.objects.values_list("external_id", flat=True)) == sorted(ALL_IDS)


def test_first_import_upserts_authors(small_chat):
    # An author already known under an old handle is updated, not duplicated.
    AuthorFactory(platform="twitter", platform_id="1012000000000000002", handle="jo_old_handle", display_name="Jo T.")

    run_import(small_chat)

    assert Author.objects.count() == 4
    assert set(Author.objects.values_list("handle", flat=True)) == {"hcsmca_mod", "nurse_jo", "dr_amir", "survivor_kate"}
    jo = Author.objects.get(platform="twitter", platform_id="1012000000000000002")
    assert jo.handle == "nurse_jo"
    assert jo.display_name == "Jo Tremblay, RN"
    assert jo.profile_url == "https://twitter.com/nurse_jo"
    assert Post.objects.get(external_id=A1_JO_ID).author_id == jo.pk


def test_first_import_stores_text_ids_and_references(small_chat):
    run_import(small_chat)
    posts = {post.external_id: post for post in Post.objects.all()}

    for external_id, post in posts.items():
        assert isinstance(external_id, str)
        assert post.original["id_str"] == external_id
        assert len(post.content_hash) == 64
    assert posts[A1_JO_ID].text == "A1 I check who wrote it & who paid for it. Sponsorship matters #hcsmca"
    assert posts[A1_AMIR_ID].text == (
        "A1 Start with https://www.cochranelibrary.com/about/about-cochrane-reviews"
        "?utm_source=twitter&utm_medium=social then ask your librarian #hcsmca"
    )
    assert posts[REPLY_ID].reply_to_external_id == A1_JO_ID
    assert posts[REPLY_ID].reply_to_id == posts[A1_JO_ID].pk
    assert posts[RETWEET_ID].repost_of_external_id == A1_AMIR_ID
    assert posts[RETWEET_ID].repost_of_id == posts[A1_AMIR_ID].pk
    assert posts[RETWEET_ID].text.startswith("RT @dr_amir: A1 Start with https://www.cochranelibrary.com/")
    assert posts[T1_ID].repost_of_id is None and posts[T1_ID].reply_to_id is None


def test_first_import_records_shared_link(small_chat):
    run_import(small_chat)

    link = Link.objects.get()
    assert link.url == COCHRANE  # tracking parameters dropped
    assert link.domain == "cochranelibrary.com"
    assert link.share_count == 2  # the answer and its retweet
    assert link.first_post == Post.objects.get(external_id=A1_AMIR_ID)
    assert set(PostLink.objects.values_list("post__external_id", flat=True)) == {A1_AMIR_ID, RETWEET_ID}


# --- re-imports --------------------------------------------------------------

def test_reimport_of_the_same_file_changes_nothing(small_chat):
    run_import(small_chat)
    ids_before = dict(Post.objects.values_list("external_id", "pk"))
    hashes_before = dict(Post.objects.values_list("external_id", "content_hash"))
    chat_before = Chat.objects.get()

    outcome = run_import(small_chat)

    assert outcome.status == "succeeded"
    assert (outcome.created, outcome.updated, outcome.unchanged, outcome.skipped) == (0, 0, 6, 0)
    assert outcome.chats == ["hcsmca-1"]
    assert dict(Post.objects.values_list("external_id", "pk")) == ids_before
    assert dict(Post.objects.values_list("external_id", "content_hash")) == hashes_before
    assert list(Chat.objects.values_list("pk", flat=True)) == [chat_before.pk]
    assert Author.objects.count() == 4
    assert Link.objects.get().share_count == 2


def test_reimport_of_a_richer_copy_updates_one_post(small_chat, small_chat_path):
    """A copy with a longer text is richer: it replaces the stored one."""
    run_import(small_chat)
    ids_before = dict(Post.objects.values_list("external_id", "pk"))
    longer = "T2: What would help patients tell good health information from bad, online and offline? #hcsmca"
    assert len(longer) > len(Post.objects.get(external_id=T2_ID).text)

    outcome = run_import(with_text(small_chat_path, T2_ID, longer))

    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 1, 5)
    assert outcome.chats == ["hcsmca-1"]
    assert dict(Post.objects.values_list("external_id", "pk")) == ids_before
    t2 = Post.objects.get(external_id=T2_ID)
    assert t2.text == longer
    assert t2.original["full_text"] == longer
    assert Chat.objects.count() == 1


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("T2: What helps patients tell good health information from bad? #hcsmca", id="shorter"),
        pytest.param("T2: What would help patients tell good health information from BAD? #hcsmca", id="same-length"),
    ],
)
def test_reimport_of_a_poorer_or_equal_copy_leaves_the_post_unchanged(small_chat, small_chat_path, text):
    run_import(small_chat)
    stored = Post.objects.get(external_id=T2_ID)
    assert len(text) <= len(stored.text)

    outcome = run_import(with_text(small_chat_path, T2_ID, text))

    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 0, 6)
    t2 = Post.objects.get(external_id=T2_ID)
    assert t2.text == "T2: What would help patients tell good health information from bad? #hcsmca"
    assert (t2.content_hash, t2.original) == (stored.content_hash, stored.original)


def test_reimport_with_more_metrics_updates_the_post(small_chat, small_chat_path):
    """Same text, more engagement counted: richer."""
    run_import(small_chat)
    values = statuses(small_chat_path)
    for value in values:
        if value["id_str"] == A1_JO_ID:
            value["favorite_count"] += 7

    outcome = run_import(jsonl(values))

    assert (outcome.updated, outcome.unchanged) == (1, 5)
    assert Post.objects.get(external_id=A1_JO_ID).metrics == {"retweet_count": 0, "favorite_count": 10}


def test_reimport_that_drops_a_link_recounts_it(small_chat, small_chat_path):
    run_import(small_chat)
    assert Link.objects.get().share_count == 2
    values = statuses(small_chat_path)
    # A longer text (so a richer copy) that no longer shares the link.
    longer = ("A1 Start with your hospital librarian: they find the systematic reviews, explain what the "
              "evidence says, and show you how to judge a health website #hcsmca")
    assert len(longer) > len(Post.objects.get(external_id=A1_AMIR_ID).text)
    for value in values:
        if value["id_str"] == A1_AMIR_ID:
            value["full_text"] = longer
            value["entities"]["urls"] = []

    outcome = run_import(jsonl(values))

    assert outcome.updated == 1
    assert list(PostLink.objects.values_list("post__external_id", flat=True)) == [RETWEET_ID]
    link = Link.objects.get()
    assert link.share_count == 1  # only the retweet still shares it
    assert link.first_post == Post.objects.get(external_id=RETWEET_ID)


def test_named_chat_is_created_from_its_slug(small_chat):
    outcome = run_import(small_chat, chat_slug="hcsmca-200")

    assert outcome.status == "succeeded"
    assert outcome.chats == ["hcsmca-200"]
    chat = Chat.objects.select_related("series").get(slug="hcsmca-200")
    assert (chat.series.hashtag, chat.number) == ("hcsmca", 200)
    assert (chat.start, chat.end) == (FIRST_AT, LAST_AT)
    assert set(chat.posts.values_list("external_id", flat=True)) == set(ALL_IDS)
    assert Chat.objects.count() == 1


def test_new_chat_takes_the_next_number_of_its_series(small_chat):
    # A series without a schedule: with one, the capture would be cut by it
    # (tests/chats/services/test_sessions.py).
    ChatFactory(number=116, slug="hcsmca-116", series=SeriesFactory(weekday=None, start_time=None))

    outcome = run_import(small_chat)

    assert outcome.chats == ["hcsmca-117"]
    assert Chat.objects.get(slug="hcsmca-117").number == 117


# --- dry run -----------------------------------------------------------------

def test_dry_run_counts_but_writes_nothing(small_chat, row_counts):
    before = row_counts()

    outcome = run_import(small_chat, dry_run=True)

    assert outcome.status == "succeeded"
    assert (outcome.created, outcome.updated, outcome.unchanged) == (6, 0, 0)
    assert outcome.chats == ["hcsmca-1"]
    assert (outcome.first_post_at, outcome.last_post_at) == (FIRST_AT, LAST_AT)
    assert outcome.new_chats == ["hcsmca-1"]
    after = row_counts()
    for model in (Post, Author, Chat, Link, Series, PostLink):
        assert after[model._meta.db_table] == before[model._meta.db_table], model.__name__
    assert after == before


def test_dry_run_of_a_reimport_reports_unchanged(small_chat, row_counts):
    run_import(small_chat)
    before = row_counts()

    outcome = run_import(small_chat, dry_run=True)

    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 0, 6)
    assert outcome.new_chats == []
    assert row_counts() == before


# --- failures: nothing written, a clear message --------------------------------

@pytest.fixture
def archive_with_data(demo_transcript_path, row_counts):
    """An archive that already holds a chat, so a failed import has something to spoil."""
    with demo_transcript_path.open("rb") as stream:
        outcome = transcript_import(sources=[SourceFile("hcsmca-116.jsonl", stream)])
    assert outcome.status == "succeeded" and outcome.created == 26
    return row_counts()


def assert_failed(outcome, *, record, message_has: list[str]):
    assert outcome.status == "failed"
    assert outcome.status == Import.Status.FAILED
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 0, 0)
    assert outcome.chats == []
    assert len(outcome.errors) == 1, outcome.errors
    error = outcome.errors[0]
    assert error["record"] == record
    for fragment in message_has:
        assert fragment in error["message"], error["message"]


@pytest.mark.parametrize(
    ("data", "message_has"),
    [
        pytest.param(PNG_BYTES + b"\x00" * 64, ["picture.png", "not a transcript", "expected one of", "twitter-v1"], id="png"),
        pytest.param(b"", ["picture.png", "is empty", "expected a transcript", "twitter-v1"], id="empty"),
        pytest.param(b"  \n\t\r\n   \n", ["picture.png", "is empty", "expected a transcript", "twitter-v1"], id="whitespace"),
        pytest.param(b'{"name": "not a tweet"}\n', ["not a transcript", "expected one of", "twitter-v1"], id="not-a-tweet"),
    ],
)
def test_unreadable_file_fails_and_writes_nothing(archive_with_data, row_counts, data, message_has):
    outcome = run_import(data, name="picture.png")

    assert_failed(outcome, record=None, message_has=message_has)
    assert row_counts() == archive_with_data


def test_not_a_tweet_read_as_twitter_names_the_expected_keys(archive_with_data, row_counts):
    outcome = run_import(b'{"name": "not a tweet"}\n', requested_format="twitter-v1")

    # Its only record is unreadable, so the file fails as a whole.
    assert_failed(outcome, record=1, message_has=[
        "no record could be read as Twitter API v1.1", "the first problem:",
        "expected an object with 'id_str', 'created_at' and 'user'", "'name'"])
    assert row_counts() == archive_with_data


def test_invalid_json_on_line_three_is_skipped_and_the_earlier_posts_are_stored(small_chat_path, archive_with_data):
    first_two = small_chat_path.read_bytes().splitlines(keepends=True)[:2]
    data = b"".join(first_two) + b"{'id_str': '1085625154618208256', 'full_text': 'A1 single quotes'}\n"

    outcome = run_import(data)

    assert outcome.status == "succeeded"
    assert outcome.format == "twitter-v1"
    assert (outcome.created, outcome.updated, outcome.unchanged, outcome.skipped) == (2, 0, 0, 1)
    assert [error["record"] for error in outcome.errors] == [3]
    assert outcome.errors[0]["message"].startswith("invalid JSON")
    assert "Expecting property name enclosed in double quotes" in outcome.errors[0]["message"]
    assert set(Post.objects.filter(external_id__in=[T1_ID, A1_JO_ID, A1_AMIR_ID]).values_list("external_id", flat=True)) == {
        T1_ID, A1_JO_ID}
    assert Author.objects.filter(platform_id="1012000000000000002").exists()


def test_invalid_json_on_line_three_fails_a_strict_import_and_keeps_no_earlier_post(
        small_chat_path, archive_with_data, row_counts):
    first_two = small_chat_path.read_bytes().splitlines(keepends=True)[:2]
    data = b"".join(first_two) + b"{'id_str': '1085625154618208256', 'full_text': 'A1 single quotes'}\n"

    outcome = run_import(data, strict=True)

    assert_failed(outcome, record=3, message_has=["invalid JSON", "Expecting property name enclosed in double quotes",
                                                  "--strict"])
    assert outcome.format == "twitter-v1"
    assert row_counts() == archive_with_data
    assert not Post.objects.filter(external_id__in=[T1_ID, A1_JO_ID]).exists()
    assert not Author.objects.filter(platform_id="1012000000000000002").exists()


def test_a_file_without_one_readable_record_fails_as_a_whole(archive_with_data, row_counts):
    data = b'{"id_str": "1", "created_at": "Wed Jan 16 20:00:00 +0000 2019"}\n{"id_str": "2", "user": {}}\n'

    outcome = run_import(data, requested_format="twitter-v1")

    assert outcome.status == "failed"
    assert (outcome.created, outcome.updated, outcome.unchanged, outcome.chats) == (0, 0, 0, [])
    failure = outcome.errors[-1]
    assert failure["record"] == 1
    assert failure["message"].startswith("no record could be read as Twitter API v1.1")
    assert "the first problem: not a Twitter v1.1 status" in failure["message"]
    # The other bad record is still listed.
    assert [error["record"] for error in outcome.errors] == [2, 1]
    assert row_counts() == archive_with_data


def test_a_transcript_read_as_a_wordpress_export_is_refused(small_chat, archive_with_data, row_counts):
    # WordPress exports (wxr) belong to the summaries (summaries.services.wxr_import).
    outcome = run_import(small_chat, requested_format="wxr")

    assert_failed(outcome, record=None, message_has=["not a WordPress export (WXR): the file is not XML"])
    assert row_counts() == archive_with_data


def test_unknown_format_lists_the_known_ones(small_chat, archive_with_data, row_counts):
    outcome = run_import(small_chat, requested_format="myspace")

    assert_failed(outcome, record=None, message_has=["unknown format 'myspace'", "twitter-v1", "mastodon", "wxr"])
    assert row_counts() == archive_with_data


def test_bad_chat_slug_fails_and_writes_nothing(small_chat, archive_with_data, row_counts):
    outcome = run_import(small_chat, chat_slug="Chat 7!")

    assert_failed(outcome, record=None, message_has=["no chat 'Chat 7!'", "<series hashtag>-<number>"])
    assert row_counts() == archive_with_data


# --- import_run: the Import row ------------------------------------------------

def test_import_run_records_the_outcome_on_the_row(small_chat_path):
    row = Import.objects.create(source_paths=[str(small_chat_path)], original_name=small_chat_path.name)

    outcome = import_run(import_id=row.pk)

    assert outcome is not None and outcome.status == "succeeded"
    row.refresh_from_db()
    assert row.status == Import.Status.SUCCEEDED
    assert row.format == "twitter-v1"
    assert (row.created_count, row.updated_count, row.unchanged_count, row.skipped_count) == (6, 0, 0, 0)
    assert row.errors == []
    assert row.started_at is not None and row.finished_at is not None and row.finished_at >= row.started_at
    assert list(row.chats.values_list("slug", flat=True)) == ["hcsmca-1"]
    assert set(Post.objects.values_list("last_import_id", flat=True)) == {row.pk}


def test_import_run_twice_does_the_work_once(small_chat_path, row_counts):
    row = Import.objects.create(source_paths=[str(small_chat_path)])
    import_run(import_id=row.pk)
    row.refresh_from_db()
    counts_before, finished_before = row_counts(), row.finished_at

    assert import_run(import_id=row.pk) is None

    row.refresh_from_db()
    assert row_counts() == counts_before
    assert row.status == Import.Status.SUCCEEDED
    assert row.finished_at == finished_before
    assert row.created_count == 6 and row.unchanged_count == 0


def test_import_run_of_a_missing_row_returns_none():
    assert import_run(import_id=987654321) is None


def test_import_run_of_a_failing_file_marks_the_row_failed(tmp_path, archive_with_data, row_counts):
    path = tmp_path / "photo.png"
    path.write_bytes(PNG_BYTES)
    row = Import.objects.create(source_paths=[str(path)])
    before = row_counts()

    outcome = import_run(import_id=row.pk)

    assert outcome.status == "failed"
    row.refresh_from_db()
    assert row.status == Import.Status.FAILED
    assert row.created_count == 0
    assert len(row.errors) == 1 and "photo.png is not a transcript" in row.errors[0]["message"]
    assert list(row.chats.all()) == []
    assert row_counts() == before


def test_import_run_of_a_vanished_file_fails_clearly(tmp_path):
    row = Import.objects.create(source_paths=[str(tmp_path / "gone.jsonl")])

    outcome = import_run(import_id=row.pk)

    assert outcome.status == "failed"
    row.refresh_from_db()
    assert row.status == Import.Status.FAILED
    assert row.errors[0]["record"] is None
    assert row.errors[0]["message"].startswith("cannot read the file:")
    assert "gone.jsonl" in row.errors[0]["message"]
    assert Post.objects.count() == 0


def test_reimport_moves_posts_back_into_their_chat_not_a_new_one(small_chat):
    """A post already stored in another chat is counted as updated when a
    named chat takes it."""
    existing = PostFactory(external_id=T1_ID, text="T1: placeholder #hcsmca")

    outcome = run_import(small_chat, chat_slug="hcsmca-5")

    assert (outcome.created, outcome.updated) == (5, 1)
    assert Post.objects.get(pk=existing.pk).chat.slug == "hcsmca-5"


# --- records that are skipped, not failed ----------------------------------------

def test_same_post_twice_in_a_file_is_skipped(small_chat):
    first_line = small_chat.splitlines(keepends=True)[0]

    outcome = run_import(small_chat + first_line)

    assert outcome.status == "succeeded"
    assert (outcome.created, outcome.skipped) == (6, 1)
    assert outcome.errors == [{"record": 7, "message": "the same post as record 1, whose copy is kept"}]
    assert Post.objects.count() == 6


def test_stream_delete_notices_mark_the_post_deleted_and_are_reported(small_chat):
    notice = b'{"delete": {"status": {"id": 1, "id_str": "1", "user_id": 2, "user_id_str": "2"}}}\n'

    outcome = run_import(notice + small_chat)

    assert outcome.status == "succeeded"
    assert (outcome.created, outcome.skipped) == (6, 1)
    assert outcome.errors == [{"record": 1, "message": "a deletion notice: post 1 is marked deleted"}]
    assert PostTombstone.objects.filter(platform="twitter", external_id="1", reason="deleted").exists()
    assert Redaction.objects.get().kind == Redaction.Kind.DELETION_LIST


def without_reply(path: Path, *, extra_likes: int) -> bytes:
    values = statuses(path)
    for value in values:
        if value["id_str"] == REPLY_ID:
            value["in_reply_to_status_id"] = value["in_reply_to_status_id_str"] = None
            value["in_reply_to_screen_name"] = None
            value["favorite_count"] += extra_likes
    return jsonl(values)


def test_reimport_of_a_richer_copy_that_drops_a_reply_reference_clears_it(small_chat, small_chat_path):
    run_import(small_chat)
    assert Post.objects.get(external_id=REPLY_ID).reply_to_id is not None

    outcome = run_import(without_reply(small_chat_path, extra_likes=1))

    assert outcome.updated == 1
    reply = Post.objects.get(external_id=REPLY_ID)
    assert reply.reply_to_external_id == ""
    assert reply.reply_to_id is None


def test_an_equally_rich_copy_that_drops_a_reply_reference_changes_nothing(small_chat, small_chat_path):
    run_import(small_chat)

    outcome = run_import(without_reply(small_chat_path, extra_likes=0))

    assert (outcome.updated, outcome.unchanged) == (0, 6)
    reply = Post.objects.get(external_id=REPLY_ID)
    assert reply.reply_to_external_id == A1_JO_ID
    assert reply.reply_to == Post.objects.get(external_id=A1_JO_ID)
