"""The admin as moderators use it: imports are uploaded, watched, never edited."""
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chats.models import Import
from tests.factories import ChatFactory, PostFactory

pytestmark = pytest.mark.django_db


def test_moderators_see_every_model_of_the_archive(moderator_client):
    index = moderator_client.get("/admin/").content.decode()
    for path in ("chats/chat/", "chats/post/", "chats/author/", "chats/question/", "chats/import/", "chats/link/",
                 "chats/study/", "chats/series/", "summaries/summary/", "summaries/comment/", "taggit/tag/"):
        assert f"/admin/{path}" in index, path


@pytest.mark.parametrize("path", ["chats/chat/", "chats/post/", "chats/author/", "chats/question/", "chats/import/",
                                  "chats/link/", "chats/study/", "chats/series/", "summaries/summary/",
                                  "summaries/comment/"])
def test_every_list_renders_with_its_search_and_filters(moderator_client, path):
    PostFactory.create_batch(3)
    response = moderator_client.get(f"/admin/{path}", {"q": "care"})
    assert response.status_code == 200


def test_readers_and_plain_staff_are_kept_out(client, django_user_model):
    assert client.get("/admin/chats/import/add/").status_code == 302
    staff = django_user_model.objects.create_user("staff", password="a long enough password", is_staff=True)
    client.force_login(staff)
    assert client.get("/admin/chats/import/add/").status_code == 403


def test_an_upload_without_a_file_is_refused_on_the_form(moderator_client):
    response = moderator_client.post("/admin/chats/import/add/", {"requested_format": "auto"})
    assert response.status_code == 200
    assert "Choose a transcript file to import." in response.content.decode()
    assert Import.objects.count() == 0


def test_an_upload_creates_a_queued_import_of_the_moderator(moderator_client, moderator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = moderator_client.post("/admin/chats/import/add/", {
            "file": SimpleUploadedFile("chat.jsonl", b'{"id_str": "1"}\n'), "requested_format": "twitter-v1",
            "series_hashtag": "#HCSMca", "chat_slug": ""})
    assert response.status_code == 302
    row = Import.objects.get()
    # Straight to the import's own page, where its progress shows.
    assert response["Location"] == f"/admin/chats/import/{row.pk}/change/"
    assert (row.status, row.requested_by, row.original_name, row.requested_format, row.series_hashtag) == (
        Import.Status.QUEUED, moderator, "chat.jsonl", "twitter-v1", "hcsmca")
    assert (row.split_sessions, row.strict, row.dry_run) == (False, False, False)
    assert row.bytes_total == len(b'{"id_str": "1"}\n')
    # The task is sent only once the row is committed (the worker must find it).
    assert len(callbacks) == 1


def test_a_finished_import_shows_counts_and_escaped_errors_and_cannot_be_edited(moderator_client):
    chat = ChatFactory()
    row = Import.objects.create(
        original_name="bad.jsonl", status=Import.Status.FAILED, format="twitter-v1", skipped_count=1,
        errors=[{"record": 3, "message": "invalid JSON: <script>alert(1)</script>"}, {"record": None, "message": "{x}"}],
    )
    row.chats.add(chat)
    page = moderator_client.get(f"/admin/chats/import/{row.pk}/change/").content.decode()
    assert "record 3: invalid JSON: &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page
    assert "{x}" in page and f'href="/chats/{chat.slug}/"' in page
    assert 'name="_save"' not in page  # a record of what happened, not a form


def test_the_upload_form_offers_sessions_strict_and_dry_run(moderator_client):
    page = moderator_client.get("/admin/chats/import/add/").content.decode()
    for name in ("file", "requested_format", "series_hashtag", "chat_slug", "split_sessions", "strict", "dry_run"):
        assert f'name="{name}"' in page, name
    assert '<option value="wxr">' in page and '<option value="auto" selected>' in page


def test_a_running_import_shows_a_progress_bar_that_polls(moderator_client):
    row = Import.objects.create(original_name="big.jsonl", status=Import.Status.RUNNING, progress=1500,
                                bytes_read=300, bytes_total=1200)

    page = moderator_client.get(f"/admin/chats/import/{row.pk}/change/").content.decode()

    assert (f'<progress class="import-progress" max="100" value="25" '
            f'data-progress-url="/admin/chats/import/{row.pk}/progress/">') in page
    assert "1,500 records, 25% read" in page
    assert "chats/import-progress.js" in page


def test_a_finished_dry_run_shows_its_span_and_planned_chats_without_polling(moderator_client):
    from datetime import UTC, datetime

    row = Import.objects.create(
        original_name="capture.jsonl", status=Import.Status.SUCCEEDED, dry_run=True, created_count=74,
        outside_count=14, planned_chats=["pxchat-1", "pxchat-2"],
        first_post_at=datetime(2019, 3, 1, 18, 0, tzinfo=UTC), last_post_at=datetime(2019, 3, 15, 17, 57, tzinfo=UTC))

    page = moderator_client.get(f"/admin/chats/import/{row.pk}/change/").content.decode()

    assert "pxchat-1, pxchat-2" in page
    assert "2019-03-01 18:00 – 2019-03-15 17:57 UTC" in page
    assert "import-progress.js" not in page
    assert 'value="100"' in page


def test_a_moderator_moves_a_post_to_another_question_and_an_import_keeps_it(moderator_client):
    from chats.models import Question
    from chats.services.questions import questions_assign

    chat = ChatFactory()
    first = Question.objects.create(chat=chat, label="T1", number=1, text="First?", asked_at=chat.start)
    second = Question.objects.create(chat=chat, label="T2", number=2, text="Second?", position=1,
                                     asked_at=chat.start + timedelta(minutes=20))
    post = PostFactory(chat=chat, text="A1 an answer to the first", created_at=chat.start + timedelta(minutes=5))
    questions_assign(chat=chat)
    post.refresh_from_db()
    assert (post.question, post.question_source) == (first, "label")

    page = moderator_client.get(f"/admin/chats/post/{post.pk}/change/").content.decode()
    assert f'<option value="{second.pk}">' in page
    form = {field: value for field, value in _post_form(post).items()}
    form["question"] = second.pk
    response = moderator_client.post(f"/admin/chats/post/{post.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:3000]

    post.refresh_from_db()
    assert (post.question, post.question_source) == (second, "moderator")
    questions_assign(chat=chat)
    post.refresh_from_db()
    assert (post.question, post.question_source) == (second, "moderator")


def _post_form(post) -> dict:
    """The change form's fields as the admin would post them back."""
    import json

    return {
        "platform": post.platform, "external_id": post.external_id, "chat": post.chat_id, "author": post.author_id,
        "created_at_0": post.created_at.strftime("%Y-%m-%d"), "created_at_1": post.created_at.strftime("%H:%M:%S"),
        "text": post.text, "url": post.url, "language": post.language, "urls": json.dumps(post.urls),
        "hashtags": json.dumps(post.hashtags), "mentions": json.dumps(post.mentions), "media": json.dumps(post.media),
        "metrics": json.dumps(post.metrics), "richness": post.richness, "thread_root_external_id": "",
        "edit_history": json.dumps(post.edit_history), "reply_to_external_id": post.reply_to_external_id,
        "repost_of_external_id": post.repost_of_external_id, "quote_of_external_id": post.quote_of_external_id,
        "question": post.question_id or "",
    }
