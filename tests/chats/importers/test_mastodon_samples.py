"""The Mastodon API parser over the real third-party files in
``../shared/data/samples/mastodon/`` (SOURCES.md there says where each comes
from and what it holds). No database.

Ids: a file that names a local account (an ``acct`` without ``@server``)
says which server's API wrote it, and its posts' ids are that server's API
addresses; the tag timeline names none, so its posts keep their global
``uri`` and their replies cannot be placed (see ``mastodon``'s docstring).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from chats.importers import mastodon
from chats.importers.base import ParsedPost, SkippedRecord
from tests.chats.importers.helpers import parse_file, posts_in
from tests.samples import samples_dir


@dataclass(frozen=True)
class Expected:
    posts: int
    # The server the file's ids belong to ("" when the file does not say).
    server: str
    replies: int  # reply_to_handle set: the status answers someone
    replies_placed: int  # reply_to_id set: the status replied to has a known id
    reposts: int = 0
    quotes: int = 0
    with_media: int = 0
    with_urls: int = 0
    content_warnings: int = 0
    languages: dict[str, int] = field(default_factory=dict)
    invalid: dict[int, str] = field(default_factory=dict)  # record -> reason


EXPECTED = {
    "andregasser_bigbone__tag_timeline.json": Expected(
        # All 20 accounts are remote (user@server): the file does not say
        # which server's ids "in_reply_to_id" holds.
        posts=20,
        server="",
        replies=8,
        replies_placed=0,
        with_media=3,
        with_urls=3,
        languages={"": 20},
    ),
    "andregasser_bigbone__public_timeline.json": Expected(
        posts=20, server="mstdn.jp", replies=0, replies_placed=0, with_urls=1, languages={"": 20}
    ),
    "andregasser_bigbone__context.json": Expected(
        # The descendant answers 6886100, which is not in the file.
        posts=3,
        server="mstdn.jp",
        replies=2,
        replies_placed=2,
        with_media=1,
        languages={"": 3},
    ),
    "TootSDK_TootSDK__post_with_emojis_and_attachments.json": Expected(
        posts=1,
        server="m.iamkonstantin.eu",
        replies=0,
        replies_placed=0,
        with_media=1,
        content_warnings=1,
        languages={"": 1},
    ),
    # A remote author, but a local mention (konstantin) names the server.
    "TootSDK_TootSDK__post_wordle_linebreaks.json": Expected(
        posts=1, server="m.iamkonstantin.eu", replies=0, replies_placed=0, languages={"": 1}
    ),
    "TootSDK_TootSDK__post_akkoma_quote.json": Expected(
        posts=1, server="miraiverse.xyz", replies=0, replies_placed=0, quotes=1, with_urls=1, languages={"en": 1}
    ),
    "TootSDK_TootSDK__post_edited.json": Expected(
        posts=1, server="example.com", replies=0, replies_placed=0, with_urls=1, languages={"en": 1}
    ),
    # Hand-written by MastodonKit: the boost and the boosted status are both
    # id "1" (and "uri" is "tag_uri", "url" a profile). A status cannot boost
    # itself, so the only record is refused.
    "MastodonKit_MastodonKit__StatusWithoutNull_handwritten.json": Expected(
        posts=0,
        server="mastodon.technology",
        replies=0,
        replies_placed=0,
        invalid={1: "the boosted status has the boost's own id '1': a status cannot boost itself"},
    ),
}


@pytest.fixture(scope="module")
def folder() -> Path:
    return samples_dir("mastodon")


def parse_sample(folder: Path, name: str) -> list:
    return parse_file(mastodon, folder / name)


def posts_of(folder: Path, name: str) -> list[ParsedPost]:
    return posts_in(parse_sample(folder, name))


def source_statuses(path: Path) -> list[dict]:
    """The file's statuses read with plain json, independently of the parser."""
    document = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(document, dict) and "ancestors" in document:
        return document["ancestors"] + document["descendants"]
    return document if isinstance(document, list) else [document]


