"""Compressed transcripts (.gz, .zip): read lazily, within limits, names never paths
(chats/services/sources.py, and its use by the import service and the command)."""
from __future__ import annotations

import gzip
import io
import zipfile
from contextlib import ExitStack

import pytest
from django.core.management import call_command

from chats.models import Import, Post
from chats.services.imports import SourceFile, transcript_import
from chats.services.sources import RATIO_FLOOR_BYTES, DecompressionRefused, decompressed

MIB = 1024 * 1024


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def read_all(data: bytes, *, name="upload", limit=64 * MIB, max_ratio=100) -> list[tuple[str, bytes]]:
    with ExitStack() as stack:
        sources = decompressed(name, io.BytesIO(data), len(data), stack=stack, limit=limit, max_ratio=max_ratio)
        return [(label, stream.read()) for label, stream, _ in sources]


# --- The module on its own --------------------------------------------------

def test_an_uncompressed_file_is_passed_through_untouched():
    stream = io.BytesIO(b'{"id_str": "1"}\n')
    with ExitStack() as stack:
        [(name, same, size)] = decompressed("a.jsonl", stream, 16, stack=stack, limit=10, max_ratio=1)
    assert (name, same, size) == ("a.jsonl", stream, 16)


def test_a_gzip_file_is_read_decompressed_and_rewinds_for_its_head():
    data = b"line\n" * 1000
    with ExitStack() as stack:
        [(name, stream, size)] = decompressed("a.jsonl.gz", io.BytesIO(gzip.compress(data)), len(gzip.compress(data)),
                                              stack=stack, limit=len(data), max_ratio=100)
        head = stream.read(10)
        stream.seek(0)  # the importer reads a file's head, then rewinds: that costs no budget
        assert (head, stream.readline(), stream.read()) == (data[:10], b"line\n", data[5:])
    assert (name, size) == ("a.jsonl.gz", len(data))


