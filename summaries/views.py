"""Summary pages (a permalink for now; lists, comments and feeds arrive with
the summaries issue)."""
from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from chats.models import Chat
from summaries.models import Summary
from summaries.sanitise import clean_summary_html


def summary_detail(request, year: str, month: str, day: str, slug: str):
    summary = get_object_or_404(Summary.objects.published().select_related("author", "chat__series"), slug=slug)
    published = timezone.localtime(summary.published_at)
    if (published.year, published.month, published.day) != (int(year), int(month), int(day)):
        raise Http404("No summary at this date.")
    chat = summary.chat
    # A summary of a chat readers may not see does not link to it.
    if chat is not None and not (chat.status == Chat.Status.ARCHIVED and chat.visibility == Chat.Visibility.PUBLIC):
        chat = None
    author_name = ""
    if summary.author is not None:
        author_name = summary.author.get_full_name() or summary.author.get_username()
    return render(request, "summaries/summary_detail.html", {
        "summary": summary,
        "chat": chat,
        "author_name": author_name,
        # No write-time sanitiser stored body_html yet: clean it on the way out.
        "body": clean_summary_html(summary.body_html),
        "tags": summary.tags.all(),
    })
