"""summaries.services.wxr_import: a WordPress export becomes summaries and
comments, in one transaction, idempotently; reached by `import_transcript
--format wxr` (and auto-detection) and by the Import row the admin uses."""
from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from chats.models import Import
from chats.services.imports import SourceFile, import_run, transcript_import
from summaries.models import Comment, Summary
from summaries.sanitise import summary_markdown_to_html
from summaries.services.wxr_import import legacy_path, wordpress_import
from tests.factories import ChatFactory, SeriesFactory, SummaryFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("default_series_hcsmca")]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wxr"
BLOG = FIXTURES / "blog-1.2.xml"
CONTRACT_KEYS = {"status", "format", "created", "updated", "unchanged", "skipped", "chats", "errors"}


def run(*paths: Path, **options):
    handles = [path.open("rb") for path in paths]
    try:
        return wordpress_import(
            sources=[SourceFile(path.name, handle, path.stat().st_size) for path, handle in zip(paths, handles)],
            **options)
    finally:
        for handle in handles:
            handle.close()


def run_bytes(document: bytes, **options):
    return wordpress_import(sources=[SourceFile("export.xml", io.BytesIO(document), len(document))], **options)


def comments_by_wp_id(summary: Summary) -> dict[int, tuple]:
    return {
        c.wp_comment_id: (c.parent.wp_comment_id if c.parent else None, c.kind, c.status)
        for c in summary.comments.select_related("parent")
    }


def test_counts_of_the_small_blog():
    outcome = run(BLOG)
    assert outcome.status == "succeeded", outcome.errors
    # Posts 101-104 are summaries; the trashed post, the page and the attachment are skipped.
    assert (outcome.format, outcome.created, outcome.updated, outcome.unchanged, outcome.skipped) == (
        "wxr", 4, 0, 0, 3)
    assert (outcome.comments_created, outcome.comments_skipped, outcome.users_created) == (7, 1, 2)
    assert {(e["record"], e["message"]) for e in outcome.errors} == {
        (4, "post 104 was password-protected: kept as a draft"),
        (5, "post 105 is in the trash: skipped"),
        (None, "skipped 2 items that are not posts: 1 attachment, 1 page"),
    }
    assert Summary.objects.count() == 4 and Comment.objects.count() == 7


def test_a_published_post_becomes_a_published_summary():
    run(BLOG)
    summary = Summary.objects.get(wp_post_id=101)
    assert summary.title == "Chat 116: Trusting health information online"
    assert (summary.slug, summary.status) == ("chat-116-trust", "published")
    assert summary.published_at == datetime(2018, 5, 3, 2, 30, tzinfo=UTC)
    assert summary.legacy_path == "/2018/05/03/chat-116-trust/"
    assert summary.excerpt == "What & where people trust."
    assert summary.comments_open is True
    # Categories and tags, once each whatever the case; no "Uncategorized", no post format.
    assert sorted(summary.tags.names()) == ["Chat Recaps", "Health & literacy", "trust"]
    assert Summary.objects.published().filter(pk=summary.pk).exists()


def test_the_body_is_sanitised_html_and_editable_markdown():
    run(BLOG)
    summary = Summary.objects.get(wp_post_id=101)
    html = summary.body_html
    assert html.startswith("<p>We talked about <strong>trust</strong>.<br>\nWhere do people look first?</p>")
    assert "<script" not in html and "old plugin" not in html and "onclick" not in html
    assert "javascript:" not in html and "[caption" not in html
    assert '<a href="https://example.org/study" rel="nofollow ugc noopener">the study</a>' in html
    assert '<img src="https://blog.example.org/trust.png" alt="A chart">' in html
    markdown = summary.body_markdown
    assert markdown.startswith("We talked about **trust**.\\\nWhere do people look first?")
    assert "[the study](https://example.org/study)" in markdown and "javascript" not in markdown


def test_the_markdown_renders_back_to_the_same_structure():
    """The renderer rebuilds body_html from body_markdown (raw HTML off):
    what it gives must still be the post."""
    run(BLOG)
    rendered = str(summary_markdown_to_html(Summary.objects.get(wp_post_id=101).body_markdown))
    assert rendered.startswith("<p>We talked about <strong>trust</strong>.<br>\nWhere do people look first?</p>")
    assert '<a href="https://example.org/study" rel="nofollow ugc noopener">the study</a>' in rendered
    assert '<img src="https://blog.example.org/trust.png" alt="A chart">' in rendered
    assert "&lt;" not in rendered


