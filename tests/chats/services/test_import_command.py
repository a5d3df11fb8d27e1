"""`manage.py import_transcript`: its --json line and exit status (architecture.md, section 4)."""
from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from chats.models import Chat, Import, Post

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("default_series_hcsmca")]

CONTRACT_KEYS = {"status", "format", "created", "updated", "unchanged", "skipped", "chats", "errors"}
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def run_command(*args) -> tuple[dict, str, str]:
    """Run the command; return the parsed last stdout line, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    call_command("import_transcript", *map(str, args), "--json", stdout=out, stderr=err)
    return last_json_line(out.getvalue()), out.getvalue(), err.getvalue()


def run_failing_command(*args) -> tuple[dict, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_transcript", *map(str, args), "--json", stdout=out, stderr=err)
    assert exit_info.value.code == 1
    return last_json_line(out.getvalue()), err.getvalue()


def last_json_line(stdout: str) -> dict:
    lines = stdout.rstrip("\n").split("\n")
    document = json.loads(lines[-1])
    assert set(document) == CONTRACT_KEYS
    return document


def without_import_rows(counts: dict[str, int]) -> dict[str, int]:
    """The archive's own tables: the command keeps a record of every run in chats_import."""
    return {table: n for table, n in counts.items() if not table.startswith("chats_import")}


def test_import_prints_the_contract_line(small_chat_path):
    document, _, stderr = run_command(small_chat_path)

    assert document == {
        "status": "succeeded", "format": "twitter-v1", "created": 6, "updated": 0, "unchanged": 0, "skipped": 0,
        "chats": ["hcsmca-1"], "errors": [],
    }
    assert Post.objects.count() == 6
    assert "succeeded: format twitter-v1, created 6, updated 0, unchanged 0, skipped 0, chats hcsmca-1" in stderr
    row = Import.objects.get()
    assert row.status == Import.Status.SUCCEEDED
    assert row.source_paths == [str(small_chat_path.resolve())]
    assert list(row.chats.values_list("slug", flat=True)) == ["hcsmca-1"]


def test_second_run_reports_unchanged(small_chat_path):
    run_command(small_chat_path)

    document, _, _ = run_command(small_chat_path)

    assert (document["created"], document["updated"], document["unchanged"]) == (0, 0, 6)
    assert document["chats"] == ["hcsmca-1"]
    assert Chat.objects.count() == 1


def test_chat_option_names_the_chat(small_chat_path):
    document, _, _ = run_command(small_chat_path, "--chat", "hcsmca-200")

    assert document["chats"] == ["hcsmca-200"]
    assert Chat.objects.get(slug="hcsmca-200").number == 200


def test_series_option_starts_a_new_series(small_chat_path):
    document, _, _ = run_command(small_chat_path, "--series", "#HCLDR")

    assert document["chats"] == ["hcldr-1"]
    assert Chat.objects.get().series.hashtag == "hcldr"


def test_demo_file_imports_26_posts(demo_transcript_path):
    document, _, _ = run_command(demo_transcript_path)

    assert document["status"] == "succeeded"
    assert document["created"] == 26
    assert Post.objects.count() == 26


def test_dry_run_reports_counts_and_writes_nothing(small_chat_path, row_counts):
    before = row_counts()

    document, _, stderr = run_command(small_chat_path, "--dry-run")

    assert document["status"] == "succeeded"
    assert (document["created"], document["updated"], document["unchanged"]) == (6, 0, 0)
    assert document["chats"] == ["hcsmca-1"]
    assert row_counts() == before  # not even an Import row
    assert "created 6" in stderr


