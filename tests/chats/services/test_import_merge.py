"""Merging imports into the archive: keyed by (platform, external id), a richer
copy replaces a poorer one and never the reverse, overlapping captures add up
to their union, edits replace earlier versions, author profiles stay current.

Fixtures (tests/fixtures/import_service/):

- overlap_first.jsonl: posts p1-p7 of a #hcsmca chat on 13 February 2019; p5
  with 1 retweet counted, p6 cut at 140 characters (``truncated``).
- overlap_second.jsonl: p5 (3 retweets, 2 likes), p6 in full, p7, then p8 (a
  reply to p3, which only the first file holds), p9 and p10 (a retweet of p9).
- edits_v2_*.jsonl: Twitter API v2 pages in which a tweet is edited.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from chats.importers import twitter_v2
from chats.models import Author, Chat, Link, Post, Question, Series
from chats.services.imports import SourceFile, richness_of, transcript_import
from chats.services.questions import questions_assign
from tests.conftest import IMPORT_FIXTURES

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("default_series_hcsmca")]

FIRST = IMPORT_FIXTURES / "overlap_first.jsonl"
SECOND = IMPORT_FIXTURES / "overlap_second.jsonl"
P1, P2, P3, P4, P5, P6, P7, P8, P9, P10 = (f"{1095800000000000000 + n}" for n in range(1, 11))
FULL_P6 = ("A1 A portal is worth it when my oncologist's notes are there in words I understand, "
           "my appointments are in one list, and I can ask a question without phoning three times #hcsmca")
CUT_P6 = FULL_P6[:139] + "…"


def run_import(data: bytes, name: str = "capture.jsonl", **options):
    return transcript_import(sources=[SourceFile(name, io.BytesIO(data), len(data))], **options)


def lines_of(path: Path) -> dict[str, bytes]:
    """The file's lines by status id."""
    found = {}
    for line in path.read_bytes().splitlines(keepends=True):
        if line.strip():
            found[json.loads(line)["id_str"]] = line
    return found


def with_values(line: bytes, **changes) -> bytes:
    value = json.loads(line)
    value.update(changes)
    return json.dumps(value, ensure_ascii=False).encode() + b"\n"


def snapshot() -> dict:
    """Everything an import decides, comparable between two archives."""
    posts = Post.objects.select_related("chat", "reply_to", "repost_of", "question", "author")
    return {
        "posts": {
            (p.external_id, p.text, p.chat.slug if p.chat else None, p.reply_to.external_id if p.reply_to else None,
             p.repost_of.external_id if p.repost_of else None, p.question.label if p.question else None,
             p.question_source, json.dumps(p.metrics, sort_keys=True), p.truncated, p.author.handle)
            for p in posts
        },
        "authors": set(Author.objects.values_list("platform_id", "handle", "display_name")),
        "chats": set(Chat.objects.values_list("slug", "start", "end")),
        "questions": set(Question.objects.values_list("chat__slug", "label", "text", "asked_by__external_id")),
        "links": set(Link.objects.values_list("url", "share_count", "first_post__external_id")),
        "counts": (Post.objects.count(), Author.objects.count(), Chat.objects.count(), Link.objects.count()),
    }


def wipe_archive() -> None:
    Post.objects.all().delete()
    Chat.objects.all().delete()
    Author.objects.all().delete()
    Link.objects.all().delete()
    Series.objects.all().delete()


# --- richer copies -------------------------------------------------------------

def test_a_full_copy_replaces_a_truncated_one():
    run_import(lines_of(FIRST)[P6])
    stored = Post.objects.get(external_id=P6)
    assert (stored.text, stored.truncated) == (CUT_P6, True)

    outcome = run_import(lines_of(SECOND)[P6])

    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 1, 0)
    post = Post.objects.get(external_id=P6)
    assert (post.text, post.truncated) == (FULL_P6, False)
    assert post.original["full_text"] == FULL_P6
    assert post.richness > stored.richness


def test_a_truncated_copy_never_replaces_a_full_one():
    # Even with more engagement counted: completeness of the text comes first.
    run_import(lines_of(SECOND)[P6])
    stored = Post.objects.get(external_id=P6)

    outcome = run_import(with_values(lines_of(FIRST)[P6], retweet_count=50, favorite_count=80))

    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 0, 1)
    post = Post.objects.get(external_id=P6)
    assert (post.text, post.truncated, post.metrics) == (FULL_P6, False, {"retweet_count": 0, "favorite_count": 0})
    assert post.content_hash == stored.content_hash


