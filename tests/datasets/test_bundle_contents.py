"""What a chat's bundle holds: the files, their columns, the README that
explains each of them, a CITATION.cff that parses, checksums that verify."""
import hashlib
import zipfile

import pytest
import yaml
from django.core.files.storage import default_storage

from chats.models import DatasetBundle, Post
from chats.services.bundles import (
    FULL, LINK_COLUMNS, PARTICIPANT_COLUMNS, POST_COLUMNS, PSEUDONYMISED, QUESTION_COLUMNS, STUDY_COLUMNS,
    bundle_build, columns,
)
from tests.datasets.helpers import csv_rows, jsonl, read_bundle

pytestmark = pytest.mark.django_db

FILES = {"README.md", "CITATION.cff", "SHA256SUMS", "posts.jsonl", "posts.csv", "questions.csv", "participants.csv",
         "links.csv", "studies.csv"}
# The top-level keys of the Citation File Format 1.2.0 schema.
CFF_KEYS = {"abstract", "authors", "cff-version", "commit", "contact", "date-released", "doi", "identifiers",
            "keywords", "license", "license-url", "message", "preferred-citation", "references", "repository",
            "repository-artifact", "repository-code", "title", "type", "url", "version"}
TABLES = {"posts.csv": POST_COLUMNS, "questions.csv": QUESTION_COLUMNS, "participants.csv": PARTICIPANT_COLUMNS,
          "links.csv": LINK_COLUMNS, "studies.csv": STUDY_COLUMNS}


@pytest.fixture
def full_bundle(demo_chat):
    return bundle_build(chat_id=demo_chat.pk, variant=FULL)


def test_the_zip_holds_every_file_in_one_folder(full_bundle):
    with default_storage.open(full_bundle.file.name, "rb") as stored, zipfile.ZipFile(stored) as bundle:
        names = bundle.namelist()
    assert sorted(names) == sorted(f"hcsmca-116-dataset/{name}" for name in FILES)
    assert full_bundle.status == DatasetBundle.Status.READY
    assert full_bundle.file.name.startswith("bundles/hcsmca-116-dataset-")


def test_row_says_the_files_size_and_sha256(full_bundle):
    with default_storage.open(full_bundle.file.name, "rb") as stored:
        data = stored.read()
    assert full_bundle.size == len(data)
    assert full_bundle.sha256 == hashlib.sha256(data).hexdigest()
    assert full_bundle.built_at is not None
    assert full_bundle.source_version.startswith(f"chat {full_bundle.chat_id} v")


@pytest.mark.parametrize("variant", [FULL, PSEUDONYMISED])
def test_every_table_has_its_columns_in_order_and_one_row_per_record(demo_chat, variant):
    files = read_bundle(bundle_build(chat_id=demo_chat.pk, variant=variant))
    for name, spec in TABLES.items():
        header, _ = csv_rows(files[name])
        assert header == [column.name for column in columns(spec, variant)], name
    _, posts = csv_rows(files["posts.csv"])
    assert len(posts) == Post.objects.filter(chat=demo_chat).count() == 26
    _, questions = csv_rows(files["questions.csv"])
    assert [row["label"] for row in questions] == ["T1", "T1a", "T2", "T3"]
    assert next(row for row in questions if row["label"] == "T1a")["parent"] == "T1"
    _, participants = csv_rows(files["participants.csv"])
    assert len(participants) == 7
    assert sum(int(row["post_count"]) for row in participants) == 26
    _, studies = csv_rows(files["studies.csv"])
    assert {row["study"] for row in studies} == {"doi:10.2196/12345", "pmid:31234567"}
    _, links = csv_rows(files["links.csv"])
    assert "https://www.cancer.ca/en/support-and-services" in {row["url"] for row in links}


