import pytest

from chats.models import Chat
from chats.services.imports import SourceFile, transcript_import


@pytest.fixture
def imported_chat(small_chat_path):
    """The small fixture chat, imported and read for labels like the archive does."""
    with small_chat_path.open("rb") as stream:
        outcome = transcript_import(sources=[SourceFile(small_chat_path.name, stream)], chat_slug="hcsmca-116")
    assert outcome.status == "succeeded"
    chat = Chat.objects.get(slug="hcsmca-116")
    chat.title = "Trusting health information online"
    chat.save()
    # The import worked out the questions from the host's "T1:" posts.
    return chat