def expected_id(server: str, status: dict) -> str:
    return f"https://{server}/api/v1/statuses/{status['id']}" if server else status["uri"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_counts(folder, name):
    expected = EXPECTED[name]
    results = parse_sample(folder, name)
    posts = [result for result in results if isinstance(result, ParsedPost)]
    skipped = [result for result in results if isinstance(result, SkippedRecord)]
    assert len(posts) == expected.posts
    assert {result.record: result.reason for result in skipped} == expected.invalid
    assert all(result.invalid for result in skipped)
    assert sum(bool(post.reply_to_handle) for post in posts) == expected.replies
    assert sum(bool(post.reply_to_id) for post in posts) == expected.replies_placed
    assert sum(bool(post.repost_of_id) for post in posts) == expected.reposts
    assert sum(bool(post.quote_of_id) for post in posts) == expected.quotes
    assert sum(bool(post.media) for post in posts) == expected.with_media
    assert sum(bool(post.urls) for post in posts) == expected.with_urls
    assert sum(post.text.startswith("CW: ") for post in posts) == expected.content_warnings
    assert Counter(post.language for post in posts) == Counter(expected.languages)


@pytest.mark.parametrize("name", sorted(name for name, expected in EXPECTED.items() if expected.posts))
def test_sample_ids_records_and_raw_match_the_file(folder, name):
    server = EXPECTED[name].server
    posts = posts_of(folder, name)
    statuses = source_statuses(folder / name)
    assert [post.external_id for post in posts] == [expected_id(server, status) for status in statuses]
    assert [post.author.platform_id for post in posts] == [status["account"]["url"] for status in statuses]
    assert [post.record for post in posts] == list(range(1, len(statuses) + 1))
    assert [post.raw for post in posts] == statuses
    assert all(post.created_at.utcoffset().total_seconds() == 0 for post in posts)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_texts_have_no_markup(folder, name):
    for post in posts_of(folder, name):
        assert post.text and post.text == post.text.strip(), post.record
        assert not any(tag in post.text for tag in ("<p", "<br", "<a ", "<span", "</")), (post.record, post.text)
        assert not any(entity in post.text for entity in ("&amp;", "&lt;", "&gt;", "&quot;", "&#")), post.record
        # The /media/ links 2017 servers appended are dropped with the attachments listed.
        assert "/media/" not in post.text, (post.record, post.text)


def test_tag_timeline_keeps_the_global_uris(folder):
    posts = posts_of(folder, "andregasser_bigbone__tag_timeline.json")
    first = posts[0]
    assert first.external_id == "tag:mastodon.social,2017-04-21:objectId=3610569:objectType=Status"
    assert first.raw["in_reply_to_id"] == "675923"
    assert first.reply_to_id == ""
    assert first.reply_to_handle == "alexl@mstdn.io"
    assert first.mentions == ("alexl@mstdn.io", "deadsuperhero@social.nasqueron.org")
    # Hashtags as the text writes them, in its order (the API's tags are lower-cased).
    assert first.hashtags == ("Mastodon", "Diaspora")
    assert first.author.handle == "jeroenpraat@mastodon.social"
    assert first.url == "https://mastodon.social/users/jeroenpraat/updates/2014093"


def test_tag_timeline_media_links_are_dropped(folder):
    posts = posts_of(folder, "andregasser_bigbone__tag_timeline.json")
    lesson = posts[6]
    assert lesson.text == (
        'Lesson learned. There a "fully" connected instances and not so "fully connected" instances here on '
        "#mastodon. Which is a real blocker… imo…"
    )
    assert lesson.urls == ()
    assert [media.url for media in lesson.media] == [
        "https://files.mastodon.social/media_attachments/files/000/293/983/original/ac03185640e975f9.png",
        "https://files.mastodon.social/media_attachments/files/000/293/986/original/09a759fa1e8f721c.png",
    ]
    # A shortened ordinary link reads whole.
    assert posts[3].urls == ("https://takulog.info/20170420you-ming-gou/",)
    assert "\nhttps://takulog.info/20170420you-ming-gou/\n" in posts[3].text


def test_public_timeline_ids_are_mstdn_jp_ids(folder):
    posts = posts_of(folder, "andregasser_bigbone__public_timeline.json")
    # A remote status: mstdn.jp's id, the origin's permalink.
    assert posts[1].external_id == "https://mstdn.jp/api/v1/statuses/172427"
    assert posts[1].url == "https://mastodon.cloud/@cocoabottle/625276"
    assert posts[1].author.handle == "cocoabottle@mastodon.cloud"
    assert posts[0].author.handle == "iorin0225@mstdn.jp"  # local: the server added
    assert posts[13].text == (
        "http://inforati.jp/apple/mac-tips-techniques/system-hints/"
        "how-to-capture-a-specific-window-with-macos-screen-shot-function.html"
    )
    assert posts[12].text == "それっぽいウソ話とか\n変なリプライとかが一切無いこの空間は良いねー"


def test_context_reply_resolves_and_the_dangling_one_is_kept(folder):
    first, reply, dangling = posts_of(folder, "andregasser_bigbone__context.json")
    assert reply.reply_to_id == first.external_id == "https://mstdn.jp/api/v1/statuses/6884492"
    assert reply.reply_to_handle == "test@mstdn.onosendai.jp"
    assert reply.text == "@test\n引っ越してドトールない街に移ったのでやけに美味しそう"
    assert dangling.reply_to_id == "https://mstdn.jp/api/v1/statuses/6886100"
    assert first.media[0].url == (
        "https://mstdn.onosendai.jp/system/media_attachments/files/000/011/132/original/f1e20bf4332c4cf0.jpeg"
    )


def test_pleroma_status_with_content_warning_and_alt_text(folder):
    (post,) = posts_of(folder, "TootSDK_TootSDK__post_with_emojis_and_attachments.json")
    assert post.external_id == "https://m.iamkonstantin.eu/api/v1/statuses/AQetOIEp6Z2GZ4UiI4"
    assert post.text == (
        "CW: Coffee, Star Trek\n\nI just #love #coffee :heart_cup:  There is no better way to start the day."
    )
    assert post.hashtags == ("love", "coffee")
    assert post.media[0].alt_text.startswith("Cartoon poster of Captain Janeway")
    assert post.metrics == {"reply_count": 0, "reblog_count": 12, "favourite_count": 16}


def test_wordle_line_breaks(folder):
    (post,) = posts_of(folder, "TootSDK_TootSDK__post_wordle_linebreaks.json")
    assert post.text.splitlines() == ["Wordle 591 X/6*", "", "🟨⬛🟩🟨⬛", "🟨⬛🟩⬛🟩"] + ["🟩🟩🟩⬛🟩"] * 4
    assert post.mentions == ("konstantin@m.iamkonstantin.eu", "davidgarywood@social.davidgarywood.com")
    assert post.author.handle == "tootsdk@iosdev.space"


def test_akkoma_quote(folder):
    (post,) = posts_of(folder, "TootSDK_TootSDK__post_akkoma_quote.json")
    assert post.external_id == "https://miraiverse.xyz/api/v1/statuses/Al30Y6dIQNzsEKhR5s"
    assert post.quote_of_id == "https://miraiverse.xyz/api/v1/statuses/Al2KABLN3tuRoeE0A4"
    assert post.text == "from @technicat\n\nhttps://universeodon.com/@technicat/112973737736509814"
    assert post.author.handle == "technicat@miraiverse.xyz"  # Akkoma's fqn


def test_edited_status(folder):
    (post,) = posts_of(folder, "TootSDK_TootSDK__post_edited.json")
    assert post.raw["edited_at"] == "2024-04-19T22:15:22.000Z"
    assert post.text == "listening to #UB40\n\nhttps://example.com/albums/8513"
    assert post.urls == ("https://example.com/albums/8513",)  # the card's link, listed once
    assert post.hashtags == ("UB40",)
