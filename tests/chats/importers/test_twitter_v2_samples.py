"""The Twitter API v2 (twarc2) parser over the real third-party files in
``../shared/data/samples/twitter_v2/`` (SOURCES.md there says where each comes
from and what it holds). No database.

Every file imports; none is rejected as a whole. The expectations were checked
against the files themselves and agree with SOURCES.md's counts.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from chats.importers import twitter_v2
from chats.importers.base import ParsedPost, SkippedRecord
from tests.chats.importers.helpers import parse_file, posts_in
from tests.samples import samples_dir


@dataclass(frozen=True)
class Expected:
    posts: int
    reposts: int
    quotes: int
    replies: int
    with_media: int  # a retweet carries the media of the retweeted tweet when the file has them
    languages: dict[str, int]
    edited: int = 0  # posts with edit_history_ids
    # Skipped records, valid and invalid: {record: reason}.
    skipped: dict[int, str] = field(default_factory=dict)
    invalid: dict[int, str] = field(default_factory=dict)


EXPECTED = {
    "DocNow_twarc-csv__brexit.jsonl": Expected(
        # One search page; its poll (includes.polls) is not media.
        posts=100,
        reposts=67,
        quotes=11,
        replies=10,
        with_media=7,
        languages={"en": 92, "de": 4, "und": 3, "es": 1},
    ),
    "DocNow_twarc-csv__edited.jsonl": Expected(
        # The latest version; the earlier one is only in includes.tweets.
        posts=1,
        reposts=0,
        quotes=0,
        replies=0,
        with_media=0,
        languages={"qst": 1},
        edited=1,
    ),
    "DocNow_twarc-csv__flat.jsonl": Expected(
        posts=100,
        reposts=47,
        quotes=8,
        replies=31,
        with_media=6,
        languages={"en": 86, "es": 10, "tl": 2, "und": 1, "sv": 1},
    ),
    "DocNow_twarc-csv__noflat.jsonl": Expected(
        # Its one page error is about a suspended user, not a tweet: ignored.
        posts=100,
        reposts=47,
        quotes=8,
        replies=31,
        with_media=6,
        languages={"en": 86, "es": 10, "tl": 2, "und": 1, "sv": 1},
    ),
    "DocNow_twarc-csv__quoted_edit.jsonl": Expected(
        posts=1, reposts=0, quotes=1, replies=1, with_media=0, languages={"en": 1}
    ),
    "DocNow_twarc-csv__small_sample_early.json": Expected(
        # Early (pre-1.0) twarc2 flatten output, JSON Lines despite ".json":
        # no "__twarc", but the same inline objects, so it reads as flattened.
        posts=3,
        reposts=0,
        quotes=1,
        replies=0,
        with_media=0,
        languages={"en": 3},
    ),
    "DocNow_twarc-csv__streaming_output_with_error.jsonl": Expected(
        posts=7,
        reposts=0,
        quotes=1,
        replies=3,
        with_media=2,
        languages={"en": 7},
        invalid={8: "line 8: invalid JSON: Expecting ',' delimiter: column 45"},
    ),
}


@pytest.fixture(scope="module")
def folder() -> Path:
    return samples_dir("twitter_v2")


def parse_sample(folder: Path, name: str) -> list:
    return parse_file(twitter_v2, folder / name)


def posts_of(folder: Path, name: str) -> list[ParsedPost]:
    return posts_in(parse_sample(folder, name))


def source_tweets(path: Path) -> list[dict]:
    """The ``data`` tweets (or flattened tweets) of a file read with plain json."""
    tweets = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            value = json.loads(line) if line.strip() else None
        except json.JSONDecodeError:
            continue  # the cut-off last line of the stream sample
        if value is None:
            continue
        data = value.get("data", value)
        tweets.extend(data if isinstance(data, list) else [data])
    return tweets


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_counts(folder, name):
    expected = EXPECTED[name]
    results = parse_sample(folder, name)
    posts = [result for result in results if isinstance(result, ParsedPost)]
    skipped = [result for result in results if isinstance(result, SkippedRecord)]
    assert len(posts) == expected.posts
    assert sum(bool(post.repost_of_id) for post in posts) == expected.reposts
    assert sum(bool(post.quote_of_id) for post in posts) == expected.quotes
    assert sum(bool(post.reply_to_id) for post in posts) == expected.replies
    assert sum(bool(post.media) for post in posts) == expected.with_media
    assert sum(bool(post.edit_history_ids) for post in posts) == expected.edited
    assert Counter(post.language for post in posts) == Counter(expected.languages)
    assert {result.record: result.reason for result in skipped if not result.invalid} == expected.skipped
    assert {result.record: result.reason for result in skipped if result.invalid} == expected.invalid


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_ids_records_and_dates_match_the_file(folder, name):
    posts = posts_of(folder, name)
    tweets = source_tweets(folder / name)
    assert [post.external_id for post in posts] == [tweet["id"] for tweet in tweets]
    assert [post.author.platform_id for post in posts] == [tweet["author_id"] for tweet in tweets]
    assert [post.thread_root_id for post in posts] == [tweet["conversation_id"] for tweet in tweets]
    assert [post.record for post in posts] == list(range(1, len(tweets) + 1))
    assert all(post.created_at.utcoffset().total_seconds() == 0 for post in posts)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_texts_are_readable(folder, name):
    for post in posts_of(folder, name):
        # Every t.co link in these files has an entity: all are expanded or dropped.
        assert "://t.co/" not in post.text, (post.record, post.text)
        assert not any(entity in post.text for entity in ("&amp;", "&lt;", "&gt;")), (post.record, post.text)
        # Every retweeted tweet is in the file: no text is left cut.
        assert not post.truncated


def test_page_and_flattened_form_give_the_same_posts(folder):
    page = parse_sample(folder, "DocNow_twarc-csv__noflat.jsonl")
    flat = parse_sample(folder, "DocNow_twarc-csv__flat.jsonl")
    assert len(page) == 100
    assert page == flat  # ParsedPost.raw is left out of the comparison
    first_line = (folder / "DocNow_twarc-csv__flat.jsonl").read_text(encoding="utf-8").splitlines()[0]
    assert flat[0].raw == json.loads(first_line)


def test_page_raw_keeps_the_tweet_and_the_includes_it_names(folder):
    page = json.loads((folder / "DocNow_twarc-csv__noflat.jsonl").read_text(encoding="utf-8"))  # one page, one line
    retweet = posts_of(folder, "DocNow_twarc-csv__noflat.jsonl")[0]
    assert retweet.raw["tweet"] == page["data"][0]
    assert [user["username"] for user in retweet.raw["includes"]["users"]] == [
        "Alexandravm12",  # the author
        "williamserafino",  # the mentioned and retweeted user
    ]
    assert [tweet["id"] for tweet in retweet.raw["includes"]["tweets"]] == ["1380175475545362437"]


def test_retweets_are_rebuilt_from_the_full_original(folder):
    posts = posts_of(folder, "DocNow_twarc-csv__noflat.jsonl")
    first = posts[0]
    assert first.raw["tweet"]["text"].endswith("mediante Colo…")
    assert first.repost_of_id == "1380175475545362437"
    assert first.text == (
        "RT @williamserafino: De manera simultánea, vuelven a asediar la frontera oeste de Rusia a través de "
        "Ucrania y la de Venezuela mediante Colombia. De esa forma, EEUU revive dos blancos geopolíticos de "
        "primer orden de la administración Obama. La pandilla del Partido Demócrata hace sentir su regreso."
    )
    assert first.mentions == ("williamserafino",)
    assert first.language == "es"
    # Two retweets of the same Tagalog-tagged tweet read the same.
    assert posts[44].text == posts[65].text
    assert posts[44].repost_of_id == posts[65].repost_of_id


def test_replies_name_the_user_replied_to(folder):
    reply = posts_of(folder, "DocNow_twarc-csv__noflat.jsonl")[3]
    assert reply.external_id == "1380242586288328707"
    assert reply.reply_to_id == "1380229267770933248"
    assert reply.reply_to_handle == "TalkToTheFoot"
    assert reply.author.handle == "PDXPapaG"
    assert reply.url == "https://twitter.com/PDXPapaG/status/1380242586288328707"


def test_html_entities_are_unescaped_and_media_listed(folder):
    posts = posts_of(folder, "DocNow_twarc-csv__brexit.jsonl")
    assert "Debt &amp; owned" in posts[2].raw["tweet"]["text"]
    assert "Debt & owned" in posts[2].text
    photos = posts[99]
    assert photos.external_id == "1440713966649417731"
    assert [media.url for media in photos.media] == [
        "https://pbs.twimg.com/media/E_5xtEhVIAInx_o.jpg",
        "https://pbs.twimg.com/media/E_5xtbNVQAQGNb4.jpg",
        "https://pbs.twimg.com/media/E_5xty_VgBAr1Is.jpg",
    ]
    assert photos.media[0].alt_text == "A long email from Green Energy - please request full text if required."
    # Its retweet (record 57) carries the same photos.
    assert posts[56].repost_of_id == photos.external_id
    assert posts[56].media == photos.media
    gif = posts[6]
    assert gif.media[0].kind == "animated_gif"
    assert gif.media[0].url == "https://pbs.twimg.com/tweet_video_thumb/E_50PPpUYAIE3uX.jpg"


def test_edited_tweet_keeps_its_earlier_version_as_history(folder):
    (post,) = posts_of(folder, "DocNow_twarc-csv__edited.jsonl")
    assert post.external_id == "1576994789110992896"
    assert post.edit_history_ids == ("1576994746135764992",)
    assert post.text == "hey :) https://twitter.com/i/web/status/1576994789110992896"
    assert post.metrics == {"retweet_count": 2, "reply_count": 12, "like_count": 27, "quote_count": 2}


def test_tweet_that_replies_and_quotes(folder):
    (post,) = posts_of(folder, "DocNow_twarc-csv__quoted_edit.jsonl")
    assert post.reply_to_id == "1576994789110992896"
    assert post.reply_to_handle == "wongmjane"
    assert post.quote_of_id == "1576994746135764992"
    assert post.edit_history_ids == ()
    assert post.text == "@wongmjane Test \nhttps://twitter.com/wongmjane/status/1576994746135764992"


def test_stream_output_drops_a_media_link_from_mid_text(folder):
    first = posts_of(folder, "DocNow_twarc-csv__streaming_output_with_error.jsonl")[0]
    # "Fury <photo link> <quoted tweet link>": the photo link goes.
    assert first.text == "Fury  https://twitter.com/Manie_DS/status/1377640162566496258"
    assert first.quote_of_id == "1377640162566496258"
    assert first.media[0].url == "https://pbs.twimg.com/media/Ex5ldKwXEAEnEnI.jpg"


def test_early_flattened_sample(folder):
    posts = posts_of(folder, "DocNow_twarc-csv__small_sample_early.json")
    assert [post.author.handle for post in posts] == ["aXSniperSC", "thebeardedluke", "TheNickyWaters"]
    assert posts[0].mentions == (
        "AlphaXsc2",
        "Sector_Six",
        "24hourfitness",
        "DreamHackSC2",
        "GameStop",
        "EBGamesCanada",
    )
    assert posts[1].hashtags == ("destiny",)
    assert posts[2].quote_of_id == "1169734611666198528"
