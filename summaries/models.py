"""Summaries of chats and the comments readers leave on them.

Data and constraints only; the publishing workflow, rendering and comment
moderation arrive with their own services.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchQuery, SearchVector, SearchVectorField
from django.db import models
from django.urls import reverse
from django.utils import timezone
from taggit.managers import TaggableManager


class SummaryQuerySet(models.QuerySet):
    def published(self) -> SummaryQuerySet:
        return self.filter(status=Summary.Status.PUBLISHED, published_at__lte=timezone.now())

    def search(self, query) -> SummaryQuerySet:
        """Summaries whose title, excerpt or Markdown body match ``query``, a
        web-search-style string or a ``SearchQuery``. Uses the stored
        ``search_vector`` (GIN index); no ranking, no visibility filter (chain
        ``published()`` for readers)."""
        if not isinstance(query, SearchQuery):
            query = SearchQuery(query, search_type="websearch", config="english")
        return self.filter(search_vector=query)


class Summary(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        PUBLISHED = "published", "Published"

    chat = models.ForeignKey(
        "chats.Chat", null=True, blank=True, on_delete=models.SET_NULL, related_name="summaries"
    )
    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=200)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    body_markdown = models.TextField(blank=True)
    body_html = models.TextField(blank=True, help_text="Sanitised HTML rendered from the Markdown body.")
    excerpt = models.TextField(blank=True)
    featured_links = models.ManyToManyField("chats.Link", blank=True, related_name="featured_in")
    featured_studies = models.ManyToManyField("chats.Study", blank=True, related_name="featured_in")
    tags = TaggableManager(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True)
    comments_open = models.BooleanField(default=True)
    # Drafting: when the system last wrote the body, and when a person last
    # edited it (a later draft never overwrites an edited body unasked).
    drafted_at = models.DateTimeField(null=True, blank=True)
    body_edited_at = models.DateTimeField(null=True, blank=True)
    # The page body rendered once by a worker (on publish and every change)
    # and served as stored; stale when the chat's content_version moves on.
    rendered_html = models.TextField(blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    rendered_chat_version = models.PositiveIntegerField(default=0)
    # Where it came from on the old WordPress blog: ?p=<id> links and old
    # permalinks keep working, and a re-import updates instead of duplicating.
    wp_post_id = models.PositiveBigIntegerField(null=True, blank=True)
    legacy_path = models.CharField(max_length=500, blank=True, help_text="The old blog's path, e.g. /2018/05/03/chat-116/.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The title weighs most in the ranking, then the excerpt, then the body
    # (its Markdown source: the rendered HTML would index tag names).
    search_vector = models.GeneratedField(
        expression=(
            SearchVector("title", weight="A", config="english")
            + SearchVector("excerpt", weight="B", config="english")
            + SearchVector("body_markdown", weight="C", config="english")
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = SummaryQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-created_at"]
        verbose_name_plural = "summaries"
        permissions = [("publish_summary", "Can publish, schedule and unpublish summaries")]
        indexes = [GinIndex(fields=["search_vector"], name="summary_search_vector_gin")]
        constraints = [
            models.UniqueConstraint(
                fields=["wp_post_id"], condition=models.Q(wp_post_id__isnull=False), name="summary_unique_wp_post_id"
            ),
            # The WordPress-style permalink /YYYY/MM/DD/slug/ needs the slug to
            # be unique; old blogs kept them unique site-wide too.
            models.UniqueConstraint(fields=["slug"], name="summary_unique_slug"),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(published_at__isnull=False),
                name="summary_published_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def reader_chat(self):
        """The chat summarised, when readers may see it (archived and
        public), else None: a summary never links to a hidden or scheduled
        chat. Load ``chat`` with the summary (select_related)."""
        chat = self.chat
        if chat is None or chat.status != chat.Status.ARCHIVED or chat.visibility != chat.Visibility.PUBLIC:
            return None
        return chat

    @property
    def author_name(self) -> str:
        if self.author is None:
            return ""
        return self.author.get_full_name() or self.author.get_username()

    def get_absolute_url(self) -> str:
        """The WordPress-style permalink /YYYY/MM/DD/slug/, dated in the
        site's timezone (settings.TIME_ZONE) like the old blog's links. Only
        a published summary answers there; a draft, without a publish time,
        gets today's date (localtime(None) is now), a URL that answers 404."""
        day = timezone.localtime(self.published_at)
        return reverse("summaries:detail", kwargs={
            "year": f"{day.year:04d}", "month": f"{day.month:02d}", "day": f"{day.day:02d}", "slug": self.slug,
        })


class Comment(models.Model):
    class Kind(models.TextChoices):
        COMMENT = "comment", "Comment"
        PINGBACK = "pingback", "Pingback"
        TRACKBACK = "trackback", "Trackback"
        WEBMENTION = "webmention", "Webmention"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        SPAM = "spam", "Spam"
        REMOVED = "removed", "Removed"

    summary = models.ForeignKey(Summary, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.COMMENT)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    author_name = models.CharField(max_length=200)
    author_email = models.EmailField(blank=True, help_text="Never shown to readers.")
    author_url = models.URLField(max_length=500, blank=True)
    body = models.TextField()
    body_html = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    # Not auto_now_add: comments brought from the old blog keep their dates.
    created_at = models.DateTimeField(default=timezone.now)
    wp_comment_id = models.PositiveBigIntegerField(null=True, blank=True, help_text="Its id on the old blog.")
    ip_hash = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    # Why a comment waits (first comment of this email, too many links, a
    # listed word, a blocked commenter): shown to moderators, not readers.
    held_reason = models.CharField(max_length=200, blank=True)
    # sha256 of summary, email and normalised body: the same comment posted
    # twice is recognised without comparing texts.
    content_hash = models.CharField(max_length=64, blank=True, db_index=True)
    # A linkback's source page (pingback, trackback, webmention).
    source_url = models.URLField(max_length=1000, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(fields=["summary", "status", "created_at"]),
            models.Index(fields=["author_email", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["summary", "wp_comment_id"],
                condition=models.Q(wp_comment_id__isnull=False),
                name="comment_unique_wp_id_in_summary",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.author_name} on {self.summary}"


class CommentSubscription(models.Model):
    """An email address that asked to hear of replies on a summary: active
    once confirmed by the link mailed to it; every mail carries the token's
    one-click unsubscribe link."""

    summary = models.ForeignKey(Summary, on_delete=models.CASCADE, related_name="subscriptions")
    email = models.EmailField()
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["summary", "email"], name="subscription_unique_email_per_summary"),
        ]

    def __str__(self) -> str:
        return f"{self.email} on {self.summary}"


class BlockedCommenter(models.Model):
    """A commenter moderators blocked, by email and/or IP hash: their
    comments wait for moderation."""

    email = models.EmailField(blank=True, db_index=True)
    ip_hash = models.CharField(max_length=64, blank=True, db_index=True)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(email="", ip_hash=""), name="blocked_commenter_has_key"),
        ]

    def __str__(self) -> str:
        return self.email or f"IP {self.ip_hash[:12]}"


class ModerationWord(models.Model):
    """A word or phrase that holds a comment containing it for moderation."""

    word = models.CharField(max_length=100, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["word"]

    def __str__(self) -> str:
        return self.word