def test_authors_become_inactive_users_with_their_display_names():
    run(BLOG)
    colleen = Summary.objects.get(wp_post_id=101).author
    assert (colleen.username, colleen.get_full_name(), colleen.email) == (
        "colleen", "Colleen Young", "colleen@example.org")
    assert not colleen.is_active and not colleen.has_usable_password()
    guest = Summary.objects.get(wp_post_id=102).author
    assert (guest.username, guest.first_name, guest.email) == ("guest.host", "Guest & Host", "")


def test_an_existing_user_is_matched_by_login_and_left_as_it_is(django_user_model):
    colleen = django_user_model.objects.create_user("colleen", first_name="C.", password="a long password 123")
    outcome = run(BLOG)
    assert outcome.users_created == 1
    assert Summary.objects.get(wp_post_id=101).author == colleen
    colleen.refresh_from_db()
    assert colleen.is_active and colleen.has_usable_password() and colleen.first_name == "C."


def test_statuses_of_posts():
    run(BLOG)
    rows = {s.wp_post_id: (s.status, s.published_at, s.slug, s.legacy_path) for s in Summary.objects.all()}
    assert rows == {
        101: ("published", datetime(2018, 5, 3, 2, 30, tzinfo=UTC), "chat-116-trust", "/2018/05/03/chat-116-trust/"),
        # A draft without a slug gets one from its title; its ?p= link is no permalink.
        102: ("draft", None, "notes-for-hcsmca-117", ""),
        103: ("scheduled", datetime(2030, 1, 2, 18, 0, tzinfo=UTC), "coming-up", "/2030/01/02/coming-up/"),
        # Password-protected: its text was never public.
        104: ("draft", None, "members-only", "/2018/06/01/members-only/"),
    }
    assert list(Summary.objects.published().values_list("wp_post_id", flat=True)) == [101]


def test_comments_keep_threads_statuses_kinds_and_dates():
    run(BLOG)
    summary = Summary.objects.get(wp_post_id=101)
    assert comments_by_wp_id(summary) == {
        11: (None, "comment", "approved"),
        13: (11, "comment", "approved"),
        14: (13, "comment", "pending"),
        15: (None, "comment", "spam"),
        16: (None, "comment", "removed"),
        17: (None, "pingback", "approved"),
        18: (None, "trackback", "approved"),
    }
    first = summary.comments.get(wp_comment_id=11)
    assert first.created_at == datetime(2018, 5, 3, 13, 0, tzinfo=UTC)
    assert (first.author_name, first.author_email, first.author_url) == (
        "Ana", "ana@example.org", "https://ana.example.org/")
    assert first.body == "Great chat!\n\nThanks **all**.\n"
    assert first.body_html == "<p>Great chat!</p>\n<p>Thanks <b>all</b>.</p>"
    assert first.ip_hash == ""  # old addresses are not carried over
    reply = summary.comments.get(wp_comment_id=13)
    assert reply.author_url == ""  # javascript: is no link
    pingback = summary.comments.get(wp_comment_id=17)
    assert pingback.author_name == "Another blog » Links of the week"


def test_chats_named_in_the_title_or_body_are_linked():
    chat_116 = ChatFactory(number=116, slug="hcsmca-116")
    chat_117 = ChatFactory(number=117, slug="hcsmca-117")
    ChatFactory(series=SeriesFactory(hashtag="other"), number=118, slug="other-118")
    outcome = run(BLOG)
    chats = {s.wp_post_id: s.chat for s in Summary.objects.all()}
    # "Chat 116" (the default series), "#hcsmca 117"; "chat 118" is another series' number.
    assert chats == {101: chat_116, 102: chat_117, 103: None, 104: None}
    assert outcome.chats == ["hcsmca-116", "hcsmca-117"]


def test_a_chat_set_by_hand_is_not_replaced():
    ChatFactory(number=116, slug="hcsmca-116")
    run(BLOG)
    other = ChatFactory(number=200, slug="hcsmca-200")
    Summary.objects.filter(wp_post_id=101).update(chat=other)
    run(BLOG)
    assert Summary.objects.get(wp_post_id=101).chat == other


