"""Progress of an import (bytes read, records), the admin's progress endpoint,
dry runs from the admin, and --strict on the command line."""
from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from chats.models import Import, Post
from chats.services import imports
from chats.services.imports import SourceFile, import_run, transcript_import
from tests.conftest import IMPORT_FIXTURES

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("default_series_hcsmca")]

SMALL_FIRST_AT = datetime(2019, 1, 16, 20, 0, tzinfo=UTC)
SMALL_LAST_AT = datetime(2019, 1, 16, 20, 10, tzinfo=UTC)


def without_import_rows(counts: dict[str, int]) -> dict[str, int]:
    return {table: n for table, n in counts.items() if not table.startswith("chats_import")}


def many_statuses(count: int) -> bytes:
    """``count`` short v1.1 statuses a second apart, as JSON Lines."""
    start = datetime(2019, 6, 5, 17, 0, tzinfo=UTC)
    lines = []
    for n in range(count):
        moment = start + timedelta(seconds=n)
        lines.append(json.dumps({
            "created_at": moment.strftime("%a %b %d %H:%M:%S +0000 %Y"),
            "id_str": str(1136300000000000000 + n),
            "full_text": f"A1 answer number {n} about waiting times #hcsmca",
            "user": {"id_str": str(3012000000000000000 + n % 40), "screen_name": f"participant_{n % 40}",
                     "name": f"Participant {n % 40}"},
        }))
    return ("\n".join(lines) + "\n").encode()


# --- the bytes read ------------------------------------------------------------------

def test_import_run_ends_with_every_byte_read(small_chat_path):
    size = small_chat_path.stat().st_size
    # As the command and the admin create it: the size known up front.
    row = Import.objects.create(source_paths=[str(small_chat_path)], original_name=small_chat_path.name,
                                bytes_total=size)
    assert (row.bytes_read, row.percent_read) == (0, 0)

    outcome = import_run(import_id=row.pk)

    assert outcome.status == "succeeded"
    row.refresh_from_db()
    assert row.bytes_read == row.bytes_total == size
    assert row.percent_read == 100
    assert (row.first_post_at, row.last_post_at) == (SMALL_FIRST_AT, SMALL_LAST_AT)


def test_a_failed_import_is_not_shown_as_fully_read(tmp_path):
    path = tmp_path / "photo.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200)
    row = Import.objects.create(source_paths=[str(path)], bytes_total=path.stat().st_size)

    import_run(import_id=row.pk)

    row.refresh_from_db()
    assert row.status == Import.Status.FAILED
    assert row.bytes_read == 0
    assert row.percent_read == 0


def test_percent_read():
    assert Import(bytes_read=250, bytes_total=1000, status=Import.Status.RUNNING).percent_read == 25
    assert Import(bytes_read=999, bytes_total=1000, status=Import.Status.RUNNING).percent_read == 99
    assert Import(bytes_read=0, bytes_total=0, status=Import.Status.QUEUED).percent_read == 0
    assert Import(bytes_read=10, bytes_total=1000, status=Import.Status.SUCCEEDED).percent_read == 100
    assert Import(bytes_read=2000, bytes_total=1000, status=Import.Status.RUNNING).percent_read == 100


def test_a_progress_callback_sees_increasing_bytes_ending_at_the_total(monkeypatch):
    data = many_statuses(3500)
    # Every check for progress finds a second gone by, so every 1000th record reports.
    clock = iter(range(10, 10**6, 10))
    monkeypatch.setattr(imports.time, "monotonic", lambda: next(clock))
    calls = []

    outcome = transcript_import(sources=[SourceFile("many.jsonl", io.BytesIO(data), len(data))],
                                progress=lambda records, done, total: calls.append((records, done, total)))

    assert outcome.status == "succeeded" and outcome.created == 3500
    assert [records for records, _, _ in calls] == [1000, 2000, 3000, 3500]
    done = [done for _, done, _ in calls]
    assert done == sorted(done) and len(set(done)) == len(done)  # strictly increasing
    assert 0 < done[0] < len(data)
    assert done[-1] == len(data)
    assert {total for _, _, total in calls} == {len(data)}


