"""End to end: a moderator uploads a transcript in the admin, a real Celery
worker imports it from the real Redis queue into PostgreSQL, and the reader
pages show it."""
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chats.models import Chat, Import, Post
from tests.integration.worker import running_worker, wait_for

DEMO = Path(__file__).resolve().parents[2] / "chats" / "demo" / "hcsmca-116.jsonl"

# serialized_rollback: the flush after each test would drop the Moderators
# group that a migration created.
pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.worker]


def upload(client, name: str, content: bytes, **fields):
    response = client.post(
        "/admin/chats/import/add/",
        {"file": SimpleUploadedFile(name, content), "requested_format": "auto", "series_hashtag": "",
         "chat_slug": "", **fields},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Import.objects.latest("pk")


def finished(row_pk):
    row = Import.objects.get(pk=row_pk)
    return row if row.status in {Import.Status.SUCCEEDED, Import.Status.FAILED} else None


def test_admin_upload_is_imported_by_a_real_worker_and_shown(moderator_client, tmp_path):
    with running_worker(tmp_path / "worker.log"):
        row = upload(moderator_client, "chat116.jsonl", DEMO.read_bytes(), chat_slug="hcsmca-116")
        assert row.status == Import.Status.QUEUED and row.requested_by.username == "mod"
        row = wait_for(lambda: finished(row.pk), timeout=60, what="the import to finish")

        assert row.status == Import.Status.SUCCEEDED, row.errors
        assert (row.format, row.created_count, row.updated_count, row.skipped_count) == ("twitter-v1", 26, 0, 0)
        assert list(row.chats.values_list("slug", flat=True)) == ["hcsmca-116"]
        assert Post.objects.filter(chat__slug="hcsmca-116").count() == 26

        # The admin shows the outcome.
        page = moderator_client.get(f"/admin/chats/import/{row.pk}/change/").content.decode()
        assert "Succeeded" in page and "hcsmca-116" in page

        # Uploading the same file again changes nothing.
        again = upload(moderator_client, "chat116-again.jsonl", DEMO.read_bytes())
        again = wait_for(lambda: finished(again.pk), timeout=60, what="the second import to finish")
        assert (again.status, again.created_count, again.updated_count, again.unchanged_count) == (
            Import.Status.SUCCEEDED, 0, 0, 26)
        assert Chat.objects.count() == 1 and Post.objects.count() == 26

    chat_page = moderator_client.get("/chats/hcsmca-116/")
    assert chat_page.status_code == 200
    html = chat_page.content.decode()
    assert 'id="post-1900000000000003112"' in html
    # "&lt;rant&gt;" in the API text is unescaped on import and escaped again on the page.
    assert "&lt;rant&gt;Some colleagues don&#x27;t&lt;/rant&gt;" in html

    document = moderator_client.get("/chats/hcsmca-116/transcript.json").json()
    assert document["chat"]["slug"] == "hcsmca-116" and len(document["posts"]) == 26
    assert {post["id"] for post in document["posts"]} == set(Post.objects.values_list("external_id", flat=True))
    retweets = [post for post in document["posts"] if post["repost_of"]]
    assert len(retweets) == 3 and all(post["text"].startswith("RT @") for post in retweets)


def test_a_file_that_is_not_a_transcript_fails_in_the_worker_and_writes_nothing(moderator_client, tmp_path):
    with running_worker(tmp_path / "worker.log"):
        row = upload(moderator_client, "picture.png", b"\x89PNG\r\n\x1a\n" + bytes(200))
        row = wait_for(lambda: finished(row.pk), timeout=60, what="the import to finish")
    assert row.status == Import.Status.FAILED
    assert "expected one of" in row.errors[-1]["message"] and "twitter-v1" in row.errors[-1]["message"]
    assert Post.objects.count() == 0 and Chat.objects.count() == 0
