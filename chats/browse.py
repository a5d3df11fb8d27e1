"""Reader browsing pages: home, the archive (by date, series and tag), a
participant's page and the resources page.

Readers only ever see archived public chats (``Chat.objects.archived()``):
every read below starts from it, so a hidden or scheduled chat, its posts and
its links never show, and a post outside any chat (chat NULL) never matches.
Every page reads in a fixed number of queries whatever the number of rows:
hosts and counts come as annotations of the chat query itself.
"""
from __future__ import annotations

import calendar
import html
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, Exists, F, IntegerField, Max, OuterRef, Q, Subquery, Value, When, Window
from django.db.models.functions import Coalesce, JSONObject
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import Truncator
from taggit.models import Tag, TaggedItem

from chats.models import Author, Chat, Link, Post, PostLink, Series, Study
from chats.safe_urls import http_url as safe_url
from chats.schedule import next_occurrence
from chats.transcript_pages import page_of, position_in_chat
from chats.views import POSTS_PER_PAGE as TRANSCRIPT_PAGE_SIZE
from summaries.models import Summary

CHATS_PER_PAGE = 50
HOME_CHATS = 10
HOME_SUMMARIES = 5
PARTICIPANT_POSTS_PER_PAGE = 50
RESOURCES_PER_PAGE = 50
# How many of the chats a resource was shared in its row names.
RESOURCE_CHATS_SHOWN = 3
VIDEO_DOMAINS = (
    "youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be",
    "vimeo.com", "www.vimeo.com", "player.vimeo.com",
)


# --- shared reads ------------------------------------------------------------------

def public_posts():
    """Posts readers may see: those of public, archived chats."""
    return Post.objects.filter(chat__status=Chat.Status.ARCHIVED, chat__visibility=Chat.Visibility.PUBLIC)


