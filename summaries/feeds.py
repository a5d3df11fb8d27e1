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
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import escape, linebreaks
from taggit.models import Tag

from chats.feeds import ARCHIVE_NAME
from chats.models import Series
from summaries.models import Comment, Summary
from summaries.sanitise import clean_comment_html, clean_summary_html
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


# --- Comment feeds (issue 6) ----------------------------------------------------

COMMENT_FEED_ITEMS = 50


def approved_comments():
    """Approved comments (and linkbacks) of published summaries, newest
    first, with their summary read in the same query."""
    return (
        Comment.objects.filter(status=Comment.Status.APPROVED, summary__in=Summary.objects.published())
        .select_related("summary")
        .defer("summary__search_vector", "summary__rendered_html", "summary__body_markdown", "summary__body_html")
        .order_by("-created_at", "-pk")
    )


class CommentsAtomFeed(Feed):
    """Approved comments on every published summary, as Atom 1.0
    (/feeds/comments.atom). Item content is the comment's stored HTML, run
    through the comment cleaner again on the way out."""

    feed_type = Atom1Feed

    def title(self) -> str:
        return f"{ARCHIVE_NAME}: comments on summaries"

    def subtitle(self) -> str:
        return f"Comments on the summaries of the {ARCHIVE_NAME}, newest first."

    def link(self) -> str:
        return reverse("summaries:list")

    def feed_url(self) -> str:
        return reverse("summaries:all-comments-feed")

    def items(self):
        return approved_comments()[:COMMENT_FEED_ITEMS]

    def item_title(self, item: Comment) -> str:
        return f"{item.author_name} on {item.summary.title}"

    def item_description(self, item: Comment) -> str:
        return str(clean_comment_html(item.body_html)) if item.body_html else linebreaks(escape(item.body))

    def item_link(self, item: Comment) -> str:
        return f"{item.summary.get_absolute_url()}#comment-{item.pk}"

    def item_author_name(self, item: Comment) -> str:
        return item.author_name

    def item_pubdate(self, item: Comment):
        return item.created_at


class SummaryCommentsAtomFeed(CommentsAtomFeed):
    """Approved comments on one published summary, as Atom 1.0, at
    ``<permalink>comments/feed/`` (404 where the permalink is 404)."""

    def get_object(self, request, year: str, month: str, day: str, slug: str) -> Summary:
        summary = get_object_or_404(Summary.objects.published().defer("search_vector", "rendered_html"), slug=slug)
        if summary.get_absolute_url() != reverse("summaries:detail", kwargs={
            "year": year, "month": month, "day": day, "slug": slug,
        }):
            raise Http404("No summary at this date.")
        return summary

    def title(self, obj: Summary) -> str:
        return f"Comments on {obj.title}"

    def subtitle(self, obj: Summary) -> str:
        return f"Comments on “{obj.title}” in the {ARCHIVE_NAME}, newest first."

    def link(self, obj: Summary) -> str:
        return obj.get_absolute_url()

    def feed_url(self, obj: Summary) -> str:
        return f"{obj.get_absolute_url()}comments/feed/"

    def items(self, obj: Summary):
        return approved_comments().filter(summary=obj)[:COMMENT_FEED_ITEMS]
