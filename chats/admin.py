import logging

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db import models, transaction
from django.db.models import Count
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import RedisError

from chats.importers import FORMAT_NAMES
from chats.models import Author, Chat, Import, Link, Post, Question, Series, Study
from chats.services.content import chats_content_touch
from chats.services.imports import import_fail
from chats.services.questions import post_question_set
from chats.tasks import import_transcript
from summaries.admin_views import chat_draft_summary, draft_summaries

# The admin of removal requests, the redaction log and deletion lists, and of
# dataset bundles, kept in modules of their own.
from chats import admin_consent, admin_datasets  # noqa: F401,E402

logger = logging.getLogger(__name__)
QUEUE_UNAVAILABLE = ("queue unavailable: try again. The import was not started because the task queue (Redis) "
                     "did not answer; upload the file again once it is back.")


# Django 6's default now: a bare domain typed in a URL field means https.
HTTPS_URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


class ChangesChatPages:
    """For the admins of rows a chat's page shows: a save or a delete bumps
    the content version of the chats concerned (chats.services.content), so
    their pages' ETags and cached fragments change. After save_related, so
    that hosts, tags and inline questions are saved by then."""

    def chat_ids_of(self, obj) -> list[int]:
        raise NotImplementedError

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        chat_ids = self.chat_ids_of(form.instance)
        if change and "chat" in form.changed_data:
            chat_ids.append(form.initial.get("chat"))  # the chat it left changes too
        chats_content_touch(chat_ids=chat_ids)

    def delete_model(self, request, obj):
        chat_ids = self.chat_ids_of(obj)
        super().delete_model(request, obj)
        chats_content_touch(chat_ids=chat_ids)

    def delete_queryset(self, request, queryset):
        chat_ids = [chat_id for obj in queryset for chat_id in self.chat_ids_of(obj)]
        super().delete_queryset(request, queryset)
        chats_content_touch(chat_ids=chat_ids)


def chats_with_posts(**conditions) -> list[int]:
    return list(Post.objects.filter(**conditions).exclude(chat=None).values_list("chat_id", flat=True).distinct())


