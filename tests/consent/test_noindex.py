"""noindex chats: a robots meta on their pages (both orders) and on their
summary's page, and no entry in the sitemap."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import ChatFactory, PostFactory, SummaryFactory

pytestmark = pytest.mark.django_db
ROBOTS = '<meta name="robots" content="noindex">'


@pytest.fixture
def quiet_chat():
    chat = ChatFactory(noindex=True)
    PostFactory(chat=chat)
    return chat


@pytest.fixture
def open_chat():
    chat = ChatFactory()
    PostFactory(chat=chat)
    return chat


def test_a_noindex_chat_page_asks_robots_away_in_both_orders(client, quiet_chat):
    for query in ("", "?order=time", "?order=time&page=1"):
        page = client.get(quiet_chat.get_absolute_url() + query).content.decode()
        head = page.split("</head>")[0]
        assert ROBOTS in head, query


def test_other_chat_pages_have_no_robots_meta(client, open_chat):
    assert 'name="robots"' not in client.get(open_chat.get_absolute_url()).content.decode()


def test_the_sitemap_leaves_noindex_chats_out(client, quiet_chat, open_chat):
    sitemap = client.get("/sitemap.xml").content.decode()
    assert open_chat.get_absolute_url() in sitemap
    assert quiet_chat.get_absolute_url() not in sitemap


def test_the_summary_of_a_noindex_chat_is_noindex_too(client, quiet_chat, open_chat):
    published = timezone.now() - timedelta(days=1)
    quiet = SummaryFactory(chat=quiet_chat, slug="quiet", published_at=published)
    loud = SummaryFactory(chat=open_chat, slug="loud", published_at=published)
    assert ROBOTS in client.get(quiet.get_absolute_url()).content.decode().split("</head>")[0]
    assert 'name="robots"' not in client.get(loud.get_absolute_url()).content.decode()


def test_every_page_links_to_the_removal_form(client, open_chat):
    author = open_chat.posts.first().author
    for url in ("/", open_chat.get_absolute_url(), "/removal/"):
        assert 'class="footer-removal" href="/removal/"' in client.get(url).content.decode(), url
    participant = client.get(author.get_absolute_url()).content.decode()
    assert f'href="/removal/?platform=twitter&amp;handle={author.handle}"' in participant


def test_a_moderator_marks_a_cached_chat_noindex_in_the_admin(client, moderator, open_chat):
    from django.utils import timezone as tz

    assert ROBOTS not in client.get(open_chat.get_absolute_url()).content.decode()  # now cached
    start, end = tz.localtime(open_chat.start), tz.localtime(open_chat.end)
    form = {
        "series": open_chat.series_id, "number": open_chat.number, "title": open_chat.title, "slug": open_chat.slug,
        "start_0": start.strftime("%Y-%m-%d"), "start_1": start.strftime("%H:%M:%S"),
        "end_0": end.strftime("%Y-%m-%d"), "end_1": end.strftime("%H:%M:%S"),
        "description": "", "tags": "", "status": open_chat.status, "visibility": open_chat.visibility,
        "noindex": "on",
        "questions-TOTAL_FORMS": "0", "questions-INITIAL_FORMS": "0",
        "questions-MIN_NUM_FORMS": "0", "questions-MAX_NUM_FORMS": "1000",
    }
    client.force_login(moderator)
    response = client.post(f"/admin/chats/chat/{open_chat.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    client.logout()
    open_chat.refresh_from_db()
    assert open_chat.noindex
    assert ROBOTS in client.get(open_chat.get_absolute_url()).content.decode()
    assert open_chat.get_absolute_url() not in client.get("/sitemap.xml").content.decode()


def test_the_summary_of_a_noindex_chat_is_left_out_of_the_sitemap(client, quiet_chat, open_chat):
    published = timezone.now() - timedelta(days=1)
    quiet = SummaryFactory(chat=quiet_chat, slug="quiet", published_at=published)
    loud = SummaryFactory(chat=open_chat, slug="loud", published_at=published)
    sitemap = client.get("/sitemap.xml").content.decode()
    assert loud.get_absolute_url() in sitemap
    assert quiet.get_absolute_url() not in sitemap


def test_downloads_of_a_noindex_chat_carry_the_robots_header(client, quiet_chat, open_chat):
    for suffix in ("transcript.json", "transcript.csv", "transcript.md"):
        assert client.get(f"/chats/{quiet_chat.slug}/{suffix}")["X-Robots-Tag"] == "noindex", suffix
        assert "X-Robots-Tag" not in client.get(f"/chats/{open_chat.slug}/{suffix}"), suffix