def test_a_small_file_reports_once_at_the_end(small_chat_path):
    data = small_chat_path.read_bytes()
    calls = []

    transcript_import(sources=[SourceFile("small.jsonl", io.BytesIO(data), len(data))],
                      progress=lambda *args: calls.append(args))

    assert calls == [(6, len(data), len(data))]


@pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", "progress"])
def test_progress_is_visible_to_others_while_the_import_runs(small_chat_path):
    """The row is written through a connection of its own while the import's
    transaction is still open; the moderator's page reads it from there."""
    size = small_chat_path.stat().st_size
    row = Import.objects.create(source_paths=[str(small_chat_path)], bytes_total=size)
    seen = []

    def watch(records, bytes_read, bytes_total):
        seen.append(Import.objects.using("progress").values_list("status", "progress", "bytes_read").get(pk=row.pk))

    import_run(import_id=row.pk, progress=watch)

    assert seen == [(Import.Status.RUNNING, 6, size)]


@pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", "progress"])
def test_a_finished_import_keeps_its_record_count(small_chat_path):
    row = Import.objects.create(source_paths=[str(small_chat_path)], bytes_total=small_chat_path.stat().st_size)

    import_run(import_id=row.pk)

    row.refresh_from_db()
    assert row.status == Import.Status.SUCCEEDED
    assert row.progress == 6


# --- the admin's progress endpoint -------------------------------------------------

def test_the_progress_endpoint_tells_a_moderator_where_an_import_is(moderator_client):
    row = Import.objects.create(original_name="big.jsonl", status=Import.Status.RUNNING, progress=1200,
                                bytes_read=250, bytes_total=1000)

    response = moderator_client.get(f"/admin/chats/import/{row.pk}/progress/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "running", "status_display": "Running", "percent": 25, "records": 1200, "created": 0,
        "updated": 0, "unchanged": 0, "skipped": 0, "finished": False,
    }


def test_the_progress_endpoint_of_a_finished_import(moderator_client):
    row = Import.objects.create(original_name="small.jsonl", status=Import.Status.SUCCEEDED, progress=6,
                                bytes_read=10, bytes_total=5975, created_count=4, updated_count=1,
                                unchanged_count=1, skipped_count=2)

    document = moderator_client.get(f"/admin/chats/import/{row.pk}/progress/").json()

    assert (document["status"], document["percent"], document["records"], document["finished"]) == (
        "succeeded", 100, 6, True)
    assert (document["created"], document["updated"], document["unchanged"], document["skipped"]) == (4, 1, 1, 2)


def test_the_progress_endpoint_of_a_missing_import_is_404(moderator_client):
    response = moderator_client.get("/admin/chats/import/987654/progress/")

    assert response.status_code == 404
    assert response.json() == {"error": "no such import"}


def test_the_progress_endpoint_keeps_others_out(client, django_user_model):
    row = Import.objects.create(original_name="big.jsonl", status=Import.Status.RUNNING, progress=10)
    url = f"/admin/chats/import/{row.pk}/progress/"

    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/admin/login/")

    reader = django_user_model.objects.create_user("reader", password="a long enough password")
    client.force_login(reader)
    assert client.get(url).status_code == 302  # not staff: to the login page

    staff = django_user_model.objects.create_user("staff", password="a long enough password", is_staff=True)
    client.force_login(staff)
    response = client.get(url)
    assert response.status_code == 403
    assert response.json() == {"error": "forbidden"}


def test_the_endpoint_is_named(moderator_client):
    from django.urls import reverse

    assert reverse("admin:chats_import_progress", args=[42]) == "/admin/chats/import/42/progress/"


# --- a dry run uploaded through the admin ----------------------------------------------