def test_a_copy_with_more_metrics_replaces_one_with_fewer_and_not_the_reverse():
    poor, rich = lines_of(FIRST)[P5], lines_of(SECOND)[P5]

    run_import(poor)
    assert run_import(rich).updated == 1
    assert Post.objects.get(external_id=P5).metrics == {"retweet_count": 3, "favorite_count": 2}

    outcome = run_import(poor)

    assert (outcome.updated, outcome.unchanged) == (0, 1)
    assert Post.objects.get(external_id=P5).metrics == {"retweet_count": 3, "favorite_count": 2}


def test_an_equally_rich_but_different_copy_leaves_the_stored_one():
    line = lines_of(FIRST)[P2]
    run_import(line)
    # Same length, same metrics, another text.
    other = json.loads(line)["full_text"].replace("same day", "next day")

    outcome = run_import(with_values(line, full_text=other))

    assert (outcome.updated, outcome.unchanged) == (0, 1)
    assert Post.objects.get(external_id=P2).text == "A1 Test results the same day, with plain-language notes #hcsmca"


@pytest.mark.parametrize("order", ["poorer-first", "richer-first"])
@pytest.mark.parametrize("post_id", [P5, P6])
def test_same_post_twice_in_a_file_keeps_the_richer_copy(order, post_id):
    poor, rich = lines_of(FIRST)[post_id], lines_of(SECOND)[post_id]
    data = poor + rich if order == "poorer-first" else rich + poor

    outcome = run_import(data)

    assert (outcome.created, outcome.skipped) == (1, 1)
    kept, dropped = (2, 1) if order == "poorer-first" else (1, 2)
    assert outcome.errors == [{"record": dropped, "message": f"the same post as record {kept}, whose copy is kept"}]
    post = Post.objects.get(external_id=post_id)
    assert post.original == json.loads(rich)
    assert post.metrics == {key: json.loads(rich)[key] for key in ("retweet_count", "favorite_count")}
    assert post.truncated is False


def test_richness_orders_full_text_then_length_then_metrics():
    from chats.importers.twitter_v1 import parse_status

    def parsed(line: bytes, **changes):
        return parse_status(json.loads(with_values(line, **changes)), 1)

    full = lines_of(SECOND)[P6]
    assert richness_of(parsed(full)) > richness_of(parsed(lines_of(FIRST)[P6], retweet_count=10**6))
    assert richness_of(parsed(full, full_text=FULL_P6 + "!")) > richness_of(parsed(full, favorite_count=10**5))
    assert richness_of(parsed(full, favorite_count=1)) > richness_of(parsed(full))
    assert richness_of(parsed(full, favorite_count=-5)) == richness_of(parsed(full))


# --- overlapping captures --------------------------------------------------------

@pytest.mark.parametrize("order", ["first-then-second", "second-then-first"])
def test_overlapping_files_imported_separately_equal_their_union_imported_once(order):
    files = [FIRST, SECOND] if order == "first-then-second" else [SECOND, FIRST]
    outcomes = [run_import(path.read_bytes(), name=path.name) for path in files]
    separately = snapshot()
    wipe_archive()

    union = run_import(FIRST.read_bytes() + SECOND.read_bytes(), name="union.jsonl")
    once = snapshot()

    assert separately == once
    # And what that union is.
    assert (union.created, union.skipped, union.chats) == (10, 3, ["hcsmca-1"])
    assert once["counts"] == (10, 4, 1, 2)
    posts = {p.external_id: p for p in Post.objects.select_related("reply_to", "repost_of")}
    assert (posts[P6].text, posts[P6].truncated) == (FULL_P6, False)
    assert posts[P5].metrics == {"retweet_count": 3, "favorite_count": 2}
    assert posts[P8].reply_to == posts[P3]
    assert posts[P4].reply_to == posts[P2]
    assert posts[P10].repost_of == posts[P9]
    assert set(Link.objects.values_list("url", "share_count")) == {
        ("https://www.example.org/caregiver-access", 1), ("https://www.example.org/open-notes", 2)}
    # The second file's own report: its new posts, the richer copies, the rest.
    if order == "first-then-second":
        assert [(o.created, o.updated, o.unchanged) for o in outcomes] == [(7, 0, 0), (3, 2, 1)]
    else:
        assert [(o.created, o.updated, o.unchanged) for o in outcomes] == [(6, 0, 0), (4, 0, 3)]


