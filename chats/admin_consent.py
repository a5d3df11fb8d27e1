"""Admin of removal requests, the redaction log and deletion lists.

- Removal requests (from the public form, chats/views_consent.py): the list
  to work through, each request with the archive's participants it may be
  about and their post counts, and two answers: "Redact this author" (a
  confirmation page showing the author, their posts and chats, asking why,
  then ``chats.services.redactions.author_redact``) or "Reject" (with a note).
- The redaction log: read-only (who, when, why, what, how many posts).
- Deletion lists: an upload page, linked from the log, that reads a list
  (chats.importers.deletions) and calls ``posts_mark_deleted``.

Every view asks for its own permissions: staff without them get a 403.
"""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Func, IntegerField, OuterRef, Subquery
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from chats.importers.deletions import PLATFORMS, DeletionListError, read_list
from chats.models import Author, Chat, Platform, Post, Redaction, RemovalRequest
from chats.services.redactions import author_redact, posts_mark_deleted
from chats.services.removal_requests import (
    RemovalRequestNotPending,
    removal_request_authors,
    removal_request_reject,
)

# What answering a request takes; redacting also writes the log.
ANSWER_PERMISSION = "chats.change_removalrequest"
REDACT_PERMISSIONS = ("chats.change_removalrequest", "chats.add_redaction")
# Marking posts deleted writes the log too, and changes posts.
DELETION_LIST_PERMISSIONS = ("chats.add_redaction", "chats.change_post")
# Ids one upload may mark: posts_mark_deleted took 12-16 s for 100,000 new
# ids here (on a shared 2-core machine), so half that stays well inside
# gunicorn's 30 s request timeout. Longer lists go through
# `manage.py import_deletions`, which has no such limit.
ADMIN_MAX_DELETION_IDS = 50_000
# Chats listed on the confirmation page; the count says the rest.
MAX_CHATS_SHOWN = 50


def _require(request, *permissions: str) -> None:
    if not request.user.has_perms(permissions):
        raise PermissionDenied


# --- removal requests ------------------------------------------------------------------------


