"""What each API object looks like (read-only).

Every object has ``id`` (its primary key, stable) and its natural key where
it has one: a series' ``hashtag``, a chat's ``slug``, a post's ``platform`` and
``external_id``, a summary's ``slug``. References to other objects use the
same keys the filters take (``chat`` is a slug, ``series`` a hashtag).

Redactions: a post removed at its author's request and every post of a
redacted author has ``author: null``; a removed post (either reason) has
empty text, URLs, media and entities; a redacted author is never nested
anywhere (hosts lists leave them out). ``Post.original`` is not served at
all: another post's record can carry a redacted author (a retweet embeds
the original status); dataset bundles carry the records.
"""
from __future__ import annotations

from datetime import UTC

from django.db import models
from django.urls import NoReverseMatch
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chats.models import Author, Chat, Link, Platform, Post, Question, Removal, Series, Study
from chats.safe_urls import http_url
from summaries.models import Comment, Summary


class HttpUrlField(serializers.CharField):
    """A URL from outside (an imported profile, a commenter) when it is
    http(s), else "": a ``javascript:`` URL is never handed on to a client
    that might link it."""

    def to_representation(self, value):
        return http_url(value)


class UtcDateTimeField(serializers.DateTimeField):
    """ISO 8601 in UTC ("2019-01-16T18:00:00Z"), as transcript.json gives
    times, whatever the site's display timezone."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default_timezone", UTC)
        super().__init__(*args, **kwargs)


class ApiSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping, models.DateTimeField: UtcDateTimeField}


def absolute(request, page) -> str:
    """The absolute URL of ``page`` (a model instance), "" when it has none (a
    slug an import made that the URL pattern does not take): one odd row
    must not turn a whole list into a 500."""
    try:
        path = page.get_absolute_url()
    except NoReverseMatch:
        return ""
    return request.build_absolute_uri(path) if request is not None else path


class AuthorRefSerializer(ApiSerializer):
    profile_url = HttpUrlField()
    avatar_url = HttpUrlField()

    class Meta:
        model = Author
        fields = ["id", "platform", "handle", "display_name", "profile_url", "avatar_url"]
        read_only_fields = fields


class AuthorSerializer(AuthorRefSerializer):
    post_count = serializers.IntegerField(help_text="Posts in public chats that carry their name.")
    chat_count = serializers.IntegerField(help_text="Public chats they posted in.")

    class Meta(AuthorRefSerializer.Meta):
        fields = AuthorRefSerializer.Meta.fields + ["post_count", "chat_count"]
        read_only_fields = fields


class SeriesSerializer(ApiSerializer):
    duration_minutes = serializers.SerializerMethodField()
    chat_count = serializers.IntegerField(help_text="Archived public chats.")
    hosts = AuthorRefSerializer(many=True)
    weekday = serializers.IntegerField(allow_null=True, help_text="Usual day: 0 is Monday, 6 is Sunday.")
    start_time = serializers.SerializerMethodField(
        help_text="Usual start, HH:MM in the series' timezone (a wall-clock time, no offset).")

    class Meta:
        model = Series
        fields = ["id", "hashtag", "name", "description", "timezone", "weekday", "start_time", "duration_minutes",
                  "chat_count", "hosts"]
        read_only_fields = fields

    # Not OpenAPI's "time" format, which requires an offset: this is a local wall-clock time.
    @extend_schema_field({"type": "string", "nullable": True, "pattern": "^[0-2][0-9]:[0-5][0-9]$"})
    def get_start_time(self, series):
        return series.start_time.strftime("%H:%M") if series.start_time is not None else None

    def get_duration_minutes(self, series) -> int:
        return int(series.duration.total_seconds() // 60)


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class TagsField(serializers.Field):
    """Tag names, read from the prefetched tags (no query per object)."""

    def to_representation(self, manager):
        return sorted(tag.name for tag in manager.all())

    def get_attribute(self, instance):
        return getattr(instance, self.source)


class ChatSerializer(ApiSerializer):
    series = serializers.CharField(source="series.hashtag", help_text="The series' hashtag.")
    url = serializers.SerializerMethodField(help_text="The chat's page.")
    tags = TagsField()
    hosts = AuthorRefSerializer(many=True)
    post_count = serializers.IntegerField()
    participant_count = serializers.IntegerField()
    noindex = serializers.BooleanField(help_text="Its moderators asked search engines not to index it.")

    class Meta:
        model = Chat
        fields = ["id", "slug", "series", "number", "title", "description", "start", "end", "url", "tags", "hosts",
                  "noindex", "post_count", "participant_count"]
        read_only_fields = fields

    def get_url(self, chat) -> str:
        return absolute(self.context.get("request"), chat)


class QuestionSerializer(ApiSerializer):
    chat = serializers.CharField(source="chat.slug", help_text="The chat's slug.")
    parent = serializers.IntegerField(source="parent_id", allow_null=True, help_text="The question it belongs to.")
    asked_by = serializers.IntegerField(source="asked_by_id", allow_null=True, help_text="The post that asked it.")
    post_count = serializers.IntegerField(help_text="Posts that answer it.")

    class Meta:
        model = Question
        fields = ["id", "chat", "label", "parent", "text", "position", "asked_by", "asked_at", "post_count"]
        read_only_fields = fields


STRING_LIST = {"type": "array", "items": {"type": "string"}}


@extend_schema_field(STRING_LIST)
class StringListField(serializers.Field):
    def to_representation(self, value):
        return [str(item) for item in value] if isinstance(value, list) else []


@extend_schema_field({"type": "array", "items": {}})
class JsonListField(serializers.Field):
    def to_representation(self, value):
        return value if isinstance(value, list) else []


@extend_schema_field({"type": "object", "additionalProperties": {}})
class JsonObjectField(serializers.Field):
    def to_representation(self, value):
        return value if isinstance(value, dict) else {}


class PostSerializer(ApiSerializer):
    platform = serializers.ChoiceField(choices=Platform.choices)
    chat = serializers.CharField(source="chat.slug", help_text="The chat's slug.")
    author = serializers.SerializerMethodField(
        help_text="Null when the post was removed at its author's request or its author was redacted.")
    url = serializers.CharField(help_text="The post on its platform; empty when removed.")
    urls = StringListField(help_text="Expanded URLs shared in the post, in order.")
    hashtags = StringListField()
    mentions = StringListField()
    media = JsonListField()
    metrics = JsonObjectField()
    question = serializers.IntegerField(source="question_id", allow_null=True,
                                        help_text="The question it answers.")
    question_label = serializers.CharField(allow_null=True, help_text="That question's label (T1, T1a).")
    removed = serializers.ChoiceField(
        choices=Removal.choices,
        help_text='"" when not removed; "author_request" or "deleted" (on its platform) when its content is gone.')

    class Meta:
        model = Post
        fields = ["id", "platform", "external_id", "url", "chat", "created_at", "author", "text", "language",
                  "truncated", "urls", "hashtags", "mentions", "media", "metrics", "question", "question_label",
                  "question_source", "reply_to_external_id", "repost_of_external_id", "quote_of_external_id",
                  "thread_root_external_id", "removed", "removed_at"]
        read_only_fields = fields

    @extend_schema_field(AuthorRefSerializer(allow_null=True))
    def get_author(self, post):
        if post.removed == Removal.AUTHOR_REQUEST or post.author.redacted_at is not None:
            return None
        # One serializer for the page, not one per post (building one costs more than using it).
        if not hasattr(self, "_author_serializer"):
            self._author_serializer = AuthorRefSerializer(context=self.context)
        return self._author_serializer.to_representation(post.author)

    def to_representation(self, post):
        data = super().to_representation(post)
        if post.removed:
            # Blank in the database already (chats.services.redactions); blanked here
            # too so that a half-done redaction never shows through the API.
            data.update(text="", url="", urls=[], hashtags=[], mentions=[], media=[], metrics={})
        return data


class LinkSerializer(ApiSerializer):
    url = HttpUrlField()
    study = serializers.IntegerField(source="study_id", allow_null=True, help_text="The study it links to.")
    # Counted over public posts only: the stored share_count includes hidden chats.
    share_count = serializers.IntegerField(source="public_share_count", help_text="Public posts that share it.")

    class Meta:
        model = Link
        fields = ["id", "url", "domain", "title", "study", "share_count"]
        read_only_fields = fields


class StudySerializer(ApiSerializer):
    share_count = serializers.IntegerField(help_text="Public posts that share a link to it.")

    class Meta:
        model = Study
        fields = ["id", "doi", "pmid", "pmcid", "arxiv_id", "title", "share_count"]
        read_only_fields = fields


class FeaturedLinkSerializer(ApiSerializer):
    url = HttpUrlField()
    study = serializers.IntegerField(source="study_id", allow_null=True)

    class Meta:
        model = Link
        fields = ["id", "url", "domain", "title", "study"]
        read_only_fields = fields


class FeaturedStudySerializer(ApiSerializer):
    class Meta:
        model = Study
        fields = ["id", "doi", "pmid", "pmcid", "arxiv_id", "title"]
        read_only_fields = fields


class SummarySerializer(ApiSerializer):
    url = serializers.SerializerMethodField(help_text="The summary's page (its permanent link).")
    chat = serializers.SerializerMethodField(help_text="The chat summarised (its slug), when it is public.")
    author_name = serializers.CharField()
    tags = TagsField()
    comment_count = serializers.IntegerField(help_text="Approved comments.")
    featured_links = FeaturedLinkSerializer(many=True)
    featured_studies = FeaturedStudySerializer(many=True)

    class Meta:
        model = Summary
        fields = ["id", "slug", "title", "url", "chat", "author_name", "excerpt", "body_html", "tags",
                  "published_at", "updated_at", "comments_open", "comment_count", "featured_links",
                  "featured_studies"]
        read_only_fields = fields

    def get_url(self, summary) -> str:
        return absolute(self.context.get("request"), summary)

    def get_chat(self, summary) -> str | None:
        chat = summary.reader_chat
        return chat.slug if chat is not None else None


class CommentSerializer(ApiSerializer):
    summary = serializers.IntegerField(source="summary_id")
    parent = serializers.IntegerField(source="approved_parent_id", allow_null=True,
                                      help_text="The comment it answers (when that one is approved).")
    author_url = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = ["id", "summary", "parent", "kind", "author_name", "author_url", "body_html", "created_at"]
        read_only_fields = fields

    def get_author_url(self, comment) -> str:
        # As the comment shows it: the commenter's site, else a linkback's source.
        return http_url(comment.author_url) or http_url(comment.source_url)
