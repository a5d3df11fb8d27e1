"""Reader pages. Views stay thin: QuerySet methods do the reading."""
from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.paginator import Paginator
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render

from chats.charts import activity_chart
from chats.models import Chat, Post
from chats.services import chat_stats
from chats.search import SearchForm, run_search
from chats.services.transcripts import transcript_document

POSTS_PER_PAGE = 500


def chat_detail(request, slug: str):
    chat = get_object_or_404(Chat.objects.visible().select_related("series"), slug=slug)
    questions = chat.questions.select_related("parent").annotate(post_count=Count("posts")).order_by("position", "label")
    posts = Post.objects.filter(chat=chat).for_transcript().in_time_order()
    # One GROUP BY query gives the chart its counts and the paginator its
    # total (every post of the chat), so the page needs no separate count.
    per_minute = chat_stats.posts_per_minute(chat)
    paginator = Paginator(posts, POSTS_PER_PAGE)
    paginator.count = sum(per_minute.values())
    page = paginator.get_page(request.GET.get("page"))
    try:
        series_tz = ZoneInfo(chat.series.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        series_tz = ZoneInfo("UTC")
    markers = [(question.label, question.asked_at) for question in questions]  # evaluates `questions` once
    return render(request, "chats/chat_detail.html", {
        "chat": chat,
        "questions": questions,
        "page": page,
        "posts": page.object_list,
        "tags": chat.tags.all(),
        "activity": activity_chart(per_minute, chat.start, chat.end, series_tz, markers),
        "participants": chat_stats.top_participants(chat),
        "resources": chat_stats.shared_resources(chat),
    })


def chat_transcript_json(request, slug: str):
    chat = get_object_or_404(Chat.objects.visible().select_related("series"), slug=slug)
    response = JsonResponse(transcript_document(chat), json_dumps_params={"ensure_ascii": False})
    response["Content-Disposition"] = f'inline; filename="{chat.slug}.json"'
    return response


def search(request):
    """Full-text search over the posts of public chats (reading: chats.search)."""
    form = SearchForm(request.GET or None)
    results = None
    if form.is_bound and form.is_valid() and form.cleaned_data["q"]:
        results = run_search(form.cleaned_data, request.GET.get("page"), chat_page_size=POSTS_PER_PAGE)
    return render(request, "chats/search.html", {"form": form, "results": results})
