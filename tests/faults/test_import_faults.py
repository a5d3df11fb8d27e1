"""Faults around imports, made with real concurrency and real database errors.

Nothing of ours is mocked: two threads really call import_run at once, and a
trigger created in the test makes PostgreSQL itself fail partway through.
"""
from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from celery.signals import task_retry
from django.db import connection, connections

from chats.models import Import, Post
from chats.services.imports import import_run
from chats.tasks import import_transcript

pytestmark = pytest.mark.usefixtures("default_series_hcsmca")

JOIN_TIMEOUT = 30
FIRST_ID = 1085624398153904128
START = datetime(2019, 1, 16, 20, 0, 0, tzinfo=UTC)


def many_posts(path: Path, count: int) -> Path:
    """A v1.1 transcript of ``count`` statuses of one chat, a second apart."""
    lines = []
    for i in range(count):
        status_id = FIRST_ID + i
        lines.append(json.dumps({
            "created_at": (START + timedelta(seconds=i)).strftime("%a %b %d %H:%M:%S +0000 %Y"),
            "id": status_id, "id_str": str(status_id), "full_text": f"A1 answer number {i} #hcsmca",
            "truncated": False,
            "entities": {"hashtags": [{"text": "hcsmca", "indices": [0, 0]}], "symbols": [],
                         "user_mentions": [], "urls": []},
            "in_reply_to_status_id": None, "in_reply_to_status_id_str": None, "in_reply_to_screen_name": None,
            "user": {"id": 1012000000000000002 + i % 7, "id_str": str(1012000000000000002 + i % 7),
                     "name": f"Person {i % 7}", "screen_name": f"person_{i % 7}"},
            "lang": "en", "retweet_count": 0, "favorite_count": 0,
        }))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _in_thread(target, results: dict, key: str) -> threading.Thread:
    def run():
        try:
            results[key] = target()
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            results[key] = exc
        finally:
            # Each thread has its own connection; leaving it open blocks the
            # test database's teardown.
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


# --- two workers, one file -------------------------------------------------------

@pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", "progress"])
def test_the_same_import_run_by_two_workers_at_once_is_done_once(tmp_path, caplog):
    path = many_posts(tmp_path / "chat.jsonl", 300)
    row = Import.objects.create(source_paths=[str(path)], original_name=path.name)
    in_flight, release = threading.Event(), threading.Event()

    def first_worker_progress(records, bytes_read, bytes_total):
        # Hold the first import open, mid-transaction, until the second
        # worker has had its try: the overlap is certain, not a timing bet.
        in_flight.set()
        release.wait(JOIN_TIMEOUT)

    results: dict = {}
    first = _in_thread(lambda: import_run(import_id=row.pk, progress=first_worker_progress), results, "first")
    try:
        assert in_flight.wait(JOIN_TIMEOUT), "the first import never started"
        with caplog.at_level(logging.INFO, logger="chats.services.imports"):
            second = _in_thread(lambda: import_run(import_id=row.pk), results, "second")
            second.join(JOIN_TIMEOUT)
            assert not second.is_alive(), "the second worker waited on the first instead of standing down"
    finally:
        release.set()
        first.join(JOIN_TIMEOUT)

    assert results["second"] is None
    assert f"import {row.pk} is already running in another worker" in caplog.text
    assert not isinstance(results["first"], BaseException), results["first"]
    assert results["first"].status == "succeeded"
    row.refresh_from_db()
    assert row.status == Import.Status.SUCCEEDED
    assert row.created_count == 300 and row.unchanged_count == 0
    assert Post.objects.count() == 300


@pytest.fixture
def retries_of_import() -> list:
    """The retries Celery schedules for the import task, as its signal reports them."""
    seen: list = []

    def record(sender=None, request=None, reason=None, **kwargs):
        if sender is not None and sender.name == import_transcript.name:
            seen.append(reason)

    task_retry.connect(record, weak=False)
    yield seen
    task_retry.disconnect(record)


# --- database error partway ---------------------------------------------------------

