"""Atom and RSS feeds of new chats (chats.feeds), `/sitemap.xml` (chats.sitemaps)
and the feed links every page carries."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from chats.models import Chat
from tests.factories import AuthorFactory, ChatFactory, PostFactory, SeriesFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def atom_entries(response) -> list[ET.Element]:
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    return root.findall(f"{ATOM}entry")


def rss_items(response) -> list[ET.Element]:
    root = ET.fromstring(response.content)
    assert root.tag == "rss"
    return root.findall("channel/item")


def atom_titles(response) -> list[str]:
    return [entry.findtext(f"{ATOM}title") for entry in atom_entries(response)]


def rss_titles(response) -> list[str]:
    return [item.findtext("title") for item in rss_items(response)]


@pytest.fixture
def hcsmca():
    return SeriesFactory(hashtag="hcsmca", name="Health Care Social Media Canada")


@pytest.fixture
def hcldr():
    return SeriesFactory(hashtag="hcldr", name="Healthcare Leadership")


@pytest.fixture
def chats(hcsmca, hcldr):
    """Two public archived #hcsmca chats, one #hcldr chat, and a hidden and a
    scheduled #hcsmca chat that no reader sees."""
    older = ChatFactory(series=hcsmca, number=115, title="Patient voices in research",
                        start=datetime(2019, 1, 9, 18, tzinfo=UTC))
    newer = ChatFactory(series=hcsmca, number=116, title="Trusting health information online",
                        description="How patients judge what they read.",
                        start=datetime(2019, 1, 16, 18, tzinfo=UTC))
    other = ChatFactory(series=hcldr, number=300, title="",
                        start=datetime(2019, 1, 12, 1, tzinfo=UTC))
    hidden = ChatFactory(series=hcsmca, number=117, title="Withdrawn at the hosts' request",
                         visibility=Chat.Visibility.HIDDEN, start=datetime(2019, 1, 23, 18, tzinfo=UTC))
    scheduled = ChatFactory(series=hcsmca, number=118, title="Next week", status=Chat.Status.SCHEDULED,
                            start=datetime(2019, 1, 30, 18, tzinfo=UTC))
    newer.tags.add("health literacy", "misinformation")
    jo, amir = AuthorFactory(handle="nurse_jo"), AuthorFactory(handle="dr_amir")
    for author in (jo, jo, amir):
        PostFactory(chat=newer, author=author)
    PostFactory(chat=older, author=jo)
    return {"older": older, "newer": newer, "other": other, "hidden": hidden, "scheduled": scheduled}


# --- the all-chats feeds -----------------------------------------------------------

def test_atom_feed_parses_and_lists_archived_public_chats_newest_first(client, chats):
    response = client.get("/feeds/chats.atom")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert atom_titles(response) == [
        "#hcsmca 116: Trusting health information online",
        "#hcldr 300",
        "#hcsmca 115: Patient voices in research",
    ]


def test_rss_feed_parses_and_lists_archived_public_chats_newest_first(client, chats):
    response = client.get("/feeds/chats.rss")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert rss_titles(response) == [
        "#hcsmca 116: Trusting health information online",
        "#hcldr 300",
        "#hcsmca 115: Patient voices in research",
    ]


@pytest.mark.parametrize("url", ["/feeds/chats.atom", "/feeds/chats.rss"])
def test_hidden_and_scheduled_chats_are_not_in_the_feeds(client, chats, url):
    body = client.get(url).content.decode()

    assert "Withdrawn" not in body and "#hcsmca 117" not in body
    assert "Next week" not in body and "#hcsmca 118" not in body
    assert "/chats/hcsmca-117/" not in body and "/chats/hcsmca-118/" not in body


def test_atom_entry_carries_link_id_date_summary_and_tags(client, chats):
    entry = atom_entries(client.get("/feeds/chats.atom"))[0]

    link = entry.find(f"{ATOM}link").get("href")
    assert link == "http://testserver/chats/hcsmca-116/"
    assert entry.findtext(f"{ATOM}id") == link
    assert entry.findtext(f"{ATOM}published") == "2019-01-16T18:00:00+00:00"
    summary = entry.findtext(f"{ATOM}summary")
    assert summary.startswith("How patients judge what they read.")
    assert "3 posts by 2 participants." in summary
    assert sorted(c.get("term") for c in entry.findall(f"{ATOM}category")) == ["health literacy", "misinformation"]


def test_rss_item_carries_link_guid_date_description_and_tags(client, chats):
    items = rss_items(client.get("/feeds/chats.rss"))
    newest, oldest = items[0], items[-1]

    assert newest.findtext("link") == "http://testserver/chats/hcsmca-116/"
    assert newest.findtext("guid") == "http://testserver/chats/hcsmca-116/"
    assert newest.findtext("pubDate") == "Wed, 16 Jan 2019 18:00:00 +0000"
    assert "3 posts by 2 participants." in newest.findtext("description")
    assert sorted(c.text for c in newest.findall("category")) == ["health literacy", "misinformation"]
    # A chat without a description still says how big it was.
    assert oldest.findtext("description") == "1 post by 1 participant."


def test_feed_title_and_subtitle_name_the_archive(client, chats):
    root = ET.fromstring(client.get("/feeds/chats.atom").content)
    assert "#hcsmca archive" in root.findtext(f"{ATOM}title")
    assert "archive" in root.findtext(f"{ATOM}subtitle")

    channel = ET.fromstring(client.get("/feeds/chats.rss").content).find("channel")
    assert "#hcsmca archive" in channel.findtext("title")
    assert "archive" in channel.findtext("description")


