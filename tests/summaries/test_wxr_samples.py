"""The real WordPress exports in ../shared/data/samples/wxr/ (SOURCES.md
there says where each comes from and what it holds): read by the parser,
then imported end to end, each into an empty archive. Skipped when the
folder is not beside the checkout; a failure on CI (tests/samples.py)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from chats.services.imports import SourceFile
from summaries.models import Comment, Summary
from summaries.services.wxr_import import wordpress_import
from summaries.wxr import WxrAuthor, WxrItem, WxrSite, WxrSkipped, parse
from tests.samples import samples_dir


@dataclass(frozen=True)
class Expected:
    version: str
    types: dict[str, int]  # items by wp:post_type
    comments: int  # <wp:comment>s, on every item type
    authors: int
    # After the import into an empty archive:
    statuses: dict[str, int]  # summaries by status
    comments_imported: dict[tuple[str, str], int]  # (kind, status) of the comments on posts
    threaded: int  # comments with a parent
    notes: int = 1  # report lines: the items that are not posts, and any draft-for-a-password


EXPECTED = {
    # 186 items, 33 comments (SOURCES.md). 58 posts: 56 published (one with a
    # password, kept as a draft), a draft and one scheduled for 2030. The 5
    # comments on pages go with the pages.
    "WordPress_wordpress-importer__theme-unit-test-data.xml": Expected(
        version="1.2", types={"post": 58, "page": 21, "attachment": 37, "nav_menu_item": 70}, comments=33, authors=2,
        statuses={"published": 55, "draft": 2, "scheduled": 1},
        comments_imported={("comment", "approved"): 23, ("comment", "pending"): 1, ("pingback", "approved"): 2,
                           ("trackback", "approved"): 2},
        threaded=9, notes=2,
    ),
    # One private post (a draft here) among six.
    "WordPress_wordpress-importer__small-export.xml": Expected(
        version="1.1", types={"post": 6, "page": 5}, comments=1, authors=3,
        statuses={"published": 5, "draft": 1}, comments_imported={("comment", "approved"): 1}, threaded=0,
    ),
    "WordPress_wordpress-importer__valid-wxr-1.0.xml": Expected(
        version="1.0", types={"post": 3, "page": 3}, comments=1, authors=0,
        statuses={"published": 3}, comments_imported={("comment", "approved"): 1}, threaded=0,
    ),
    "WordPress_wordpress-importer__wxr-utf-8-challenges.xml": Expected(
        version="1.2", types={"post": 1}, comments=0, authors=1,
        statuses={"published": 1}, comments_imported={}, threaded=0, notes=0,
    ),
}


@pytest.fixture(scope="module")
def folder() -> Path:
    return samples_dir("wxr")


def test_the_table_covers_every_sample_file(folder):
    assert {path.name for path in folder.iterdir()} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_parser_counts(folder, name):
    expected = EXPECTED[name]
    with (folder / name).open("rb") as stream:
        records = list(parse(stream))
    assert [r.wxr_version for r in records if isinstance(r, WxrSite)] == [expected.version]
    assert not [r for r in records if isinstance(r, WxrSkipped)]
    items = [r for r in records if isinstance(r, WxrItem)]
    assert Counter(item.post_type for item in items) == expected.types
    assert sum(len(item.comments) for item in items) == expected.comments
    assert len([r for r in records if isinstance(r, WxrAuthor)]) == expected.authors
    assert [item.record for item in items] == list(range(1, len(items) + 1))


def run(path: Path):
    with path.open("rb") as stream:
        return wordpress_import(sources=[SourceFile(path.name, stream, path.stat().st_size)])


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_import_counts(folder, name):
    expected = EXPECTED[name]
    posts = expected.types["post"]
    outcome = run(folder / name)
    assert outcome.status == "succeeded", outcome.errors
    assert (outcome.format, outcome.created, outcome.updated, outcome.skipped) == (
        "wxr", posts, 0, sum(expected.types.values()) - posts)
    assert len(outcome.errors) == expected.notes, outcome.errors
    assert Counter(Summary.objects.values_list("status", flat=True)) == expected.statuses
    assert Counter(Comment.objects.values_list("kind", "status")) == expected.comments_imported
    assert Comment.objects.filter(parent__isnull=False).count() == expected.threaded
    assert outcome.comments_created == sum(expected.comments_imported.values())
    # Every summary has a slug its permalink pattern takes, and a sanitised body.
    for summary in Summary.objects.all():
        assert summary.get_absolute_url().endswith(f"/{summary.slug}/")
        assert "<script" not in summary.body_html
    again = run(folder / name)
    assert (again.created, again.updated, again.unchanged) == (0, 0, posts)
    assert (again.comments_created, again.comments_updated) == (0, 0)


@pytest.mark.django_db
def test_theme_unit_test_details(folder, client):
    run(folder / "WordPress_wordpress-importer__theme-unit-test-data.xml")
    # A title with markup is plain text; a title missing gets a stand-in.
    assert Summary.objects.get(wp_post_id=1173).title == "Markup: Title With Markup"
    assert Summary.objects.get(wp_post_id=1169).title == "(no title)"
    # Block-editor posts carry links like /2018/11/02/block-cover/ for a post dated 3 November.
    cover = Summary.objects.get(wp_post_id=1745)
    assert cover.legacy_path == "/2018/11/02/block-cover/"
    response = client.get("/2018/11/02/block-cover/")
    assert (response.status_code, response["Location"]) == (301, cover.get_absolute_url())
    assert client.get(cover.get_absolute_url()).status_code == 200
    response = client.get("/?p=1148")
    assert (response.status_code, response["Location"]) == (301, "/2012/01/03/template-comments/")
    # The draft's ?p= answers nothing.
    assert client.get("/?p=1164").status_code == 404


@pytest.mark.django_db
def test_utf8_challenges(folder):
    run(folder / "WordPress_wordpress-importer__wxr-utf-8-challenges.xml")
    summary = Summary.objects.get()
    # The slug had bidi controls and an emoji: the permalink keeps its letters.
    assert summary.slug == "hello-world-utf8-test"
    # The title keeps every character (it is escaped wherever it is shown).
    assert "\u202e" in summary.title and summary.title.startswith('"The Road')
    assert summary.author.username == "admin"
