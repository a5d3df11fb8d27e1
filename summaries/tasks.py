"""Celery tasks: thin wrappers that take ids and call one service."""
from __future__ import annotations

import logging

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import InterfaceError, OperationalError

from chats.models import Chat
from summaries.services.drafting import BodyEditedError, summary_draft
from summaries.services.publishing import summaries_publish_due
from summaries.services.rendering import summaries_rerender_for_chats, summary_render

logger = logging.getLogger(__name__)

# Only a lost database connection is worth another try.
TRANSIENT = dict(autoretry_for=(OperationalError, InterfaceError), retry_backoff=5, retry_backoff_max=120, max_retries=5)


@shared_task(name="summaries.draft_summary", **TRANSIENT)
def draft_summary(chat_id: int, overwrite: bool = False, requested_by_id: int | None = None) -> int | None:
    user = get_user_model().objects.filter(pk=requested_by_id).first() if requested_by_id else None
    try:
        summary = summary_draft(chat_id=chat_id, overwrite=overwrite, requested_by=user)
    except Chat.DoesNotExist:
        logger.info("chat %s is gone; no draft", chat_id)
        return None
    except BodyEditedError as refused:
        # The admin asks before queuing; this is the race where someone edited meanwhile.
        logger.warning("%s", refused)
        return None
    logger.info("drafted summary %s for chat %s", summary.pk, chat_id)
    return summary.pk


@shared_task(name="summaries.render_summary", **TRANSIENT)
def render_summary(summary_id: int) -> None:
    if summary_render(summary_id=summary_id) is None:
        logger.info("summary %s is gone; nothing to render", summary_id)


@shared_task(name="summaries.rerender_for_chats", **TRANSIENT)
def rerender_for_chats(chat_ids: list[int]) -> None:
    rendered = summaries_rerender_for_chats(chat_ids=chat_ids)
    logger.info("rendered summaries %s again for chats %s", rendered, chat_ids)


@shared_task(name="summaries.publish_due", **TRANSIENT)
def publish_due() -> list[int]:
    published = summaries_publish_due()
    if published:
        logger.info("published scheduled summaries %s", published)
    return published


# --- comments (summaries/services/comments.py) -----------------------------------------


@shared_task(name="summaries.send_comment_notifications", **TRANSIENT)
def send_comment_notifications(comment_id: int, base_url: str = "") -> int:
    from summaries.services.comments import comment_notifications_send

    return comment_notifications_send(comment_id=comment_id, base_url=base_url)


@shared_task(name="summaries.send_subscription_confirmation", **TRANSIENT)
def send_subscription_confirmation(subscription_id: int, base_url: str = "") -> int:
    from summaries.services.comments import subscription_confirmation_send

    return subscription_confirmation_send(subscription_id=subscription_id, base_url=base_url)


@shared_task(name="summaries.verify_linkback", soft_time_limit=60, time_limit=90, **TRANSIENT)
def verify_linkback(summary_id: int, kind: str, source_url: str, blog_name: str = "") -> str:
    """Fetch a linkback's source and keep it (pending) if it links to the summary."""
    from summaries.services.linkbacks import linkback_verify

    return linkback_verify(summary_id=summary_id, kind=kind, source_url=source_url, blog_name=blog_name).status
