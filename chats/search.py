"""Full-text search over posts: the form that reads and checks the query
string, and the read behind the /search/ page.

The read is built so that a term found in almost every post (the chat's own
hashtag) stays cheap:

1. the ids of the first ``SEARCH_CAP`` + 1 matches, newest first (the GIN index
   on ``search_vector`` finds them); their number is the count shown, exact up
   to the cap ("1,000+ results" beyond);
2. those candidates ranked with ``ts_rank``, and only the ids of the page shown
   kept (LIMIT/OFFSET in the database);
3. the posts of that page with their highlighted snippet (``ts_headline``) and
   the page of their chat's transcript they are on.

Published summaries are searched too (``Summary.search_vector``, title first):
on the first page of results only, the best ``SUMMARY_HITS`` in one more query,
shown above the posts. The series, chat and date filters apply to them (the
date is the publish date); the author and question filters are about posts,
so with either set no summary is shown.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django import forms
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.core.paginator import Page, Paginator
from django.db.models import F, Func, Q, TextField, Value
from django.db.models.functions import Concat
from django.utils.html import escape
from django.utils.safestring import mark_safe

from chats.models import Chat, Post
from chats.transcript_pages import page_of, position_in_chat
from summaries.models import Summary

# How many of the most recent matches are ranked at most.
SEARCH_CAP = 1000
RESULTS_PER_PAGE = 20
# How many summaries the first page of results shows, best first.
SUMMARY_HITS = 5

# ts_headline marks matches with these; the snippet is escaped in Python and
# only then are they turned into <mark> tags (characters of the Unicode private
# use area: escape() leaves them alone). ts_headline also drops anything its
# parser takes for an HTML tag ("<script>"), so "<" is handed to it as
# LT_SENTINEL and shown as "&lt;". The text's own sentinels are removed first.
START_SENTINEL = "\ue000"
STOP_SENTINEL = "\ue001"
LT_SENTINEL = "\ue002"

HANDLE_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,200}$")
LABEL_RE = re.compile(r"^[A-Za-z]{0,3}\d{1,3}[A-Za-z]{0,3}$")
SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+$")
# A quoted phrase, excluded when preceded by "-" (an unclosed quote runs to the end).
_QUOTED_RE = re.compile(r'(-?)"[^"]*"?')


def _has_positive_term(q: str) -> bool:
    """Whether ``q`` asks for at least one word (a query made only of
    ``-word`` exclusions would have to read every post)."""
    for sign, phrase in ((m.group(1), m.group(0)) for m in _QUOTED_RE.finditer(q)):
        if not sign and phrase.strip('"').strip():
            return True
    rest = _QUOTED_RE.sub(" ", q)
    for word in rest.split():
        if word.lower() == "or" or word.startswith("-"):
            continue
        if re.search(r"\w", word):
            return True
    return False


class SearchForm(forms.Form):
    """The search page's GET parameters. ``from`` and ``to`` are Python
    keywords, so those two fields are added in ``__init__``."""

    q = forms.CharField(label="Search posts", required=False, max_length=500, strip=True)
    series = forms.CharField(label="Series (hashtag)", required=False, max_length=101)
    chat = forms.CharField(label="Chat", required=False, max_length=120)
    author = forms.CharField(label="Author (handle)", required=False, max_length=201)
    question = forms.CharField(label="Question (e.g. T1)", required=False, max_length=20)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        date_help = "YYYY-MM-DD"
        self.fields["from"] = forms.DateField(
            label="From", required=False, input_formats=["%Y-%m-%d"], help_text=date_help,
            error_messages={"invalid": "Enter the start date as YYYY-MM-DD."},
        )
        self.fields["to"] = forms.DateField(
            label="To", required=False, input_formats=["%Y-%m-%d"], help_text=date_help,
            error_messages={"invalid": "Enter the end date as YYYY-MM-DD."},
        )

    def clean_q(self) -> str:
        q = self.cleaned_data["q"]
        if "\x00" in q:
            raise forms.ValidationError("The search contains a character that cannot be searched for.")
        if q and not _has_positive_term(q):
            raise forms.ValidationError("Search for at least one word: -word only leaves out posts with that word.")
        return q

    def clean_series(self) -> str:
        value = self.cleaned_data["series"].strip().lstrip("#")
        if value and not SLUG_RE.match(value):
            raise forms.ValidationError("A series is a hashtag such as hcsmca (letters, digits, - and _).")
        return value

    def clean_chat(self) -> str:
        value = self.cleaned_data["chat"].strip()
        if value and not SLUG_RE.match(value):
            raise forms.ValidationError("A chat is named by its slug, such as hcsmca-116.")
        return value

    def clean_author(self) -> str:
        value = self.cleaned_data["author"].strip().lstrip("@")
        if value and not HANDLE_RE.match(value):
            raise forms.ValidationError("An author is named by a handle such as nurse_jo.")
        return value

    def clean_question(self) -> str:
        value = self.cleaned_data["question"].strip()
        if value and not LABEL_RE.match(value):
            raise forms.ValidationError("A question is named by its label, such as T1 or T2a.")
        return value

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and start > end:
            self.add_error("to", "The end date is before the start date.")
        return cleaned


def web_search_query(q: str) -> SearchQuery:
    return SearchQuery(q, search_type="websearch", config="english")


def filter_q(data: dict) -> Q:
    """The filters of a valid form, public chats only (a post outside any
    chat has no chat, so it never matches)."""
    conditions = Q(chat__visibility=Chat.Visibility.PUBLIC)
    if data.get("series"):
        conditions &= Q(chat__series__hashtag__iexact=data["series"])
    if data.get("chat"):
        conditions &= Q(chat__slug=data["chat"])
    if data.get("author"):
        conditions &= Q(author__handle__iexact=data["author"])
    if data.get("question"):
        conditions &= Q(question__label__iexact=data["question"])
    if data.get("from"):
        conditions &= Q(created_at__gte=datetime.combine(data["from"], time.min, tzinfo=UTC))
    if data.get("to") and data["to"] < date.max:
        conditions &= Q(created_at__lt=datetime.combine(data["to"] + timedelta(days=1), time.min, tzinfo=UTC))
    return conditions


def headline_source(text=None):
    """The post's text (or the expression ``text``) as ts_headline gets it:
    "<" as LT_SENTINEL, the sentinels of the text itself removed
    (PostgreSQL's translate())."""
    return Func(
        F("text") if text is None else text,
        Value("<" + START_SENTINEL + STOP_SENTINEL + LT_SENTINEL),
        Value(LT_SENTINEL),
        function="translate",
        output_field=TextField(),
    )


def highlight(headline: str) -> str:
    """``ts_headline``'s output, escaped, with its matches in <mark>."""
    html = escape(headline or "")
    html = (
        html.replace(START_SENTINEL, "<mark>")
        .replace(STOP_SENTINEL, "</mark>")
        .replace(LT_SENTINEL, "&lt;")
    )
    return mark_safe(html)  # nosec B703, B308 -- every part escaped above, only our <mark> added


def summary_filter_q(data: dict) -> Q | None:
    """The filters of a valid form as they apply to summaries, or None when
    a filter only posts have (author, question) is set."""
    if data.get("author") or data.get("question"):
        return None
    conditions = Q()
    if data.get("series"):
        conditions &= Q(chat__series__hashtag__iexact=data["series"])
    if data.get("chat"):
        conditions &= Q(chat__slug=data["chat"])
    if data.get("from"):
        conditions &= Q(published_at__gte=datetime.combine(data["from"], time.min, tzinfo=UTC))
    if data.get("to") and data["to"] < date.max:
        conditions &= Q(published_at__lt=datetime.combine(data["to"] + timedelta(days=1), time.min, tzinfo=UTC))
    return conditions


def search_summaries(data: dict, query: SearchQuery) -> list[Summary]:
    """The best ``SUMMARY_HITS`` published summaries for a valid form's
    ``cleaned_data``, each with ``snippet`` (its excerpt and body around the
    matches, escaped, matches in <mark>): one query. Drafts and scheduled
    summaries never match (``published()``)."""
    conditions = summary_filter_q(data)
    if conditions is None:
        return []
    text = Concat(F("excerpt"), Value(" "), F("body_markdown"), output_field=TextField())
    rows = list(
        Summary.objects.published()
        .search(query)
        .filter(conditions)
        .select_related("author")
        .only("title", "slug", "published_at", "author__username", "author__first_name", "author__last_name")
        .annotate(
            rank=SearchRank(F("search_vector"), query),
            headline=SearchHeadline(
                headline_source(text), query, config="english",
                start_sel=START_SENTINEL, stop_sel=STOP_SENTINEL,
                max_words=40, min_words=15, max_fragments=0,
            ),
        )
        .order_by("-rank", "-published_at", "-pk")[:SUMMARY_HITS]
    )
    for summary in rows:
        summary.snippet = highlight(summary.headline)
    return rows


@dataclass
class SearchResults:
    page: Page
    posts: list[Post]
    count: int
    capped: bool
    cap: int
    summaries: list[Summary] = field(default_factory=list)

    @property
    def cap_display(self) -> str:
        return f"{self.cap:,}"

    @property
    def count_display(self) -> str:
        return f"{self.cap:,}+" if self.capped else f"{self.count:,}"


def run_search(data: dict, page_number, *, chat_page_size: int) -> SearchResults:
    """Search for a valid form's ``cleaned_data``: the page ``page_number`` of
    the results, best first. ``chat_page_size`` is the number of posts per page
    of a chat's transcript (to link to the page a post is on)."""
    cap = SEARCH_CAP
    query = web_search_query(data["q"])
    matches = Post.objects.search(query).filter(filter_q(data))

    # 1. The most recent matches, one more than the cap to know it was reached.
    candidate_ids = list(
        matches.order_by("-created_at", "-id").values_list("id", flat=True)[: cap + 1]
    )
    capped = len(candidate_ids) > cap
    candidate_ids = candidate_ids[:cap]

    paginator = Paginator(candidate_ids, RESULTS_PER_PAGE)
    page = paginator.get_page(page_number)
    summaries = search_summaries(data, query) if page.number == 1 else []
    if not candidate_ids:
        return SearchResults(page=page, posts=[], count=0, capped=False, cap=cap, summaries=summaries)

    # 2. Rank the candidates; keep the ids of the page shown, in rank order.
    offset = (page.number - 1) * RESULTS_PER_PAGE
    ranked_ids = list(
        Post.objects.filter(id__in=candidate_ids)
        .annotate(rank=SearchRank(F("search_vector"), query))
        .order_by("-rank", "-created_at", "-id")
        .values_list("id", flat=True)[offset: offset + RESULTS_PER_PAGE]
    )

    # 3. The posts of the page: snippet and the page of its chat it is on (the
    # chat's transcript is in time order: created_at, then external_id;
    # position_in_chat counts in two index-friendly parts). The imported
    # record and the search vector are the widest columns and are not shown.
    rows = (
        Post.objects.filter(id__in=ranked_ids)
        .select_related("author", "chat__series", "question")
        .defer("original", "search_vector", "edit_history")
        .annotate(
            headline=SearchHeadline(
                headline_source(), query, config="english",
                start_sel=START_SENTINEL, stop_sel=STOP_SENTINEL,
                max_words=60, min_words=25, max_fragments=0,
            ),
            position_in_chat=position_in_chat(),
        )
    )
    by_id = {post.id: post for post in rows}
    posts = []
    for post_id in ranked_ids:
        post = by_id.get(post_id)
        if post is None:  # deleted between the queries
            continue
        post.snippet = highlight(post.headline)
        post.chat_page = page_of(post.position_in_chat, chat_page_size)
        # The chat page lists posts by question by default; this page number
        # is of its time order, which also shows retweets.
        post.chat_url = f"{post.chat.get_absolute_url()}?order=time&page={post.chat_page}#{post.anchor}"
        posts.append(post)
    page.object_list = posts
    return SearchResults(
        page=page, posts=posts, count=len(candidate_ids), capped=capped, cap=cap, summaries=summaries
    )