def test_failed_import_exits_1_and_writes_nothing(tmp_path, demo_transcript_path, row_counts):
    run_command(demo_transcript_path)
    before = row_counts()
    path = tmp_path / "screenshot.png"
    path.write_bytes(PNG_BYTES)

    document, stderr = run_failing_command(path)

    assert document["status"] == "failed"
    assert (document["created"], document["updated"], document["unchanged"], document["chats"]) == (0, 0, 0, [])
    assert len(document["errors"]) == 1
    assert document["errors"][0]["record"] is None
    message = document["errors"][0]["message"]
    assert message.startswith("screenshot.png is not a transcript this archive can read: expected one of: ")
    assert "twitter-v1 (Twitter API v1.1 statuses" in message
    assert "screenshot.png is not a transcript" in stderr
    after = row_counts()
    assert without_import_rows(after) == without_import_rows(before)
    # The one thing kept is the record of the failed run.
    assert Import.objects.filter(status=Import.Status.FAILED).count() == 1


def test_invalid_json_line_is_skipped_with_its_record(tmp_path, small_chat_path):
    path = tmp_path / "cut.jsonl"
    path.write_bytes(b"".join(small_chat_path.read_bytes().splitlines(keepends=True)[:2]) + b'{"id_str": "1",\n')

    document, _, stderr = run_command(path)

    assert document["status"] == "succeeded"
    assert document["format"] == "twitter-v1"
    assert (document["created"], document["skipped"]) == (2, 1)
    assert [error["record"] for error in document["errors"]] == [3]
    assert document["errors"][0]["message"].startswith("invalid JSON:")
    assert "record 3: invalid JSON" in stderr
    assert Post.objects.count() == 2


def test_invalid_json_line_with_strict_exits_1_with_its_record(tmp_path, small_chat_path, row_counts):
    path = tmp_path / "cut.jsonl"
    path.write_bytes(b"".join(small_chat_path.read_bytes().splitlines(keepends=True)[:2]) + b'{"id_str": "1",\n')
    before = row_counts()

    document, stderr = run_failing_command(path, "--strict")

    assert document["status"] == "failed"
    assert document["format"] == "twitter-v1"
    assert [error["record"] for error in document["errors"]] == [3]
    assert document["errors"][0]["message"].startswith("invalid JSON:")
    assert document["errors"][0]["message"].endswith("(--strict)")
    assert "record 3: invalid JSON" in stderr
    assert without_import_rows(row_counts()) == without_import_rows(before)
    assert Post.objects.count() == 0
    assert Import.objects.get().strict is True


def test_dry_run_of_a_bad_file_exits_1(tmp_path, row_counts):
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    before = row_counts()

    document, _ = run_failing_command(path, "--dry-run")

    assert document["status"] == "failed"
    assert "empty.jsonl is empty: expected a transcript" in document["errors"][0]["message"]
    assert row_counts() == before


def test_a_transcript_read_as_wxr_exits_1(small_chat_path, row_counts):
    before = row_counts()

    document, _ = run_failing_command(small_chat_path, "--format", "wxr")

    assert "not a WordPress export (WXR)" in document["errors"][0]["message"]
    assert without_import_rows(row_counts()) == without_import_rows(before)


def test_missing_path_fails_clearly(tmp_path, small_chat_path, row_counts):
    missing = tmp_path / "no-such-chat.jsonl"
    before = row_counts()

    document, stderr = run_failing_command(small_chat_path, missing)

    assert document == {
        "status": "failed", "format": "", "created": 0, "updated": 0, "unchanged": 0, "skipped": 0, "chats": [],
        "errors": [{"record": None, "message": f"no such file: {missing}"}],
    }
    assert f"no such file: {missing}" in stderr
    assert row_counts() == before  # the readable file was not imported either


def test_record_too_long_for_a_column_fails_like_any_bad_record(tmp_path, small_chat_path, row_counts):
    lines = small_chat_path.read_text(encoding="utf-8").splitlines()
    status = json.loads(lines[1])
    status["id_str"] = "9" * 250  # Post.external_id holds 200 characters
    path = tmp_path / "long-id.jsonl"
    path.write_text("\n".join([lines[0], json.dumps(status)]) + "\n", encoding="utf-8")
    before = row_counts()

    document, _ = run_failing_command(path)

    assert document["status"] == "failed"
    assert without_import_rows(row_counts()) == without_import_rows(before)
    assert Import.objects.get().status == Import.Status.FAILED
