"""Reads for the chat page's statistics: activity per minute, top
participants and shared resources. Pure reads, each a bounded number of
queries whatever the number of posts (no query per author or per link)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, JSONObject, TruncMinute

from chats.models import Author, Chat, Link, Post, PostLink
from chats.safe_urls import http_url

TOP_PARTICIPANTS = 10
TOP_RESOURCES = 25


def posts_per_minute(chat: Chat) -> dict[datetime, int]:
    """{minute (aware, UTC): number of posts} for every post of ``chat``,
    retweets included, counted in SQL with ``date_trunc('minute', ...)``:
    one query. Minutes without posts are absent; minutes outside the chat's
    start and end are kept (the caller decides what to show)."""
    rows = (
        Post.objects.filter(chat=chat)
        .order_by()
        .annotate(minute=TruncMinute("created_at", tzinfo=UTC))
        .values("minute")
        .annotate(count=Count("pk"))
        .values_list("minute", "count")
    )
    return {minute: count for minute, count in rows}


def top_participants(chat: Chat, limit: int = TOP_PARTICIPANTS) -> list[Author]:
    """The ``limit`` authors with most posts in ``chat``, each with
    ``post_count`` (retweets included), ``replies_received`` and
    ``retweets_received`` (replies and retweets posted in this chat to their
    posts): one query."""

    def received(relation: str) -> Coalesce:
        counts = (
            Post.objects.filter(chat=chat, **{f"{relation}__author": OuterRef("pk")})
            .order_by()
            .values(f"{relation}__author")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))

    # The top authors are chosen first (a GROUP BY over the chat's posts),
    # and only theirs get the received counts: annotated beside Count(), the
    # correlated subqueries joined the GROUP BY key and ran once per post,
    # which took minutes on a chat of 2,000 posts.
    top = (
        # Redacted authors asked to be removed: their posts stay as
        # placeholders (and in the counts), never their name in a list.
        Author.objects.filter(posts__chat=chat, redacted_at__isnull=True)
        .annotate(chat_posts=Count("posts"))
        .order_by("-chat_posts", "handle", "pk")
        .values("pk")[:limit]
    )
    own_posts = (
        Post.objects.filter(chat=chat, author=OuterRef("pk")).order_by().values("author").annotate(n=Count("pk")).values("n")
    )
    return list(
        Author.objects.filter(pk__in=Subquery(top))
        .annotate(
            post_count=Coalesce(Subquery(own_posts, output_field=IntegerField()), Value(0)),
            replies_received=received("reply_to"),
            retweets_received=received("repost_of"),
        )
        .order_by("-post_count", "handle", "pk")
    )


@dataclass(frozen=True)
class FirstSharer:
    handle: str
    display_name: str
    profile_url: str
    created_at: datetime | None
    external_id: str


def shared_resources(chat: Chat, limit: int = TOP_RESOURCES) -> list[Link]:
    """Links shared in ``chat``, most shared first (``Link.objects.shared_in``),
    each with ``chat_share_count``, its ``study`` and ``first_sharer`` (a
    FirstSharer: the author of the earliest post of this chat sharing it), all
    in one query."""
    first = (
        PostLink.objects.filter(link=OuterRef("pk"), post__chat=chat)
        .order_by("post__created_at", "post__external_id")
        .values(data=JSONObject(
            handle="post__author__handle",
            display_name="post__author__display_name",
            profile_url="post__author__profile_url",
            created_at="post__created_at",
            external_id="post__external_id",
        ))[:1]
    )
    links = list(
        Link.objects.shared_in(chat).select_related("study").annotate(first_sharer_data=Subquery(first))[:limit]
    )
    for link in links:
        data = link.first_sharer_data or None
        link.first_sharer = None
        link.study_kind, link.study_identifier = study_identifier(link)
        link.safe_url = http_url(link.url)
        if data:
            created_at = data.get("created_at")
            link.first_sharer = FirstSharer(
                handle=data.get("handle") or "",
                display_name=data.get("display_name") or "",
                profile_url=data.get("profile_url") or "",
                created_at=datetime.fromisoformat(created_at) if created_at else None,
                external_id=data.get("external_id") or "",
            )
    return links


def study_identifier(link: Link) -> tuple[str, str]:
    """("DOI", "10.1/x"), ("PMID", ...), ("PMCID", ...) or ("arXiv", ...) for a
    link to a study (the first identifier it has), ("", "") for other links."""
    study = link.study
    if study is None:
        return "", ""
    for attribute, name in (("doi", "DOI"), ("pmid", "PMID"), ("pmcid", "PMCID"), ("arxiv_id", "arXiv")):
        if getattr(study, attribute):
            return name, getattr(study, attribute)
    return "Study", ""
