"""Importing a file twice leaves the archive as importing it once did, and
the second import reports every post unchanged.

Over every committed transcript fixture the import service accepts, and over
small v1.1 transcripts Hypothesis writes (unicode, hashtags, links, replies,
retweets). Real database: few examples, database work is slow.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chats.models import Author, Chat, Link, Post, PostLink, Question
from chats.services.imports import SourceFile, transcript_import
from tests.chats.importers.helpers import FIXTURES_DIR

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("default_series_hcsmca")]

# WordPress exports go to the summaries app, not to chats.
TRANSCRIPT_FOLDERS = ["bluesky", "csv", "import_service", "mastodon", "twitter_archive", "twitter_v1", "twitter_v2"]
FIXTURE_FILES = [
    pytest.param(path, id=f"{folder}/{path.name}")
    for folder in TRANSCRIPT_FOLDERS
    for path in sorted((FIXTURES_DIR / folder).iterdir())
    if path.is_file()
]


def run_import(data: bytes, name: str):
    return transcript_import(sources=[SourceFile(name, io.BytesIO(data), len(data))])


def snapshot() -> dict:
    """What an import writes, without the bookkeeping that a re-import may
    touch (last_import, updated_at, and Chat.content_version: an import that
    changes nothing still bumps it, which only costs a page-cache miss)."""
    return {
        "posts": sorted(
            Post.objects.values_list(
                "platform", "external_id", "content_hash", "text", "created_at", "author__platform_id",
                "chat__slug", "question__label", "reply_to__external_id", "repost_of__external_id",
                "quote_of__external_id", "urls", "hashtags", "mentions",
            ),
            key=repr,
        ),
        "authors": sorted(Author.objects.values_list("platform", "platform_id", "handle", "display_name")),
        "chats": sorted(Chat.objects.values_list("slug", "start", "end")),
        "questions": sorted(Question.objects.values_list("chat__slug", "label", "text", "asked_by__external_id")),
        "links": sorted(Link.objects.values_list("url", "domain", "share_count", "first_post__external_id")),
        "post_links": sorted(PostLink.objects.values_list("post__external_id", "link__url")),
    }


def assert_idempotent(data: bytes, name: str) -> None:
    first = run_import(data, name)
    after_first = snapshot()
    second = run_import(data, name)
    assert snapshot() == after_first
    assert second.status == first.status
    if first.status == "succeeded":
        assert (second.created, second.updated) == (0, 0), second.as_contract()
        assert second.unchanged == first.created + first.updated + first.unchanged
        assert second.skipped == first.skipped


@pytest.mark.parametrize("path", FIXTURE_FILES)
def test_fixture_imported_twice_equals_once(path: Path):
    assert_idempotent(path.read_bytes(), path.name)


# --- Hypothesis: small v1.1 transcripts ---------------------------------------

START = datetime(2019, 1, 16, 20, 0, tzinfo=UTC)
HANDLES = ["hcsmca_mod", "nurse_jo", "dr_amir", "pt_voice"]
WORDS = st.sampled_from(
    ["T1:", "A1", "trust", "santé", "ça", "数据", "🙂", "&amp;", "#hcsmca", "#HCSMca", "#patients", "@nurse_jo",
     "https://example.org/a?b=1", "http://t.co/abc", "\u200b", "ﬁ", "Q2", "\n"]
)


def user(index: int) -> dict:
    return {"id_str": str(1012000000000000001 + index), "name": HANDLES[index].title(),
            "screen_name": HANDLES[index]}


def status(id_str: str, at: datetime, author: int, text: str, **extra) -> dict:
    hashtags = [{"text": word[1:], "indices": [0, 0]} for word in text.split() if word.startswith("#")]
    urls = [{"url": word, "expanded_url": word, "indices": [0, 0]} for word in text.split() if word.startswith("http")]
    return {
        "created_at": at.strftime("%a %b %d %H:%M:%S +0000 %Y"), "id_str": id_str, "full_text": text,
        "truncated": False, "entities": {"hashtags": hashtags, "urls": urls, "user_mentions": []},
        "user": user(author), "lang": "en", **extra,
    }


@st.composite
def transcripts(draw) -> bytes:
    count = draw(st.integers(min_value=1, max_value=8))
    records: list[dict] = []
    for index in range(count):
        id_str = str(1085624398153904128 + draw(st.integers(min_value=0, max_value=40)) * 1000 + index)
        at = START + timedelta(seconds=draw(st.integers(min_value=0, max_value=3600)))
        author = draw(st.integers(min_value=0, max_value=len(HANDLES) - 1))
        text = " ".join(draw(st.lists(WORDS, min_size=1, max_size=8))) + " #hcsmca"
        extra: dict = {}
        if records and draw(st.booleans()):
            target = draw(st.sampled_from(records))
            if draw(st.booleans()):
                extra = {"in_reply_to_status_id_str": target["id_str"],
                         "in_reply_to_screen_name": target["user"]["screen_name"]}
            else:
                extra = {"retweeted_status": target}
                text = f"RT @{target['user']['screen_name']}: {target['full_text']}"
        records.append(status(id_str, at, author, text, **extra))
    return b"".join(json.dumps(record, ensure_ascii=False).encode() + b"\n" for record in records)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=transcripts())
def test_generated_transcript_imported_twice_equals_once(data):
    # Each example starts from an empty archive: the test's transaction is
    # shared by examples, so clear what the last one wrote.
    Post.objects.all().delete()
    Link.objects.all().delete()
    Chat.objects.all().delete()
    Author.objects.all().delete()
    assert_idempotent(data, "chat.jsonl")
    assert Post.objects.exists()
