"""Atom feeds of approved comments: every summary's (/feeds/comments.atom)
and one summary's (<permalink>comments/feed/)."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone

from summaries.models import Comment
from tests.factories import SummaryFactory

pytestmark = pytest.mark.django_db

ATOM = {"atom": "http://www.w3.org/2005/Atom"}


def comment(summary, status="approved", **fields) -> Comment:
    values = {"author_name": "Jo", "body": "Thanks.", "body_html": "<p>Thanks.</p>", "status": status, **fields}
    return Comment.objects.create(summary=summary, **values)


def entries(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    return [{
        "title": entry.findtext("atom:title", namespaces=ATOM),
        "link": entry.find("atom:link", ATOM).get("href"),
        "author": entry.findtext("atom:author/atom:name", namespaces=ATOM),
        "summary": entry.findtext("atom:summary", namespaces=ATOM),
    } for entry in feed.findall("atom:entry", ATOM)]


@pytest.fixture
def published():
    return SummaryFactory(published_at=timezone.now() - timedelta(days=3))


def test_the_site_feed_has_approved_comments_of_published_summaries_only(client, published):
    draft = SummaryFactory(status="draft", published_at=None)
    scheduled = SummaryFactory(status="published", published_at=timezone.now() + timedelta(days=1))
    shown = comment(published, author_name="Approved Ann")
    linkback = comment(published, author_name="A blog", kind="pingback", source_url="https://blog.example/p")
    for status in ("pending", "spam", "removed"):
        comment(published, status=status, author_name=f"{status} person")
    comment(draft, author_name="On a draft")
    comment(scheduled, author_name="On a scheduled summary")

    items = entries(client.get("/feeds/comments.atom"))
    assert [item["author"] for item in items] == ["A blog", "Approved Ann"]  # newest first
    assert items[1]["link"] == f"http://testserver{published.get_absolute_url()}#comment-{shown.pk}"
    assert items[0]["link"].endswith(f"#comment-{linkback.pk}")
    assert items[1]["title"] == f"Approved Ann on {published.title}"


def test_a_summary_feed_has_its_own_approved_comments(client, published):
    other = SummaryFactory(published_at=timezone.now() - timedelta(days=4))
    mine = comment(published, author_name="Mine")
    comment(published, status="pending", author_name="Waiting")
    comment(other, author_name="Elsewhere")
    url = f"{published.get_absolute_url()}comments/feed/"
    items = entries(client.get(url))
    assert [item["author"] for item in items] == ["Mine"]
    assert items[0]["link"].endswith(f"{published.get_absolute_url()}#comment-{mine.pk}")
    feed = ET.fromstring(client.get(url).content)
    assert feed.findtext("atom:title", namespaces=ATOM) == f"Comments on {published.title}"


def test_a_summary_feed_answers_only_where_its_permalink_does(client, published):
    draft = SummaryFactory(status="draft", published_at=None)
    assert client.get(f"{draft.get_absolute_url()}comments/feed/").status_code == 404
    parts = published.get_absolute_url().split("/")  # ['', YYYY, MM, DD, slug, '']
    parts[3] = "02" if parts[3] == "01" else "01"
    assert client.get("/".join(parts) + "comments/feed/").status_code == 404
    assert client.get("/2019/01/16/no-such-summary/comments/feed/").status_code == 404


def test_comment_text_in_feeds_is_escaped_and_sanitised(client, published):
    comment(published, author_name='<script>alert("name")</script>',
            body_html='<p>Fine <script>alert("body")</script><a href="javascript:alert(1)" onclick="x()">link</a></p>')
    response = client.get("/feeds/comments.atom")
    raw = response.content.decode()
    assert "<script>" not in raw  # XML-escaped at least once
    [item] = entries(response)
    assert item["author"] == '<script>alert("name")</script>'  # the reader's feed client sees text, not markup
    assert "script" not in item["summary"] and "javascript:" not in item["summary"] and "onclick" not in item["summary"]
    assert "Fine" in item["summary"]


def test_the_page_links_its_comment_feed_and_feeds_read_in_fixed_queries(client, published,
                                                                         django_assert_num_queries):
    html = client.get(published.get_absolute_url()).content.decode()
    assert f'<link rel="alternate" type="application/atom+xml" title="Comments on {published.title} (Atom)" ' \
           f'href="{published.get_absolute_url()}comments/feed/">' in html
    comment(published)
    with django_assert_num_queries(1):
        entries(client.get("/feeds/comments.atom"))
    with django_assert_num_queries(2):
        entries(client.get(f"{published.get_absolute_url()}comments/feed/"))
    for number in range(5):
        comment(SummaryFactory(published_at=timezone.now() - timedelta(days=5 + number)))
    with django_assert_num_queries(1):
        assert len(entries(client.get("/feeds/comments.atom"))) == 6
