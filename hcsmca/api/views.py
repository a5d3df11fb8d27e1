"""Read-only views of the API: thin, each a reader QuerySet
(hcsmca/api/visibility.py) with what its serializer reads joined or
prefetched, so that a page costs the same few queries whatever its size."""
from __future__ import annotations

from django.db.models import Case, Count, F, IntegerField, OuterRef, Prefetch, Subquery, When
from django.db.models.functions import Coalesce
from rest_framework import viewsets

from chats.models import Author, Post, Question, Series
from hcsmca.api import filters, serializers, visibility
from summaries.models import Comment
from summaries.services.comments import approved_comment_count

NAMEABLE_HOSTS = Author.objects.filter(redacted_at__isnull=True).order_by("handle", "pk")


def _count(queryset, group_by: str, distinct: str | None = None):
    """A correlated COUNT subquery (counted per row of the page, not by a
    GROUP BY over every joined row)."""
    counted = queryset.order_by().values(group_by)
    if distinct:
        counted = counted.annotate(n=Count(distinct, distinct=True))
    else:
        counted = counted.annotate(n=Count("pk"))
    return Coalesce(Subquery(counted.values("n"), output_field=IntegerField()), 0)


class ApiViewSet(viewsets.ReadOnlyModelViewSet):
    # Ids only in paths: anything else is a 404 from the URL resolver.
    lookup_value_regex = "[0-9]+"


class SeriesViewSet(ApiViewSet):
    """Series: recurring chats under one hashtag. Detail by id; ``hashtag`` filters by natural key."""

    serializer_class = serializers.SeriesSerializer
    filterset_class = filters.SeriesFilter
    cursor_ordering = ("id",)

    def get_queryset(self):
        archived = visibility.reader_chats().filter(series=OuterRef("pk"))
        return (
            Series.objects.prefetch_related(Prefetch("hosts", queryset=NAMEABLE_HOSTS))
            .annotate(chat_count=_count(archived, "series"))
        )


class ChatViewSet(ApiViewSet):
    """Public archived chats, oldest first. ``from``/``to`` apply to the chat's start."""

    serializer_class = serializers.ChatSerializer
    filterset_class = filters.ChatFilter
    cursor_ordering = ("start", "id")

    def get_queryset(self):
        return (
            visibility.reader_chats().with_counts().select_related("series")
            .prefetch_related("tags", Prefetch("hosts", queryset=NAMEABLE_HOSTS))
        )


class QuestionViewSet(ApiViewSet):
    """Questions of public chats, in chat order then position."""

    serializer_class = serializers.QuestionSerializer
    filterset_class = filters.QuestionFilter
    cursor_ordering = ("id",)

    def get_queryset(self):
        answers = Post.objects.filter(question=OuterRef("pk"))
        return (
            Question.objects.filter(chat__in=visibility.reader_chats()).select_related("chat")
            .annotate(post_count=_count(answers, "question"))
        )


class PostViewSet(ApiViewSet):
    """Posts of public chats, oldest first. Removed posts are listed (they keep
    threads and counts) with ``removed`` set, no text and, when removed at
    their author's request, no author. ``q`` searches the text."""

    serializer_class = serializers.PostSerializer
    filterset_class = filters.PostFilter
    cursor_ordering = ("created_at", "id")

    def get_queryset(self):
        return (
            visibility.reader_posts().select_related("chat", "author")
            .annotate(question_label=F("question__label"))
        )


class ParticipantViewSet(ApiViewSet):
    """Participants: authors with a public post that carries their name.
    A redacted author is never listed and their detail answers 404."""

    serializer_class = serializers.AuthorSerializer
    filterset_class = filters.AuthorFilter
    cursor_ordering = ("id",)

    def get_queryset(self):
        theirs = visibility.attributed_posts().filter(author=OuterRef("pk"))
        return visibility.reader_authors().annotate(
            post_count=_count(theirs, "author"), chat_count=_count(theirs, "author", distinct="chat"))


class LinkViewSet(ApiViewSet):
    """Links shared in public posts, in id order. ``share_count`` counts public posts only."""

    serializer_class = serializers.LinkSerializer
    filterset_class = filters.LinkFilter
    cursor_ordering = ("id",)

    def get_queryset(self):
        shares = visibility.public_shares().filter(link=OuterRef("pk"))
        return visibility.reader_links().annotate(public_share_count=_count(shares, "link", distinct="post"))


class StudyViewSet(ApiViewSet):
    """Studies (links recognised as research: DOI, PubMed, PMC, arXiv) shared in public posts."""

    serializer_class = serializers.StudySerializer
    filterset_class = filters.StudyFilter
    cursor_ordering = ("id",)

    def get_queryset(self):
        shares = visibility.public_shares().filter(link__study=OuterRef("pk"))
        return visibility.reader_studies().annotate(share_count=_count(shares, "link__study", distinct="post"))


class SummaryViewSet(ApiViewSet):
    """Published summaries, oldest first. ``chat`` is null when the chat is not public."""

    serializer_class = serializers.SummarySerializer
    filterset_class = filters.SummaryFilter
    cursor_ordering = ("published_at", "id")

    def get_queryset(self):
        return (
            visibility.published_summaries().select_related("chat", "author")
            .prefetch_related("tags", "featured_links", "featured_studies")
            .annotate(comment_count=approved_comment_count())
        )


class CommentViewSet(ApiViewSet):
    """Approved comments (and linkbacks) on published summaries, oldest first."""

    serializer_class = serializers.CommentSerializer
    filterset_class = filters.CommentFilter
    cursor_ordering = ("created_at", "id")

    def get_queryset(self):
        return visibility.approved_comments().annotate(
            approved_parent_id=Case(When(parent__status=Comment.Status.APPROVED, then="parent_id"), default=None))

