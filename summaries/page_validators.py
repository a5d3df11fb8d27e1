"""ETag and Last-Modified of a summary page, so a reader's browser can
revalidate it with one query and get a 304 without the page being rendered.

What the page shows depends on: the summary (any save moves ``updated_at``),
its stored render, the chat's content (``content_version``), its comments
(the newest comment and the newest moderation decision, and how many there
are), the newest change to any published summary (the previous/next links),
and, per reader, who is logged in and their CSRF secret (the comment form
carries a token of it). While comments are open the comment form carries a
signed timestamp that expires after hours: the validators then also move on
every hour, so a revalidated page never holds a form too old to send.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from django.db.models import Count, DateTimeField, Max, OuterRef, Subquery
from django.utils import timezone

from summaries.models import Comment, Summary


def with_page_stamps(queryset):
    """``queryset`` of summaries annotated with what their page's validators
    need, read in the same query as the summary itself."""
    comments = Comment.objects.filter(summary=OuterRef("pk")).order_by().values("summary")
    return queryset.annotate(
        comments_stamp=Subquery(comments.annotate(stamp=Max("created_at")).values("stamp")[:1]),
        moderation_stamp=Subquery(comments.annotate(stamp=Max("moderated_at")).values("stamp")[:1]),
        comments_total=Subquery(comments.annotate(total=Count("pk")).values("total")[:1]),
        summaries_stamp=Subquery(
            Summary.objects.published().order_by("-updated_at").values("updated_at")[:1],
            output_field=DateTimeField(),
        ),
    )


def summary_page_validators(request, summary, *, comments_open: bool) -> tuple[str, datetime]:
    """(ETag, Last-Modified) of ``summary``'s page for this request; ``summary``
    comes from ``with_page_stamps``."""
    now = timezone.now()
    stamps = [
        summary.updated_at, summary.rendered_at, summary.comments_stamp, summary.moderation_stamp,
        summary.summaries_stamp,
    ]
    if summary.chat is not None:
        stamps.append(summary.chat.content_changed_at)
    hour = now.replace(minute=0, second=0, microsecond=0) if comments_open else None
    last_modified = max(stamp for stamp in [*stamps, hour] if stamp is not None)
    parts = [
        summary.pk, *(stamp.isoformat() if stamp else "-" for stamp in stamps),
        summary.chat.content_version if summary.chat is not None else "-",
        summary.comments_total or 0, comments_open, hour.isoformat() if hour else "-",
        request.get_full_path(), request.user.pk or "-", request.META.get("CSRF_COOKIE", "-"),
    ]
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:32]
    return f'"{digest}"', last_modified