def test_a_second_import_changes_nothing(row_counts):
    run(BLOG)
    before = row_counts()
    again = run(BLOG)
    assert (again.created, again.updated, again.unchanged, again.skipped) == (0, 0, 4, 3)
    assert (again.comments_created, again.comments_updated, again.comments_unchanged) == (0, 0, 7)
    assert row_counts() == before


def test_a_changed_export_updates_in_place(tmp_path):
    run(BLOG)
    changed = tmp_path / "blog.xml"
    changed.write_bytes(
        BLOG.read_bytes()
        .replace(b"Chat 116: Trusting health information", b"Chat 116: Trusting health info")
        .replace(b"<wp:comment_approved><![CDATA[0]]></wp:comment_approved>",
                 b"<wp:comment_approved><![CDATA[1]]></wp:comment_approved>")
    )
    outcome = run(changed)
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 1, 3)
    assert (outcome.comments_created, outcome.comments_updated, outcome.comments_unchanged) == (0, 1, 6)
    summary = Summary.objects.get(wp_post_id=101)
    assert summary.title == "Chat 116: Trusting health info online"
    assert summary.comments.get(wp_comment_id=14).status == "approved"
    assert Summary.objects.count() == 4 and Comment.objects.count() == 7


def test_a_body_edited_here_is_kept_on_reimport():
    run(BLOG)
    Summary.objects.filter(wp_post_id=101).update(body_markdown="Edited here.", body_edited_at=datetime.now(UTC))
    outcome = run(BLOG)
    assert Summary.objects.get(wp_post_id=101).body_markdown == "Edited here."
    assert {"record": 1, "message": "post 101: its body was edited here; kept"} in outcome.errors


def test_slug_clashes_take_the_post_id():
    run(BLOG)
    outcome = run(FIXTURES / "blog-1.0.xml")
    assert outcome.created == 1
    assert Summary.objects.get(wp_post_id=301).slug == "chat-116-trust-301"
    # The same again, the same slugs.
    run(FIXTURES / "blog-1.0.xml")
    assert Summary.objects.get(wp_post_id=301).slug == "chat-116-trust-301"
    assert Summary.objects.get(wp_post_id=101).slug == "chat-116-trust"


def test_a_summary_written_here_keeps_its_slug():
    SummaryFactory(slug="chat-116-trust")
    run(BLOG)
    assert Summary.objects.get(wp_post_id=101).slug == "chat-116-trust-101"


def test_wxr_1_1_and_1_0_files():
    newer = run(FIXTURES / "blog-1.1.xml")
    assert (newer.status, newer.created, newer.skipped, newer.comments_created) == ("succeeded", 1, 0, 1)
    post = Summary.objects.get(wp_post_id=201)
    assert post.slug == "sante-et-medias"
    assert post.legacy_path == "/archives/2012/santé-et-médias"
    assert post.body_html == "<p>Bonjour.</p>\n<p>Deux paragraphes,<br>\navec un saut de ligne.</p>"
    assert post.comments.get().kind == "comment"
    older = run(FIXTURES / "blog-1.0.xml")
    assert (older.status, older.created, older.skipped) == ("succeeded", 1, 1)
    post = Summary.objects.get(wp_post_id=301)
    assert sorted(post.tags.names()) == ["Chat Recaps", "archive"]
    # "legacy admin" is no username; its letters are.
    assert post.author.username == "legacyadmin"


@pytest.mark.parametrize("name, record, message", [
    ("malformed.xml", 2, "not well-formed XML"),
    ("entity-bomb.xml", None, "DOCTYPE"),
])
def test_a_broken_file_fails_and_writes_nothing(row_counts, name, record, message):
    before = row_counts()
    outcome = run(FIXTURES / name)
    assert outcome.status == "failed"
    assert outcome.errors[-1]["record"] == record and message in outcome.errors[-1]["message"]
    assert (outcome.created, outcome.updated) == (0, 0)
    assert row_counts() == before


def test_a_failure_in_a_later_file_undoes_the_earlier_one(row_counts):
    before = row_counts()
    outcome = run(BLOG, FIXTURES / "malformed.xml")
    assert outcome.status == "failed"
    assert outcome.errors[-1]["message"].startswith("malformed.xml: ")
    assert row_counts() == before


