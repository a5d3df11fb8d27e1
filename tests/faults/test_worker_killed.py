"""A Celery worker SIGKILLed in the middle of a large import.

Real processes all the way: a worker (prefork, one pool process, as in
production) takes the task from Redis and imports a generated capture into
the test database; the test SIGKILLs it while the import's transaction is
open. What must hold: nothing of the first try was committed, the task was
not lost, it ran to the end once, and the archive holds each post once.

Two kills, two ways back:

- the whole worker (a container or host gone): nothing hands the message
  back. kombu's Redis transport (kombu/transport/redis.py) keeps a delivered
  message in the ``unacked`` hash, its delivery time in ``unacked_index``,
  until the task acknowledges it (``acks_late``: after it ran); a consumer's
  ``QoS.restore_visible`` puts it back on the queue once it is older than
  the visibility timeout. A worker calls that when it starts consuming, then
  only on every tenth 10 s tick (so every ~100 s). The test waits, for a time
  it reads from Redis rather than guesses, until the message is older than
  the short visibility timeout it gave the workers, then starts the next one;
- only the pool process (the OOM killer's pick): the worker sees it lost and
  (``task_reject_on_worker_lost``) rejects the message with requeue, so it
  is back on the queue at once and the worker's next pool process runs it.

Why not ``--pool=solo``: there the task blocks the event loop that sends
acknowledgements, so even an early ack is only sent once the task is over
and a killed solo worker looks the same with or without ``acks_late``.
"""
from __future__ import annotations

import importlib.util
import json
import re
import time
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count

from chats.models import Import, Post
from chats.services.imports import _IMPORT_LOCK_CLASS
from chats.tasks import import_transcript
from hcsmca.celery import app as celery_app
from tests.faults.processes import Broker, ThrowawayRedis, WorkerProcess
from tests.integration.worker import url_of_the_test_database, wait_for


def _bench_generator():
    """bench/generate_chat.py (realistic captures), loaded by path: bench/ is not a package."""
    path = Path(__file__).resolve().parents[2] / "bench" / "generate_chat.py"
    spec = importlib.util.spec_from_file_location("bench_generate_chat", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


write_capture = _bench_generator().write

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", "progress"]),
    pytest.mark.worker,
]

# Big enough that the import takes several seconds on two shared cores. The
# kill lands at the first progress the test sees: progress is first written
# at the 1000th record, then at most once a second, so that is always while
# the posts are still being read into the import's open transaction, on a
# machine of any speed.
POSTS = 20_000
# Seconds after which Redis hands an unacknowledged task to another worker;
# short here so that the test does not wait the production two hours.
VISIBILITY_TIMEOUT = 5
IMPORT_TIMEOUT = 120


def ids_in(path: Path) -> set[str]:
    """Every post id the capture holds, embedded retweeted originals included."""
    ids = set()
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            status = json.loads(line)
            ids.add(status["id_str"])
            if "retweeted_status" in status:
                ids.add(status["retweeted_status"]["id_str"])
    return ids


