"""Query filters of the API's lists (django-filter).

A value that is not of its filter's type answers 400 naming the filter
(DjangoFilterBackend raises a ValidationError), never 500. Objects are named
by their natural key where they have one (``series=hcsmca``,
``chat=hcsmca-116``) and by id otherwise (``question=12``, ``author=7``). A
hidden chat named in a filter gives an empty list, as an unknown one does:
the API never tells that a hidden chat exists.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_date, parse_datetime
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field

from chats.models import Author, Chat, Link, Platform, Post, Question, Removal, Series, Study
from hcsmca.api.visibility import attributed_posts, public_shares, reader_chats
from summaries.models import Comment, Summary

MAX_ID = 2**63 - 1
MAX_TEXT = 300
TIME_HELP = ("ISO 8601 date-time (2019-01-16T18:00:00Z; without an offset it is UTC) or a date "
             "(2019-01-16, a whole day in UTC).")


class UtcDateTimeField(forms.CharField):
    """An ISO 8601 date-time or a date, read as UTC when it has no offset.
    Cleans to ``(moment, whole_day)``: a date is its first moment (UTC) with
    ``whole_day`` True, so that ``to=2019-01-16`` can include that day."""

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            day = parse_date(value)
            if day is not None:
                return datetime.combine(day, time.min, tzinfo=UTC), True
            moment = parse_datetime(value)
            if moment is not None:
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=UTC)
                # Converted now: a moment that has no UTC time (year 1 at +14:00) is refused here.
                return moment.astimezone(UTC), False
        except (ValueError, OverflowError):
            pass
        raise ValidationError("Enter an ISO 8601 date-time or date, e.g. 2019-01-16T18:00:00Z or 2019-01-16.",
                              code="invalid")


# A date-time or a date: OpenAPI's date-time alone would make a date look invalid.
MOMENT_SCHEMA = {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "format": "date"}]}


class FromFilter(filters.Filter):
    """``field >= from``."""

    field_class = UtcDateTimeField

    def filter(self, qs, value):
        if value is None:
            return qs
        return qs.filter(**{f"{self.field_name}__gte": value[0]})


class ToFilter(filters.Filter):
    """``field <= to``, or the whole of the day when ``to`` is a date."""

    field_class = UtcDateTimeField

    def filter(self, qs, value):
        if value is None:
            return qs
        moment, whole_day = value
        if whole_day:
            if moment.date() == date.max:
                return qs
            return qs.filter(**{f"{self.field_name}__lt": moment + timedelta(days=1)})
        return qs.filter(**{f"{self.field_name}__lte": moment})


class IdFilter(filters.Filter):
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


def text_filter(field_name: str, help_text: str, lookup_expr: str = "exact") -> filters.CharFilter:
    return filters.CharFilter(field_name=field_name, lookup_expr=lookup_expr, max_length=MAX_TEXT, help_text=help_text)


def with_date_range(filterset, field_name: str, what: str):
    """Adds ``from`` and ``to`` (Python keywords, so not class attributes),
    each documented as a date-time or a date, with its own description."""
    for name, filter_class, where in (("from", FromFilter, "at or after"), ("to", ToFilter, "at or before")):
        help_text = f"{what} {where} this. {TIME_HELP}"
        date_filter = filter_class(field_name=field_name, help_text=help_text)
        extend_schema_field({**MOMENT_SCHEMA, "description": help_text})(date_filter)
        filterset.base_filters[name] = date_filter
    return filterset


SERIES_HELP = "A series' hashtag, without # (e.g. hcsmca)."
CHAT_HELP = "A chat's slug (e.g. hcsmca-116)."


class SeriesFilter(filters.FilterSet):
    hashtag = text_filter("hashtag", "The series' hashtag, without #.")

    class Meta:
        model = Series
        fields = []


class ChatFilter(filters.FilterSet):
    series = text_filter("series__hashtag", SERIES_HELP)
    slug = text_filter("slug", "The chat's slug.")
    tag = text_filter("tags__slug", "A tag's slug.")

    class Meta:
        model = Chat
        fields = []


with_date_range(ChatFilter, "start", "Chats that started")


class QuestionFilter(filters.FilterSet):
    series = text_filter("chat__series__hashtag", SERIES_HELP)
    chat = text_filter("chat__slug", CHAT_HELP)

    class Meta:
        model = Question
        fields = []


with_date_range(QuestionFilter, "chat__start", "Questions of chats that started")


class PostFilter(filters.FilterSet):
    series = text_filter("chat__series__hashtag", SERIES_HELP)
    chat = text_filter("chat__slug", CHAT_HELP)
    question = IdFilter(field_name="question_id", help_text="A question's id: the posts that answer it.")
    author = IdFilter(field_name="author_id", help_text="A participant's id.")
    platform = filters.ChoiceFilter(field_name="platform", choices=Platform.choices)
    external_id = text_filter("external_id", "The platform's id of the post (with platform, its natural key).")
    removed = filters.ChoiceFilter(field_name="removed", choices=Removal.choices[1:],
                                   help_text="Only posts removed for this reason.")
    q = filters.CharFilter(method="search", max_length=MAX_TEXT,
                           help_text='Full-text search of the posts\' text, web-search syntax: words, "a phrase", '
                                     "-excluded, or.")

    class Meta:
        model = Post
        fields = []

    def search(self, queryset, name, value):
        return queryset.search(value) if value else queryset


with_date_range(PostFilter, "created_at", "Posts written")


class AuthorFilter(filters.FilterSet):
    series = filters.CharFilter(method="in_series", max_length=MAX_TEXT, help_text=f"Who posted in it. {SERIES_HELP}")
    chat = filters.CharFilter(method="in_chat", max_length=MAX_TEXT, help_text=f"Who posted in it. {CHAT_HELP}")
    platform = filters.ChoiceFilter(field_name="platform", choices=Platform.choices)
    handle = text_filter("handle", "The handle, without @ (case-insensitive).", lookup_expr="iexact")

    class Meta:
        model = Author
        fields = []

    def in_series(self, queryset, name, value):
        return queryset.filter(pk__in=attributed_posts().filter(chat__series__hashtag=value).values("author_id"))

    def in_chat(self, queryset, name, value):
        return queryset.filter(pk__in=attributed_posts().filter(chat__slug=value).values("author_id"))


class LinkFilter(filters.FilterSet):
    series = filters.CharFilter(method="in_series", max_length=MAX_TEXT, help_text=f"Shared in it. {SERIES_HELP}")
    chat = filters.CharFilter(method="in_chat", max_length=MAX_TEXT, help_text=f"Shared in it. {CHAT_HELP}")
    domain = text_filter("domain", "The link's domain (e.g. www.ncbi.nlm.nih.gov).", lookup_expr="iexact")
    study = IdFilter(field_name="study_id", help_text="A study's id: the links to it.")
    is_study = filters.ChoiceFilter(choices=[("true", "true"), ("false", "false")], method="filter_is_study",
                                    help_text="true: only links recognised as studies; false: only the others.")

    class Meta:
        model = Link
        fields = []

    def in_series(self, queryset, name, value):
        return queryset.filter(pk__in=public_shares().filter(post__chat__series__hashtag=value).values("link_id"))

    def filter_is_study(self, queryset, name, value):
        return queryset.filter(study__isnull=value != "true")

    def in_chat(self, queryset, name, value):
        return queryset.filter(pk__in=public_shares().filter(post__chat__slug=value).values("link_id"))


class StudyFilter(filters.FilterSet):
    series = filters.CharFilter(method="in_series", max_length=MAX_TEXT, help_text=f"Shared in it. {SERIES_HELP}")
    chat = filters.CharFilter(method="in_chat", max_length=MAX_TEXT, help_text=f"Shared in it. {CHAT_HELP}")
    doi = text_filter("doi", "The DOI (e.g. 10.2196/jmir.4000), case-insensitive.", lookup_expr="iexact")
    pmid = text_filter("pmid", "The PubMed id.")

    class Meta:
        model = Study
        fields = []

    def in_series(self, queryset, name, value):
        shared = public_shares().filter(post__chat__series__hashtag=value)
        return queryset.filter(links__in=shared.values("link_id")).distinct()

    def in_chat(self, queryset, name, value):
        return queryset.filter(links__in=public_shares().filter(post__chat__slug=value).values("link_id")).distinct()


class SummaryFilter(filters.FilterSet):
    series = text_filter("chat__series__hashtag", f"Summaries of its chats. {SERIES_HELP}")
    chat = text_filter("chat__slug", f"Summaries of it. {CHAT_HELP}")
    slug = text_filter("slug", "The summary's slug (unique).")
    q = filters.CharFilter(method="search", max_length=MAX_TEXT,
                           help_text="Full-text search of title, excerpt and body, web-search syntax.")

    class Meta:
        model = Summary
        fields = []

    def search(self, queryset, name, value):
        return queryset.search(value) if value else queryset

    def filter_queryset(self, queryset):
        # A summary's chat counts only when readers may see it (as on its page).
        queryset = super().filter_queryset(queryset)
        if self.form.cleaned_data.get("series") or self.form.cleaned_data.get("chat"):
            queryset = queryset.filter(chat__in=reader_chats())
        return queryset


with_date_range(SummaryFilter, "published_at", "Summaries published")


class CommentFilter(filters.FilterSet):
    summary = IdFilter(field_name="summary_id", help_text="A summary's id.")

    class Meta:
        model = Comment
        fields = []


with_date_range(CommentFilter, "created_at", "Comments written")
