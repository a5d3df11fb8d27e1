"""Atom and RSS feeds of newly archived chats (Django's syndication framework).

``/feeds/chats.atom`` and ``.rss`` carry every series; ``/feeds/series/<hashtag>.atom``
and ``.rss`` one series. Items are archived public chats only, newest first.
The framework escapes every text it writes, so titles are given here as
plain text; descriptions are escaped once more, because readers take an RSS
<description> and an Atom <summary type="html"> as HTML.
"""
from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import escape

from chats.models import Chat, Series

ARCHIVE_NAME = "#hcsmca archive"
FEED_ITEMS = 50


def chat_title(chat: Chat) -> str:
    """ "#hashtag N: title", or "#hashtag N" for a chat without a title."""
    heading = f"#{chat.series.hashtag} {chat.number}"
    return f"{heading}: {chat.title}" if chat.title else heading


def _count(number: int, singular: str, plural: str) -> str:
    return f"{number} {singular if number == 1 else plural}"


def chat_summary(chat: Chat) -> str:
    """The chat's description, then its post and participant counts (needs
    ``Chat.objects.with_counts()``)."""
    counts = (
        f"{_count(chat.post_count, 'post', 'posts')} by "
        f"{_count(chat.participant_count, 'participant', 'participants')}."
    )
    description = chat.description.strip()
    return f"{description}\n\n{counts}" if description else counts


class ChatsRssFeed(Feed):
    """New chats of every series, as RSS 2.0."""

    feed_type = Rss201rev2Feed
    url_name = "chats:feed-rss"

    def title(self) -> str:
        return f"{ARCHIVE_NAME}: new chats"

    def description(self) -> str:
        return f"Chats newly added to the {ARCHIVE_NAME}, every series."

    def subtitle(self) -> str:
        return self.description()

    def link(self) -> str:
        return reverse("chats:home")

    def feed_url(self) -> str:
        return reverse(self.url_name)

    def base_items(self):
        return (
            Chat.objects.archived()
            .select_related("series")
            .prefetch_related("tags")
            .with_counts()
            .order_by("-start", "-pk")
        )

    def items(self):
        return self.base_items()[:FEED_ITEMS]

    def item_title(self, item: Chat) -> str:
        return chat_title(item)

    def item_description(self, item: Chat) -> str:
        # HTML in the feed: a description's "<script>" must reach the reader as text.
        return escape(chat_summary(item))

    def item_link(self, item: Chat) -> str:
        return item.get_absolute_url()

    # No item_guid: the unique id is then the item's absolute link, the chat URL.

    def item_pubdate(self, item: Chat):
        return item.start

    def item_updateddate(self, item: Chat):
        return item.updated_at

    def item_categories(self, item: Chat) -> list[str]:
        # The tags were prefetched with the items: no query per item.
        return [tag.name for tag in item.tags.all()]


class ChatsAtomFeed(ChatsRssFeed):
    """New chats of every series, as Atom 1.0."""

    feed_type = Atom1Feed
    url_name = "chats:feed-atom"


class SeriesChatsRssFeed(ChatsRssFeed):
    """New chats of one series (404 for an unknown hashtag), as RSS 2.0."""

    url_name = "chats:series-feed-rss"

    def get_object(self, request, hashtag: str) -> Series:
        return get_object_or_404(Series, hashtag=hashtag)

    def title(self, obj: Series) -> str:
        return f"{ARCHIVE_NAME}: new #{obj.hashtag} chats"

    def description(self, obj: Series) -> str:
        return f"Chats of #{obj.hashtag} ({obj.name}) newly added to the {ARCHIVE_NAME}."

    def subtitle(self, obj: Series) -> str:
        return self.description(obj)

    def feed_url(self, obj: Series) -> str:
        return reverse(self.url_name, kwargs={"hashtag": obj.hashtag})

    def items(self, obj: Series):
        return self.base_items().filter(series=obj)[:FEED_ITEMS]


class SeriesChatsAtomFeed(SeriesChatsRssFeed):
    """New chats of one series, as Atom 1.0."""

    feed_type = Atom1Feed
    url_name = "chats:series-feed-atom"
