"""Which page of a chat's transcript a post is on, for links from other pages
(participant pages, search results) to ``<chat>?order=time&page=N#post-<id>``.

The transcript is in time order (``created_at``, then ``external_id``,
``PostQuerySet.in_time_order``) with a fixed number of posts per page, so a
post's page follows from the number of posts of its chat before it, counted
in SQL for each post of a page of results (correlated subqueries served by
the (chat, created_at) index) rather than by reading the transcript.
"""
from __future__ import annotations

from django.db.models import Count, OuterRef, Subquery
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Coalesce

from chats.models import Post


def position_in_chat(post: str = "") -> CombinedExpression:
    """An annotation: how many posts of the post's chat come before it in the
    transcript's time order (0 for the first). On a Post queryset as is; on a
    queryset of rows that point to a post, ``post`` is the path to it with its
    trailing "__" (``position_in_chat("post__")`` on PostLink).

    Two counts rather than one with an OR: posts strictly earlier (a range of
    the (chat, created_at) index, read from the index alone) plus posts of the
    same second with a smaller external id (a handful)."""

    def count(**conditions) -> Coalesce:
        rows = (
            Post.objects.filter(chat=OuterRef(f"{post}chat"), **conditions)
            .order_by()
            .values("chat")
            .annotate(n=Count("*"))
            .values("n")
        )
        return Coalesce(Subquery(rows), 0)

    earlier = count(created_at__lt=OuterRef(f"{post}created_at"))
    same_second = count(created_at=OuterRef(f"{post}created_at"), external_id__lt=OuterRef(f"{post}external_id"))
    return earlier + same_second


def page_of(position: int, per_page: int) -> int:
    """The 1-based page of the transcript holding the post at ``position``."""
    return position // per_page + 1
