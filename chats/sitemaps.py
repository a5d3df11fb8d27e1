"""``/sitemap.xml`` (Django's sitemaps framework): the home page, the
archive's index pages, every series and every archived public chat. Hidden
and scheduled chats never appear, nor chats marked ``noindex`` (their pages
also carry a robots meta asking search engines not to index them)."""
from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from chats.models import Chat, Series


class HomeSitemap(Sitemap):
    changefreq = "weekly"
    priority = 1.0

    def items(self) -> list[str]:
        return ["chats:home"]

    def location(self, item: str) -> str:
        return reverse(item)


class ChatSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.8

    def items(self):
        return Chat.objects.archived().filter(noindex=False).only("slug", "updated_at").order_by("-start", "pk")

    def lastmod(self, item: Chat):
        return item.updated_at


class BrowseSitemap(Sitemap):
    """The archive's index pages: the archive, each year with archived chats,
    and the resources page. Participant pages are left out on purpose: they
    gather one person's posts under their name, and a search engine indexing
    thousands of them would make the archive a people-search source; they stay
    reachable (and crawlable) from the chat pages."""

    changefreq = "weekly"
    priority = 0.6

    def items(self) -> list[tuple[str, dict]]:
        years = Chat.objects.archived().order_by().values_list("start__year", flat=True).distinct()
        return [
            ("chats:archive", {}),
            ("chats:resources", {}),
            *(("chats:archive-year", {"year": year}) for year in sorted(years, reverse=True)),
        ]

    def location(self, item: tuple[str, dict]) -> str:
        name, kwargs = item
        return reverse(name, kwargs=kwargs)


class SeriesSitemap(Sitemap):
    """Each series with at least one archived public chat."""

    changefreq = "weekly"
    priority = 0.7

    def items(self):
        return Series.objects.filter(chats__in=Chat.objects.archived()).distinct().order_by("hashtag")

    def location(self, item: Series) -> str:
        return reverse("chats:series", kwargs={"hashtag": item.hashtag})


SITEMAPS = {"home": HomeSitemap, "browse": BrowseSitemap, "series": SeriesSitemap, "chats": ChatSitemap}
