"""Admin pages for drafting a chat's summary, wired into the Chat admin
(chats/admin.py): a page per chat that queues the draft, asking first when
it would replace an edited or published body, and a list action."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from chats.models import Chat
from summaries.services.drafting import draft_needs_confirmation, summary_to_draft
from summaries.services.rendering import send_task
from summaries.tasks import draft_summary

DRAFT_PERMISSIONS = ("summaries.add_summary", "summaries.change_summary")


def can_draft(user) -> bool:
    return user.has_perms(DRAFT_PERMISSIONS)


def queue_draft(request, chat: Chat, *, overwrite: bool) -> None:
    transaction.on_commit(lambda: send_task(draft_summary, chat.pk, overwrite, request.user.pk))


def summaries_of(chat: Chat) -> str:
    return reverse("admin:summaries_summary_changelist") + f"?chat__id__exact={chat.pk}"


def chat_draft_summary(model_admin, request, object_id: int):
    """GET: what drafting will do; POST: queue it (``overwrite`` confirms
    replacing an edited or published body)."""
    if not can_draft(request.user):
        raise PermissionDenied
    chat = get_object_or_404(Chat.objects.select_related("series"), pk=object_id)
    summary = summary_to_draft(chat.pk)
    needs_confirmation = draft_needs_confirmation(summary)
    if request.method == "POST":
        overwrite = request.POST.get("overwrite") == "1"
        if needs_confirmation and not overwrite:
            messages.warning(request, "The body was edited; confirm to replace it.")
        else:
            queue_draft(request, chat, overwrite=overwrite)
            messages.success(request, f"Drafting the summary of {chat} from its transcript: it appears here "
                                      "in a few seconds (reload the page).")
            return HttpResponseRedirect(summaries_of(chat))
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": f"Draft a summary of {chat}",
        "chat": chat,
        "summary": summary,
        "needs_confirmation": needs_confirmation,
        "summary_url": reverse("admin:summaries_summary_change", args=[summary.pk]) if summary else "",
    }
    return TemplateResponse(request, "admin/chats/chat/draft_summary.html", context)


def draft_summaries(model_admin, request, queryset):
    """List action: queue drafts for the chats chosen, except those whose
    summary was edited or published (their own page asks to confirm)."""
    if not can_draft(request.user):
        model_admin.message_user(request, "You may not write summaries.", messages.ERROR)
        return None
    queued, held = [], []
    for chat in queryset.select_related("series"):
        if draft_needs_confirmation(summary_to_draft(chat.pk)):
            held.append(str(chat))
        else:
            queue_draft(request, chat, overwrite=False)
            queued.append(str(chat))
    if queued:
        model_admin.message_user(request, f"Drafting summaries of {', '.join(queued)}.", messages.SUCCESS)
    if held:
        model_admin.message_user(
            request, f"Not drafted, their summary was edited or published: {', '.join(held)}. "
                     "Use “Draft summary” on the chat's page to confirm replacing it.", messages.WARNING)
    return None


draft_summaries.short_description = "Draft summaries of the selected chats"
