"""``/sitemap.xml`` (Django's sitemaps framework): the home page and every
archived public chat. Hidden and scheduled chats never appear."""
from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from chats.models import Chat


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
        return Chat.objects.archived().only("slug", "updated_at").order_by("-start", "pk")

    def lastmod(self, item: Chat):
        return item.updated_at


SITEMAPS = {"home": HomeSitemap, "chats": ChatSitemap}
