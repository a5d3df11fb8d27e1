"""Redis stopped under a running site: a real redis-server of the test's own,
on a free port, stopped and started again (never the shared one)."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from chats.models import Import
from hcsmca.celery import app as celery_app
from tests.factories import ChatFactory, PostFactory, SummaryFactory
from tests.faults.processes import ThrowawayRedis
from tests.summaries.commenting import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_redis(settings, tmp_path):
    """The cache and /healthz pointed at a redis-server of this test's own.
    Changing CACHES makes Django drop its cache connections."""
    server = ThrowawayRedis(tmp_path)
    server.start()
    try:
        settings.REDIS_URL = server.url
        settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": server.url}}
        yield server
    finally:
        server.stop()


@pytest.fixture
def reader_pages():
    chat = ChatFactory()
    PostFactory(chat=chat)
    summary = SummaryFactory(published_at=timezone.now() - timedelta(days=1))
    return summary, [reverse("chats:home"), chat.get_absolute_url(), summary.get_absolute_url(),
                     reverse("chats:search") + "?q=health"]


def test_with_redis_down_readers_are_served_and_health_names_redis(client, own_redis, reader_pages):
    summary, urls = reader_pages
    own_redis.stop()

    for url in urls:
        assert client.get(url).status_code == 200, url
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["database"] == "ok"
    assert health.json()["redis"].startswith("error")

    # The comment rate limit lives in Redis: without it the comment is refused, clearly, not a 500.
    response = client.post(summary.get_absolute_url(), form_data(summary, body="Kept by the reader"))
    assert response.status_code == 503
    assert "Comments cannot be taken just now" in response.content.decode()
    assert summary.comments.count() == 0

    # Redis comes back on the same port: the same process caches again.
    own_redis.start()
    assert client.get("/healthz").status_code == 200
    cache.set("faults:probe", "back", timeout=30)
    assert cache.get("faults:probe") == "back"
    assert client.post(summary.get_absolute_url(), form_data(summary, body="Sent again")).status_code == 302
    assert summary.comments.count() == 1


@pytest.fixture
def queue_on_own_redis(own_redis):
    """Celery's producer sending to the throwaway redis-server. Celery keeps a
    pool of broker connections; its after-fork hook is how it drops them."""
    # Set under the settings' own name: the app reads Django's CELERY_* keys.
    previous = celery_app.conf.CELERY_BROKER_URL
    celery_app.conf.CELERY_BROKER_URL = own_redis.url
    celery_app._after_fork()
    try:
        yield own_redis
    finally:
        celery_app.conf.CELERY_BROKER_URL = previous
        celery_app._after_fork()


def _upload(client, name: str):
    return client.post("/admin/chats/import/add/", {
        "file": SimpleUploadedFile(name, b'{"id_str": "1"}\n'), "requested_format": "twitter-v1",
        "series_hashtag": "hcsmca", "chat_slug": ""})


def test_with_redis_down_an_upload_is_failed_with_the_reason_then_queues_again(
        moderator_client, queue_on_own_redis, django_capture_on_commit_callbacks):
    queue_on_own_redis.stop()

    with django_capture_on_commit_callbacks(execute=True):
        assert _upload(moderator_client, "while-down.jsonl").status_code == 302
    refused = Import.objects.get(original_name="while-down.jsonl")
    assert refused.status == Import.Status.FAILED
    assert refused.errors[0]["message"].startswith("queue unavailable: try again")
    assert Path(refused.file.path).exists(), "the uploaded file is kept with the failed row"
    page = moderator_client.get(f"/admin/chats/import/{refused.pk}/change/").content.decode()
    assert "queue unavailable: try again" in page

    queue_on_own_redis.start()
    with django_capture_on_commit_callbacks(execute=True):
        assert _upload(moderator_client, "when-back.jsonl").status_code == 302
    assert Import.objects.get(original_name="when-back.jsonl").status == Import.Status.QUEUED
    broker = redis.Redis.from_url(queue_on_own_redis.url)
    try:
        assert broker.llen(celery_app.conf.task_default_queue) == 1
    finally:
        broker.close()
