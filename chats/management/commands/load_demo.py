"""Load the demo chat (#hcsmca 116, a fictional transcript) once."""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from chats.models import Author, Chat, Series
from chats.services.imports import SourceFile, transcript_import
from chats.services.questions import questions_assign

DEMO_FILE = Path(__file__).resolve().parents[2] / "demo" / "hcsmca-116.jsonl"
DEMO_SLUG = "hcsmca-116"


class Command(BaseCommand):
    help = "Load the demo chat unless it was loaded before."

    def handle(self, *args, **options):
        series, _ = Series.objects.get_or_create(
            hashtag="hcsmca",
            defaults={"name": "Health Care Social Media Canada", "timezone": "America/Toronto", "weekday": 1},
        )
        if Chat.objects.filter(slug=DEMO_SLUG).exists():
            self.stdout.write(f"Demo chat {DEMO_SLUG} is already loaded.")
            return
        with DEMO_FILE.open("rb") as stream:
            outcome = transcript_import(sources=[SourceFile(DEMO_FILE.name, stream)], chat_slug=DEMO_SLUG)
        if outcome.status != "succeeded":
            raise CommandError(f"the demo transcript did not import: {outcome.errors}")
        chat = Chat.objects.get(slug=DEMO_SLUG)
        chat.title = "Social media and self-care in cancer survivors"
        chat.description = "A fictional demo chat: the people and posts are made up."
        chat.save()
        chat.tags.add("cancer", "self-care", "demo")
        chat.hosts.set(Author.objects.filter(platform="twitter", handle="hcsmca"))
        answered = questions_assign(chat=chat)
        self.stdout.write(f"Loaded demo chat {DEMO_SLUG}: {outcome.created} posts, {answered} placed under a question.")