def test_feed_has_at_most_50_items_the_newest(client, hcsmca):
    start = datetime(2019, 1, 2, 18, tzinfo=UTC)
    for week in range(55):
        ChatFactory(series=hcsmca, number=week + 1, start=start + timedelta(weeks=week))

    titles = atom_titles(client.get("/feeds/chats.atom"))
    assert len(titles) == 50
    assert titles[0].startswith("#hcsmca 55") and titles[-1].startswith("#hcsmca 6")
    assert len(rss_items(client.get("/feeds/chats.rss"))) == 50


@pytest.mark.parametrize("url", ["/feeds/chats.atom", "/feeds/chats.rss"])
def test_markup_in_a_title_is_escaped(client, hcsmca, url):
    ChatFactory(series=hcsmca, number=1, title="<script>alert('x')</script> & friends",
                description="<b>bold</b> claims")

    response = client.get(url)
    assert b"<script>" not in response.content and b"<b>" not in response.content
    titles = atom_titles(response) if url.endswith(".atom") else rss_titles(response)
    assert titles == ["#hcsmca 1: <script>alert('x')</script> & friends"]


# --- the per-series feeds ----------------------------------------------------------

@pytest.mark.parametrize("suffix", ["atom", "rss"])
def test_series_feed_lists_only_that_series(client, chats, suffix):
    response = client.get(f"/feeds/series/hcsmca.{suffix}")

    assert response.status_code == 200
    titles = atom_titles(response) if suffix == "atom" else rss_titles(response)
    assert titles == ["#hcsmca 116: Trusting health information online", "#hcsmca 115: Patient voices in research"]

    other = client.get(f"/feeds/series/hcldr.{suffix}")
    assert (atom_titles(other) if suffix == "atom" else rss_titles(other)) == ["#hcldr 300"]


def test_series_feed_content_types_and_titles(client, chats):
    atom = client.get("/feeds/series/hcldr.atom")
    assert atom["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(atom.content)
    assert "#hcldr" in root.findtext(f"{ATOM}title") and "archive" in root.findtext(f"{ATOM}title")
    assert "Healthcare Leadership" in root.findtext(f"{ATOM}subtitle")
    self_link = [link.get("href") for link in root.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert self_link == ["http://testserver/feeds/series/hcldr.atom"]

    rss = client.get("/feeds/series/hcldr.rss")
    assert rss["Content-Type"] == "application/rss+xml; charset=utf-8"
    channel = ET.fromstring(rss.content).find("channel")
    assert "#hcldr" in channel.findtext("title") and "archive" in channel.findtext("description")


@pytest.mark.parametrize("url", ["/feeds/series/nosuchchat.atom", "/feeds/series/nosuchchat.rss"])
def test_unknown_series_feed_is_404(client, chats, url):
    assert client.get(url).status_code == 404


# --- queries -----------------------------------------------------------------------

def make_chats(series, count: int) -> None:
    start = datetime(2019, 1, 2, 18, tzinfo=UTC)
    for week in range(count):
        chat = ChatFactory(series=series, number=week + 1, start=start + timedelta(weeks=week),
                           description="A chat.")
        chat.tags.add("patients", f"topic-{week}")
        PostFactory(chat=chat)
        PostFactory(chat=chat)


@pytest.mark.parametrize("count", [3, 30])
@pytest.mark.parametrize("url", ["/feeds/chats.atom", "/feeds/chats.rss"])
def test_feed_query_count_does_not_grow_with_items(client, hcsmca, django_assert_max_num_queries, count, url):
    make_chats(hcsmca, count)

    # The chats with their series and counts, then their tags.
    with django_assert_max_num_queries(2):
        response = client.get(url)
    assert response.status_code == 200
    items = atom_entries(response) if url.endswith(".atom") else rss_items(response)
    assert len(items) == count


@pytest.mark.parametrize("count", [3, 30])
def test_series_feed_query_count_does_not_grow_with_items(client, hcsmca, django_assert_max_num_queries, count):
    make_chats(hcsmca, count)

    # The series, the chats with their counts, then their tags.
    with django_assert_max_num_queries(3):
        response = client.get("/feeds/series/hcsmca.atom")
    assert len(atom_entries(response)) == count


# --- the sitemap -------------------------------------------------------------------

def test_sitemap_lists_reader_pages_and_archived_public_chats(client, chats):
    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    root = ET.fromstring(response.content)
    entries = {
        url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod") for url in root.findall(f"{SITEMAP}url")
    }
    paths = {loc.split("://testserver", 1)[1] for loc in entries}
    assert paths == {
        "/", "/archive/", "/resources/", "/archive/2019/", "/series/hcsmca/", "/series/hcldr/",
        "/chats/hcsmca-116/", "/chats/hcsmca-115/", "/chats/hcldr-300/",
    }
    newer = chats["newer"]
    newer.refresh_from_db()
    [newer_lastmod] = [lastmod for loc, lastmod in entries.items() if loc.endswith("/chats/hcsmca-116/")]
    assert newer_lastmod == timezone.localtime(newer.updated_at).strftime("%Y-%m-%d")


def test_sitemap_never_lists_hidden_or_scheduled_chats(client, chats):
    body = client.get("/sitemap.xml").content.decode()

    assert "hcsmca-117" not in body and "hcsmca-118" not in body


# --- the alternate links on every page ---------------------------------------------

def test_pages_link_to_the_all_chats_feeds(client, chats):
    html = client.get("/").content.decode()

    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert 'href="/feeds/chats.atom"' in html
    assert '<link rel="alternate" type="application/rss+xml"' in html
    assert 'href="/feeds/chats.rss"' in html
    head = html.split("</head>", 1)[0]
    assert "/feeds/chats.atom" in head and "/feeds/chats.rss" in head
