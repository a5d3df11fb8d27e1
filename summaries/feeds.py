"""Atom and RSS feeds of published summaries (Django's syndication framework),
following chats/feeds.py.

``/feeds/summaries.atom`` and ``.rss`` carry every summary;
``/feeds/summaries/series/<hashtag>.atom|.rss`` one series' and
``/feeds/summaries/tags/<slug>.atom|.rss`` one tag's. Items are published
summaries only, newest first.

Titles are plain text (the framework escapes them). Descriptions are HTML,
as both formats read them: the excerpt, escaped, in a paragraph, or else the
sanitised body; the framework then escapes that HTML once more for the XML.
"""
from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import escape, linebreaks
from taggit.models import Tag

from chats.feeds import ARCHIVE_NAME
from chats.models import Series
from summaries.models import Summary
from summaries.sanitise import clean_summary_html
from summaries.services.rendering import summary_body_html

FEED_ITEMS = 50


def summary_feed_html(summary: Summary) -> str:
    """The item's content: the excerpt (plain text, escaped) when there is
    one, else the body: as the worker stored it (body_html) when that copy
    is at least as new as the summary, else rendered now from its source
    (summaries.services.rendering), sanitised either way."""
    if summary.excerpt.strip():
        return linebreaks(escape(summary.excerpt.strip()))
    stored = summary.rendered_at is not None and summary.rendered_at >= summary.updated_at
    if stored:
        return str(clean_summary_html(summary.body_html))
    return summary_body_html(summary)


class SummariesRssFeed(Feed):
    """Published summaries of every series, as RSS 2.0."""

    feed_type = Rss201rev2Feed
    url_name = "summaries:feed-rss"

    def title(self) -> str:
        return f"{ARCHIVE_NAME}: summaries"

    def description(self) -> str:
        return f"Summaries of the chats in the {ARCHIVE_NAME}, newest first."

    def subtitle(self) -> str:
        return self.description()

    def link(self) -> str:
        return reverse("summaries:list")

    def feed_url(self) -> str:
        return reverse(self.url_name)

    def base_items(self):
        return (
            Summary.objects.published()
            .select_related("author")
            .prefetch_related("tags")
            .defer("search_vector", "rendered_html")
            .order_by("-published_at", "-pk")
        )

    def items(self):
        return self.base_items()[:FEED_ITEMS]

    def item_title(self, item: Summary) -> str:
        return item.title

    def item_description(self, item: Summary) -> str:
        return summary_feed_html(item)

    def item_link(self, item: Summary) -> str:
        return item.get_absolute_url()

    # No item_guid: the unique id is then the item's absolute link, the permalink.

    def item_author_name(self, item: Summary) -> str:
        return item.author_name or None

    def item_pubdate(self, item: Summary):
        return item.published_at

    def item_updateddate(self, item: Summary):
        return item.updated_at

    def item_categories(self, item: Summary) -> list[str]:
        # Prefetched with the items: no query per item.
        return [tag.name for tag in item.tags.all()]


class SummariesAtomFeed(SummariesRssFeed):
    """Published summaries of every series, as Atom 1.0."""

    feed_type = Atom1Feed
    url_name = "summaries:feed-atom"


class SeriesSummariesRssFeed(SummariesRssFeed):
    """Published summaries of one series' chats (404 for an unknown hashtag), as RSS 2.0."""

    url_name = "summaries:series-feed-rss"

    def get_object(self, request, hashtag: str) -> Series:
        return get_object_or_404(Series, hashtag=hashtag)

    def title(self, obj: Series) -> str:
        return f"{ARCHIVE_NAME}: summaries of #{obj.hashtag} chats"

    def description(self, obj: Series) -> str:
        return f"Summaries of the #{obj.hashtag} ({obj.name}) chats in the {ARCHIVE_NAME}, newest first."

    def subtitle(self, obj: Series) -> str:
        return self.description(obj)

    def link(self, obj: Series) -> str:
        return reverse("summaries:series", kwargs={"hashtag": obj.hashtag})

    def feed_url(self, obj: Series) -> str:
        return reverse(self.url_name, kwargs={"hashtag": obj.hashtag})

    def items(self, obj: Series):
        return self.base_items().filter(chat__series=obj)[:FEED_ITEMS]


class SeriesSummariesAtomFeed(SeriesSummariesRssFeed):
    feed_type = Atom1Feed
    url_name = "summaries:series-feed-atom"


class TagSummariesRssFeed(SummariesRssFeed):
    """Published summaries with one tag (404 for an unknown tag), as RSS 2.0.
    A known tag with no published summary yet gives an empty feed, so a
    reader can subscribe ahead."""

    url_name = "summaries:tag-feed-rss"

    def get_object(self, request, tag: str) -> Tag:
        return get_object_or_404(Tag, slug=tag)

    def title(self, obj: Tag) -> str:
        return f"{ARCHIVE_NAME}: summaries tagged {obj.name}"

    def description(self, obj: Tag) -> str:
        return f"Summaries tagged {obj.name} in the {ARCHIVE_NAME}, newest first."

    def subtitle(self, obj: Tag) -> str:
        return self.description(obj)

    def link(self, obj: Tag) -> str:
        return reverse("summaries:tag", kwargs={"tag": obj.slug})

    def feed_url(self, obj: Tag) -> str:
        return reverse(self.url_name, kwargs={"tag": obj.slug})

    def items(self, obj: Tag):
        return self.base_items().filter(tags=obj)[:FEED_ITEMS]


class TagSummariesAtomFeed(TagSummariesRssFeed):
    feed_type = Atom1Feed
    url_name = "summaries:tag-feed-atom"
