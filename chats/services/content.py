"""What tells readers' caches that a chat's page changed.

Every write that changes what a chat's page shows (its posts, their
questions, the chat's own fields, hosts or tags) calls ``chats_content_touch``
for the chats it touched. The page's ETag, Last-Modified and Redis cache keys
are made of ``Chat.content_version`` and ``Chat.content_changed_at``
(chats.chat_transcript), so nothing needs deleting: old entries are simply
never asked for again and expire.
"""
from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F
from django.utils import timezone

from chats.models import Chat


def chats_content_touch(*, chat_ids: Iterable[int | None]) -> int:
    """Bump the content version of the chats ``chat_ids`` (None and repeats
    are ignored), in one UPDATE. Returns the number of chats bumped.

    The time is taken in Python, not with SQL now(): inside a long import
    transaction now() is when the transaction began, and Last-Modified must
    not go back before a page a reader already saw."""
    ids = {chat_id for chat_id in chat_ids if chat_id is not None}
    if not ids:
        return 0
    bumped = Chat.objects.filter(pk__in=ids).update(
        content_version=F("content_version") + 1, content_changed_at=timezone.now()
    )
    # The stored summary pages show these chats' numbers: rebuild them after
    # commit (imported here: summaries depend on chats, not the other way).
    from summaries.services.rendering import summaries_rerender_for_chats_later

    summaries_rerender_for_chats_later(ids)
    return bumped
