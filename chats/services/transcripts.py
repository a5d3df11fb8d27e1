"""The transcript export document (contract: architecture.md, section 4)."""
from __future__ import annotations

from datetime import UTC, datetime

from django.db.models import Count

from chats.models import Chat, Post


def iso_utc(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def transcript_document(chat: Chat) -> dict:
    questions = chat.questions.select_related("parent").annotate(post_count=Count("posts")).order_by("position", "label")
    posts = (
        Post.objects.filter(chat=chat).in_time_order()
        .select_related("author", "question")
    )
    return {
        "chat": {
            "slug": chat.slug,
            "title": chat.title,
            "series": chat.series.hashtag,
            "number": chat.number,
            "start": iso_utc(chat.start),
            "end": iso_utc(chat.end),
        },
        "questions": [
            {"label": q.label, "text": q.text, "parent": q.parent.label if q.parent else None, "post_count": q.post_count}
            for q in questions
        ],
        "posts": [_post_entry(post) for post in posts],
    }


def _post_entry(post: Post) -> dict:
    return {
        "id": post.external_id,
        "platform": post.platform,
        "author": post.author.handle,
        "created_at": iso_utc(post.created_at),
        "text": post.text,
        "question": post.question.label if post.question else None,
        "reply_to": post.reply_to_external_id or None,
        "repost_of": post.repost_of_external_id or None,
        "quote_of": post.quote_of_external_id or None,
        "urls": list(post.urls),
    }
