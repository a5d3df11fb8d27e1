"""manage.py draft_summary SLUG [--overwrite] [--sync]

Drafts the chat's summary from its stored transcript, like the admin's
"Draft summary" button: queued for the Celery worker, or with --sync written
here and now. Prints the admin path where the draft is edited. An edited or
published body is only replaced with --overwrite."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from chats.models import Chat
from summaries.services.drafting import BodyEditedError, draft_needs_confirmation, summary_draft, summary_to_draft
from summaries.tasks import draft_summary


class Command(BaseCommand):
    help = "Draft a chat's summary from its transcript (queued for the worker unless --sync)."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The chat's slug, e.g. hcsmca-116.")
        parser.add_argument("--overwrite", action="store_true",
                            help="Replace the body even if a person edited it or it is published.")
        parser.add_argument("--sync", action="store_true", help="Write the draft now instead of queuing it.")

    def handle(self, *args, slug: str, overwrite: bool, sync: bool, **options):
        chat = Chat.objects.filter(slug=slug).first()
        if chat is None:
            raise CommandError(f"No chat with the slug {slug!r}.")
        if sync:
            try:
                summary = summary_draft(chat_id=chat.pk, overwrite=overwrite)
            except BodyEditedError as refused:
                raise CommandError(f"{refused} Run again with --overwrite to replace it.") from refused
            self.stdout.write(f"Drafted: {reverse('admin:summaries_summary_change', args=[summary.pk])}")
            return
        existing = summary_to_draft(chat.pk)
        if not overwrite and draft_needs_confirmation(existing):
            raise CommandError(f"{BodyEditedError(existing)} Run again with --overwrite to replace it.")
        draft_summary.delay(chat.pk, overwrite)
        where = (reverse("admin:summaries_summary_change", args=[existing.pk]) if existing
                 else reverse("admin:summaries_summary_changelist") + f"?chat__id__exact={chat.pk}")
        self.stdout.write(f"Queued; the draft will be at {where}")