@admin.register(RemovalRequest)
class RemovalRequestAdmin(admin.ModelAdmin):
    list_display = ["created_at", "handle_shown", "platform", "email", "status", "matches", "handled_by"]
    list_filter = ["status", "platform"]
    search_fields = ["handle", "email"]
    date_hierarchy = "created_at"
    list_select_related = ["handled_by"]
    fields = ["status", "platform", "handle", "email", "message", "created_at", "matching_authors", "author",
              "moderator_note", "handled_by", "handled_at", "redactions_done"]
    readonly_fields = ["status", "platform", "handle", "email", "message", "created_at", "matching_authors",
                       "author", "handled_by", "handled_at", "redactions_done"]

    def has_add_permission(self, request):
        return False  # requests come from the public form

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(view)

        return [
            path("<int:object_id>/redact/<int:author_id>/", wrap(self.redact_view), name="chats_removalrequest_redact"),
            path("<int:object_id>/reject/", wrap(self.reject_view), name="chats_removalrequest_reject"),
            *super().get_urls(),
        ]

    @admin.display(description="handle", ordering="handle")
    def handle_shown(self, obj):
        return f"@{obj.handle}"

    def get_queryset(self, request):
        # The list's "in the archive" column: two correlated counts, not a
        # query per row. (By handle only: a redacted author has none left;
        # the request's own page shows them through ``author``.)
        same = {"platform": OuterRef("platform"), "handle__iexact": OuterRef("handle")}
        authors = Author.objects.filter(**same).order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
        posts = (Post.objects.filter(**{f"author__{key}": value for key, value in same.items()}).order_by()
                 .annotate(n=Func(F("pk"), function="COUNT")).values("n"))
        return super().get_queryset(request).annotate(
            match_authors=Subquery(authors, output_field=IntegerField()),
            match_posts=Subquery(posts, output_field=IntegerField()))

    @admin.display(description="in the archive")
    def matches(self, obj):
        authors, posts = getattr(obj, "match_authors", 0) or 0, getattr(obj, "match_posts", 0) or 0
        if not authors:
            return "no participant"
        return f"{authors} participant{'s' if authors != 1 else ''}, {posts} post{'s' if posts != 1 else ''}"

    @admin.display(description="participants it may be about")
    def matching_authors(self, obj):
        """The archive's authors by platform and handle (case-insensitive),
        their counts, and the answers (format_html escapes what people typed)."""
        authors = list(removal_request_authors(obj))
        pending = obj.status == RemovalRequest.Status.PENDING
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (
                format_html('<a href="{}">@{}</a>', reverse("admin:chats_author_change", args=[author.pk]),
                            author.handle or "(redacted)"),
                author.display_name,
                author.platform_id,
                author.post_count,
                author.chat_count,
                (format_html("redacted {}", author.redacted_at.strftime("%Y-%m-%d")) if author.redacted_at else
                 format_html('<a class="button redact-link" href="{}">Redact this author…</a>',
                             reverse("admin:chats_removalrequest_redact", args=[obj.pk, author.pk])) if pending
                 else ""),
            )
            for author in authors
        ))
        table = format_html(
            '<table class="removal-matches"><thead><tr><th>Handle</th><th>Name</th><th>Account id</th>'
            "<th>Posts</th><th>Chats</th><th></th></tr></thead><tbody>{}</tbody></table>", rows,
        ) if authors else format_html("<p>{}</p>", "No participant with this handle on this platform.")
        reject = format_html('<p><a class="button reject-link" href="{}">Reject this request…</a></p>',
                             reverse("admin:chats_removalrequest_reject", args=[obj.pk])) if pending else ""
        return format_html("{}{}", table, reject)

    @admin.display(description="redactions")
    def redactions_done(self, obj):
        redactions = list(obj.redactions.all())
        if not redactions:
            return "-"
        return format_html_join(", ", '<a href="{}">{}</a>', (
            (reverse("admin:chats_redaction_change", args=[redaction.pk]), str(redaction))
            for redaction in redactions
        ))

    # --- redact --------------------------------------------------------------------------

    def redact_view(self, request, object_id: int, author_id: int):
        """GET: the author, their posts and chats, and a reason to give;
        POST: redact them (one transaction) and close the request."""
        _require(request, *REDACT_PERMISSIONS)
        removal_request = get_object_or_404(RemovalRequest, pk=object_id)
        back = reverse("admin:chats_removalrequest_change", args=[removal_request.pk])
        if removal_request.status != RemovalRequest.Status.PENDING:
            self.message_user(request, f"This request is already answered ({removal_request.get_status_display()}).",
                              messages.WARNING)
            return HttpResponseRedirect(back)
        return redact_author_page(self, request, author_id=author_id, removal_request=removal_request, back=back)

    # --- reject --------------------------------------------------------------------------

    def reject_view(self, request, object_id: int):
        _require(request, ANSWER_PERMISSION)
        removal_request = get_object_or_404(RemovalRequest, pk=object_id)
        back = reverse("admin:chats_removalrequest_change", args=[removal_request.pk])
        form = RejectForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                removal_request_reject(removal_request_id=removal_request.pk, note=form.cleaned_data["note"],
                                       performed_by=request.user)
            except RemovalRequestNotPending as refusal:
                self.message_user(request, f"Not rejected: {refusal}.", messages.WARNING)
            else:
                self.message_user(request, f"Rejected the request for @{removal_request.handle}.", messages.SUCCESS)
            return HttpResponseRedirect(back)
        return TemplateResponse(request, "admin/chats/removalrequest/reject.html", {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Reject the request for @{removal_request.handle}?",
            "removal_request": removal_request,
            "form": form,
            "back": back,
        })


