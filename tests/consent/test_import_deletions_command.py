"""`manage.py import_deletions`: the parser and posts_mark_deleted from the
command line."""
from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from chats.models import Post, PostTombstone, Redaction
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[int, dict, str]:
    import io

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_deletions", *args, "--json", stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, json.loads(out.getvalue().strip().splitlines()[-1]), err.getvalue()


def test_a_list_removes_the_archived_posts_and_tombstones_every_id(tmp_path):
    kept, gone = PostFactory(), PostFactory()
    listing = tmp_path / "deleted.txt"
    listing.write_text(
        f"# deleted since\n{gone.external_id}\nhttps://twitter.com/x/status/999\nnot-an-id\n"
        '{"delete": {"status": {"id_str": "1000", "user_id_str": "2"}}}\n'
    )
    code, outcome, err = run(str(listing), "--platform", "twitter")
    assert code == 0
    assert outcome["status"] == "succeeded"
    assert (outcome["ids"], outcome["posts_removed"]) == (3, 1)
    assert outcome["errors"] == [{"line": 4, "message": outcome["errors"][0]["message"]}]
    assert "line 4:" in err
    gone.refresh_from_db()
    kept.refresh_from_db()
    assert gone.removed == "deleted" and gone.text == ""
    assert kept.removed == "" and kept.text
    assert set(PostTombstone.objects.values_list("external_id", flat=True)) == {gone.external_id, "999", "1000"}
    redaction = Redaction.objects.get(pk=outcome["redaction"])
    assert redaction.kind == Redaction.Kind.DELETION_LIST and redaction.post_count == 1


def test_a_missing_file_fails(tmp_path):
    code, outcome, _ = run(str(tmp_path / "nope.txt"), "--platform", "twitter")
    assert code == 1 and outcome["status"] == "failed"
    assert not Redaction.objects.exists()


def test_a_binary_file_fails_without_writing(tmp_path):
    path = tmp_path / "deleted.zip"
    path.write_bytes(b"PK\x03\x04\x00\x00\x00")
    code, outcome, _ = run(str(path), "--platform", "twitter")
    assert code == 1
    assert "not text" in outcome["errors"][0]["message"]
    assert not Redaction.objects.exists() and not PostTombstone.objects.exists()


def test_a_file_of_only_bad_lines_fails(tmp_path):
    post = PostFactory()
    path = tmp_path / "wrong.txt"
    path.write_text("hello\nworld\n")
    code, outcome, _ = run(str(path), "--platform", "twitter")
    assert code == 1 and [e["line"] for e in outcome["errors"]] == [1, 2]
    assert not Redaction.objects.exists()
    assert Post.objects.get(pk=post.pk).removed == ""


def test_the_platform_is_required(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("1\n")
    from django.core.management.base import CommandError

    with pytest.raises((CommandError, SystemExit)):
        call_command("import_deletions", str(path))