def test_an_admin_dry_run_records_what_it_would_do_and_writes_nothing(
        moderator_client, small_chat_path, row_counts, django_capture_on_commit_callbacks):
    before = row_counts()
    with django_capture_on_commit_callbacks() as callbacks:
        response = moderator_client.post("/admin/chats/import/add/", {
            "file": SimpleUploadedFile("chat.jsonl", small_chat_path.read_bytes()), "requested_format": "auto",
            "series_hashtag": "", "chat_slug": "", "dry_run": "on"})
    row = Import.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/chats/import/{row.pk}/change/"
    assert (row.dry_run, row.strict, row.split_sessions) == (True, False, False)
    assert row.bytes_total == small_chat_path.stat().st_size
    assert len(callbacks) == 1  # the task, sent once the row is committed

    outcome = import_run(import_id=row.pk)

    assert outcome.status == "succeeded"
    row.refresh_from_db()
    assert row.status == Import.Status.SUCCEEDED
    assert (row.created_count, row.updated_count, row.unchanged_count, row.skipped_count) == (6, 0, 0, 0)
    assert (row.first_post_at, row.last_post_at) == (SMALL_FIRST_AT, SMALL_LAST_AT)
    assert row.planned_chats == ["hcsmca-1"]
    assert list(row.chats.all()) == []
    after = without_import_rows(row_counts())
    assert after.pop("django_admin_log") == before.pop("django_admin_log") + 1  # "added import"
    assert after == without_import_rows(before)
    assert Post.objects.count() == 0

    page = moderator_client.get(f"/admin/chats/import/{row.pk}/change/").content.decode()
    assert "hcsmca-1" in page  # the chats it would create
    assert "2019-01-16 20:00 – 2019-01-16 20:10 UTC" in page


def test_an_admin_upload_with_strict_and_split_sessions_keeps_them(moderator_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        moderator_client.post("/admin/chats/import/add/", {
            "file": SimpleUploadedFile("capture.jsonl", b'{"id_str": "1"}\n'), "requested_format": "twitter-v1",
            "series_hashtag": "pxchat", "chat_slug": "", "split_sessions": "on", "strict": "on"})

    row = Import.objects.get()
    assert (row.dry_run, row.strict, row.split_sessions, row.series_hashtag) == (False, True, True, "pxchat")


# --- --strict on the command line ------------------------------------------------------

BAD_LINE_FILE = IMPORT_FIXTURES / "one_bad_line.jsonl"


def command(*args) -> tuple[int, dict, str]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("import_transcript", str(BAD_LINE_FILE), *args, "--json", stdout=out, stderr=err)
    except SystemExit as exit_:
        code = exit_.code
    return code, json.loads(out.getvalue().strip().splitlines()[-1]), err.getvalue()


def test_the_command_skips_a_bad_line_and_reports_it(row_counts):
    code, document, stderr = command()

    assert code == 0
    assert (document["status"], document["created"], document["skipped"]) == ("succeeded", 3, 1)
    assert [error["record"] for error in document["errors"]] == [3]
    assert document["errors"][0]["message"].startswith("invalid JSON")
    assert "record 3: invalid JSON" in stderr
    assert Post.objects.count() == 3
    row = Import.objects.get()
    assert (row.status, row.strict, row.skipped_count) == (Import.Status.SUCCEEDED, False, 1)


def test_the_command_with_strict_fails_on_a_bad_line_and_writes_nothing(row_counts):
    before = row_counts()

    code, document, stderr = command("--strict")

    assert code == 1
    assert (document["status"], document["created"], document["updated"], document["chats"]) == ("failed", 0, 0, [])
    assert [error["record"] for error in document["errors"]] == [3]
    assert document["errors"][0]["message"].startswith("invalid JSON")
    assert "(--strict)" in document["errors"][0]["message"]
    assert "record 3: invalid JSON" in stderr
    assert without_import_rows(row_counts()) == without_import_rows(before)
    row = Import.objects.get()
    assert (row.status, row.strict) == (Import.Status.FAILED, True)


def test_a_strict_dry_run_fails_the_same_way(row_counts):
    before = row_counts()

    code, document, _ = command("--strict", "--dry-run")

    assert code == 1
    assert document["status"] == "failed"
    assert [error["record"] for error in document["errors"]] == [3]
    assert row_counts() == before
