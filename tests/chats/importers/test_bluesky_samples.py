"""The Bluesky parser over the real third-party files in
``../shared/data/samples/bluesky/`` (SOURCES.md there says where each comes
from and what it holds). No database.

The expectations were checked against the files themselves; where they differ
from SOURCES.md's raw counts the reason is noted in the table.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest

from chats.importers import bluesky
from chats.importers.base import ParsedMedia, ParsedPost
from tests.chats.importers.helpers import parse_file
from tests.samples import samples_dir

UTC = timezone.utc
TWITWI_POSTS = "medialab_twitwi__bluesky-posts.json"
FIREHOSE_POSTS = "medialab_twitwi__bluesky-hydrated-firehose-posts.json"
MARSHALX_THREAD = "MarshalX_atproto__thread_view_post_with_embed_media.json"


@dataclass(frozen=True)
class Expected:
    posts: int
    distinct_ids: int
    reposts: int
    quotes: int
    replies: int
    with_media: int
    with_urls: int
    expanded_texts: int  # texts where a shortened link was replaced by its full URL
    languages: dict[str, int]


EXPECTED = {
    TWITWI_POSTS: Expected(
        # 123 items; 4 posts are there twice (records 50/51, 79/80, 85/104,
        # 86/106: the import keeps one of each), and records 32 and 34 are
        # reposts with ids of their own.
        posts=123,
        distinct_ids=119,
        reposts=2,
        # SOURCES counts 25 record embeds: 4 embed a feed, a list, a starter
        # pack and a profile, not a post; record 112 uses a made-up $type.
        quotes=21,
        replies=18,
        with_media=31,
        with_urls=60,
        expanded_texts=14,
        languages={
            "": 64,
            "fr": 33,
            "en": 16,
            "pt-BR": 2,
            "en-US": 2,
            "ko": 2,
            "pt": 1,
            "fr-FR": 1,
            "ja": 1,
            "es-CL": 1,
        },
    ),
    FIREHOSE_POSTS: Expected(
        posts=9,
        distinct_ids=9,
        reposts=0,
        quotes=0,
        replies=1,
        with_media=2,
        with_urls=4,
        expanded_texts=2,
        languages={"en": 5, "de": 2, "en-US": 1, "": 1},
    ),
    MARSHALX_THREAD: Expected(
        posts=1,
        distinct_ids=1,
        reposts=0,
        quotes=1,
        replies=0,
        with_media=1,
        with_urls=0,
        expanded_texts=0,
        languages={"en": 1},
    ),
}


@pytest.fixture(scope="module")
def folder() -> Path:
    return samples_dir("bluesky")


def posts_of(folder: Path, name: str) -> list[ParsedPost]:
    results = parse_file(bluesky, folder / name)
    # No sample holds a record the parser skips.
    skipped = [result for result in results if not isinstance(result, ParsedPost)]
    assert skipped == []
    return results


def record_text(post: ParsedPost) -> str:
    view = post.raw.get("post", post.raw)
    return view["record"]["text"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_counts(folder, name):
    expected = EXPECTED[name]
    posts = posts_of(folder, name)
    assert len(posts) == expected.posts
    assert len({post.external_id for post in posts}) == expected.distinct_ids
    assert sum(bool(post.repost_of_id) for post in posts) == expected.reposts
    assert sum(bool(post.quote_of_id) for post in posts) == expected.quotes
    assert sum(bool(post.reply_to_id) for post in posts) == expected.replies
    assert sum(bool(post.media) for post in posts) == expected.with_media
    assert sum(bool(post.urls) for post in posts) == expected.with_urls
    assert sum(post.text != record_text(post) for post in posts) == expected.expanded_texts
    assert Counter(post.language for post in posts) == Counter(expected.languages)


@pytest.mark.parametrize("name", [TWITWI_POSTS, FIREHOSE_POSTS])
def test_sample_ids_records_and_raw_match_the_file(folder, name):
    items = json.loads((folder / name).read_text(encoding="utf-8"))
    posts = posts_of(folder, name)
    assert [post.record for post in posts] == list(range(1, len(items) + 1))
    assert [post.raw for post in posts] == items
    originals = [post for post in posts if not post.repost_of_id]
    assert [post.external_id for post in originals] == [
        item.get("post", item)["uri"] for item in items if "reason" not in item
    ]
    for post in originals:
        assert post.author.platform_id == post.raw.get("post", post.raw)["author"]["did"]
        assert post.url.startswith(f"https://bsky.app/profile/{post.author.handle}/post/") or (
            post.author.handle == "handle.invalid"
        )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_dates_are_aware_utc(folder, name):
    for post in posts_of(folder, name):
        assert post.created_at.tzinfo is UTC, post.record


def test_reposts_of_a_timeline(folder):
    posts = posts_of(folder, TWITWI_POSTS)
    repost = posts[31]
    reposter = "did:plc:5klvtukw5fucxsrkjldhrjxs"
    assert repost.external_id == f"{reposter}/repost/did:plc:aru6i7k6wo43msubk6km5td3/3lloj4ipqqh27"
    assert repost.repost_of_id == "at://did:plc:aru6i7k6wo43msubk6km5td3/app.bsky.feed.post/3lloj4ipqqh27"
    assert (repost.author.platform_id, repost.author.handle) == (reposter, "yomguithereal.bsky.social")
    assert repost.created_at == datetime(2025, 4, 2, 17, 0, 19, 684000, tzinfo=UTC)
    assert repost.text == record_text(repost)
    assert repost.url == "https://bsky.app/profile/korben.info/post/3lloj4ipqqh27"


def test_links_after_flags_and_emoji_are_expanded(folder):
    # Record 34 reposts a post whose links follow "🇫🇷" and "👉": byte offsets.
    repost = posts_of(folder, TWITWI_POSTS)[33]
    assert record_text(repost).endswith(
        "👉 Le projet : github.com/medialab/xan\n"
        '👉 Lire l\'article "A love letter to the CSV format" : medialab.sciencespo....'
    )
    assert repost.text.endswith(
        "👉 Le projet : https://github.com/medialab/xan\n"
        '👉 Lire l\'article "A love letter to the CSV format" : '
        "https://medialab.sciencespo.fr/actu/a-love-letter-to-the-csv-format/"
    )


def test_labelled_and_misplaced_links_are_left_as_written(folder):
    posts = posts_of(folder, TWITWI_POSTS)
    # Poll options are links labelled with words.
    poll = posts[39]
    assert poll.text == record_text(poll)
    assert "https://poll.blue/p/RLnFdE/1" in poll.urls
    # A client counted the range a few bytes off: the text stays, the URL is listed.
    misplaced = posts[46]
    assert misplaced.text == record_text(misplaced)
    assert misplaced.urls[-1].startswith("https://www.hindustantimes.com/world-news/emmanuel-macron")


def test_reply_in_a_timeline_names_the_parent_author(folder):
    reply = posts_of(folder, TWITWI_POSTS)[32]
    assert reply.reply_to_id == "at://did:plc:oqynptsozcuxi52v5srdwau2/app.bsky.feed.post/3lloyjul7ec2u"
    assert reply.reply_to_handle == "djoo.org"
    # The root is Bearstech's post, which record 34 reposts.
    assert reply.thread_root_id == "at://did:plc:oklkinuievllgvhrv2nia4gu/app.bsky.feed.post/3llorpeiynx26"
    # Search-style post views do not say whom they answer.
    assert sum(bool(post.reply_to_handle) for post in posts_of(folder, TWITWI_POSTS)) == 3


def test_odd_dates(folder):
    posts = posts_of(folder, TWITWI_POSTS)
    # "0000-10-14T15:06:10.730Z": the time in the record key 3kbpuogc6fz2o instead.
    assert posts[122].raw["record"]["createdAt"].startswith("0000-")
    assert posts[122].created_at == datetime(2023, 10, 14, 15, 16, 37, 389695, tzinfo=UTC)
    assert posts[100].created_at == datetime(2025, 5, 2, 17, 8, 32, tzinfo=UTC)  # "-04:00"
    assert posts[109].created_at == datetime(2024, 12, 10, 16, 0, 6, tzinfo=UTC)  # "+08:00"
    assert posts[41].created_at == datetime(2023, 11, 2, 18, 11, 51, tzinfo=UTC)  # no fraction
    (first,) = posts_of(folder, FIREHOSE_POSTS)[:1]
    assert first.raw["record"]["createdAt"] == "2025-12-05T10:16:59.78349200Z"
    assert first.created_at == datetime(2025, 12, 5, 10, 16, 59, 783492, tzinfo=UTC)


def test_accounts_without_a_handle_link_to_their_did(folder):
    post = posts_of(folder, TWITWI_POSTS)[107]
    assert post.author.handle == "handle.invalid"
    assert post.author.profile_url == "https://bsky.app/profile/did:plc:n5pm4vggu475okayqvqipkoh"


def test_embeds_of_other_records_are_not_quotes(folder):
    posts = posts_of(folder, TWITWI_POSTS)
    # A feed generator, a list, a starter pack and a profile.
    for index in (42, 43, 51, 59):
        assert posts[index].raw.get("post", posts[index].raw)["record"]["embed"]["$type"] == "app.bsky.embed.record"
        assert posts[index].quote_of_id == ""


def test_facet_tags_and_mentions(folder):
    posts = posts_of(folder, TWITWI_POSTS)
    assert posts[11].hashtags == ("Parcoursup", "MonMaster", "ESR", "UPJV")
    assert posts[19].mentions == ("missusgreenie.bsky.social",)
    assert posts[68].hashtags == ()  # "FACETTAG" is no lexicon type
    firehose = posts_of(folder, FIREHOSE_POSTS)
    assert firehose[4].hashtags == ("Regionaljournal", "Radio", "SRF")


def test_videos_are_media(folder):
    posts = posts_of(folder, TWITWI_POSTS)
    assert sum(any(media.kind == "video" for media in post.media) for post in posts) == 8
    assert posts[5].media[0].url.endswith("/bafkreigmjoldswzyo6lle5qmrfw5qlbzz5j7qh6chirmocsl742tj6tvn4/playlist.m3u8")


def test_thread_root_post_with_empty_text_quote_and_image(folder):
    (post,) = posts_of(folder, MARSHALX_THREAD)
    assert post.text == ""
    assert post.external_id == "at://did:plc:kvwvcn5iqfooopmyzvb4qzba/app.bsky.feed.post/3kaheyt6vpc22"
    assert post.url == "https://bsky.app/profile/test.marshal.dev/post/3kaheyt6vpc22"
    assert post.author.display_name == "Python SDK"
    assert post.quote_of_id == "at://did:plc:kvwvcn5iqfooopmyzvb4qzba/app.bsky.feed.post/3kahesw26il2z"
    assert post.media == (
        ParsedMedia(
            kind="photo",
            url="https://cdn.bsky.app/img/feed_fullsize/plain/did:plc:kvwvcn5iqfooopmyzvb4qzba/"
            "bafkreic3cp5ky525vsukjvrzxsc2h3jka2gud74l2hgeatw2rhj2qycnmq@jpeg",
        ),
    )
    assert post.created_at == datetime(2023, 9, 28, 12, 49, 36, 735000, tzinfo=UTC)
    assert post.metrics == {"reply_count": 0, "repost_count": 0, "like_count": 0}
    thread = json.loads((folder / MARSHALX_THREAD).read_text(encoding="utf-8"))["thread"]
    assert post.raw == thread["post"]
