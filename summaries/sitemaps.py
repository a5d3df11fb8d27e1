"""Summaries in ``/sitemap.xml``: every published summary at its permalink,
and the list of all summaries. Drafts, scheduled summaries and those whose
publish time is ahead never appear."""
from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from summaries.models import Summary


class SummarySitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.8

    def items(self):
        # A summary of a chat marked noindex carries the robots meta; it is not listed either.
        return (Summary.objects.published().exclude(chat__noindex=True)
                .only("slug", "published_at", "updated_at").order_by("-published_at", "pk"))

    def lastmod(self, item: Summary):
        return item.updated_at


class SummaryListSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.6

    def items(self) -> list[str]:
        # Listed only once there is something to list.
        return ["summaries:list"] if Summary.objects.published().exists() else []

    def location(self, item: str) -> str:
        return reverse(item)


SITEMAPS = {"summary-lists": SummaryListSitemap, "summaries": SummarySitemap}
