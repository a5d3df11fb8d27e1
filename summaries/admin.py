from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from chats.admin import HTTPS_URL_FIELDS
from chats.models import Link, Study
from summaries.models import BlockedCommenter, Comment, ModerationWord, Summary
from summaries.sanitise import summary_markdown_to_html
from summaries.services.comments import comments_moderate
from summaries.services.publishing import can_publish, summary_publish, summary_unpublish
from summaries.services.rendering import summary_render_later

# Buttons of the change form (templates/admin/summaries/summary/change_form.html).
PUBLISH_NOW, SCHEDULE, UNPUBLISH = "_publish", "_schedule", "_unpublish"


class SummaryForm(forms.ModelForm):
    class Meta:
        model = Summary
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        # A published or scheduled summary needs its time (the permalink is dated by it).
        if "published_at" in self.fields and self.instance.status != Summary.Status.DRAFT and not cleaned.get("published_at"):
            self.add_error("published_at", "A published or scheduled summary needs a publish time; unpublish it instead.")
        return cleaned


@admin.register(Summary)
class SummaryAdmin(admin.ModelAdmin):
    form = SummaryForm
    list_display = ["title", "chat", "status", "published_at", "author", "comments_open"]
    list_filter = ["status", "comments_open", "chat__series", "tags"]
    search_fields = ["title", "slug", "body_markdown", "chat__slug", "chat__title"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["title"]}
    raw_id_fields = ["chat", "author"]
    filter_horizontal = ["featured_links", "featured_studies"]
    fields = [
        "title", "slug", "chat", "author", "body_markdown", "excerpt", "featured_links", "featured_studies", "tags",
        "comments_open", "status", "published_at", "drafted_at", "body_edited_at", "rendered_at",
    ]
    readonly_fields = ["status", "drafted_at", "body_edited_at", "rendered_at", "created_at", "updated_at"]
    actions = ["publish_now", "unpublish"]

    class Media:
        js = ["summaries/preview.js"]

    # --- who may publish ---------------------------------------------------------------

    def has_publish_permission(self, request) -> bool:
        return can_publish(request.user)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        # The publish time is part of publishing: only moderators set it.
        return fields if can_publish(request.user) else [*fields, "published_at"]

    # --- the form ----------------------------------------------------------------------

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # Featured links and studies are picked from those shared in the
        # summary's chat (and any already picked).
        object_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
        summary = Summary.objects.filter(pk=object_id).only("chat_id").first() if object_id else None
        if summary is not None and summary.chat_id and db_field.name in {"featured_links", "featured_studies"}:
            if db_field.name == "featured_links":
                shared = Q(posts__chat_id=summary.chat_id) | Q(featured_in=summary)
                kwargs["queryset"] = Link.objects.filter(pk__in=Link.objects.filter(shared).values("pk"))
            else:
                shared = Q(links__posts__chat_id=summary.chat_id) | Q(featured_in=summary)
                kwargs["queryset"] = Study.objects.filter(pk__in=Study.objects.filter(shared).values("pk"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        return {"author": request.user.pk, **super().get_changeform_initial_data(request)}

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_publish_summary": can_publish(request.user)}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if "body_markdown" in form.changed_data:
            # A person's words now: a later draft asks before replacing them.
            obj.body_edited_at = timezone.now()
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        summary_render_later(form.instance.pk)

    def response_change(self, request, obj):
        for button, verb in ((PUBLISH_NOW, "published"), (SCHEDULE, "scheduled"), (UNPUBLISH, "returned to draft")):
            if button in request.POST:
                try:
                    if button == PUBLISH_NOW:
                        summary_publish(summary_id=obj.pk, by=request.user)
                    elif button == SCHEDULE:
                        if obj.published_at is None or obj.published_at <= timezone.now():
                            raise ValidationError("To schedule, set a publish time in the future and save.")
                        summary_publish(summary_id=obj.pk, at=obj.published_at, by=request.user)
                    else:
                        summary_unpublish(summary_id=obj.pk, by=request.user)
                except PermissionDenied as refused:
                    self.message_user(request, f"Saved, but not {verb}: {refused}", messages.ERROR)
                except ValidationError as invalid:
                    self.message_user(request, f"Saved, but not {verb}: {' '.join(invalid.messages)}", messages.ERROR)
                else:
                    self.message_user(request, f"“{obj}” was saved and {verb}.", messages.SUCCESS)
                return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    # --- list actions (only offered to moderators) ---------------------------------------

    @admin.action(description="Publish the selected summaries now", permissions=["publish"])
    def publish_now(self, request, queryset):
        self._each(request, queryset, lambda summary: summary_publish(summary_id=summary.pk, by=request.user),
                   "published")

    @admin.action(description="Unpublish the selected summaries (back to draft)", permissions=["publish"])
    def unpublish(self, request, queryset):
        self._each(request, queryset, lambda summary: summary_unpublish(summary_id=summary.pk, by=request.user),
                   "returned to draft")

    def _each(self, request, queryset, service, verb: str) -> None:
        done = []
        for summary in queryset:
            try:
                service(summary)
            except (PermissionDenied, ValidationError) as error:
                self.message_user(request, f"“{summary}” was not {verb}: {error}", messages.ERROR)
            else:
                done.append(str(summary))
        if done:
            self.message_user(request, f"{len(done)} {'summary' if len(done) == 1 else 'summaries'} {verb}.",
                              messages.SUCCESS)

    # --- preview -------------------------------------------------------------------------

    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view)
        return [path("preview/", preview, name="summaries_summary_preview"), *super().get_urls()]

    def preview_view(self, request):
        """The Markdown posted (the form's body field) rendered and sanitised
        as readers will see it, without saving: a fragment for preview.js, a
        page for the form's Preview button when JavaScript is off. CSRF is
        checked by admin_view."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not (self.has_change_permission(request) or self.has_add_permission(request)):
            raise PermissionDenied
        html = summary_markdown_to_html(request.POST.get("body_markdown", ""))
        if request.headers.get("X-Requested-With") == "preview":
            return HttpResponse(html, content_type="text/html; charset=utf-8")
        return TemplateResponse(request, "admin/summaries/summary/preview.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": "Preview",
            "preview_html": html,
        })


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URL_FIELDS
    list_display = ["author_name", "summary", "kind", "status", "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["author_name", "author_email", "body"]
    raw_id_fields = ["summary", "parent", "user"]
    readonly_fields = ["body_html", "ip_hash", "user_agent", "created_at", "held_reason", "content_hash",
                       "moderated_by", "moderated_at"]
    actions = ["approve", "mark_spam", "remove"]

    # The same service as the moderation queue (/moderation/comments/): who
    # and when are recorded, subscribers hear of approved comments.
    def _moderate(self, request, queryset, action: str, verb: str) -> None:
        changed = comments_moderate(
            comment_ids=list(queryset.values_list("pk", flat=True)), action=action, by=request.user,
            base_url=request.build_absolute_uri("/"),
        )
        self.message_user(request, f"{changed} comment{'s' if changed != 1 else ''} {verb}.", messages.SUCCESS)

    @admin.action(description="Approve the selected comments", permissions=["change"])
    def approve(self, request, queryset):
        self._moderate(request, queryset, "approve", "approved")

    @admin.action(description="Mark the selected comments as spam", permissions=["change"])
    def mark_spam(self, request, queryset):
        self._moderate(request, queryset, "spam", "marked as spam")

    @admin.action(description="Remove the selected comments", permissions=["change"])
    def remove(self, request, queryset):
        self._moderate(request, queryset, "remove", "removed")


@admin.register(BlockedCommenter)
class BlockedCommenterAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email", "note", "created_by", "created_at"]
    search_fields = ["email", "ip_hash", "note"]
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.email = obj.email.strip().lower()
        super().save_model(request, obj, form, change)


@admin.register(ModerationWord)
class ModerationWordAdmin(admin.ModelAdmin):
    list_display = ["word", "created_at"]
    search_fields = ["word"]