def _fail_post_inserts(*, after: int, sqlstate: str = "P0001") -> None:
    """A real PostgreSQL error on the insert of post number ``after`` + 1
    (counted across attempts by a sequence, which rollbacks do not undo)."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE SEQUENCE fault_post_inserts")
        cursor.execute(f"""
            CREATE FUNCTION fault_post_insert() RETURNS trigger AS $$
            BEGIN
                IF nextval('fault_post_inserts') > {int(after)} THEN
                    RAISE EXCEPTION 'injected fault after {int(after)} posts' USING ERRCODE = '{sqlstate}';
                END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql""")
        cursor.execute("CREATE TRIGGER fault_post_insert BEFORE INSERT ON chats_post "
                       "FOR EACH ROW EXECUTE FUNCTION fault_post_insert()")


def _inserts_tried() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value, is_called FROM fault_post_inserts")
        value, called = cursor.fetchone()
    return value if called else 0


@pytest.mark.django_db(databases=["default", "progress"])
def test_a_database_error_after_many_posts_leaves_none_and_fails_the_row(tmp_path):
    path = many_posts(tmp_path / "chat.jsonl", 400)
    row = Import.objects.create(source_paths=[str(path)], original_name=path.name)
    _fail_post_inserts(after=350)

    with pytest.raises(Exception, match="injected fault after 350 posts"):
        import_run(import_id=row.pk)

    assert _inserts_tried() == 351, "the fault must strike after many posts were written"
    assert Post.objects.count() == 0
    row.refresh_from_db()
    assert row.status == Import.Status.FAILED
    assert len(row.errors) == 1
    assert "injected fault after 350 posts" in row.errors[0]["message"]


@pytest.mark.django_db(databases=["default", "progress"])
def test_a_lost_connection_is_retried_a_bounded_number_of_times(tmp_path, retries_of_import):
    path = many_posts(tmp_path / "chat.jsonl", 20)
    row = Import.objects.create(source_paths=[str(path)], original_name=path.name)
    # SQLSTATE 08006 (connection failure) reaches us as OperationalError.
    _fail_post_inserts(after=0, sqlstate="08006")

    result = import_transcript.apply(args=[row.pk])

    assert result.failed()
    assert "injected fault" in str(result.result)
    # One try per attempt: the first and then max_retries more, no more.
    assert import_transcript.max_retries >= 1
    assert _inserts_tried() == 1 + import_transcript.max_retries
    assert len(retries_of_import) == import_transcript.max_retries
    assert all("injected fault" in str(reason) for reason in retries_of_import)
    assert Post.objects.count() == 0
    # After the last retry the row says why, instead of "running" for ever.
    row.refresh_from_db()
    assert row.status == Import.Status.FAILED
    assert row.finished_at is not None
    assert len(row.errors) == 1
    assert "connection was lost 6 times" in row.errors[0]["message"]
    assert "injected fault" in row.errors[0]["message"]


@pytest.mark.django_db(databases=["default", "progress"])
def test_a_file_that_cannot_be_parsed_is_not_retried(tmp_path, retries_of_import):
    path = tmp_path / "notes.jsonl"
    path.write_text('{"not": "a tweet"\n', encoding="utf-8")
    row = Import.objects.create(source_paths=[str(path)], original_name=path.name)

    result = import_transcript.apply(args=[row.pk])

    assert result.successful()
    assert retries_of_import == []
    row.refresh_from_db()
    assert row.status == Import.Status.FAILED
    assert row.errors and row.started_at is not None
    assert Post.objects.count() == 0


# --- a lock left by a dying session ------------------------------------------------

@pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", "progress"])
def test_a_task_that_finds_its_import_locked_looks_again_and_finishes_it(tmp_path, retries_of_import, monkeypatch):
    """A killed pool process's session can hold the import's lock until its
    statement ends; the redelivered task must not give up and leave the row
    "running" for ever. Another connection holds the lock here."""
    from chats.services.imports import _IMPORT_LOCK_CLASS

    path = many_posts(tmp_path / "chat.jsonl", 20)
    row = Import.objects.create(source_paths=[str(path)], original_name=path.name)
    monkeypatch.setattr("chats.tasks.LOCKED_MAX_RETRIES", 2)
    holder = connections.create_connection("default")
    holder.connect()
    holder.set_autocommit(True)
    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [_IMPORT_LOCK_CLASS, row.pk])

        locked = import_transcript.apply(args=[row.pk])  # eager: the retries run at once

        assert locked.failed() and "MaxRetriesExceeded" in type(locked.result).__name__
        assert len(retries_of_import) == 2
        row.refresh_from_db()
        assert row.status == Import.Status.QUEUED and Post.objects.count() == 0
    finally:
        holder.close()  # the dying session ends: its lock goes with it

    assert import_transcript.apply(args=[row.pk]).successful()
    row.refresh_from_db()
    assert row.status == Import.Status.SUCCEEDED and Post.objects.count() == 20