def redact_author_page(model_admin, request, *, author_id: int, removal_request: RemovalRequest | None, back: str):
    """The confirmation page of a redaction, and the redaction once
    confirmed with a reason: from a removal request, or from the log's
    "Redact an author" (a request that came by other means)."""
    author = get_object_or_404(Author.objects.annotate(post_count=Count("posts", distinct=True)), pk=author_id)
    suggested = (f"At their request (removal request {removal_request.pk}), identity confirmed by "
                 if removal_request else "At their request, received by ")
    form = RedactForm(request.POST or None, initial={"reason": suggested})
    if request.method == "POST" and form.is_valid():
        redaction = author_redact(author_id=author.pk, reason=form.cleaned_data["reason"], performed_by=request.user,
                                  removal_request_id=removal_request.pk if removal_request else None)
        model_admin.message_user(
            request, f"Redacted @{redaction.handle}: {redaction.post_count} post"
                     f"{'s' if redaction.post_count != 1 else ''} are now placeholders.", messages.SUCCESS)
        return HttpResponseRedirect(back if removal_request else
                                    reverse("admin:chats_redaction_change", args=[redaction.pk]))
    chats = (
        Chat.objects.filter(posts__author=author).select_related("series")
        .annotate(author_posts=Count("posts")).order_by("-start")
    )
    return TemplateResponse(request, "admin/chats/removalrequest/redact_confirm.html", {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": f"Redact @{author.handle or '(redacted)'}?",
        "removal_request": removal_request,
        "author": author,
        "chats": chats[:MAX_CHATS_SHOWN],
        "chat_count": chats.count(),
        "max_chats_shown": MAX_CHATS_SHOWN,
        "handle_differs": bool(removal_request) and author.handle.lower() != removal_request.handle.lower(),
        "form": form,
        "back": back,
    })


class AuthorLookupForm(forms.Form):
    platform = forms.ChoiceField(choices=Platform.choices, initial=Platform.TWITTER)
    handle = forms.CharField(max_length=250, help_text="Without @; case does not matter.")

    def clean_handle(self):
        return self.cleaned_data["handle"].strip().lstrip("@")


class RedactForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}), max_length=2000,
        help_text="Kept in the redaction log: why, and how the person's identity was confirmed.")

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if len(reason) < 10:
            raise forms.ValidationError("Say why, in a few words (the log keeps it).")
        return reason


class RejectForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}), max_length=2000,
        help_text="Why (kept with the request): no posts under this handle, identity not confirmed…")


# --- the redaction log ---------------------------------------------------------------------


