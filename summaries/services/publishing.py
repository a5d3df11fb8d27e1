"""Publishing summaries: now, at a set time, or back to draft.

Only people with ``summaries.publish_summary`` (the Moderators group, see
migration summaries/0002) may do any of it; staff who are not moderators can
write drafts but not put them in front of readers. A scheduled summary stays
invisible (status "scheduled") until ``summaries_publish_due``, run every
minute by Celery beat, turns it into a published one.
"""
from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from summaries.models import Summary
from summaries.services.rendering import summary_render_later

PUBLISH_PERMISSION = "summaries.publish_summary"


def can_publish(user) -> bool:
    return user is not None and user.is_active and user.has_perm(PUBLISH_PERMISSION)


def _check(by) -> None:
    if not can_publish(by):
        raise PermissionDenied("Only moderators may publish, schedule or unpublish summaries.")


def _checked_slug(summary: Summary) -> str:
    slug = summary.slug or slugify(summary.title)[:200]
    if not slug:
        raise ValidationError("The summary needs a slug (or a title to make one from) before it is published.")
    if Summary.objects.filter(slug=slug).exclude(pk=summary.pk).exists():
        raise ValidationError(f"Another summary already uses the slug {slug!r}: its permalink would be ambiguous.")
    return slug


def summary_publish(*, summary_id: int, at: datetime | None = None, by) -> Summary:
    """Publish now (``at`` None or not in the future: published at ``at`` or
    now) or schedule for ``at``. Raises PermissionDenied, ValidationError,
    Summary.DoesNotExist."""
    _check(by)
    now = timezone.now()
    if at is not None and timezone.is_naive(at):
        raise ValidationError("The publishing time must be timezone-aware.")
    with transaction.atomic():
        summary = Summary.objects.select_for_update().get(pk=summary_id)
        summary.slug = _checked_slug(summary)
        if at is not None and at > now:
            summary.status, summary.published_at = Summary.Status.SCHEDULED, at
        else:
            summary.status, summary.published_at = Summary.Status.PUBLISHED, at or now
        summary.save(update_fields=["slug", "status", "published_at", "updated_at"])
        summary_render_later(summary.pk)
    return summary


def summary_unpublish(*, summary_id: int, by) -> Summary:
    """Back to draft (from published or scheduled): readers get 404 again."""
    _check(by)
    with transaction.atomic():
        summary = Summary.objects.select_for_update().get(pk=summary_id)
        summary.status, summary.published_at = Summary.Status.DRAFT, None
        summary.save(update_fields=["status", "published_at", "updated_at"])
    return summary


def summaries_publish_due(now: datetime | None = None) -> list[int]:
    """Publish the scheduled summaries whose time has come (beat runs this
    every minute); their ids. Rows another worker holds are left to it."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Summary.objects.select_for_update(skip_locked=True)
            .filter(status=Summary.Status.SCHEDULED, published_at__lte=now)
            .values_list("pk", flat=True)
        )
        if due:
            # updated_at moves: the chat page's ETag includes it.
            Summary.objects.filter(pk__in=due).update(status=Summary.Status.PUBLISHED, updated_at=timezone.now())
            for summary_id in due:
                summary_render_later(summary_id)
    return due
