"""The summary page's body, rendered once by a worker and served as stored.

``summary_render`` turns the Markdown into sanitised HTML (body_html) and
stores the page fragment (rendered_html): the text and the chat's
statistics and activity chart, the expensive part (the featured links and
studies are few and the page template shows them). It records the chat's ``content_version`` it was built from,
so a later import or question change (which bumps that version, see
chats.services.content) makes the stored copy stale; the rebuild is queued
from there (``summaries_rerender_for_chats_later``). Until a worker has
rebuilt it, ``summary_stored_body`` renders the same fragment live: readers
never see numbers older than the transcript.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from chats import chat_transcript
from chats.charts import activity_chart
from chats.models import Chat, Question
from chats.services import chat_stats
from summaries.models import Summary
from summaries.sanitise import clean_summary_html, summary_markdown_to_html

logger = logging.getLogger(__name__)


def _chat_shows_stats(chat: Chat | None) -> bool:
    # Readers may only see the numbers of a chat whose page they may see.
    return chat is not None and chat.status == Chat.Status.ARCHIVED and chat.visibility == Chat.Visibility.PUBLIC


def summary_body_html(summary: Summary) -> str:
    """The summary's text as sanitised HTML. Its Markdown is the source when
    it was written here (drafted, or edited in the admin) or when there is no
    HTML; a summary brought from the old blog has only HTML, cleaned again."""
    written_here = summary.drafted_at is not None or summary.body_edited_at is not None
    if summary.body_markdown.strip() and (written_here or not summary.body_html.strip()):
        return str(summary_markdown_to_html(summary.body_markdown))
    return str(clean_summary_html(summary.body_html))


def build_rendered_body(summary: Summary, body_html: str) -> str:
    """The page fragment for ``summary`` whose sanitised text is ``body_html``."""
    chat = summary.chat
    context = {
        "body_html": mark_safe(body_html),  # nosec B703, B308 -- cleaned by summary_body_html (nh3)
        "show_stats": _chat_shows_stats(chat),
    }
    if context["show_stats"]:
        try:
            zone = ZoneInfo(chat.series.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        markers = [
            (question.label, question.asked_at)
            for question in chat_transcript.reading_order(list(Question.objects.filter(chat=chat)))
        ]
        context.update({
            "timezone": zone.key,
            "activity": activity_chart(chat_stats.posts_per_minute(chat), chat.start, chat.end, zone, markers),
            "participants": chat_stats.top_participants(chat),
            "resources": chat_stats.shared_resources(chat),
        })
    return render_to_string("summaries/includes/rendered_body.html", context)


def summary_render(*, summary_id: int) -> Summary | None:
    """Render and store the summary's body_html and page fragment. None when
    the summary is gone."""
    with transaction.atomic():
        summary = Summary.objects.select_for_update().filter(pk=summary_id).first()
        if summary is None:
            return None
        # The version is read before the statistics: a change landing while
        # they are computed leaves the stored copy marked stale, not fresh.
        chat = Chat.objects.select_related("series").filter(pk=summary.chat_id).first()
        summary.chat = chat
        body_html = summary_body_html(summary)
        rendered = build_rendered_body(summary, body_html)
        now = timezone.now()
        # update(), not save(): updated_at (the chat page's ETag, and the
        # freshness test below) is about what people changed, not this copy.
        Summary.objects.filter(pk=summary.pk).update(
            body_html=body_html, rendered_html=rendered, rendered_at=now,
            rendered_chat_version=chat.content_version if chat is not None else 0,
        )
        summary.body_html, summary.rendered_html, summary.rendered_at = body_html, rendered, now
        summary.rendered_chat_version = chat.content_version if chat is not None else 0
    return summary


def summary_is_fresh(summary: Summary) -> bool:
    """The stored fragment was built after the summary's last change and from
    the chat's current content."""
    if not summary.rendered_html or summary.rendered_at is None:
        return False
    if summary.updated_at is not None and summary.rendered_at < summary.updated_at:
        return False
    if summary.chat_id is not None:
        version = summary.chat.content_version if summary.chat is not None else None
        return version == summary.rendered_chat_version
    return True


def summary_stored_body(summary: Summary) -> SafeString:
    """What the summary page shows as its body: the stored fragment when it
    is fresh, else the same fragment rendered now (not stored: that is the
    worker's job, queued by whatever made it stale)."""
    if summary_is_fresh(summary):
        return mark_safe(summary.rendered_html)  # nosec B703, B308 -- our templates and nh3-cleaned HTML
    return mark_safe(build_rendered_body(summary, summary_body_html(summary)))  # nosec B703, B308 -- our templates and nh3-cleaned HTML


def summaries_rerender_for_chats(*, chat_ids: Iterable[int]) -> list[int]:
    """Render again every summary of the chats ``chat_ids``; their ids."""
    ids = list(Summary.objects.filter(chat_id__in=set(chat_ids)).order_by("pk").values_list("pk", flat=True))
    for summary_id in ids:
        summary_render(summary_id=summary_id)
    return ids


# --- queuing (after commit; a broker that is down only delays the stored copy) --------

def send_task(task, *args) -> None:
    try:
        task.delay(*args)
    except Exception:  # kombu/redis errors vary by transport
        # The stored copy stays stale and summary_stored_body renders live.
        logger.exception("could not queue %s%r", task.name, args)


def summary_render_later(summary_id: int) -> None:
    from summaries.tasks import render_summary

    transaction.on_commit(lambda: send_task(render_summary, summary_id))


def summaries_rerender_for_chats_later(chat_ids: Iterable[int]) -> None:
    """Called where a chat's content_version is bumped: after commit, queue a
    rebuild for the chats that have summaries (most have none: no task)."""
    ids = sorted(set(chat_ids))

    def send() -> None:
        with_summaries = sorted(set(Summary.objects.filter(chat_id__in=ids).values_list("chat_id", flat=True)))
        if with_summaries:
            from summaries.tasks import rerender_for_chats

            send_task(rerender_for_chats, with_summaries)

    if ids:
        transaction.on_commit(send)