@admin.register(Series)
class SeriesAdmin(ChangesChatPages, admin.ModelAdmin):
    list_display = ["hashtag", "name", "timezone", "weekday", "start_time", "chat_count"]
    search_fields = ["hashtag", "name"]
    autocomplete_fields = ["hosts"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(chat_count=Count("chats"))

    def chat_ids_of(self, obj) -> list[int]:
        return list(obj.chats.values_list("pk", flat=True))  # name, timezone and hosts show on each

    @admin.display(ordering="chat_count", description="chats")
    def chat_count(self, obj):
        return obj.chat_count


class QuestionInline(admin.TabularInline):
    model = Question
    fk_name = "chat"
    extra = 0
    fields = ["label", "parent", "text", "position", "asked_at"]
    ordering = ["position", "label"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Only this chat's questions can be a parent.
        if db_field.name == "parent" and request.resolver_match and request.resolver_match.kwargs.get("object_id"):
            kwargs["queryset"] = Question.objects.filter(chat_id=request.resolver_match.kwargs["object_id"])
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Chat)
class ChatAdmin(ChangesChatPages, admin.ModelAdmin):
    list_display = ["slug", "number", "title", "series", "start", "status", "visibility", "noindex", "post_count"]
    list_filter = ["series", "status", "visibility", "noindex", "tags"]
    search_fields = ["slug", "title", "description"]
    date_hierarchy = "start"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["hosts"]
    inlines = [QuestionInline]
    # Moderators draft a chat's summary from here (summaries/admin_views.py).
    actions = [draft_summaries]

    def get_urls(self):
        draft = self.admin_site.admin_view(lambda request, object_id: chat_draft_summary(self, request, object_id))
        return [path("<int:object_id>/draft-summary/", draft, name="chats_chat_draft_summary"), *super().get_urls()]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("series").with_counts()

    def chat_ids_of(self, obj) -> list[int]:
        return [obj.pk]

    @admin.display(ordering="post_count", description="posts")
    def post_count(self, obj):
        return obj.post_count


@admin.register(Author)
class AuthorAdmin(ChangesChatPages, admin.ModelAdmin):
    formfield_overrides = HTTPS_URL_FIELDS
    list_display = ["handle", "display_name", "platform", "platform_id"]
    list_filter = ["platform"]
    search_fields = ["handle", "display_name", "platform_id"]

    def chat_ids_of(self, obj) -> list[int]:
        return chats_with_posts(author=obj)


@admin.register(Post)
class PostAdmin(ChangesChatPages, admin.ModelAdmin):
    formfield_overrides = HTTPS_URL_FIELDS
    list_display = ["external_id", "author", "chat", "created_at", "short_text", "question", "question_source"]
    list_filter = ["platform", "chat__series", "question_source", "language"]
    search_fields = ["external_id", "text", "author__handle"]
    date_hierarchy = "created_at"
    list_select_related = ["author", "chat", "question"]
    raw_id_fields = ["chat", "author", "reply_to", "repost_of", "quote_of", "last_import"]
    readonly_fields = ["original", "content_hash", "question_source"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A post can only answer a question of its own chat.
        if db_field.name == "question":
            post = Post.objects.filter(pk=request.resolver_match.kwargs.get("object_id")).first()
            kwargs["queryset"] = Question.objects.filter(chat_id=post.chat_id if post else None)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        question_changed = "question" in form.changed_data
        super().save_model(request, obj, form, change)
        if question_changed:
            # The moderator's choice is recorded as such, so that later
            # imports do not undo it.
            post_question_set(post=obj, question=obj.question)

    def chat_ids_of(self, obj) -> list[int]:
        return [obj.chat_id]

    @admin.display(description="text")
    def short_text(self, obj):
        return obj.text[:80]


@admin.register(Question)
class QuestionAdmin(ChangesChatPages, admin.ModelAdmin):
    list_display = ["label", "chat", "text", "position", "asked_at"]
    list_filter = ["chat__series"]
    search_fields = ["label", "text", "chat__slug"]
    raw_id_fields = ["chat", "parent", "asked_by"]

    def chat_ids_of(self, obj) -> list[int]:
        return [obj.chat_id]


@admin.register(Link)
class LinkAdmin(ChangesChatPages, admin.ModelAdmin):
    list_display = ["url", "domain", "share_count", "study"]
    search_fields = ["url", "title", "domain"]
    list_filter = [("study", admin.EmptyFieldListFilter), "domain"]
    raw_id_fields = ["first_post", "study"]

    def chat_ids_of(self, obj) -> list[int]:
        return chats_with_posts(links=obj) if obj.pk else []  # the resources list shows links


@admin.register(Study)
class StudyAdmin(ChangesChatPages, admin.ModelAdmin):
    list_display = ["__str__", "doi", "pmid", "pmcid", "arxiv_id"]
    search_fields = ["title", "doi", "pmid", "pmcid", "arxiv_id"]

    def chat_ids_of(self, obj) -> list[int]:
        return chats_with_posts(links__study=obj) if obj.pk else []


class ImportForm(forms.ModelForm):
    # Set by ImportAdmin.get_form when the upload handler stopped reading an
    # oversized file (chats/upload_handlers.py): the form then has no file.
    upload_refused = ""

    requested_format = forms.ChoiceField(choices=[(name, name) for name in ("auto", *FORMAT_NAMES)], initial="auto",
                                         label="Format")

    class Meta:
        model = Import
        fields = ["file", "requested_format", "series_hashtag", "chat_slug", "split_sessions", "strict", "dry_run"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "file" in self.fields:
            self.fields["file"].help_text = (
                f"A transcript, a .gz of one, or a .zip of several; at most {settings.HCSMCA_MAX_UPLOAD_BYTES:,} bytes.")

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if self.upload_refused:
            raise forms.ValidationError(self.upload_refused)
        if not upload:
            raise forms.ValidationError("Choose a transcript file to import.")
        if upload.size > settings.HCSMCA_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {settings.HCSMCA_MAX_UPLOAD_BYTES:,} bytes, the largest upload accepted.")
        return upload

    def clean_series_hashtag(self):
        return self.cleaned_data["series_hashtag"].strip().lstrip("#").lower()


@admin.register(Import)
class ImportAdmin(admin.ModelAdmin):
    form = ImportForm
    change_form_template = "admin/chats/import/change_form.html"
    list_display = ["id", "original_name", "status", "progress_bar", "format", "created_count", "updated_count",
                    "unchanged_count", "skipped_count", "dry_run", "requested_by", "created_at"]
    list_filter = ["status", "format", "dry_run"]
    search_fields = ["original_name"]
    UPLOAD_FIELDS = ["file", "requested_format", "series_hashtag", "chat_slug", "split_sessions", "strict", "dry_run"]
    readonly_fields = ["status", "progress_bar", "format", "time_span", "created_count", "updated_count",
                       "unchanged_count", "skipped_count", "outside_count", "planned_chat_list", "error_list",
                       "chat_links", "requested_by", "created_at", "started_at", "finished_at", "source_paths"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        refused = getattr(request, "upload_refused", "")
        return type(form.__name__, (form,), {"upload_refused": refused}) if refused else form

    def get_fields(self, request, obj=None):
        if obj is None:
            return self.UPLOAD_FIELDS
        return ["original_name", *self.UPLOAD_FIELDS, *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [*self.readonly_fields, "original_name", *self.UPLOAD_FIELDS]

    def has_change_permission(self, request, obj=None):
        # An import is a record of what happened; it is viewed, not edited.
        return False if obj is not None else super().has_change_permission(request, obj)

    def get_urls(self):
        return [
            path("<int:pk>/progress/", self.admin_site.admin_view(self.progress_view), name="chats_import_progress"),
            *super().get_urls(),
        ]

    def progress_view(self, request, pk: int):
        """What the change page's progress bar polls while the worker runs."""
        if not self.has_view_permission(request):
            return JsonResponse({"error": "forbidden"}, status=403)
        row = Import.objects.filter(pk=pk).first()
        if row is None:
            return JsonResponse({"error": "no such import"}, status=404)
        return JsonResponse({
            "status": row.status, "status_display": row.get_status_display(), "percent": row.percent_read,
            "records": row.progress, "created": row.created_count, "updated": row.updated_count,
            "unchanged": row.unchanged_count, "skipped": row.skipped_count,
            "finished": row.status in {Import.Status.SUCCEEDED, Import.Status.FAILED},
        })

    def save_model(self, request, obj, form, change):
        obj.requested_by = request.user
        obj.original_name = form.cleaned_data["file"].name[:255]
        obj.bytes_total = form.cleaned_data["file"].size
        super().save_model(request, obj, form, change)
        transaction.on_commit(lambda: self._enqueue(request, obj))

    def _enqueue(self, request, obj):
        """Send the task, or, with the queue (Redis) down, fail the row with the
        reason: a row left "queued" that no worker will ever hear of would
        look like work in progress for ever."""
        try:
            import_transcript.delay(obj.pk)
        except (KombuOperationalError, RedisError) as exc:
            logger.warning("import %s could not be queued: %s", obj.pk, exc)
            import_fail(import_id=obj.pk, message=QUEUE_UNAVAILABLE)
            messages.error(request, QUEUE_UNAVAILABLE)
            return
        what = "A dry run is queued: it writes nothing" if obj.dry_run else "The import is queued"
        messages.info(request, f"{what}; this page shows its progress, then its counts.")

    def response_add(self, request, obj, post_url_continue=None):
        # Straight to the import's own page, where its progress shows.
        return HttpResponseRedirect(reverse("admin:chats_import_change", args=[obj.pk]))

    @admin.display(description="progress")
    def progress_bar(self, obj):
        label = f"{obj.progress:,} records, {obj.percent_read}% read"
        return format_html('<progress class="import-progress" max="100" value="{}" data-progress-url="{}">{}</progress> '
                           '<span class="import-progress-label">{}</span>',
                           obj.percent_read, reverse("admin:chats_import_progress", args=[obj.pk]), label, label)

    @admin.display(description="time span")
    def time_span(self, obj):
        if not obj.first_post_at:
            return "-"
        return f"{obj.first_post_at:%Y-%m-%d %H:%M} – {obj.last_post_at:%Y-%m-%d %H:%M} UTC"

    @admin.display(description="chats a dry run would create")
    def planned_chat_list(self, obj):
        return ", ".join(obj.planned_chats) or "-"

    @admin.display(description="errors")
    def error_list(self, obj):
        if not obj.errors:
            return "-"
        items = format_html_join(
            "", "<li>{}{}</li>",
            ((f"record {e.get('record')}: " if e.get("record") is not None else "", e.get("message", ""))
             for e in obj.errors[:200]),
        )
        more = f"… and {len(obj.errors) - 200} more" if len(obj.errors) > 200 else ""
        return format_html("<ul>{}</ul>{}", items, more)

    @admin.display(description="chats")
    def chat_links(self, obj):
        chats = list(obj.chats.all())
        if not chats:
            return "-"
        return format_html_join(", ", '<a href="{}">{}</a>', ((chat.get_absolute_url(), chat.slug) for chat in chats))
