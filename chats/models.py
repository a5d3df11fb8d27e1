"""The archive's domain (docs: ../shared/docs/architecture.md, section 2).

Models hold data and constraints only. Reads live on the QuerySets below;
writes live in ``chats.services``.
"""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models.functions import Coalesce, JSONObject
from django.urls import reverse
from django.utils import timezone
from taggit.managers import TaggableManager


class Platform(models.TextChoices):
    TWITTER = "twitter", "Twitter / X"
    MASTODON = "mastodon", "Mastodon"
    BLUESKY = "bluesky", "Bluesky"


class Series(models.Model):
    hashtag = models.SlugField(max_length=100, unique=True, help_text="Without the #, e.g. hcsmca.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    timezone = models.CharField(max_length=64, default=settings.TIME_ZONE)
    weekday = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Usual day: 0 is Monday, 6 is Sunday."
    )
    start_time = models.TimeField(null=True, blank=True, help_text="Usual start, in the series' timezone.")
    duration = models.DurationField(default=timedelta(hours=1))
    hosts = models.ManyToManyField("Author", blank=True, related_name="hosted_series")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "series"

    def __str__(self) -> str:
        return f"#{self.hashtag}"

    @property
    def has_schedule(self) -> bool:
        """Whether the series says when its chats happen (then a capture of
        many weeks is cut into chats by that schedule)."""
        return self.weekday is not None and self.start_time is not None


class ChatQuerySet(models.QuerySet):
    def visible(self) -> ChatQuerySet:
        return self.filter(visibility=Chat.Visibility.PUBLIC)

    def archived(self) -> ChatQuerySet:
        return self.visible().filter(status=Chat.Status.ARCHIVED)

    def with_counts(self) -> ChatQuerySet:
        """Each chat with ``post_count`` and ``participant_count``, read from
        ``ChatCounts`` (kept by triggers) in the same query: a page of 50
        chats no longer counts 50 chats' posts on every request (the archive
        took 1.2 s for 59 chats of 1,000 posts under load)."""
        return self.annotate(
            post_count=Coalesce(models.F("counts__post_count"), 0),
            participant_count=Coalesce(models.F("counts__participant_count"), 0),
        )

    def with_host_data(self) -> ChatQuerySet:
        """Each chat with three lists of hosts as dicts (platform, handle,
        display_name, listed: whether they have a post in a public archived
        chat, so a link to their page will not 404), read in the same query:
        ``chat_host_data`` (the chat's hosts), ``series_host_data`` (its
        series' hosts) and ``asker_data`` (authors of the posts that asked its
        questions, in question order, possibly repeated). ``chats.browse``
        picks the first list that is not empty."""
        def person(prefix: str) -> JSONObject:
            public_post = Post.objects.filter(
                author=models.OuterRef(f"{prefix}id"),
                chat__status=Chat.Status.ARCHIVED,
                chat__visibility=Chat.Visibility.PUBLIC,
            )
            return JSONObject(
                platform=f"{prefix}platform",
                handle=f"{prefix}handle",
                display_name=f"{prefix}display_name",
                listed=models.Exists(public_post),
            )

        chat_hosts = Chat.hosts.through.objects.filter(chat=models.OuterRef("pk")).order_by("author__handle")
        series_hosts = Series.hosts.through.objects.filter(series=models.OuterRef("series_id")).order_by(
            "author__handle"
        )
        askers = Question.objects.filter(
            chat=models.OuterRef("pk"), asked_by__isnull=False, asked_by__author__redacted_at__isnull=True).order_by(
            "position", "label"
        )
        return self.annotate(
            chat_host_data=ArraySubquery(chat_hosts.values(data=person("author__"))),
            series_host_data=ArraySubquery(series_hosts.values(data=person("author__"))),
            asker_data=ArraySubquery(askers.values(data=person("asked_by__author__"))),
        )