@pytest.mark.parametrize("pack", [gzip.compress, lambda data: zipped({"a.jsonl": data})], ids=["gz", "zip"])
def test_a_source_of_unknown_size_is_measured_for_the_ratio_guard(pack):
    # Callers may give a stream without its size (SourceFile's size defaults to 0).
    data = bytes(range(256)) * (RATIO_FLOOR_BYTES // 256 + 4096)
    packed = pack(data)
    with ExitStack() as stack:
        [(_, stream, _)] = decompressed("x", io.BytesIO(packed), 0, stack=stack, limit=2 * len(data), max_ratio=1000)
        assert stream.read() == data


def test_a_gzip_bomb_stops_at_the_decompressed_size_limit():
    bomb = gzip.compress(b"\0" * (2 * MIB))
    with pytest.raises(DecompressionRefused, match=r"bomb\.gz: decompresses to more than 1,048,576 bytes"):
        read_all(bomb, name="bomb.gz", limit=MIB)


def test_a_bomb_of_one_endless_line_stops_too():
    bomb = gzip.compress(b"x" * (3 * MIB))
    with ExitStack() as stack:
        [(_, stream, _)] = decompressed("line.gz", io.BytesIO(bomb), len(bomb), stack=stack, limit=MIB, max_ratio=10**6)
        with pytest.raises(DecompressionRefused, match="more than 1,048,576 bytes"):
            stream.readline()


def test_a_file_that_grows_past_the_ratio_is_refused_below_the_size_limit():
    data = b"\0" * (RATIO_FLOOR_BYTES + MIB)
    bomb = gzip.compress(data)
    assert len(data) > 100 * len(bomb)
    with pytest.raises(DecompressionRefused, match="more than 100 times its compressed size"):
        read_all(bomb, name="ratio.gz", limit=10 * len(data), max_ratio=100)
    # A transcript that compresses within the ratio reads whole.
    assert read_all(bomb, limit=10 * len(data), max_ratio=10**6) == [("upload", data)]


def test_a_zip_bomb_stops_at_the_limit_shared_by_its_members():
    # Each member alone is under the limit; together they are not.
    bomb = zipped({"a.jsonl": b"\0" * (MIB // 2 + 1), "b.jsonl": b"\0" * (MIB // 2 + 1)})
    with pytest.raises(DecompressionRefused, match=r"bomb\.zip: b\.jsonl: decompresses to more than"):
        read_all(bomb, name="bomb.zip", limit=MIB)


def test_zip_member_names_are_labels_never_paths(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    found = read_all(zipped({"../evil.jsonl": b"one\n", "/etc/cron.d/x": b"two\n", "dir/": b""}), name="up.zip")
    assert found == [("up.zip: ../evil.jsonl", b"one\n"), ("up.zip: /etc/cron.d/x", b"two\n")]
    assert list(tmp_path.rglob("*")) == [work]  # nothing was written anywhere


@pytest.mark.parametrize(("data", "message"), [
    (gzip.compress(bytes(range(256)) * 40)[:-12], "cannot be decompressed"),  # cut short
    (b"\x1f\x8b" + b"not gzip at all" * 3, "cannot be decompressed"),
    (b"PK\x03\x04" + b"not a zip" * 4, "not a readable zip file"),
    (zipped({}), "the zip file holds no files"),
], ids=["truncated-gz", "corrupt-gz", "corrupt-zip", "empty-zip"])
def test_a_damaged_file_is_refused_with_its_name(data, message):
    with pytest.raises(DecompressionRefused, match=f"broken: {message}"):
        read_all(data, name="broken")


# --- Through the import service and the command -----------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("default_series_hcsmca")
@pytest.mark.parametrize("pack", [gzip.compress, lambda data: zipped({"../chat.jsonl": data})])
def test_a_compressed_transcript_imports_like_the_plain_one(small_chat_path, pack):
    data = pack(small_chat_path.read_bytes())
    outcome = transcript_import(sources=[SourceFile("upload", io.BytesIO(data), len(data))])
    assert (outcome.status, outcome.format, outcome.created, outcome.chats) == ("succeeded", "twitter-v1", 6, ["hcsmca-1"])
    assert Post.objects.count() == 6


@pytest.mark.django_db
@pytest.mark.usefixtures("default_series_hcsmca")
def test_a_bomb_fails_the_import_naming_the_member_and_writes_nothing(small_chat_path, settings, row_counts):
    transcript = small_chat_path.read_bytes()
    # A real transcript first, so posts are parsed and staged before the bomb goes off.
    data = zipped({"chat.jsonl": transcript + b"\n" * (4 * MIB)})
    settings.HCSMCA_MAX_DECOMPRESSED_BYTES = 2 * MIB
    before = row_counts()
    outcome = transcript_import(sources=[SourceFile("up.zip", io.BytesIO(data), len(data))])
    assert outcome.status == "failed"
    assert outcome.errors[-1] == {"record": None, "message": (
        "up.zip: chat.jsonl: decompresses to more than 2,097,152 bytes, the limit (a zip bomb?); nothing was imported")}
    assert row_counts() == before


@pytest.mark.django_db
@pytest.mark.usefixtures("default_series_hcsmca")
def test_the_command_imports_a_gz_and_refuses_a_corrupt_one(small_chat_path, tmp_path):
    good = tmp_path / "chat.jsonl.gz"
    good.write_bytes(gzip.compress(small_chat_path.read_bytes()))
    err = io.StringIO()
    call_command("import_transcript", str(good), stdout=io.StringIO(), stderr=err)
    assert "succeeded: format twitter-v1, created 6" in err.getvalue()

    bad = tmp_path / "bad.jsonl.gz"
    bad.write_bytes(good.read_bytes()[:40])
    err = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("import_transcript", str(bad), stdout=io.StringIO(), stderr=err)
    assert "bad.jsonl.gz: cannot be decompressed" in err.getvalue()
    assert Import.objects.order_by("-pk").first().status == Import.Status.FAILED
    assert Post.objects.count() == 6


@pytest.mark.django_db
@pytest.mark.usefixtures("default_series_hcsmca")
def test_the_command_reads_a_zip_whose_member_names_point_elsewhere(small_chat_path, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    archive = work / "chats.zip"
    archive.write_bytes(zipped({"../../evil.jsonl": small_chat_path.read_bytes()}))
    err = io.StringIO()
    call_command("import_transcript", str(archive), stdout=io.StringIO(), stderr=err)
    assert "succeeded: format twitter-v1, created 6" in err.getvalue()
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["chats.zip", "work"]  # nothing extracted anywhere
