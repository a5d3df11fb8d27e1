"""Uploads through the admin: the size limit stops reading early and says why,
compressed transcripts go through, and an uploaded file's name is never a path."""
from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import LimitedStream
from django.test import RequestFactory
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from chats.models import Import, Post
from chats.services.imports import import_run

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("default_series_hcsmca")]

ADD = "/admin/chats/import/add/"


def upload(client, name: str, data: bytes):
    return client.post(ADD, {"file": SimpleUploadedFile(name, data), "requested_format": "auto",
                             "series_hashtag": "", "chat_slug": ""})


def test_an_oversized_upload_is_refused_with_a_clear_message(moderator_client, settings):
    settings.HCSMCA_MAX_UPLOAD_BYTES = 1000
    response = upload(moderator_client, "big.jsonl", b"x" * 5000)
    assert response.status_code == 200
    page = response.content.decode()
    assert "big.jsonl is larger than 1,000 bytes, the largest upload accepted" in page
    assert Import.objects.count() == 0
    # The form says the limit before anyone tries.
    assert "a .zip of several; at most 1,000 bytes." in moderator_client.get(ADD).content.decode()
    # Just under the limit is accepted.
    assert upload(moderator_client, "small.jsonl", b"x" * 1000).status_code == 302


def test_the_server_stops_reading_an_oversized_upload_early(settings, moderator):
    settings.HCSMCA_MAX_UPLOAD_BYTES = 100 * 1024
    body = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("big.jsonl", b"x" * (8 * 1024 * 1024))})
    stream = io.BytesIO(body)
    request = RequestFactory().generic("POST", ADD, body, content_type=MULTIPART_CONTENT)
    request._stream = LimitedStream(stream, len(body))  # the same body, read from a stream that tells how far
    assert "file" not in request.FILES
    assert "larger than 102,400 bytes" in request.upload_refused
    # Read up to the limit and a chunk or two of look-ahead, not the 8 MB.
    assert stream.tell() < 1024 * 1024


def test_an_uploaded_files_name_is_never_used_as_a_path(moderator_client, settings):
    response = upload(moderator_client, "../../etc/passwd.json", b'{"id_str": "1"}\n')
    assert response.status_code == 302
    row = Import.objects.get()
    media = Path(settings.MEDIA_ROOT).resolve()
    stored = Path(row.file.path).resolve()
    assert stored.is_relative_to(media / "imports")
    assert ".." not in row.file.name and ".." not in row.original_name
    assert stored.read_bytes() == b'{"id_str": "1"}\n'


def zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "pack"), [
    ("chat.jsonl.gz", gzip.compress),
    ("chat.zip", lambda data: zipped("../../chat.jsonl", data)),
])
def test_a_compressed_upload_is_imported(moderator_client, small_chat_path, name, pack):
    assert upload(moderator_client, name, pack(small_chat_path.read_bytes())).status_code == 302
    row = Import.objects.get()
    outcome = import_run(import_id=row.pk)
    assert (outcome.status, outcome.created) == ("succeeded", 6)
    assert Post.objects.count() == 6


def test_a_compressed_bomb_upload_fails_its_import_and_writes_nothing(moderator_client, settings, row_counts,
                                                                     small_chat_path):
    settings.HCSMCA_MAX_DECOMPRESSED_BYTES = 1024 * 1024
    # A real transcript first, so the bomb passes the format check and goes off while posts are staged.
    bomb = gzip.compress(small_chat_path.read_bytes() + b"\n" * (4 * 1024 * 1024))
    assert upload(moderator_client, "bomb.gz", bomb).status_code == 302
    row = Import.objects.get()
    before = row_counts()
    import_run(import_id=row.pk)
    row.refresh_from_db()
    assert row.status == Import.Status.FAILED
    assert "bomb.gz: decompresses to more than 1,048,576 bytes" in row.errors[-1]["message"]
    after = row_counts()
    assert {t: n for t, n in after.items() if not t.startswith("chats_import")} == {
        t: n for t, n in before.items() if not t.startswith("chats_import")}