@admin.register(Redaction)
class RedactionAdmin(admin.ModelAdmin):
    list_display = ["performed_at", "kind", "handle_shown", "platform", "post_count", "performed_by", "reason_short",
                    "removal_request"]
    list_filter = ["kind", "platform"]
    search_fields = ["handle", "reason"]
    date_hierarchy = "performed_at"
    list_select_related = ["performed_by", "removal_request"]
    fields = ["performed_at", "kind", "platform", "handle", "author", "post_count", "performed_by", "reason",
              "removal_request", "tombstone_count"]
    readonly_fields = fields

    # The log is a record: nobody adds (services write it), changes or deletes it.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(view)

        return [
            path("deletion-list/", wrap(self.deletion_list_view), name="chats_redaction_deletion_list"),
            path("redact/", wrap(self.find_author_view), name="chats_redaction_find_author"),
            path("redact/<int:author_id>/", wrap(self.redact_view), name="chats_redaction_redact"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}),
                         "can_upload_deletion_list": request.user.has_perms(DELETION_LIST_PERMISSIONS),
                         "can_redact": request.user.has_perms(REDACT_PERMISSIONS)}
        return super().changelist_view(request, extra_context)

    @admin.display(description="handle", ordering="handle")
    def handle_shown(self, obj):
        return f"@{obj.handle}" if obj.handle else "-"

    @admin.display(description="why")
    def reason_short(self, obj):
        return obj.reason if len(obj.reason) <= 80 else obj.reason[:79] + "…"

    @admin.display(description="tombstones (ids kept removed)")
    def tombstone_count(self, obj):
        return obj.tombstones.count()

    def find_author_view(self, request):
        """Redact an author whose request came by other means (email, a
        message): find them by platform and handle, then confirm."""
        _require(request, *REDACT_PERMISSIONS)
        form = AuthorLookupForm(request.GET or None)
        authors = None
        if form.is_valid():
            authors = list(
                Author.objects.filter(platform=form.cleaned_data["platform"],
                                      handle__iexact=form.cleaned_data["handle"])
                .annotate(post_count=Count("posts", distinct=True), chat_count=Count("posts__chat", distinct=True))
                .order_by("-post_count", "pk"))
        return TemplateResponse(request, "admin/chats/redaction/find_author.html", {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Redact an author",
            "form": form,
            "authors": authors,
        })

    def redact_view(self, request, author_id: int):
        _require(request, *REDACT_PERMISSIONS)
        return redact_author_page(self, request, author_id=author_id, removal_request=None,
                                  back=reverse("admin:chats_redaction_find_author"))

    def deletion_list_view(self, request):
        """Upload a deletion list: ids read, archived posts removed, every id
        tombstoned, bad lines listed."""
        _require(request, *DELETION_LIST_PERMISSIONS)
        form = DeletionListForm(request.POST or None, request.FILES or None)
        refused = getattr(request, "upload_refused", "")
        if refused:
            form.add_error("file", refused)
        elif request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            platform = form.cleaned_data["platform"]
            try:
                read = read_list(upload, platform=platform)
            except DeletionListError as error:
                form.add_error("file", error.message)
            else:
                if not read.ids:
                    form.add_error("file", "No post id in this file" + (
                        f": all {read.error_count} lines are bad (wrong file, or wrong platform?)"
                        if read.error_count else "."))
                    return self._deletion_list_page(request, form, read)
                if len(read.ids) > ADMIN_MAX_DELETION_IDS:
                    form.add_error("file", (
                        f"{len(read.ids):,} ids: more than one upload takes ({ADMIN_MAX_DELETION_IDS:,}). Split the "
                        f"file, or run: manage.py import_deletions FILE --platform {platform}"))
                    return self._deletion_list_page(request, form, read)
                redaction = posts_mark_deleted(platform=platform, external_ids=read.ids, source_name=upload.name,
                                               performed_by=request.user)
                self.message_user(
                    request,
                    f"{upload.name}: {len(read.ids)} id{'s' if len(read.ids) != 1 else ''} marked deleted on "
                    f"{Platform(platform).label}; {redaction.post_count} archived post"
                    f"{'s' if redaction.post_count != 1 else ''} removed; {read.skipped} line"
                    f"{'s' if read.skipped != 1 else ''} that are not deletions; {read.error_count} bad line"
                    f"{'s' if read.error_count != 1 else ''}.",
                    messages.SUCCESS)
                if read.error_count:
                    self.message_user(request, "Bad lines: " + "; ".join(
                        f"line {bad.line}: {bad.reason}" for bad in read.errors[:20]
                    ) + (f"; and {read.error_count - 20} more" if read.error_count > 20 else ""), messages.WARNING)
                return HttpResponseRedirect(reverse("admin:chats_redaction_change", args=[redaction.pk]))
        return self._deletion_list_page(request, form, None)

    def _deletion_list_page(self, request, form, read):
        return TemplateResponse(request, "admin/chats/redaction/deletion_list.html", {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Mark posts deleted from a deletion list",
            "form": form,
            "read": read,
        })


class DeletionListForm(forms.Form):
    file = forms.FileField(help_text=(
        "UTF-8 text: one post id or status URL a line (# comments and blank lines are ignored), "
        "or a Twitter v1.1 stream file with its {\"delete\": …} notices."))
    platform = forms.ChoiceField(choices=[(value, Platform(value).label) for value in PLATFORMS],
                                 initial=Platform.TWITTER)
