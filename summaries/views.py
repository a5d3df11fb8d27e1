"""Reader pages of summaries: the permalink and the lists (all, per series,
per tag, per author, per month).

Readers only ever see published summaries (``Summary.objects.published()``):
a draft, a scheduled summary or one whose publish time is still ahead answers
404 and is never listed. Every page reads in a fixed number of queries,
whatever the number of summaries.
"""
from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from taggit.models import Tag

from chats.browse import safe_url, study_identifiers, summary_excerpt
from chats.models import Question, Series
from summaries.comment_views import comments_section
from summaries.linkback_views import advertise_linkbacks
from summaries.models import Summary
from summaries.page_validators import summary_page_validators, with_page_stamps
from summaries.services.comments import approved_comment_count, comments_are_open
from summaries.services.rendering import summary_stored_body

SUMMARIES_PER_PAGE = 20
# Newest first; the primary key breaks ties between equal publish times.
ORDERING = ("-published_at", "-pk")


def list_rows(queryset):
    """``queryset`` of summaries ready for ``summaries/includes/summary_rows.html``:
    author and chat read in the same query, the tsvector and the long sources left out."""
    return (
        queryset.select_related("author", "chat__series")
        .defer("search_vector", "body_markdown", "rendered_html")
        # Approved comments, counted in the same query (a subquery per row).
        .annotate(comment_count=approved_comment_count())
        .order_by(*ORDERING)
    )


def _paginate(request, queryset):
    """The page of summaries the request asks for (a count and a page: two
    queries), each with ``short`` (its excerpt or the start of its body)."""
    page = Paginator(list_rows(queryset), SUMMARIES_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for summary in page.object_list:
        summary.short = summary_excerpt(summary)
    return page


def _neighbours(summary: Summary) -> tuple[Summary | None, Summary | None]:
    """The published summaries of the same series just before and just after
    ``summary`` (by publish time, then id): two queries, none without a series."""
    if summary.chat is None:
        return None, None
    same_series = (
        Summary.objects.published()
        .filter(chat__series_id=summary.chat.series_id)
        .exclude(pk=summary.pk)
        .only("title", "slug", "published_at")
    )
    at, pk = summary.published_at, summary.pk
    previous = (
        same_series.filter(published_at__lte=at).exclude(published_at=at, pk__gt=pk)
        .order_by("-published_at", "-pk").first()
    )
    following = (
        same_series.filter(published_at__gte=at).exclude(published_at=at, pk__lt=pk)
        .order_by("published_at", "pk").first()
    )
    return previous, following


def _featured_studies(summary: Summary) -> list:
    studies = list(summary.featured_studies.order_by("title", "pk"))
    for study in studies:
        study.identifiers = study_identifiers(study)
    return studies


def _featured_links(summary: Summary) -> list:
    links = list(summary.featured_links.order_by("-share_count", "url"))
    for link in links:
        # Shown as text, never linked, unless http(s).
        link.safe_url = safe_url(link.url)
    return links


@advertise_linkbacks
def summary_detail(request, year: str, month: str, day: str, slug: str):
    summary = get_object_or_404(
        with_page_stamps(Summary.objects.published().select_related("author", "chat__series")), slug=slug
    )
    published = timezone.localtime(summary.published_at)
    if (published.year, published.month, published.day) != (int(year), int(month), int(day)):
        raise Http404("No summary at this date.")
    # A reader's browser revalidates with one query; a message to show (after
    # a comment was sent) always gets the page itself.
    validators = None
    if request.method in ("GET", "HEAD") and not len(messages.get_messages(request)):
        get_token(request)  # the form's CSRF secret is part of the ETag
        validators = summary_page_validators(request, summary, comments_open=comments_are_open(summary))
        not_modified = get_conditional_response(
            request, etag=validators[0], last_modified=int(validators[1].timestamp())
        )
        if not_modified is not None:
            return not_modified
    # A summary of a chat readers may not see does not link to it.
    chat = summary.reader_chat
    questions = list(Question.objects.filter(chat=chat).order_by("position", "label")) if chat else []
    previous, following = _neighbours(summary)
    # The comment block; a POST is a comment: accepted, it redirects (PRG);
    # refused, the page is shown again with the reason and the text typed.
    comments, comments_status = comments_section(request, summary)
    if not isinstance(comments, dict):
        return comments
    response = render(request, "summaries/summary_detail.html", {
        **comments,
        "summary": summary,
        "chat": chat,
        "series": summary.chat.series if summary.chat else None,
        "author_name": summary.author_name,
        # Rendered and sanitised once by a worker, live while that copy is stale.
        "body": summary_stored_body(summary),
        "tags": summary.tags.all(),
        "studies": _featured_studies(summary),
        "links": _featured_links(summary),
        "questions": questions,
        "previous": previous,
        "next": following,
    }, status=comments_status)
    if validators is not None and response.status_code == 200:
        response.headers["ETag"] = validators[0]
        response.headers["Last-Modified"] = http_date(validators[1].timestamp())
        # Revalidate every time: comments and moderation change the page.
        patch_cache_control(response, no_cache=True)
    return response


def summary_list(request):
    return render(request, "summaries/summary_list.html", {
        "page": _paginate(request, Summary.objects.published()),
    })


def series_summaries(request, hashtag: str):
    series = get_object_or_404(Series, hashtag=hashtag)
    page = _paginate(request, Summary.objects.published().filter(chat__series=series))
    return render(request, "summaries/summary_list.html", {"page": page, "series": series})


def tag_summaries(request, tag: str):
    tag_row = get_object_or_404(Tag, slug=tag)
    page = _paginate(request, Summary.objects.published().filter(tags=tag_row))
    if not page.paginator.count:
        # A tag only drafts (or chats) carry is not shown as a summary list.
        raise Http404("No published summary has this tag.")
    return render(request, "summaries/summary_list.html", {"page": page, "tag": tag_row})


def author_summaries(request, username: str):
    user = get_object_or_404(get_user_model(), **{get_user_model().USERNAME_FIELD: username})
    page = _paginate(request, Summary.objects.published().filter(author=user))
    if not page.paginator.count:
        # Only people who published a summary have a page: the list of
        # accounts stays private.
        raise Http404("No published summary by this author.")
    name = user.get_full_name() or user.get_username()
    return render(request, "summaries/summary_list.html", {"page": page, "author": user, "author_name": name})


def month_summaries(request, year: str, month: str):
    """The old blog's month archive, /YYYY/MM/: summaries published that
    month in the site's timezone (settings.TIME_ZONE), like the permalinks."""
    year_number, month_number = int(year), int(month)
    if not (1 <= month_number <= 12 and 1 <= year_number <= 9998):
        raise Http404("No such month.")
    zone = timezone.get_default_timezone()
    start = datetime(year_number, month_number, 1, tzinfo=zone)
    end = datetime(year_number + month_number // 12, month_number % 12 + 1, 1, tzinfo=zone)
    page = _paginate(request, Summary.objects.published().filter(published_at__gte=start, published_at__lt=end))
    if not page.paginator.count:
        raise Http404("No summary published that month.")
    return render(request, "summaries/summary_list.html", {"page": page, "month": start.date()})

