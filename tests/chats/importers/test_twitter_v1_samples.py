"""The Twitter v1.1 parser over the real third-party files in
``../shared/data/samples/twitter_v1/`` (SOURCES.md there says where each comes
from and what it holds). No database.

The expectations were checked against the files themselves; where they differ
from SOURCES.md's raw counts the reason is noted in the table.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from chats.importers import twitter_v1
from chats.importers.base import ParsedPost
from tests.chats.importers.helpers import parse_file
from tests.samples import samples_dir

# What Twitter appends to a text it cut at 140 characters (after expansion).
TRUNCATION_MARKER = "… https://twitter.com/i/web/status/"


@dataclass(frozen=True)
class Expected:
    posts: int
    reposts: int
    quotes: int  # quote_of_id set; a retweet of a quote tweet is a repost, not a quote
    replies: int
    with_media: int  # a retweet carries the media of the retweeted post
    languages: dict[str, int]
    # Posts whose only text in the file is Twitter's truncated one: nothing
    # longer exists in the record (compat-mode REST output, or a retweet of it).
    truncated_records: frozenset[int] = field(default_factory=frozenset)


EXPECTED = {
    "bear_python-twitter__extended_tweet_in_compat_mode.json": Expected(
        posts=1, reposts=0, quotes=0, replies=0, with_media=0, languages={"en": 1}, truncated_records=frozenset({1})
    ),
    "bear_python-twitter__extended_tweet_in_extended_mode.json": Expected(
        posts=1, reposts=0, quotes=0, replies=0, with_media=1, languages={"en": 1}
    ),
    "bear_python-twitter__get_search_raw.json": Expected(
        # SOURCES counts 15 quotes: 9 quote tweets plus 6 retweets of quote tweets.
        posts=100,
        reposts=74,
        quotes=9,
        replies=1,
        with_media=83,
        languages={
            "en": 57,
            "und": 16,
            "ar": 6,
            "es": 4,
            "ja": 4,
            "pt": 3,
            "tr": 3,
            "it": 2,
            "fr": 2,
            "ht": 1,
            "nl": 1,
            "in": 1,
        },
    ),
    "bear_python-twitter__get_user_timeline.json": Expected(
        posts=20, reposts=0, quotes=1, replies=8, with_media=4, languages={"en": 20}
    ),
    "bear_python-twitter__streaming_lines.jsonl": Expected(
        posts=72,
        reposts=0,
        quotes=8,
        replies=33,
        with_media=18,
        languages={
            "en": 36,
            "es": 6,
            "ja": 6,
            "ar": 5,
            "ko": 4,
            "in": 3,
            "de": 2,
            "pt": 2,
            "th": 2,
            "bg": 1,
            "fr": 1,
            "it": 1,
            "ru": 1,
            "el": 1,
            "iw": 1,
        },
    ),
    "gwu-libraries_notebooks__sfm_user_timeline_tweets.jsonl": Expected(
        # SOURCES counts media=2 at the top level; 4 retweets carry the original's photos.
        posts=50,
        reposts=23,
        quotes=5,
        replies=3,
        with_media=6,
        languages={"en": 50},
        truncated_records=frozenset({4, 11, 15}),  # 4 retweets a truncated status
    ),
    "gwu-libraries_notebooks__stream_follow.jsonl": Expected(
        posts=6, reposts=1, quotes=1, replies=3, with_media=0, languages={"en": 6}
    ),
    "waynegraham_twitter-archive__dlfteach_twarc_search.jsonl": Expected(
        posts=4, reposts=2, quotes=0, replies=0, with_media=0, languages={"en": 4}
    ),
    "xdevplatform_tweet_parser__original_format_examples.jsonl": Expected(
        # SOURCES counts media=5 at the top level; 2 more in extended_tweet, 1 in a retweet.
        posts=25,
        reposts=3,
        quotes=8,
        replies=4,
        with_media=8,
        languages={"en": 25},
    ),
    "xdevplatform_tweet_parser__public_api_sample.jsonl": Expected(
        posts=20,
        reposts=3,
        quotes=8,
        replies=3,
        with_media=2,
        languages={"en": 19, "fr": 1},
        truncated_records=frozenset({8, 14, 15, 16, 17, 18}),  # 14 retweets a truncated status
    ),
}


@pytest.fixture(scope="module")
def folder() -> Path:
    return samples_dir("twitter_v1")


def posts_of(folder: Path, name: str) -> list[ParsedPost]:
    results = parse_file(twitter_v1, folder / name)
    assert all(isinstance(result, ParsedPost) for result in results), "no sample holds stream notices"
    return results


def source_statuses(path: Path) -> list[dict]:
    """The file's statuses read with plain json, independently of the parser."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    document = json.loads(text)
    if isinstance(document, dict) and "statuses" in document:
        return document["statuses"]
    return document if isinstance(document, list) else [document]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_counts(folder, name):
    expected = EXPECTED[name]
    posts = posts_of(folder, name)
    assert len(posts) == expected.posts
    assert sum(bool(post.repost_of_id) for post in posts) == expected.reposts
    assert sum(bool(post.quote_of_id) for post in posts) == expected.quotes
    assert sum(bool(post.reply_to_id) for post in posts) == expected.replies
    assert sum(bool(post.media) for post in posts) == expected.with_media
    assert Counter(post.language for post in posts) == Counter(expected.languages)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_ids_records_and_raw_match_the_file(folder, name):
    posts = posts_of(folder, name)
    statuses = source_statuses(folder / name)
    assert [post.external_id for post in posts] == [status["id_str"] for status in statuses]
    assert [post.author.platform_id for post in posts] == [status["user"]["id_str"] for status in statuses]
    assert [post.record for post in posts] == list(range(1, len(statuses) + 1))
    assert [post.raw for post in posts] == statuses
    assert all(
        post.created_at.tzinfo is not None and post.created_at.utcoffset().total_seconds() == 0 for post in posts
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_texts_are_readable(folder, name):
    posts = posts_of(folder, name)
    for post in posts:
        # Every t.co link in these files has an entity: all are expanded or dropped.
        assert "://t.co/" not in post.text, (post.record, post.text)
        # No sample is double-escaped, so no entity may survive unescaping.
        assert not any(entity in post.text for entity in ("&amp;", "&lt;", "&gt;")), (post.record, post.text)
    truncated = {post.record for post in posts if TRUNCATION_MARKER in post.text}
    assert truncated == EXPECTED[name].truncated_records



@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_truncated_flag_marks_the_cut_texts(folder, name):
    posts = posts_of(folder, name)
    assert {post.record for post in posts if post.truncated} == EXPECTED[name].truncated_records


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_retweets_carry_the_original_full_text(folder, name):
    for post in posts_of(folder, name):
        if post.repost_of_id:
            original = twitter_v1.parse_status(post.raw["retweeted_status"], post.record)
            assert post.repost_of_id == original.external_id
            # rstrip: a retweet of a photo-only post reads "RT @WaifuDepot:".
            assert post.text == f"RT @{original.author.handle}: {original.text}".rstrip()


def test_rounded_numeric_ids_are_not_used(folder):
    first = posts_of(folder, "xdevplatform_tweet_parser__public_api_sample.jsonl")[0]
    assert first.raw["id"] == 872836479608733700
    assert first.external_id == "872836479608733696"
    assert first.raw["quoted_status_id"] == 872836379595620400
    assert first.quote_of_id == "872836379595620353"
    assert first.author.platform_id == "815279070241955840"

    follow = posts_of(folder, "gwu-libraries_notebooks__stream_follow.jsonl")
    assert follow[0].external_id == "795972820413140992"
    assert follow[1].repost_of_id == "795972820413140992"
    assert follow[3].reply_to_id == "795972351250796545"


def test_streaming_texts_come_from_extended_tweet(folder):
    posts = posts_of(folder, "bear_python-twitter__streaming_lines.jsonl")
    assert all(post.raw["truncated"] for post in posts)
    for post in posts:
        assert not post.text.endswith("…")
        # The text begins like the unescaped full text (its links aside).
        full_text = html.unescape(post.raw["extended_tweet"]["full_text"])
        start = full_text.split("https://t.co/")[0].rstrip()
        assert post.text.startswith(start), post.record
    # Not every full text is over 140 characters: Twitter counts CJK and Thai
    # characters double, and media links and entities shrink once processed.
    assert sum(len(post.text) > 140 for post in posts) == 63


def test_html_entities_are_unescaped(folder):
    timeline = posts_of(folder, "gwu-libraries_notebooks__sfm_user_timeline_tweets.jsonl")
    assert timeline[38].raw["text"].startswith("Farewell &amp; thank you")
    assert timeline[38].text.startswith("Farewell & thank you")
    search = posts_of(folder, "bear_python-twitter__get_search_raw.json")
    assert search[31].text == "RT @iComidaPorno: Mini galletas y Cupcakes <3"


def test_compat_and_extended_mode_of_the_same_status(folder):
    (compat,) = posts_of(folder, "bear_python-twitter__extended_tweet_in_compat_mode.json")
    (extended,) = posts_of(folder, "bear_python-twitter__extended_tweet_in_extended_mode.json")
    assert compat.external_id == extended.external_id == "782737772490600448"
    # Compat mode holds only the cut text: the full one is not in that file.
    assert extended.text == (
        "has more details about these changes.  Thanks for making more expressive!"
        "writing requirements to python_twitt python_twitter.egg-info/SOURCE"
    )
    assert compat.text == (
        "has more details about these changes.  Thanks for making more expressive!"
        "writing requirements to python_twitt pytho… https://twitter.com/i/web/status/782737772490600448"
    )
    assert extended.text.startswith(compat.text.split("…")[0])
    assert compat.truncated is True
    assert extended.truncated is False
    assert [media.url for media in extended.media] == ["https://pbs.twimg.com/media/CtzX2fnXEAAMAjK.jpg"]


def test_retweets_in_a_chat_search_point_at_the_original(folder):
    posts = posts_of(folder, "waynegraham_twitter-archive__dlfteach_twarc_search.jsonl")
    original = posts[3]
    assert original.external_id == "981232181216514048"
    for retweet in posts[1:3]:
        assert retweet.repost_of_id == original.external_id
        assert retweet.text == f"RT @letsshall: {original.text}"
        assert retweet.raw["full_text"].endswith("…")  # what the file itself says
