"""Reading a built bundle back."""
from __future__ import annotations

import csv
import io
import json
import zipfile

from django.core.files.storage import default_storage


def read_bundle(row) -> dict[str, bytes]:
    """The files of bundle ``row``, by their name inside its folder."""
    with default_storage.open(row.file.name, "rb") as stored, zipfile.ZipFile(stored) as bundle:
        infos = bundle.infolist()
        folders = {info.filename.split("/", 1)[0] for info in infos}
        assert len(folders) == 1, f"one folder expected, got {folders}"
        return {info.filename.split("/", 1)[1]: bundle.read(info) for info in infos}


def csv_rows(data: bytes) -> tuple[list[str], list[dict]]:
    reader = csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def jsonl(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]