def test_strict_fails_on_an_unreadable_item():
    document = (b"<rss xmlns:wp='http://wordpress.org/export/1.2/'><channel><wp:wxr_version>1.2</wp:wxr_version>"
                b"<item><title>no id</title></item></channel></rss>")
    assert run_bytes(document).skipped == 1
    failed = run_bytes(document, strict=True)
    assert failed.status == "failed" and failed.errors[-1] == {
        "record": 1, "message": "the item has no wp:post_id (--strict)"}


def test_dry_run_counts_and_writes_nothing(row_counts):
    before = row_counts()
    outcome = run(BLOG, dry_run=True)
    assert (outcome.status, outcome.created, outcome.comments_created) == ("succeeded", 4, 7)
    assert row_counts() == before


@pytest.mark.parametrize("link, path", [
    ("https://blog.example.org/2018/05/03/chat-116/", "/2018/05/03/chat-116/"),
    ("https://blog.example.org/?p=12", ""),
    ("http://blog.example.org/archives/sant%C3%A9", "/archives/santé"),
    ("", ""),
    ("https://blog.example.org//evil.example.com/", ""),
    ("not a url", ""),
])
def test_legacy_path_of_a_link(link, path):
    assert legacy_path(link) == path


# --- The entry points -----------------------------------------------------------

def command(*args) -> tuple[dict, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_transcript", *map(str, args), "--json", stdout=out, stderr=err)
    document = json.loads(out.getvalue().rstrip("\n").split("\n")[-1])
    assert set(document) == CONTRACT_KEYS
    return document, err.getvalue()


@pytest.mark.parametrize("format_args", [("--format", "wxr"), ()])
def test_the_import_command_reads_wxr(format_args):
    ChatFactory(number=116, slug="hcsmca-116")
    document, stderr = command(BLOG, *format_args)
    assert {k: document[k] for k in ("status", "format", "created", "updated", "unchanged", "skipped", "chats")} == {
        "status": "succeeded", "format": "wxr", "created": 4, "updated": 0, "unchanged": 0, "skipped": 3,
        "chats": ["hcsmca-116"]}
    assert "comments: created 7, updated 0, unchanged 0, skipped 1; authors created 2" in stderr
    row = Import.objects.get()
    assert (row.status, row.format, row.created_count, row.skipped_count) == ("succeeded", "wxr", 4, 3)


def test_the_import_command_fails_with_exit_1_on_a_broken_file(row_counts):
    before = row_counts()
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_transcript", str(FIXTURES / "malformed.xml"), "--json", stdout=out, stderr=io.StringIO())
    assert exit_info.value.code == 1
    document = json.loads(out.getvalue().rstrip("\n").split("\n")[-1])
    assert document["status"] == "failed" and document["format"] == "wxr"
    assert document["errors"][-1]["record"] == 2
    assert {k: v for k, v in row_counts().items() if k != "chats_import"} == {
        k: v for k, v in before.items() if k != "chats_import"}


def test_the_command_dry_run():
    document, stderr = command(BLOG, "--dry-run")
    assert document["created"] == 4 and "dry run: nothing written" in stderr
    assert not Summary.objects.exists()


def test_an_uploaded_export_runs_through_the_import_row():
    row = Import.objects.create(file=SimpleUploadedFile("blog.xml", BLOG.read_bytes()), original_name="blog.xml",
                                bytes_total=BLOG.stat().st_size)
    outcome = import_run(import_id=row.pk)
    assert (outcome.status, outcome.format, outcome.created) == ("succeeded", "wxr", 4)
    row.refresh_from_db()
    assert (row.status, row.format, row.created_count, row.skipped_count) == ("succeeded", "wxr", 4, 3)
    assert Summary.objects.count() == 4


def test_a_wxr_among_transcripts_is_refused(small_chat_path):
    with BLOG.open("rb") as blog, small_chat_path.open("rb") as chat:
        outcome = transcript_import(sources=[SourceFile("blog.xml", blog, 1), SourceFile("chat.jsonl", chat, 1)])
    assert outcome.status == "failed"
    assert "cannot be imported together with transcripts" in outcome.errors[-1]["message"]
    assert not Summary.objects.exists() and not get_user_model().objects.exists()