def test_a_reply_imported_before_its_parent_is_linked_when_the_parent_comes():
    run_import(lines_of(SECOND)[P8])
    assert Post.objects.get(external_id=P8).reply_to is None

    run_import(lines_of(FIRST)[P3])

    assert Post.objects.get(external_id=P8).reply_to == Post.objects.get(external_id=P3)


def test_a_moderators_question_survives_a_reimport_of_a_richer_copy():
    run_import(FIRST.read_bytes())
    chat = Chat.objects.get()
    t2 = chat.questions.get(label="T2")
    p6 = Post.objects.get(external_id=P6)
    assert (p6.question.label, p6.question_source) == ("T1", "label")
    # A moderator reads p6 as an answer to T2.
    Post.objects.filter(pk=p6.pk).update(question=t2, question_source=Post.QuestionSource.MODERATOR)

    outcome = run_import(SECOND.read_bytes())

    assert outcome.updated == 2  # p5 and p6 were richer
    p6 = Post.objects.get(external_id=P6)
    assert p6.text == FULL_P6
    assert (p6.question_id, p6.question_source) == (t2.pk, "moderator")
    # The others were assigned again around it.
    assert Post.objects.get(external_id=P9).question.label == "T2"
    questions_assign(chat=chat)
    assert Post.objects.get(pk=p6.pk).question_source == "moderator"


def test_the_chat_option_moves_archived_posts_into_that_chat():
    run_import(FIRST.read_bytes())
    assert set(Post.objects.values_list("chat__slug", flat=True)) == {"hcsmca-1"}
    out, err = io.StringIO(), io.StringIO()

    call_command("import_transcript", str(FIRST), "--chat", "hcsmca-20", "--json", stdout=out, stderr=err)

    document = json.loads(out.getvalue().strip().splitlines()[-1])
    assert (document["created"], document["updated"], document["unchanged"]) == (0, 7, 0)
    assert document["chats"] == ["hcsmca-20"]
    assert set(Post.objects.values_list("chat__slug", flat=True)) == {"hcsmca-20"}
    moved = Chat.objects.get(slug="hcsmca-20")
    assert moved.questions.filter(label__in=["T1", "T2"]).count() == 2
    assert Post.objects.get(external_id=P2).question.chat == moved

    # Once there, the same import changes nothing.
    out = io.StringIO()
    call_command("import_transcript", str(FIRST), "--chat", "hcsmca-20", "--json", stdout=out, stderr=io.StringIO())
    document = json.loads(out.getvalue().strip().splitlines()[-1])
    assert (document["created"], document["updated"], document["unchanged"]) == (0, 0, 7)


# --- edits (Twitter API v2 edit history) -------------------------------------------

EDIT_FIRST = IMPORT_FIXTURES / "edits_v2_plain_first.jsonl"
EDIT_SECOND = IMPORT_FIXTURES / "edits_v2_plain_second.jsonl"
EARLIER, LATER = "1580500000000000010", "1580500000000000011"


def v2_ready() -> bool:
    head = EDIT_FIRST.read_bytes()
    return hasattr(twitter_v2, "sniff") and twitter_v2.sniff(head)


needs_v2 = pytest.mark.skipif(not v2_ready(), reason="the twitter-v2 parser (chats.importers.twitter_v2.sniff) "
                                                     "does not read these files yet")


@needs_v2
def test_a_later_version_of_an_edited_post_replaces_the_stored_earlier_one():
    first = run_import(EDIT_FIRST.read_bytes())
    assert first.format == "twitter-v2"
    assert list(Post.objects.values_list("external_id", flat=True)) == [EARLIER]

    outcome = run_import(EDIT_SECOND.read_bytes())

    assert outcome.status == "succeeded"
    assert outcome.created == 1
    assert {"record": None, "message": "1 earlier versions of edited posts were replaced by the latest"} in (
        outcome.errors)
    post = Post.objects.get()
    assert (post.external_id, post.text) == (LATER, "Thanks all, see you next week #hcsmca")
    assert post.edit_history == [EARLIER]


@needs_v2
def test_the_later_version_of_an_edited_post_takes_the_earlier_ones_chat():
    run_import(EDIT_FIRST.read_bytes())
    chat = Post.objects.get(external_id=EARLIER).chat

    run_import(EDIT_SECOND.read_bytes())

    assert Post.objects.get(external_id=LATER).chat == chat
    assert list(Chat.objects.values_list("slug", flat=True)) == ["hcsmca-1"]


