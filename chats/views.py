"""Reader pages. Views stay thin: QuerySet methods do the reading."""
from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.utils.safestring import mark_safe

from chats import chat_transcript as transcript
from chats.charts import activity_chart
from chats.models import Chat
from chats.robots import noindex_header
from chats.services import chat_stats
from chats.search import SearchForm, run_search
from chats.services.transcripts import transcript_document

# One page size for the chat page, its search links and drafted summaries' links.
POSTS_PER_PAGE = transcript.ITEMS_PER_PAGE


def chat_detail(request, slug: str):
    """A chat's page: header, questions, statistics and one page of its
    transcript, by question (default) or by time (``?order=time``).

    Answers 304 to a matching If-None-Match / If-Modified-Since after one
    query (``chat_for_page``). The finished page is cached under its ETag
    (the chat's content version and its summary's stamp), the release
    (``release_fingerprint``: templates, static files), order and page:
    a hit costs that query and two cache reads (the outline, for the page
    number, and the page) and renders no template. Below it the outline, the
    statistics and the transcript page are cached too (chats.chat_transcript),
    so a page of another order or number reuses what it shares."""
    chat = transcript.chat_for_page(slug)
    if chat is None:
        raise Http404("No such chat.")
    etag, last_modified = transcript.validators(chat, transcript.published_summary(chat))
    not_modified = get_conditional_response(request, etag=etag, last_modified=int(last_modified.timestamp()))
    if not_modified is not None:
        return not_modified

    per_page = POSTS_PER_PAGE
    order = transcript.TIME_ORDER if request.GET.get("order") == transcript.TIME_ORDER else transcript.QUESTION_ORDER
    outline = transcript.cached(
        transcript.cache_key(chat, "outline", per_page), lambda: transcript.read_outline(chat, per_page=per_page)
    )
    total = outline.post_total if order == transcript.TIME_ORDER else outline.item_total
    page_number = Paginator(range(total), per_page).get_page(request.GET.get("page")).number
    parts = transcript.cached(
        transcript.cache_key(chat, "page", etag.strip('"'), transcript.release_fingerprint(), order, per_page,
                             page_number),
        lambda: transcript.split_body(render_page(request, chat, outline, order, page_number, per_page)),
    )
    response = HttpResponse(transcript.join_body(parts, request))
    response.headers["ETag"] = etag
    response.headers["Last-Modified"] = http_date(last_modified.timestamp())
    # Browsers ask again each time (cheap: a 304), so an import shows at once.
    patch_cache_control(response, no_cache=True)
    return response


def render_page(request, chat: Chat, outline, order: str, page_number: int, per_page: int) -> str:
    """The chat page's HTML as the cache keeps it: the request's absolute URI
    left as a placeholder (``transcript.PlaceholderRequest``)."""
    try:
        series_tz = ZoneInfo(chat.series.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        series_tz = ZoneInfo("UTC")

    def render_stats() -> str:
        markers = [(question.label, question.asked_at) for question in outline.questions]
        return render_to_string("chats/includes/chat_stats.html", {
            "timezone": series_tz.key,
            "activity": activity_chart(chat_stats.posts_per_minute(chat), chat.start, chat.end, series_tz, markers),
            "participants": chat_stats.top_participants(chat),
            "resources": chat_stats.shared_resources(chat),
        })

    def render_transcript() -> str:
        reading = transcript.read_transcript_page(chat, outline, order=order, page_number=page_number,
                                                  per_page=per_page)
        return render_to_string("chats/includes/transcript.html", {
            "chat": chat, "timezone": series_tz.key, "reading": reading, "page": reading.page,
            "order": order, "unassigned_anchor": transcript.UNASSIGNED_ANCHOR,
        })

    return render_to_string("chats/chat_detail.html", {
        # Overrides the context processor's request (base.html: canonical, og:url).
        "request": transcript.PlaceholderRequest(request),
        "chat": chat,
        "outline": outline,
        "questions": outline.questions,
        "summary": transcript.published_summary(chat),
        "tags": outline.tags,
        "order": order,
        "page_number": page_number,
        "unassigned_anchor": transcript.UNASSIGNED_ANCHOR,
        # Our own templates' output, cached as text.
        "stats_html": mark_safe(transcript.cached(transcript.cache_key(chat, "stats"), render_stats)),  # nosec B703, B308 -- our own templates' output
        "transcript_html": mark_safe(transcript.cached(  # nosec B703, B308 -- our own templates' output
            transcript.cache_key(chat, "transcript", order, per_page, page_number), render_transcript
        )),
    }, request=request)


def chat_transcript_json(request, slug: str):
    chat = get_object_or_404(Chat.objects.visible().select_related("series"), slug=slug)
    response = JsonResponse(transcript_document(chat), json_dumps_params={"ensure_ascii": False})
    response["Content-Disposition"] = f'inline; filename="{chat.slug}.json"'
    return noindex_header(response, chat)


def search(request):
    """Full-text search over the posts of public chats (reading: chats.search)."""
    form = SearchForm(request.GET or None)
    results = None
    if form.is_bound and form.is_valid() and form.cleaned_data["q"]:
        results = run_search(form.cleaned_data, request.GET.get("page"), chat_page_size=POSTS_PER_PAGE)
    return render(request, "chats/search.html", {"form": form, "results": results})
