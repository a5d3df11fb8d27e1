"""A removal request from end to end: the public form, a moderator's
confirmation page, then what readers see; and a deletion list followed by an
import of the posts it names."""
from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from chats.models import Post, RemovalRequest
from tests.consent.conftest import request_data
from tests.factories import AuthorFactory, PostFactory, v1_status

pytestmark = pytest.mark.django_db


def test_request_then_redaction_then_readers_see_placeholders(client, moderator, jo_and_chat):
    jo, chat, reply = jo_and_chat
    participant_url = jo.get_absolute_url()
    assert client.get(participant_url).status_code == 200

    assert client.post("/removal/", request_data(handle="@nurse_jo")).status_code == 302
    removal = RemovalRequest.objects.get()

    client.force_login(moderator)
    change = client.get(reverse("admin:chats_removalrequest_change", args=[removal.pk])).content.decode()
    redact = reverse("admin:chats_removalrequest_redact", args=[removal.pk, jo.pk])
    assert redact in change
    assert client.post(redact, {"reason": "Confirmed by a message from the account"}).status_code == 302
    client.logout()

    removal.refresh_from_db()
    assert removal.status == RemovalRequest.Status.REDACTED
    assert client.get(participant_url).status_code == 404
    page = client.get(chat.get_absolute_url()).content.decode()
    assert "A post removed at its author's request." in page
    assert "My own chemo story" not in page
    assert "nurse_jo" not in page and "Jo Tremblay" not in page
    assert "Thanks for sharing" in page  # the reply to it stays, its thread intact
    assert Post.objects.get(pk=reply.pk).reply_to_external_id


def test_a_redacted_author_stays_redacted_when_the_chat_is_imported_again(client, moderator, jo_and_chat, tmp_path):
    jo, chat, _ = jo_and_chat
    removal = RemovalRequest.objects.create(platform="twitter", handle="nurse_jo", email="jo@example.org")
    client.force_login(moderator)
    client.post(reverse("admin:chats_removalrequest_redact", args=[removal.pk, jo.pk]),
                {"reason": "Confirmed by a message from the account"})
    # The posts as first captured, with the author's handle, name and words.
    capture = tmp_path / "again.jsonl"
    capture.write_text(jo_original_lines(jo_and_chat))
    assert import_file(capture, "--chat", chat.slug)["status"] == "succeeded"
    assert Post.objects.filter(chat=chat).count() == 2
    client.logout()
    page = client.get(chat.get_absolute_url()).content.decode()
    assert "My own chemo story" not in page and "nurse_jo" not in page


def test_a_deletion_list_then_an_import_of_a_listed_post(tmp_path):
    listing = tmp_path / "deleted.txt"
    listing.write_text("1999999999999999999\n")
    call_command("import_deletions", str(listing), "--platform", "twitter", stdout=open("/dev/null", "w"),
                 stderr=open("/dev/null", "w"))
    author = AuthorFactory.build(handle="later", platform_id="77")
    status = {"created_at": "Wed Jan 16 18:05:00 +0000 2019", "id_str": "1999999999999999999",
              "full_text": "Words deleted on Twitter #hcsmca", "lang": "en",
              "user": {"id_str": author.platform_id, "screen_name": author.handle, "name": "Later"}}
    capture = tmp_path / "late.jsonl"
    capture.write_text(json.dumps(status) + "\n")
    assert import_file(capture)["created"] == 1
    post = Post.objects.get(external_id="1999999999999999999")
    assert (post.removed, post.text) == ("deleted", "")


def import_file(path, *args) -> dict:
    import io

    out = io.StringIO()
    call_command("import_transcript", str(path), *args, "--json", stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue().strip().splitlines()[-1])


# --- fixtures ----------------------------------------------------------------------------------

ORIGINALS: dict[int, list[dict]] = {}


@pytest.fixture
def jo_and_chat():
    jo = AuthorFactory(handle="nurse_jo", display_name="Jo Tremblay")
    mine = PostFactory(author=jo, text="My own chemo story #hcsmca")
    reply = PostFactory(chat=mine.chat, text="@nurse_jo Thanks for sharing #hcsmca",
                        reply_to_external_id=mine.external_id, mentions=["nurse_jo"])
    ORIGINALS[mine.chat.pk] = [v1_status(mine), v1_status(reply)]
    return jo, mine.chat, reply


def jo_original_lines(jo_and_chat) -> str:
    _, chat, _ = jo_and_chat
    return "\n".join(json.dumps(status) for status in ORIGINALS[chat.pk]) + "\n"
