"""A fixture chat for the bundle tests: the demo transcript (#hcsmca 116,
26 posts, 7 people, questions T1, T1a, T2, T3, two studies) imported through
the import service, as an upload would be."""
from pathlib import Path

import pytest

from chats.models import Chat
from chats.services.imports import SourceFile, transcript_import

DEMO = Path(__file__).resolve().parents[2] / "chats" / "demo" / "hcsmca-116.jsonl"


@pytest.fixture
def site_url(settings):
    settings.SITE_URL = "https://archive.example.org"
    return settings.SITE_URL


@pytest.fixture
def demo_chat(db, site_url, default_series_hcsmca) -> Chat:
    with DEMO.open("rb") as stream:
        outcome = transcript_import(sources=[SourceFile("hcsmca-116.jsonl", stream)], chat_slug="hcsmca-116")
    assert outcome.status == "succeeded", outcome.errors
    chat = Chat.objects.select_related("series").get(slug="hcsmca-116")
    return chat