def test_jsonl_has_a_line_per_post_with_fields_and_original_record(demo_chat, full_bundle):
    lines = jsonl(read_bundle(full_bundle)["posts.jsonl"])
    posts = list(Post.objects.filter(chat=demo_chat).order_by("created_at", "external_id"))
    assert len(lines) == len(posts) == 26
    assert [line["id"] for line in lines] == [post.external_id for post in posts]
    for line, post in zip(lines, posts):
        assert line["original"] == post.original
        assert line["text"] == post.text
        assert line["author"] == post.author.handle
        assert line["chat"] == "hcsmca-116"
        assert set(line) == {column.name for column in POST_COLUMNS} | {"original"}
    retweet = next(line for line in lines if line["text"].startswith("RT @survivor_kate"))
    assert retweet["repost_of"]


def test_csv_keeps_ids_exact_and_neutralises_formulas(demo_chat, full_bundle):
    _, rows = csv_rows(read_bundle(full_bundle)["posts.csv"])
    reply = next(row for row in rows if "moderation matters" in row["text"])
    # A text starting with @ would be a formula in a spreadsheet.
    assert reply["text"].startswith("'@survivor_kate")
    assert all(row["id"].isdigit() and len(row["id"]) == 19 for row in rows)


@pytest.mark.parametrize("variant", [FULL, PSEUDONYMISED])
def test_readme_explains_every_column_and_the_chat(demo_chat, variant):
    files = read_bundle(bundle_build(chat_id=demo_chat.pk, variant=variant))
    readme = files["README.md"].decode()
    for name in TABLES:
        header, _ = csv_rows(files[name])
        for column in header:
            assert f"| `{column}` |" in readme, f"{name}: {column}"
    for key in jsonl(files["posts.jsonl"])[0]:
        assert f"| `{key}` |" in readme, key
    assert "#hcsmca chat 116" in readme
    assert "Posts: 26 (0 removed" in readme
    assert "https://archive.example.org/chats/hcsmca-116/" in readme
    assert "placeholders" in readme and "## Terms" in readme and "## How to cite" in readme
    assert ("pseudonymised" in readme.lower()) if variant == PSEUDONYMISED else ("`original`" in readme)


@pytest.mark.parametrize("variant", [FULL, PSEUDONYMISED])
def test_citation_cff_parses_with_the_required_keys(demo_chat, variant):
    cff = yaml.safe_load(read_bundle(bundle_build(chat_id=demo_chat.pk, variant=variant))["CITATION.cff"])
    assert cff["cff-version"] == "1.2.0"
    assert cff["message"]
    assert cff["type"] == "dataset"
    assert cff["title"].startswith("#hcsmca chat 116")
    assert cff["authors"] == [{"name": "#hcsmca community"}]
    assert cff["url"] == "https://archive.example.org/chats/hcsmca-116/"
    assert cff["date-released"].isoformat() == "2025-03-11"  # the chat's day in Toronto
    # CFF 1.2.0's schema allows no other top-level key (additionalProperties: false).
    assert set(cff) <= CFF_KEYS
    assert cff["keywords"] and len(set(cff["keywords"])) == len(cff["keywords"])
    assert isinstance(cff["version"], str) and cff["abstract"]


def test_checksums_cover_and_verify_every_other_file(full_bundle):
    files = read_bundle(full_bundle)
    listed = {}
    for line in files["SHA256SUMS"].decode().splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    assert set(listed) == FILES - {"SHA256SUMS"}
    for name, digest in listed.items():
        assert hashlib.sha256(files[name]).hexdigest() == digest, name


def test_series_bundle_has_the_same_files_over_its_chats(demo_chat):
    row = bundle_build(series_id=demo_chat.series_id, variant=FULL)
    files = read_bundle(row)
    assert set(files) == FILES
    assert {line["chat"] for line in jsonl(files["posts.jsonl"])} == {"hcsmca-116"}
    cff = yaml.safe_load(files["CITATION.cff"])
    assert cff["url"] == "https://archive.example.org/series/hcsmca/"
    assert "every public archived chat" in files["README.md"].decode()