def import_lock_held(import_id: int) -> bool:
    """Whether any session holds the import's advisory lock (import_run's).
    pg_locks lists the whole server's locks: other databases' imports too."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE d.datname = "
            "current_database() AND l.locktype = 'advisory' AND l.classid = %s AND l.objid = %s AND l.granted",
            [_IMPORT_LOCK_CLASS, import_id])
        return cursor.fetchone()[0] > 0


def worker_env(broker_url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": url_of_the_test_database(),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_DEFAULT_QUEUE": celery_app.conf.task_default_queue,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "DATABASE_CONN_MAX_AGE": "0",
    }


def log_lines(log: str, task_id: str, event: str) -> list[str]:
    return re.findall(rf"^.*Task chats\.import_transcript\[{task_id}\] {event}.*$", log, flags=re.MULTILINE)


@pytest.fixture
def own_broker(tmp_path):
    """A redis-server of the test's own as the broker: the short visibility
    timeout below must not hand back the tasks of another run sharing Redis."""
    server = ThrowawayRedis(tmp_path / "redis").start()
    broker = Broker(server.url)
    try:
        yield broker
    finally:
        broker.close()
        server.stop()


@pytest.fixture
def capture(tmp_path):
    path = tmp_path / "capture.jsonl"
    assert write_capture(str(path), POSTS) == POSTS
    return path


def start_and_kill_partway(row: Import, broker: Broker, kill) -> tuple[str, Import]:
    """Send the import's task to the running worker; once some records are
    read (not all), call ``kill``. Returns the task id and the row as it was seen
    just before the kill."""
    with celery_app.connection_for_write(broker.url) as connection:
        task_id = import_transcript.apply_async([row.pk], connection=connection).id
    partway = wait_for(
        lambda: Import.objects.filter(
            pk=row.pk, status=Import.Status.RUNNING, progress__gt=0, progress__lt=POSTS).first(),
        timeout=IMPORT_TIMEOUT, interval=0.05, what="the import to be running, partway")
    kill()
    return task_id, partway


def assert_nothing_committed_partway(row: Import, partway: Import) -> None:
    """Killed while its posts were still being staged: read partway, nothing merged."""
    row.refresh_from_db()
    assert row.status == Import.Status.RUNNING
    assert 0 < partway.progress <= row.progress < POSTS, (partway.progress, row.progress)
    assert Post.objects.count() == 0


def finished(row: Import) -> Import:
    return wait_for(
        lambda: Import.objects.filter(pk=row.pk, status__in=[Import.Status.SUCCEEDED, Import.Status.FAILED]).first(),
        timeout=IMPORT_TIMEOUT, what="the import to finish")


def assert_imported_once(done: Import, capture: Path) -> None:
    expected_ids = ids_in(capture)
    assert done.status == Import.Status.SUCCEEDED, done.errors
    assert (done.created_count, done.updated_count, done.progress) == (len(expected_ids), 0, POSTS)
    assert Post.objects.count() == len(expected_ids)
    assert set(Post.objects.values_list("external_id", flat=True)) == expected_ids
    assert not Post.objects.values("platform", "external_id").annotate(n=Count("id")).filter(n__gt=1).exists()


def assert_acknowledged(broker: Broker, task_id: str, queue: str) -> None:
    """Nothing left for another worker: the message is neither queued nor delivered-unacknowledged."""
    assert not [m for m in broker.unacked().values() if m["task_id"] == task_id]
    assert broker.queued(queue) == 0


def test_a_worker_killed_mid_import_leaves_nothing_and_the_next_worker_runs_it_once(tmp_path, capture, own_broker):
    """The whole worker (main process and pool) SIGKILLed: a container or
    host gone. Only Redis can hand the task back, after the visibility timeout."""
    row = Import.objects.create(source_paths=[str(capture)], original_name=capture.name, series_hashtag="hcsmca")
    queue = celery_app.conf.task_default_queue
    broker = own_broker
    first = WorkerProcess(tmp_path / "worker-1.log", env=worker_env(broker.url), queue=queue, name="killed")
    second = WorkerProcess(tmp_path / "worker-2.log", env=worker_env(broker.url), queue=queue, name="second")
    try:
        first.start()
        sent = time.monotonic()
        task_id, partway = start_and_kill_partway(row, broker, first.kill)
        killed = time.monotonic()

        assert_nothing_committed_partway(row, partway)
        assert "succeeded" not in first.log()
        # Never acknowledged (acks_late): Redis still holds it as delivered.
        unacked = [m for m in broker.unacked().values() if m["task_id"] == task_id]
        assert len(unacked) == 1 and unacked[0]["queue"] == queue
        assert broker.queued(queue) == 0

        # PostgreSQL sees the client gone, rolls its transaction back and
        # drops its advisory lock (else the next worker would be told the
        # import is running elsewhere).
        wait_for(lambda: not import_lock_held(row.pk), timeout=30, what="the killed worker's lock to be dropped")
        assert Post.objects.count() == 0

        # Start the next worker once the message is older than the
        # visibility timeout: its start-up restore then hands it back.
        older_in = unacked[0]["delivered_at"] + VISIBILITY_TIMEOUT + 0.5 - time.time()
        if older_in > 0:
            time.sleep(older_in)
        second.start()
        restarted = time.monotonic()
        done = finished(row)
        done_at = time.monotonic()
        second.stop()
        assert_acknowledged(broker, task_id, queue)
    finally:
        first.stop()
        second.stop()

    print(f"\n{POSTS} posts; killed at progress {partway.progress}, {killed - sent:.1f}s after sending; "
          f"second worker ready {restarted - killed:.1f}s after the kill; import done {done_at - restarted:.1f}s later")
    assert_imported_once(done, capture)
    # One delivery per worker, of the same task; only the second ran to the end.
    first_log, second_log = first.log(), second.log()
    assert len(log_lines(first_log, task_id, "received")) == 1
    assert log_lines(first_log, task_id, "succeeded") == []
    assert len(log_lines(second_log, task_id, "received")) == 1
    assert len(log_lines(second_log, task_id, "succeeded")) == 1
    assert second_log.count(f"import {row.pk} succeeded") == 1
    assert "already running in another worker" not in second_log


def test_a_pool_process_killed_mid_import_is_handed_back_at_once_and_run_once(tmp_path, capture, own_broker):
    """Only the pool process running the task SIGKILLed (what the OOM
    killer picks): the worker sees it lost and, with reject_on_worker_lost,
    puts the task back on the queue itself, without the visibility timeout."""
    row = Import.objects.create(source_paths=[str(capture)], original_name=capture.name, series_hashtag="hcsmca")
    queue = celery_app.conf.task_default_queue
    broker = own_broker
    # The production visibility timeout: a redelivery seen here is not Redis's.
    worker = WorkerProcess(tmp_path / "worker.log", env={**worker_env(broker.url), "CELERY_VISIBILITY_TIMEOUT": "7200"},
                           queue=queue, name="pool-lost")
    killed_child = []
    try:
        worker.start()
        sent = time.monotonic()
        task_id, partway = start_and_kill_partway(row, broker, lambda: killed_child.append(worker.kill_pool_child()))
        killed = time.monotonic()
        assert_nothing_committed_partway(row, partway)
        done = finished(row)
        done_at = time.monotonic()
        assert_acknowledged(broker, task_id, queue)
        assert worker.process.poll() is None, "the worker itself went on"
    finally:
        worker.stop()

    print(f"\n{POSTS} posts; pool process {killed_child[0]} killed at progress {partway.progress}, "
          f"{killed - sent:.1f}s after sending; import done {done_at - killed:.1f}s after the kill")
    assert_imported_once(done, capture)
    log = worker.log()
    assert "WorkerLostError" in log and f"pid:{killed_child[0]}" in log
    # Fetched from Redis twice (the second time after the worker handed it
    # back), run to the end once.
    assert len(log_lines(log, task_id, "received")) == 2
    assert len(log_lines(log, task_id, "succeeded")) == 1
    assert log.count(f"import {row.pk} succeeded") == 1
    assert "already running in another worker" not in log
