"""The beat's task through a real Celery worker: it finds the missing
bundles, builds them from the real queue into storage, and they download."""
import hashlib

import pytest

from chats.models import DatasetBundle
from chats.services.content import chats_content_touch
from chats.tasks_datasets import build_bundle, rebuild_stale_bundles
from tests.integration.worker import running_worker, wait_for

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.worker]


def ready_rows():
    rows = list(DatasetBundle.objects.filter(status=DatasetBundle.Status.READY))
    return rows if len(rows) == 4 else None


def test_the_beat_task_builds_every_bundle_in_a_worker(demo_chat, client, tmp_path):
    with running_worker(tmp_path / "worker.log"):
        rebuild_stale_bundles.delay()
        rows = wait_for(ready_rows, timeout=90, what="four bundles (chat and series, two variants) to be ready")
        chat_full = next(row for row in rows if row.chat_id == demo_chat.pk and row.variant == "full")
        response = client.get("/chats/hcsmca-116/dataset.zip")
        assert response.status_code == 200
        assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == chat_full.sha256

        # A change (an import, an edit, a redaction bumps the version): the next beat rebuilds.
        chats_content_touch(chat_ids=[demo_chat.pk])
        rebuild_stale_bundles.delay()
        wait_for(lambda: DatasetBundle.objects.get(pk=chat_full.pk).sha256 != chat_full.sha256, timeout=90,
                 what="the chat's bundle to be rebuilt")

        # A build asked for directly, of data unchanged since: nothing changes.
        before = DatasetBundle.objects.get(pk=chat_full.pk)
        sent = build_bundle.delay(chat_id=demo_chat.pk, variant="full")
        log = tmp_path / "worker.log"
        wait_for(lambda: f"{sent.id}] succeeded" in log.read_text(errors="replace"), timeout=90,
                 what="the direct build to finish")
    after = DatasetBundle.objects.get(pk=chat_full.pk)
    assert (after.sha256, after.built_at, after.file.name) == (before.sha256, before.built_at, before.file.name)