def series_zone(series: Series) -> ZoneInfo:
    try:
        return ZoneInfo(series.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def chat_rows(queryset):
    """``queryset`` of chats ready for ``chats/includes/chat_rows.html``:
    series, counts and hosts read in the same query."""
    return queryset.select_related("series").with_counts().with_host_data()


def _people(data: list[dict] | None) -> list[Author]:
    people, seen = [], set()
    for item in data or []:
        key = (item.get("platform"), item.get("handle"))
        if not item.get("handle") or key in seen:
            continue
        seen.add(key)
        person = Author(platform=item["platform"], handle=item["handle"], display_name=item.get("display_name") or "")
        person.listed = bool(item.get("listed"))
        people.append(person)
    return people


def decorate_rows(chats) -> list[Chat]:
    """Evaluate a ``chat_rows`` queryset (or page of one) and give each chat
    ``listed_hosts`` (its hosts, else its series' hosts, else the authors of
    the posts that asked its questions) and ``local_start`` (in the series'
    timezone)."""
    chats = list(chats)
    for chat in chats:
        chat.listed_hosts = (
            _people(chat.chat_host_data) or _people(chat.series_host_data) or _people(chat.asker_data)
        )
        chat.local_start = timezone.localtime(chat.start, series_zone(chat.series))
    return chats


@dataclass
class MonthGroup:
    month: date
    chats: list[Chat] = field(default_factory=list)


@dataclass
class YearGroup:
    year: int
    months: list[MonthGroup] = field(default_factory=list)


def group_by_month(chats: list[Chat]) -> list[YearGroup]:
    """Chats (newest first) under year and month headings. Months are those
    of the archive's timezone (settings.TIME_ZONE), like the /archive/Y/M/
    pages that filter by them; each row still shows its series' local time."""
    years: OrderedDict[int, YearGroup] = OrderedDict()
    for chat in chats:
        local = timezone.localtime(chat.start)
        year = years.setdefault(local.year, YearGroup(local.year))
        if not year.months or year.months[-1].month != date(local.year, local.month, 1):
            year.months.append(MonthGroup(date(local.year, local.month, 1)))
        year.months[-1].chats.append(chat)
    return list(years.values())


def _paginate_rows(queryset, page_number, ordering=("-start", "-pk")):
    """The page ``page_number`` of ``queryset`` (chats), as rows. The page's
    ids are chosen in a subquery (ORDER BY ... LIMIT ... OFFSET) and only
    those chats are annotated: PostgreSQL would otherwise compute the counts
    of every chat the OFFSET skips."""
    page = Paginator(queryset.order_by(*ordering), CHATS_PER_PAGE).get_page(page_number)
    page_ids = page.object_list.values("pk")
    page.object_list = decorate_rows(chat_rows(Chat.objects.filter(pk__in=page_ids)).order_by(*ordering))
    return page


# --- home ------------------------------------------------------------------------------

@dataclass
class Upcoming:
    series: Series
    start: datetime  # aware, in the series' timezone
    number: int | None = None
    title: str = ""
    from_schedule: bool = False


def upcoming_chats(now: datetime, series_list=None) -> list[Upcoming]:
    """The next chat of each series: its next scheduled public chat when one
    is in the future, else the next date its weekly schedule gives; a series
    with neither has none. One query."""
    next_scheduled = (
        Chat.objects.visible()
        .filter(series=OuterRef("pk"), status=Chat.Status.SCHEDULED, start__gt=now)
        .order_by("start")
        .values(data=JSONObject(number="number", title="title", start="start"))[:1]
    )
    upcoming = []
    series_list = Series.objects.all() if series_list is None else series_list
    for series in series_list.annotate(next_chat=Subquery(next_scheduled)).order_by("name"):
        zone = series_zone(series)
        if series.next_chat:
            start = datetime.fromisoformat(series.next_chat["start"]).astimezone(zone)
            upcoming.append(Upcoming(series, start, series.next_chat["number"], series.next_chat["title"] or ""))
        elif series.has_schedule:
            upcoming.append(Upcoming(series, next_occurrence(series.weekday, series.start_time, zone, now),
                                     from_schedule=True))
    return sorted(upcoming, key=lambda item: item.start)


def summary_excerpt(summary: Summary, words: int = 40) -> str:
    """The summary's excerpt, else the start of its body as plain text (escaped
    by the template)."""
    text = summary.excerpt or html.unescape(strip_tags(summary.body_html))
    return Truncator(" ".join(text.split())).words(words)


def home(request):
    summaries = list(
        Summary.objects.published().order_by("-published_at").only(
            "title", "slug", "published_at", "excerpt", "body_html"
        )[:HOME_SUMMARIES]
    )
    for summary in summaries:
        summary.short = summary_excerpt(summary)
    chats = decorate_rows(chat_rows(Chat.objects.archived()).order_by("-start", "-pk")[:HOME_CHATS])
    return render(request, "chats/home.html", {
        "summaries": summaries,
        "chats": chats,
        "upcoming": upcoming_chats(timezone.now()),
    })


# --- archive -------------------------------------------------------------------------

def _archive_navigation() -> dict:
    """Years with their number of chats, series and tags with archived chats:
    three queries."""
    archived = Chat.objects.archived()
    years = (
        archived.order_by()
        .values(year=F("start__year"))
        .annotate(count=Count("pk"))
        .order_by("-year")
    )
    series = (
        Series.objects.annotate(
            chat_count=Count("chats", filter=Q(chats__in=Chat.objects.archived()))
        )
        .filter(chat_count__gt=0)
        .order_by("name")
    )
    tags = (
        TaggedItem.objects.filter(
            content_type__app_label="chats", content_type__model="chat", object_id__in=archived.values("pk")
        )
        .values("tag__name", "tag__slug")
        .annotate(count=Count("pk"))
        .order_by("-count", "tag__name")
    )
    return {"years": list(years), "series_list": list(series), "tag_list": list(tags)}


def archive(request):
    page = _paginate_rows(Chat.objects.archived().order_by("-start", "-pk"), request.GET.get("page"))
    return render(request, "chats/archive.html", {
        "page": page,
        "groups": group_by_month(page.object_list),
        "group_level": "year",
        **_archive_navigation(),
    })


def archive_year(request, year: int):
    chats = Chat.objects.archived().filter(start__year=year)
    return _archive_period(request, chats, "No chats archived that year.", group_level="month", year=year)


def archive_month(request, year: int, month: int):
    if not 1 <= month <= 12:
        raise Http404("No such month.")
    chats = Chat.objects.archived().filter(start__year=year, start__month=month)
    return _archive_period(
        request, chats, "No chats archived that month.", group_level="none", year=year, month=date(year, month, 1)
    )


def _archive_period(request, chats, nothing_there: str, **context):
    """A year's or a month's page of the archive, newest first."""
    page = _paginate_rows(chats.order_by("-start", "-pk"), request.GET.get("page"))
    if not page.paginator.count:
        # No chat then: a 404 rather than an empty page, so crawlers and
        # readers following a guessed URL learn there is nothing there.
        raise Http404(nothing_there)
    return render(request, "chats/archive.html", {
        "page": page,
        "groups": group_by_month(page.object_list),
        **context,
    })


def series_detail(request, hashtag: str):
    series = get_object_or_404(Series.objects.prefetch_related("hosts"), hashtag=hashtag)
    page = _paginate_rows(Chat.objects.archived().filter(series=series).order_by("-start", "-pk"),
                          request.GET.get("page"))
    upcoming = next(iter(upcoming_chats(timezone.now(), Series.objects.filter(pk=series.pk))), None)
    hosts = list(series.hosts.all())
    listed = set(public_posts().filter(author__in=hosts).values_list("author_id", flat=True).distinct())
    for host in hosts:
        host.listed = host.pk in listed
    return render(request, "chats/series.html", {
        "series": series,
        "schedule_day": calendar.day_name[series.weekday] if series.has_schedule else "",
        "duration_minutes": int(series.duration.total_seconds() // 60),
        "hosts": hosts,
        "upcoming": upcoming,
        "page": page,
    })


def tag_detail(request, tag: str):
    tag_row = get_object_or_404(Tag, slug=tag)
    page = _paginate_rows(Chat.objects.archived().filter(tags__slug=tag).order_by("-start", "-pk"),
                          request.GET.get("page"))
    if not page.paginator.count:
        # A tag only hidden or scheduled chats carry is not shown to readers.
        raise Http404("No archived chat has this tag.")
    return render(request, "chats/tag.html", {"tag": tag_row, "page": page})


# --- participant ---------------------------------------------------------------------

def participant(request, platform: str, handle: str):
    # Several Author rows can share a handle (an account renamed, the old
    # handle reused): the most recently seen profile is the one meant.
    author = (
        Author.objects.filter(platform=platform, handle=handle)
        .filter(Exists(public_posts().filter(author=OuterRef("pk"))))
        .order_by(F("profile_seen_at").desc(nulls_last=True), "-pk")
        .first()
    )
    if author is None:
        raise Http404("No such participant in the public archive.")
    author.safe_profile_url = safe_url(author.profile_url)
    theirs = public_posts().filter(author=author)
    totals = theirs.aggregate(posts=Count("pk"), chats=Count("chat", distinct=True))

    their_posts_in_chat = (
        Post.objects.filter(author=author, chat=OuterRef("pk")).order_by().values("chat")
        .annotate(n=Count("*")).values("n")
    )
    chats = decorate_rows(
        chat_rows(Chat.objects.archived().filter(Exists(Post.objects.filter(author=author, chat=OuterRef("pk")))))
        .annotate(author_post_count=Coalesce(Subquery(their_posts_in_chat), 0))
        .order_by("-start", "-pk")
    )

    posts = (
        theirs.select_related("chat__series")
        .annotate(position=position_in_chat())
        .order_by("-created_at", "-external_id")
    )
    paginator = Paginator(posts, PARTICIPANT_POSTS_PER_PAGE)
    paginator.count = totals["posts"]  # known already: no second COUNT
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for post in page.object_list:
        transcript_page = page_of(post.position, TRANSCRIPT_PAGE_SIZE)
        post.transcript_url = f"{post.chat.get_absolute_url()}?order=time&page={transcript_page}#{post.anchor}"
        post.local_created_at = timezone.localtime(post.created_at, series_zone(post.chat.series))
    return render(request, "chats/participant.html", {
        "author": author,
        "totals": totals,
        "chats": chats,
        "page": page,
        "posts": page.object_list,
    })


# --- resources -----------------------------------------------------------------------

class ResourcesForm(forms.Form):
    KINDS = [("", "All"), ("study", "Studies"), ("link", "Links (not studies or videos)"), ("video", "Videos")]
    SORTS = [("shared", "Most shared"), ("newest", "Most recently shared")]

    series = forms.ChoiceField(label="Series", required=False)
    kind = forms.ChoiceField(label="Kind", required=False, choices=KINDS)
    sort = forms.ChoiceField(label="Sort by", required=False, choices=SORTS)

    def __init__(self, *args, series_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["series"].choices = [("", "All series"), *series_choices]

    def value(self, name: str) -> str:
        """The field's valid value, "" when absent or invalid (the page then
        shows the error and does not filter on it)."""
        if not self.is_bound:
            return ""
        return self.cleaned_data.get(name) or ""


@dataclass
class Resource:
    """One row of the resources page: a study (its links grouped) or a link."""
    study: Study | None
    links: list[Link]
    share_count: int
    chat_count: int
    last_shared: datetime
    first_share: Post | None = None
    chats: list[Chat] = field(default_factory=list)
    identifiers: list[tuple[str, str, str]] = field(default_factory=list)  # (name, value, url)

    @property
    def title(self) -> str:
        if self.study and self.study.title:
            return self.study.title
        for link in self.links:
            if link.title:
                return link.title
        if self.study:
            return str(self.study)
        return self.links[0].url if self.links else ""

    @property
    def main_url(self) -> str:
        if self.identifiers:
            return self.identifiers[0][2]
        return self.links[0].safe_url if self.links else ""


def study_identifiers(study: Study) -> list[tuple[str, str, str]]:
    """(name, identifier, URL of the record) for each identifier the study has."""
    found = []
    if study.doi:
        found.append(("DOI", study.doi, "https://doi.org/" + quote(study.doi, safe="/")))
    if study.pmid:
        found.append(("PMID", study.pmid, f"https://pubmed.ncbi.nlm.nih.gov/{quote(study.pmid, safe='')}/"))
    if study.pmcid:
        found.append(("PMCID", study.pmcid, f"https://pmc.ncbi.nlm.nih.gov/articles/{quote(study.pmcid, safe='')}/"))
    if study.arxiv_id:
        found.append(("arXiv", study.arxiv_id, "https://arxiv.org/abs/" + quote(study.arxiv_id, safe="/")))
    return found


def _group_keys(queryset):
    """Annotate PostLinks with their row: (study id, None) for a link to a
    study, (None, link id) for another link."""
    return queryset.annotate(
        g_study=F("link__study_id"),
        g_link=Case(When(link__study_id__isnull=True, then=F("link_id")), default=Value(None),
                    output_field=IntegerField()),
    )


def _page_of_groups(groups, page_number) -> tuple[Page, list[dict]]:
    """The page ``page_number`` of the grouped rows and the rows themselves.
    The total comes with the rows (COUNT(*) OVER ()), so the grouping runs
    once, not once more for the paginator's count; a page past the end
    (rare) costs one more query to find the last page."""
    try:
        number = max(1, int(page_number))
    except (TypeError, ValueError):
        number = 1
    counted = groups.annotate(total=Window(Count("*")))

    def rows_of(n: int) -> list[dict]:
        return list(counted[(n - 1) * RESOURCES_PER_PAGE: n * RESOURCES_PER_PAGE])

    rows = rows_of(number)
    if rows:
        total = rows[0]["total"]
    else:
        total = groups.count() if number > 1 else 0
        if total:
            number = (total - 1) // RESOURCES_PER_PAGE + 1
            rows = rows_of(number)
    paginator = Paginator([], RESOURCES_PER_PAGE, allow_empty_first_page=True)
    paginator.count = total
    page = paginator.page(number if total else 1)
    page.object_list = rows
    return page, rows


def shared_resources(*, series: str, kind: str, sort: str, page_number):
    """The page ``page_number`` of the resources shared in public archived
    chats (of one series when ``series`` is set): a Page of Resource rows,
    counted over those chats only. Five queries whatever the number of rows."""
    shares = PostLink.objects.filter(
        post__chat__status=Chat.Status.ARCHIVED, post__chat__visibility=Chat.Visibility.PUBLIC
    )
    if series:
        shares = shares.filter(post__chat__series__hashtag=series)
    if kind == "study":
        shares = shares.filter(link__study__isnull=False)
    elif kind == "video":
        shares = shares.filter(link__study__isnull=True, link__domain__in=VIDEO_DOMAINS)
    elif kind == "link":
        shares = shares.filter(link__study__isnull=True).exclude(link__domain__in=VIDEO_DOMAINS)

    groups = (
        _group_keys(shares)
        .values("g_study", "g_link")
        .annotate(
            share_count=Count("post_id", distinct=True),
            chat_count=Count("post__chat_id", distinct=True),
            last_shared=Max("post__created_at"),
        )
    )
    if sort == "newest":
        groups = groups.order_by("-last_shared", "g_study", "g_link")
    else:
        groups = groups.order_by("-share_count", "-last_shared", "g_study", "g_link")
    page, rows = _page_of_groups(groups, page_number)
    if not rows:
        return page
    study_ids = {row["g_study"] for row in rows if row["g_study"]}
    link_ids = {row["g_link"] for row in rows if row["g_link"]}
    in_page = Q(link__study_id__in=study_ids) | Q(link_id__in=link_ids)

    # The links of the page (a study's links that were shared in the chats counted only).
    links_by_key: dict[tuple, list[Link]] = {}
    studies: dict[int, Study] = {}
    page_links = (
        Link.objects.filter(Q(study_id__in=study_ids) | Q(pk__in=link_ids))
        .filter(Exists(shares.filter(link=OuterRef("pk"))))
        .select_related("study")
        .order_by("url")
    )
    for link in page_links:
        link.safe_url = safe_url(link.url)
        key = (link.study_id, None) if link.study_id else (None, link.pk)
        links_by_key.setdefault(key, []).append(link)
        if link.study_id:
            studies[link.study_id] = link.study

    # The first post sharing each row (DISTINCT ON the row, earliest first),
    # then its place in its chat's transcript, counted for those posts only
    # (in the first query PostgreSQL would count it for every share).
    first_share_ids = [
        share.pk for share in
        _group_keys(shares.filter(in_page))
        .order_by("g_study", "g_link", "post__created_at", "post__external_id")
        .distinct("g_study", "g_link")
        .only("pk")
    ]
    first_shares = {}
    for share in (
        _group_keys(PostLink.objects.filter(pk__in=first_share_ids))
        .select_related("post__author", "post__chat__series")
        .annotate(post_position=position_in_chat("post__"))
    ):
        post = share.post
        post.transcript_url = (
            f"{post.chat.get_absolute_url()}?order=time&page={page_of(share.post_position, TRANSCRIPT_PAGE_SIZE)}"
            f"#{post.anchor}"
        )
        post.local_created_at = timezone.localtime(post.created_at, series_zone(post.chat.series))
        first_shares[(share.g_study, share.g_link)] = post

    # The chats each row was shared in, newest first (a few named per row).
    chats_by_key: dict[tuple, list[Chat]] = {}
    for item in (
        _group_keys(shares.filter(in_page))
        .values("g_study", "g_link", "post__chat__slug", "post__chat__number", "post__chat__title",
                "post__chat__start", "post__chat__series__hashtag")
        .distinct()
        .order_by("g_study", "g_link", "-post__chat__start")
    ):
        chats = chats_by_key.setdefault((item["g_study"], item["g_link"]), [])
        if len(chats) < RESOURCE_CHATS_SHOWN:
            chats.append(Chat(
                slug=item["post__chat__slug"], number=item["post__chat__number"], title=item["post__chat__title"],
                start=item["post__chat__start"], series=Series(hashtag=item["post__chat__series__hashtag"]),
            ))

    resources = []
    for row in rows:
        key = (row["g_study"], row["g_link"])
        study = studies.get(row["g_study"]) if row["g_study"] else None
        resources.append(Resource(
            study=study,
            links=links_by_key.get(key, []),
            share_count=row["share_count"],
            chat_count=row["chat_count"],
            last_shared=row["last_shared"],
            first_share=first_shares.get(key),
            chats=chats_by_key.get(key, []),
            identifiers=study_identifiers(study) if study else [],
        ))
    page.object_list = resources
    return page


def resources(request):
    series_choices = list(
        Series.objects.filter(chats__in=Chat.objects.archived()).distinct().order_by("name")
        .values_list("hashtag", "name")
    )
    form = ResourcesForm(request.GET or None, series_choices=[(h, f"#{h} ({n})") for h, n in series_choices])
    if form.is_bound:
        form.is_valid()
    page = shared_resources(
        series=form.value("series"), kind=form.value("kind"), sort=form.value("sort") or "shared",
        page_number=request.GET.get("page"),
    )
    return render(request, "chats/resources.html", {"form": form, "page": page, "resources": page.object_list})
