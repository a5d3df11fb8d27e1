"""The cross-site scripting corpus (tests/security/xss.py) pushed through
every place user content appears: the pages show it as text, never as markup
that runs, and every link they make of it is http(s)."""
import json
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from tests.security.xss import MARKER, PAYLOADS, TAG, audit, build_hostile_site, hostile_pages

pytestmark = pytest.mark.django_db


@pytest.fixture
def hostile_site():
    return build_hostile_site()


def test_the_audit_catches_what_could_run():
    # The checks below would pass on anything if the audit saw nothing.
    for bad in ['<script>alert(1)</script>', '<script src="https://evil.example/x.js"></script>',
                '<img src=x onerror=alert(1)>', '<a href=" JaVa\tScRiPt:alert(1)">x</a>',
                '<a href="data:text/html,x">x</a>', '<svg><desc>x</desc></svg>', '<p style="color:red">x</p>',
                '<img srcset="/a.png 1x, javascript:alert(1) 2x">', '<form action="javascript:alert(1)"></form>',
                '<meta http-equiv="refresh" content="0;url=/">', '<iframe src="/"></iframe>']:
        assert audit(bad).problems, bad
    fine = ('<script src="/static/chats/local-time.js" defer></script><a href="https://example.org/a?b=1">x</a>'
            '<a href="/chats/x/#T1">y</a><a href="#post-1">z</a><a href="?page=2">n</a><img src="/static/a.png">'
            "<p>&lt;script&gt;alert('xss-1')&lt;/script&gt;</p>")
    assert audit(fine).problems == []


@pytest.mark.parametrize("name", [
    "home", "archive", "archive-year", "archive-month", "series", "tag", "chat", "chat-time-order", "participant",
    "resources", "summaries", "summary", "summary-comments-open", "summaries-tag", "summaries-series",
    "summaries-month", "search", "search-echo"])
def test_pages_show_the_corpus_as_text_only(client, hostile_site, name):
    path = hostile_pages(hostile_site)[name]
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.content.decode()
    found = audit(html)
    assert found.problems == [], (path, found.problems)
    # The corpus was rendered (as text), not dropped: its markers are in the page's text.
    assert MARKER.search("".join(found.text)), f"{path} shows none of the corpus"


def test_the_chat_page_shows_each_payload_verbatim(client, hostile_site):
    text = "".join(audit(client.get(hostile_site.chat.get_absolute_url()).content.decode()).text)
    for payload in PAYLOADS:
        assert payload in text


def test_the_summary_markdown_keeps_only_http_links(client, hostile_site):
    html = client.get(hostile_site.summary.get_absolute_url()).content.decode()
    assert 'href="https://example.org/ok"' in html  # a safe link survives the sanitiser
    assert "xss-15" not in html.split('href="', 1)[-1].split('"', 1)[0]


@pytest.mark.parametrize("feed", [
    "chats:feed-atom", "chats:feed-rss", "summaries:feed-atom", "summaries:feed-rss", "summaries:all-comments-feed"])
def test_feeds_are_well_formed_and_their_html_is_safe(client, hostile_site, feed):
    response = client.get(reverse(feed))
    assert response.status_code == 200
    root = ET.fromstring(response.content)  # an escaping hole would break the XML
    html_parts = [element.text for element in root.iter()
                  if element.text and element.tag.rsplit("}", 1)[-1] in {"content", "summary", "description"}]
    assert html_parts, "the feed has entries with content"
    for part in html_parts:
        assert audit(part).problems == [], part
    assert MARKER.search(response.content.decode())


def test_tag_feeds_with_a_hostile_tag_name(client, hostile_site):
    from taggit.models import Tag

    slug = Tag.objects.get(name=TAG).slug
    for feed in ("summaries:tag-feed-atom", "summaries:tag-feed-rss"):
        response = client.get(reverse(feed, kwargs={"tag": slug}))
        assert response.status_code == 200
        ET.fromstring(response.content)


def test_transcript_exports_are_never_served_as_html(client, hostile_site):
    slug = hostile_site.chat.slug
    for name, content_type in [("chats:transcript-json", "application/json"), ("chats:transcript-csv", "text/csv"),
                               ("chats:transcript-md", "text/markdown")]:
        response = client.get(reverse(name, args=[slug]))
        assert response.status_code == 200
        assert response["Content-Type"].startswith(content_type)
        assert response["X-Content-Type-Options"] == "nosniff"  # no browser sniffs them into HTML
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert MARKER.search(body.decode())
    data = json.loads(client.get(reverse("chats:transcript-json", args=[slug])).content)
    assert PAYLOADS[0] in json.dumps(data, ensure_ascii=False)  # the JSON carries the text as it was written


def test_the_moderation_page_shows_a_pending_comment_as_text(moderator_client, hostile_site):
    response = moderator_client.get(reverse("summaries:moderation"))
    assert response.status_code == 200
    found = audit(response.content.decode())
    assert found.problems == [], found.problems
    assert "xss-28" not in response.content.decode()  # its javascript: website is not linked, nor shown
    assert MARKER.search("".join(found.text))
