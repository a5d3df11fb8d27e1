"""A redacted author appears on no reader page, export or feed; their posts
are placeholders where they were."""
from __future__ import annotations

import io

import pytest

from chats.models import Author, Chat, Post
from chats.services.imports import SourceFile, transcript_import
from chats.services.redactions import author_redact, posts_mark_deleted

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("default_series_hcsmca")]

A1_AMIR_ID = "1085625154618208256"
T2_ID = "1085626917472837632"
# What dr_amir wrote and who he is, as the fixture has it.
TRACES = ["dr_amir", "ask your librarian", "cochranelibrary"]


@pytest.fixture
def redacted_chat(small_chat_path) -> Chat:
    assert transcript_import(sources=[SourceFile("chat.jsonl", io.BytesIO(small_chat_path.read_bytes()))]).status == (
        "succeeded")
    amir = Author.objects.get(handle="dr_amir")
    author_redact(author_id=amir.pk, reason="asked")
    return Chat.objects.get()


def assert_no_trace(body: str) -> None:
    lowered = body.lower()
    for trace in TRACES:
        assert trace.lower() not in lowered, trace


def test_chat_page_shows_placeholders_in_both_orders(client, redacted_chat):
    for url in [redacted_chat.get_absolute_url(), redacted_chat.get_absolute_url() + "?order=time"]:
        response = client.get(url)
        assert response.status_code == 200
        body = response.content.decode()
        assert_no_trace(body)
        assert "A post removed at its author's request." in body
        assert f'id="post-{A1_AMIR_ID}"' in body  # the anchor and its place in the thread stay
        assert "nurse_jo" in body  # everyone else is still there


def test_exports_carry_placeholders(client, redacted_chat):
    slug = redacted_chat.slug
    data = client.get(f"/chats/{slug}/transcript.json").json()
    assert len(data["posts"]) == Post.objects.count()
    removed = next(post for post in data["posts"] if post["id"] == A1_AMIR_ID)
    assert (removed["author"], removed["text"], removed["urls"]) == ("[removed]", "", [])
    for suffix in ["transcript.json", "transcript.csv", "transcript.md"]:
        response = client.get(f"/chats/{slug}/{suffix}")
        assert response.status_code == 200
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert_no_trace(body.decode())
    response = client.get(f"/chats/{slug}/transcript.md")
    markdown = (b"".join(response.streaming_content) if response.streaming else response.content).decode()
    assert "a post removed at its author's request" in markdown


def test_participant_page_search_resources_and_feeds(client, redacted_chat):
    assert client.get("/people/twitter/dr_amir/").status_code == 404
    search = client.get("/search/", {"q": "librarian"})
    assert search.status_code == 200
    assert_no_trace(search.content.decode())
    for url in ["/", "/archive/", "/resources/", "/feeds/chats.atom", "/feeds/chats.rss", "/sitemap.xml",
                "/people/twitter/nurse_jo/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_trace(response.content.decode())


def test_a_deleted_post_says_so(client, redacted_chat):
    posts_mark_deleted(platform="twitter", external_ids=[T2_ID], source_name="deletions.txt")

    body = client.get(redacted_chat.get_absolute_url() + "?order=time").content.decode()

    assert "A post deleted on its platform." in body
    assert "What would help patients tell good health information" not in body