@needs_v2
def test_an_earlier_version_imported_after_the_later_one_is_not_stored():
    run_import(EDIT_SECOND.read_bytes())

    run_import(EDIT_FIRST.read_bytes())

    assert list(Post.objects.values_list("external_id", flat=True)) == [LATER]


@needs_v2
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # each import commits, as in production
def test_an_edited_question_replaces_its_earlier_version_and_keeps_the_archive_consistent():
    # The host fixed a typo in T1; one answer replies to the first version.
    run_import((IMPORT_FIXTURES / "edits_v2_first.jsonl").read_bytes())
    chat = Chat.objects.get()
    assert chat.questions.get(label="T1").asked_by.external_id == "1580400000000000010"
    assert Post.objects.get(external_id="1580400000000000030").reply_to.external_id == "1580400000000000010"

    outcome = run_import((IMPORT_FIXTURES / "edits_v2_second.jsonl").read_bytes())

    assert outcome.status == "succeeded", outcome.errors
    assert not Post.objects.filter(external_id="1580400000000000010").exists()
    t1 = Chat.objects.get().questions.get(label="T1")
    assert t1.asked_by.external_id == "1580400000000000011"
    assert Post.objects.get(external_id="1580400000000000030").reply_to.external_id == "1580400000000000011"


@needs_v2
def test_an_edit_chain_in_one_file_is_reported_the_same_in_either_order():
    earlier_first = run_import(EDIT_FIRST.read_bytes() + EDIT_SECOND.read_bytes())
    assert list(Post.objects.values_list("external_id", flat=True)) == [LATER]
    wipe_archive()
    later_first = run_import(EDIT_SECOND.read_bytes() + EDIT_FIRST.read_bytes())
    assert list(Post.objects.values_list("external_id", flat=True)) == [LATER]
    assert (later_first.created, later_first.skipped) == (1, 1)

    assert (earlier_first.created, earlier_first.skipped) == (later_first.created, later_first.skipped)


# --- author profiles -----------------------------------------------------------------

def small_chat_lines() -> list[dict]:
    return [json.loads(line) for line in (IMPORT_FIXTURES / "chat_small.jsonl").read_text().splitlines()]


def jsonl(values) -> bytes:
    return b"".join(json.dumps(value).encode() + b"\n" for value in values)


def test_the_newest_profile_in_a_file_wins_whatever_its_place():
    values = small_chat_lines()
    # The host's posts are records 1, 5 and 6; the newest (record 6) says the new handle.
    values[5]["user"].update(screen_name="hcsmca_chat", name="HCSM Canada")
    values[0]["user"].update(screen_name="hcsmca_older", name="Old name")
    reordered = [values[5], *values[:5]]

    run_import(jsonl(reordered))

    host = Author.objects.get(platform_id="1012000000000000001")
    assert (host.handle, host.display_name) == ("hcsmca_chat", "HCSM Canada")
    assert Author.objects.count() == 4


def test_an_empty_display_name_or_avatar_does_not_erase_the_stored_one():
    values = small_chat_lines()
    run_import(jsonl(values[:2]))
    jo = Author.objects.get(platform_id="1012000000000000002")
    assert jo.display_name == "Jo Tremblay, RN"
    later = values[1] | {"id_str": "1085700000000000001", "id": 1085700000000000001,
                         "created_at": "Wed Jan 23 20:00:00 +0000 2019", "full_text": "A1 back again #hcsmca"}
    later["user"] = {"id_str": "1012000000000000002", "screen_name": "jo_tremblay_rn", "name": ""}

    run_import(jsonl([later]))

    jo.refresh_from_db()
    assert jo.handle == "jo_tremblay_rn"  # a new handle is taken
    assert jo.display_name == "Jo Tremblay, RN"  # an empty name is not
    assert jo.profile_url == "https://twitter.com/jo_tremblay_rn"


def test_an_older_capture_imported_later_does_not_revert_an_authors_profile():
    values = small_chat_lines()
    older, newer = values[:3], values[3:]
    for value in newer:
        if value["user"]["id_str"] == "1012000000000000001":
            value["user"].update(screen_name="hcsmca_chat", name="HCSM Canada")
    run_import(jsonl(older + newer))
    union = set(Author.objects.values_list("platform_id", "handle", "display_name"))
    wipe_archive()

    run_import(jsonl(newer))
    run_import(jsonl(older))

    assert set(Author.objects.values_list("platform_id", "handle", "display_name")) == union