class Chat(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        ARCHIVED = "archived", "Archived"

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public"
        HIDDEN = "hidden", "Hidden from readers"

    series = models.ForeignKey(Series, on_delete=models.PROTECT, related_name="chats")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=300, blank=True)
    slug = models.SlugField(max_length=120, unique=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    hosts = models.ManyToManyField("Author", blank=True, related_name="hosted_chats")
    description = models.TextField(blank=True)
    tags = TaggableManager(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ARCHIVED)
    visibility = models.CharField(max_length=20, choices=Visibility.choices, default=Visibility.PUBLIC)
    # Public, but search engines are asked not to index its pages (robots meta)
    # and it is left out of the sitemap: a chat on a sensitive subject.
    noindex = models.BooleanField(
        default=False, help_text="Ask search engines not to index this chat's pages; left out of the sitemap.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Bumped by every write that changes what the chat's page shows (an
    # import, a question reassignment, an admin edit: chats.services.content).
    # The page's ETag, Last-Modified and cache keys are made of them, so a
    # change is seen at once and stale cache entries are never read again.
    content_version = models.PositiveIntegerField(default=1, editable=False)
    content_changed_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ChatQuerySet.as_manager()

    class Meta:
        ordering = ["-start"]
        constraints = [
            models.UniqueConstraint(fields=["series", "number"], name="chat_unique_number_in_series"),
            models.CheckConstraint(condition=models.Q(end__gte=models.F("start")), name="chat_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"#{self.series.hashtag} {self.number}" + (f": {self.title}" if self.title else "")

    def get_absolute_url(self) -> str:
        return reverse("chats:detail", kwargs={"slug": self.slug})


class Question(models.Model):
    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="questions")
    label = models.CharField(max_length=20, help_text="T1, T1a, Q2, ...")
    # The label's number and sub-letter ("T1a" -> 1, "a"): answers labelled
    # A1a, T1a or Q1a all answer it.
    number = models.PositiveSmallIntegerField(null=True, blank=True)
    sub = models.CharField(max_length=4, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    text = models.TextField()
    position = models.PositiveIntegerField(default=0)
    asked_by = models.ForeignKey(
        "Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="asks", help_text="The post that asked it."
    )
    asked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["chat", "position", "label"]
        constraints = [models.UniqueConstraint(fields=["chat", "label"], name="question_unique_label_in_chat")]

    def __str__(self) -> str:
        return f"{self.label}: {self.text[:60]}"


class Author(models.Model):
    platform = models.CharField(max_length=20, choices=Platform.choices)
    platform_id = models.CharField(max_length=200)
    handle = models.CharField(max_length=200)
    display_name = models.CharField(max_length=300, blank=True)
    profile_url = models.URLField(max_length=500, blank=True)
    avatar_url = models.URLField(max_length=1000, blank=True)
    # When the post that carried this profile was written: an older capture
    # imported later does not revert a newer profile.
    profile_seen_at = models.DateTimeField(null=True, blank=True)
    # Set when the author asked to be removed and a moderator redacted them
    # (chats.services.redactions): their handle, name, avatar and profile are
    # blank from then on, every post of theirs is a placeholder, and later
    # imports keep it so.
    redacted_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["handle"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "platform_id"], name="author_unique_platform_id"),
        ]
        indexes = [models.Index(fields=["platform", "handle"])]

    def __str__(self) -> str:
        return f"@{self.handle} ({self.platform})"

    def get_absolute_url(self) -> str:
        return reverse("chats:participant", kwargs={"platform": self.platform, "handle": self.handle})


class PostQuerySet(models.QuerySet):
    def in_time_order(self) -> PostQuerySet:
        return self.order_by("created_at", "external_id")

    def for_transcript(self) -> PostQuerySet:
        return self.select_related("author", "question", "repost_of__author")

    def transcript_items(self, chat: Chat) -> PostQuerySet:
        """The posts of ``chat`` that its question-ordered transcript lists:
        all but the retweets of a post of the same chat (those are folded into
        their original, "retweeted by N")."""
        # A LEFT JOIN on the original's primary key, not NOT EXISTS: with
        # stale statistics PostgreSQL planned the anti-join as a nested loop
        # over the chat's posts squared (38 s for 20,000 posts).
        return self.filter(chat=chat).filter(models.Q(repost_of__isnull=True) | ~models.Q(repost_of__chat=chat))

    def with_transcript_context(self) -> PostQuerySet:
        """Each post with ``question_label`` and ``reply_to_handle`` (the
        author of the post it answers), read by joins in the same query."""
        return self.select_related("author").annotate(
            question_label=models.F("question__label"), reply_to_handle=models.F("reply_to__author__handle")
        )

    def search(self, query) -> PostQuerySet:
        """Posts whose text matches ``query``, a web-search-style string
        (``"a phrase"``, ``-excluded``, ``or``) or a ``SearchQuery``. Uses the
        stored ``search_vector`` (GIN index); no ranking, no visibility filter."""
        from django.contrib.postgres.search import SearchQuery

        if not isinstance(query, SearchQuery):
            query = SearchQuery(query, search_type="websearch", config="english")
        return self.filter(search_vector=query)


class Removal(models.TextChoices):
    """Why a post's content is gone while its row (and so thread structure
    and counts) stays."""
    NONE = "", "Not removed"
    AUTHOR_REQUEST = "author_request", "Removed at its author's request"
    DELETED = "deleted", "Deleted on its platform"


class Post(models.Model):
    class QuestionSource(models.TextChoices):
        NONE = "", "Not assigned"
        LABEL = "label", "Label (T1 / A1)"
        REPLY = "reply", "Reply chain"
        WINDOW = "window", "Time window"
        REPOST = "repost", "Retweet of an answer"
        MODERATOR = "moderator", "Set by a moderator"

    platform = models.CharField(max_length=20, choices=Platform.choices)
    external_id = models.CharField(max_length=200, help_text="The platform's id, as text.")
    # Empty for a post captured outside any session of its series (a stray
    # mention days later): kept, but shown on no chat page.
    chat = models.ForeignKey(Chat, null=True, blank=True, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="posts")
    created_at = models.DateTimeField()
    text = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)
    language = models.CharField(max_length=16, blank=True)
    urls = models.JSONField(default=list, blank=True, help_text="Expanded URLs shared in the post, in order.")
    hashtags = models.JSONField(default=list, blank=True)
    mentions = models.JSONField(default=list, blank=True)
    media = models.JSONField(default=list, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    original = models.JSONField(help_text="The record as it was in the imported file.")
    # sha256 of the parsed content: tells an unchanged re-import from an update
    # without comparing whole JSON documents.
    content_hash = models.CharField(max_length=64)
    # How complete this copy is (full text over truncated, then longer text,
    # then more metrics): a re-import replaces a post only with a richer copy.
    richness = models.BigIntegerField(default=0)
    truncated = models.BooleanField(default=False, help_text="The text is known to be cut short.")
    thread_root_external_id = models.CharField(max_length=200, blank=True)
    edit_history = models.JSONField(default=list, blank=True, help_text="Ids of earlier versions of an edited post.")

    reply_to_external_id = models.CharField(max_length=200, blank=True)
    repost_of_external_id = models.CharField(max_length=200, blank=True)
    quote_of_external_id = models.CharField(max_length=200, blank=True)
    reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies")
    repost_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reposts")
    quote_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes")

    question = models.ForeignKey(Question, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts")
    question_source = models.CharField(max_length=20, choices=QuestionSource.choices, blank=True, default="")
    # A removed post keeps its id, time, chat, question and thread links; its
    # text, URLs, media, entities and original record are blanked, and a
    # PostTombstone keeps it so across re-imports.
    removed = models.CharField(max_length=20, choices=Removal.choices, blank=True, default="")
    removed_at = models.DateTimeField(null=True, blank=True)

    links = models.ManyToManyField("Link", through="PostLink", related_name="posts", blank=True)
    last_import = models.ForeignKey("Import", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    search_vector = models.GeneratedField(
        expression=SearchVector("text", config="english"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "external_id"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "external_id"], name="post_unique_platform_external_id"),
        ]
        indexes = [
            models.Index(fields=["chat", "created_at"]),
            # Search: the newest matches first (chats.search), walked in this order until enough
            # match, instead of sorting every match of a frequent term such as the chat's hashtag.
            models.Index(fields=["-created_at", "-id"], name="post_newest_first_idx"),
            # Participants per chat and the chats a participant joined, read from the index alone.
            models.Index(fields=["chat", "author"]),
            models.Index(fields=["platform", "reply_to_external_id"]),
            models.Index(fields=["platform", "repost_of_external_id"]),
            models.Index(fields=["platform", "quote_of_external_id"]),
            GinIndex(fields=["search_vector"], name="post_search_vector_gin"),
            # Few posts are edited; this finds them when a file brings an earlier version.
            models.Index(fields=["platform"], condition=~models.Q(edit_history=[]), name="post_edited_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.external_id}"

    @property
    def is_repost(self) -> bool:
        return bool(self.repost_of_external_id)

    @property
    def anchor(self) -> str:
        return f"post-{self.external_id}"


class PostTombstone(models.Model):
    """A post that must stay removed whatever a later import brings: matched
    by platform and external id before imported content is written."""

    platform = models.CharField(max_length=20, choices=Platform.choices)
    external_id = models.CharField(max_length=200)
    reason = models.CharField(max_length=20, choices=Removal.choices[1:])
    redaction = models.ForeignKey(
        "Redaction", null=True, blank=True, on_delete=models.SET_NULL, related_name="tombstones")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "external_id"], name="posttombstone_unique_post"),
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.external_id} ({self.get_reason_display()})"


class RemovalRequest(models.Model):
    """A participant's request to be removed from the archive, sent through
    the public form. The archive cannot verify platform identity itself, so a
    moderator confirms it (and then redacts the author) or rejects it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a moderator"
        REDACTED = "redacted", "Confirmed: the author was redacted"
        REJECTED = "rejected", "Rejected"

    platform = models.CharField(max_length=20, choices=Platform.choices)
    handle = models.CharField(max_length=200, help_text="The handle on the platform, without @.")
    email = models.EmailField(help_text="Where the moderators answer.")
    message = models.TextField(blank=True, help_text="How to confirm it is them, and anything else.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    author = models.ForeignKey(Author, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    moderator_note = models.TextField(blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    handled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Removal request {self.pk}: @{self.handle} ({self.platform})"


class Redaction(models.Model):
    """The log of removals, for moderators: an author redacted at their
    request, or posts marked deleted from a deletion list."""

    class Kind(models.TextChoices):
        AUTHOR = "author", "Author redacted at their request"
        DELETION_LIST = "deletion_list", "Posts deleted on their platform"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    author = models.ForeignKey(Author, null=True, blank=True, on_delete=models.SET_NULL, related_name="redactions")
    # The handle as it was: moderators need to know whom a redaction was for,
    # and later imports scrub mentions of it (chats.services.redactions).
    platform = models.CharField(max_length=20, choices=Platform.choices, blank=True)
    handle = models.CharField(max_length=200, blank=True)
    removal_request = models.ForeignKey(
        RemovalRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="redactions")
    reason = models.TextField()
    post_count = models.PositiveIntegerField(default=0)
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    performed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-performed_at"]

    def __str__(self) -> str:
        who = f"@{self.handle}" if self.handle else self.get_kind_display()
        return f"Redaction {self.pk}: {who}, {self.post_count} posts"


class Study(models.Model):
    doi = models.CharField(max_length=300, blank=True)
    pmid = models.CharField(max_length=20, blank=True)
    pmcid = models.CharField(max_length=20, blank=True)
    arxiv_id = models.CharField(max_length=40, blank=True)
    title = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "studies"
        constraints = [
            models.UniqueConstraint(fields=["doi"], condition=~models.Q(doi=""), name="study_unique_doi"),
            models.UniqueConstraint(fields=["pmid"], condition=~models.Q(pmid=""), name="study_unique_pmid"),
            models.UniqueConstraint(fields=["pmcid"], condition=~models.Q(pmcid=""), name="study_unique_pmcid"),
            models.UniqueConstraint(fields=["arxiv_id"], condition=~models.Q(arxiv_id=""), name="study_unique_arxiv"),
        ]

    def __str__(self) -> str:
        return self.title or self.doi or self.pmid or self.pmcid or self.arxiv_id or f"study {self.pk}"


class LinkQuerySet(models.QuerySet):
    def shared_in(self, chat: Chat) -> LinkQuerySet:
        """Links shared in ``chat``, each with ``chat_share_count``, most shared first."""
        return (
            self.filter(posts__chat=chat)
            .annotate(chat_share_count=models.Count("posts", distinct=True))
            .order_by("-chat_share_count", "url")
        )


class Link(models.Model):
    url = models.TextField(unique=True, help_text="Normalised URL.")
    domain = models.CharField(max_length=255, db_index=True)
    title = models.TextField(blank=True)
    share_count = models.PositiveIntegerField(default=0)
    first_post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    study = models.ForeignKey(Study, null=True, blank=True, on_delete=models.SET_NULL, related_name="links")

    objects = LinkQuerySet.as_manager()

    class Meta:
        ordering = ["-share_count", "url"]

    def __str__(self) -> str:
        return self.url


class PostLink(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE)
    link = models.ForeignKey(Link, on_delete=models.CASCADE)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["post", "position"]
        constraints = [models.UniqueConstraint(fields=["post", "link"], name="postlink_unique")]


class Import(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    file = models.FileField(upload_to="imports/%Y/%m/", blank=True, help_text="An uploaded transcript.")
    source_paths = models.JSONField(
        default=list, blank=True, help_text="Files read in place (imports from the command line)."
    )
    original_name = models.CharField(max_length=255, blank=True)
    requested_format = models.CharField(max_length=20, default="auto", help_text="auto, or a format name.")
    format = models.CharField(max_length=20, blank=True, help_text="The format that was read.")
    # Targets are kept as names, not keys: the command may name a chat or a
    # series that the import itself creates.
    series_hashtag = models.CharField(
        max_length=100, blank=True, help_text="Series of a new chat (the default series when empty)."
    )
    chat_slug = models.CharField(
        max_length=120, blank=True, help_text="Put every post in this chat, e.g. hcsmca-116 (created if missing)."
    )
    split_sessions = models.BooleanField(default=False, help_text="Cut a capture of many sessions into chats.")
    strict = models.BooleanField(default=False, help_text="Fail on the first bad record instead of skipping it.")
    dry_run = models.BooleanField(default=False, help_text="Report what would happen; write nothing.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.PositiveIntegerField(default=0, help_text="Records read so far.")
    bytes_read = models.BigIntegerField(default=0)
    bytes_total = models.BigIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text='[{"record": N, "message": "..."}]')
    first_post_at = models.DateTimeField(null=True, blank=True, help_text="Time span the file covers.")
    last_post_at = models.DateTimeField(null=True, blank=True)
    outside_count = models.PositiveIntegerField(default=0, help_text="Posts outside any session.")
    planned_chats = models.JSONField(default=list, blank=True, help_text="Chats a dry run would create.")
    chats = models.ManyToManyField(Chat, blank=True, related_name="imports")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Import {self.pk}: {self.original_name or self.file.name}"

    @property
    def percent_read(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        return min(100, int(100 * self.bytes_read / self.bytes_total)) if self.bytes_total else 0


class DatasetBundle(models.Model):
    """A downloadable zip of one chat's or one series' data (posts as JSON
    Lines and CSV, questions, links, studies, README, CITATION.cff,
    checksums), built by a Celery task and served from storage, never built
    during a request. ``pseudonymised`` bundles replace handles with
    pseudonyms stable within that bundle and drop names, avatars and
    profiles."""

    class Variant(models.TextChoices):
        FULL = "full", "Full"
        PSEUDONYMISED = "pseudonymised", "Pseudonymised"

    class Status(models.TextChoices):
        BUILDING = "building", "Building"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    chat = models.ForeignKey(Chat, null=True, blank=True, on_delete=models.CASCADE, related_name="bundles")
    series = models.ForeignKey(Series, null=True, blank=True, on_delete=models.CASCADE, related_name="bundles")
    variant = models.CharField(max_length=20, choices=Variant.choices, default=Variant.FULL)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.BUILDING)
    file = models.FileField(upload_to="bundles/", blank=True)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    # What the bundle was built from (the chat's content_version, or the
    # series' chats and versions): a bundle older than its data is rebuilt.
    source_version = models.CharField(max_length=500, blank=True)
    error = models.TextField(blank=True)
    built_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(chat__isnull=False, series__isnull=True)
                | models.Q(chat__isnull=True, series__isnull=False),
                name="datasetbundle_chat_or_series"),
            models.UniqueConstraint(fields=["chat", "variant"], condition=models.Q(chat__isnull=False),
                                    name="datasetbundle_unique_chat_variant"),
            models.UniqueConstraint(fields=["series", "variant"], condition=models.Q(series__isnull=False),
                                    name="datasetbundle_unique_series_variant"),
        ]

    def __str__(self) -> str:
        return f"{self.get_variant_display()} bundle of {self.chat or self.series}"


class ChatCounts(models.Model):
    """How many posts and participants a chat has: kept by PostgreSQL
    triggers on chats_post (migration 0008), for every way posts are written
    (imports, the admin, redactions, tests' factories), and read by
    ``ChatQuerySet.with_counts``. A table of its own so that no Chat.save()
    can write a stale count back. Not written by Django."""

    chat = models.OneToOneField(Chat, primary_key=True, on_delete=models.CASCADE, related_name="counts")
    post_count = models.PositiveIntegerField(default=0)
    participant_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "chat counts"

    def __str__(self) -> str:
        return f"{self.chat_id}: {self.post_count} posts, {self.participant_count} participants"
