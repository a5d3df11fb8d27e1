"""Atom and RSS feeds of published summaries (overall, per series, per tag),
and summaries in /sitemap.xml: drafts, scheduled summaries and publish times
still ahead never appear."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from summaries.models import Summary
from summaries.services.rendering import summary_render
from tests.factories import ChatFactory, SeriesFactory, SummaryFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
JANUARY = datetime(2019, 1, 18, 15, tzinfo=UTC)


def parse(response) -> ET.Element:
    assert response.status_code == 200
    return ET.fromstring(response.content)


def atom_entries(response) -> list[dict]:
    root = parse(response)
    assert response["Content-Type"].startswith("application/atom+xml")
    return [{
        "title": entry.findtext(f"{ATOM}title"),
        "link": entry.find(f"{ATOM}link").get("href"),
        "summary": entry.findtext(f"{ATOM}summary"),
        "author": entry.findtext(f"{ATOM}author/{ATOM}name"),
        "categories": [category.get("term") for category in entry.findall(f"{ATOM}category")],
    } for entry in root.findall(f"{ATOM}entry")]


def rss_items(response) -> list[dict]:
    root = parse(response)
    assert response["Content-Type"].startswith("application/rss+xml")
    return [{
        "title": item.findtext("title"),
        "link": item.findtext("link"),
        "description": item.findtext("description"),
        "categories": [category.text for category in item.findall("category")],
    } for item in root.findall("channel/item")]


@pytest.fixture
def author(django_user_model):
    return django_user_model.objects.create_user("sam", first_name="Sam", last_name="Moderator")


@pytest.fixture
def summaries(author):
    """Two published summaries of #hcsmca (tagged Trust), one of #hcldr, and
    the unpublished ones readers never see (tagged Trust too)."""
    hcsmca = ChatFactory(number=116, slug="hcsmca-116")
    hcldr = ChatFactory(series=SeriesFactory(hashtag="hcldr", name="Healthcare leadership"), number=5, slug="hcldr-5")
    older = SummaryFactory(chat=hcsmca, author=author, title="Older", slug="older", published_at=JANUARY)
    newer = SummaryFactory(chat=hcsmca, author=author, title="Newer", slug="newer",
                           published_at=JANUARY + timedelta(days=7), excerpt="",
                           body_html='<p>Body <a href="https://e.org/">link</a><script>alert(1)</script></p>')
    leadership = SummaryFactory(chat=hcldr, title="Leadership", slug="leadership", published_at=JANUARY + timedelta(days=1))
    older.tags.add("Trust")
    newer.tags.add("Trust", "Privacy")
    ahead = timezone.now() + timedelta(days=2)
    for slug, status, at in [("draft", Summary.Status.DRAFT, None), ("scheduled", Summary.Status.SCHEDULED, ahead),
                             ("future", Summary.Status.PUBLISHED, ahead)]:
        SummaryFactory(chat=hcsmca, author=author, title=f"Secret {slug}", slug=f"secret-{slug}",
                       status=status, published_at=at).tags.add("Trust")
    return {"older": older, "newer": newer, "leadership": leadership}


@pytest.mark.parametrize("url, titles", [
    ("/feeds/summaries.atom", ["Newer", "Leadership", "Older"]),
    ("/feeds/summaries/series/hcsmca.atom", ["Newer", "Older"]),
    ("/feeds/summaries/series/hcldr.atom", ["Leadership"]),
    ("/feeds/summaries/tags/trust.atom", ["Newer", "Older"]),
    ("/feeds/summaries/tags/privacy.atom", ["Newer"]),
])
def test_atom_feeds_carry_published_summaries_newest_first(client, summaries, url, titles):
    entries = atom_entries(client.get(url))
    assert [entry["title"] for entry in entries] == titles


@pytest.mark.parametrize("url, titles", [
    ("/feeds/summaries.rss", ["Newer", "Leadership", "Older"]),
    ("/feeds/summaries/series/hcsmca.rss", ["Newer", "Older"]),
    ("/feeds/summaries/tags/trust.rss", ["Newer", "Older"]),
])
def test_rss_feeds_carry_published_summaries_newest_first(client, summaries, url, titles):
    items = rss_items(client.get(url))
    assert [item["title"] for item in items] == titles


def test_item_content_is_the_excerpt_else_the_sanitised_body(client, summaries):
    entries = {entry["title"]: entry for entry in atom_entries(client.get("/feeds/summaries.atom"))}

    assert entries["Older"]["summary"] == "<p>We talked about trust in online health information.</p>"
    assert entries["Newer"]["summary"] == '<p>Body <a href="https://e.org/" rel="nofollow ugc noopener">link</a></p>'
    assert entries["Older"]["link"] == "http://testserver/2019/01/18/older/"
    assert entries["Older"]["author"] == "Sam Moderator"
    assert sorted(entries["Newer"]["categories"]) == ["Privacy", "Trust"]


def test_body_written_in_markdown_is_rendered_until_the_worker_stores_it(client, author):
    written = SummaryFactory(chat=ChatFactory(), author=author, slug="md", published_at=JANUARY, excerpt="",
                             body_markdown="New **words** <script>x</script>", body_html="",
                             drafted_at=JANUARY)
    [entry] = atom_entries(client.get("/feeds/summaries.atom"))
    assert entry["summary"].strip() == "<p>New <strong>words</strong> &lt;script&gt;x&lt;/script&gt;</p>"

    summary_render(summary_id=written.pk)
    # A change the worker has not rendered yet, without touching updated_at: the stored copy is served.
    Summary.objects.filter(pk=written.pk).update(body_markdown="Changed later, not rendered yet")
    [entry] = atom_entries(client.get("/feeds/summaries.atom"))
    assert entry["summary"].strip() == "<p>New <strong>words</strong> &lt;script&gt;x&lt;/script&gt;</p>"


def test_hostile_title_excerpt_and_tag_stay_text(client, author):
    hostile = SummaryFactory(chat=ChatFactory(), author=author, slug="hostile", published_at=JANUARY,
                             title="<script>alert('t')</script>", excerpt="<img src=x onerror=alert(1)> & more")
    hostile.tags.add("<b>bold</b>")

    raw = client.get("/feeds/summaries.rss").content.decode()
    [item] = rss_items(client.get("/feeds/summaries.rss"))

    assert "<script>" not in raw and "<img" not in raw and "<b>" not in raw
    assert item["title"] == "<script>alert('t')</script>"  # text, as the XML parser reads it back
    # The description is HTML: the excerpt is escaped in it, so readers show it as text.
    assert item["description"] == "<p>&lt;img src=x onerror=alert(1)&gt; &amp; more</p>"
    assert item["categories"] == ["<b>bold</b>"]


@pytest.mark.parametrize("url", [
    "/feeds/summaries/series/nosuchseries.atom",
    "/feeds/summaries/tags/nosuchtag.rss",
])
def test_unknown_series_or_tag_feed_is_not_found(client, summaries, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("n", [3, 30])
def test_feed_query_count_is_constant(client, author, n, django_assert_num_queries):
    chat = ChatFactory()
    for k in range(n):
        SummaryFactory(chat=chat, author=author, slug=f"s{k}", published_at=JANUARY + timedelta(hours=k)).tags.add(
            f"tag {k}")
    # the series, the summaries (author joined), their tags
    with django_assert_num_queries(3):
        assert len(atom_entries(client.get("/feeds/summaries/series/hcsmca.atom"))) == n


def test_summary_pages_link_their_feeds(client, summaries):
    html = client.get("/summaries/series/hcsmca/").content.decode()
    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert 'href="/feeds/summaries.atom"' in html and 'href="/feeds/summaries/series/hcsmca.rss"' in html
    html = client.get("/summaries/tags/trust/").content.decode()
    assert 'href="/feeds/summaries/tags/trust.atom"' in html


# --- sitemap -----------------------------------------------------------------------

def test_sitemap_lists_published_summaries_only(client, summaries):
    # lastmod is the last change, not the publish time (same day in UTC and Toronto).
    Summary.objects.filter(slug="newer").update(updated_at=datetime(2020, 3, 4, 12, tzinfo=UTC))
    root = parse(client.get("/sitemap.xml"))
    urls = {url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod") for url in root.findall(f"{SITEMAP}url")}

    expected = {f"http://testserver{summary.get_absolute_url()}" for summary in summaries.values()}
    assert expected <= set(urls)
    assert not [loc for loc in urls if "secret" in loc]
    assert "http://testserver/summaries/" in urls
    newer = summaries["newer"]
    assert urls[f"http://testserver{newer.get_absolute_url()}"] == "2020-03-04"


def test_sitemap_without_published_summaries_has_no_summary_list(client):
    SummaryFactory(status=Summary.Status.DRAFT, published_at=None, slug="draft")
    root = parse(client.get("/sitemap.xml"))
    locs = [url.findtext(f"{SITEMAP}loc") for url in root.findall(f"{SITEMAP}url")]
    assert "http://testserver/summaries/" not in locs and not [loc for loc in locs if "draft" in loc]
