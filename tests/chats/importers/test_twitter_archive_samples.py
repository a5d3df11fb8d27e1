"""The Twitter personal-archive parser over the real archive files in
``../shared/data/samples/twitter_archive/`` (SOURCES.md there says where each
comes from and what it holds). No database.

An archive's tweets are read with the owner from the account.js that came
with them; the other files are companions, refused by ``parse``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from chats.importers import twitter_archive
from chats.importers.base import ParseContext, ParsedAuthor, ParsedPost, TranscriptFormatError
from tests.chats.importers.helpers import parse_file
from tests.samples import samples_dir

MRLED = ParsedAuthor(
    platform="twitter",
    platform_id="35010911",
    handle="mrled",
    display_name="Micah R Ledbetter /mɹ̩ˈled/",
    profile_url="https://twitter.com/mrled",
)
EXGENESIS = ParsedAuthor(
    platform="twitter",
    platform_id="322603863",
    handle="exGenesis",
    display_name="❤️\u200d🔥 xiq",
    profile_url="https://twitter.com/exGenesis",
)


@dataclass(frozen=True)
class Tweets:
    """A tweets file: what it yields with its owner's account."""

    account: ParsedAuthor
    ids: tuple[str, ...]
    replies: int
    with_media: int
    languages: dict[str, int]


@dataclass(frozen=True)
class Companion:
    """A file without tweets: whom ``read_account`` finds, and why ``parse`` refuses it."""

    account: ParsedAuthor | None
    refused: str


@dataclass(frozen=True)
class Refused:
    """A file rejected as a whole, and the start of the reason given."""

    reason: str


EXPECTED = {
    "mrled_twarchive__tweet.js": Tweets(
        account=MRLED,
        ids=("254848497235398656", "1276916896974110721"),
        replies=0,
        with_media=0,
        languages={"en": 2},
    ),
    "TheExGenesis_community-archive__tweets.js": Tweets(
        account=EXGENESIS,
        ids=(
            "1627031510963441664",
            "1627019761950375936",
            "1626922779105759235",
            "1626908498134020098",
            "1626902980006932483",
            "1626871062343327744",
            "1626745546156257281",
        ),
        replies=6,
        with_media=1,
        languages={"en": 7},
    ),
    "mrled_twarchive__account.js": Companion(
        account=MRLED, refused="account.js holds no posts: import it together with tweets.js"
    ),
    "TheExGenesis_community-archive__account.js": Companion(
        account=EXGENESIS, refused="account.js holds no posts: import it together with tweets.js"
    ),
    "mrled_twarchive__profile.js": Companion(
        account=None, refused="profile.js holds no posts: import it together with tweets.js"
    ),
    # The manifest names the owner too (userInfo).
    "mrled_twarchive__manifest.js": Companion(
        account=MRLED, refused="manifest.js holds no posts: import it together with tweets.js"
    ),
    # Prettier rewrote the JSON as a JavaScript object literal (unquoted
    # keys, single quotes, trailing commas): not what Twitter writes.
    "TheExGenesis_community-archive__tweets_prettier_reformatted.js": Refused(
        reason="what follows 'window.YTD.tweets.part0 =' is not JSON ("
    ),
}


@pytest.fixture(scope="module")
def folder() -> Path:
    return samples_dir("twitter_archive")


def parse_sample(folder: Path, name: str, account: ParsedAuthor | None = None) -> list:
    return parse_file(twitter_archive, folder / name, ParseContext(account=account))


def read_account(folder: Path, name: str) -> ParsedAuthor | None:
    with open(folder / name, "rb") as stream:
        return twitter_archive.read_account(stream)


def elements_of(path: Path) -> list:
    text = path.read_text(encoding="utf-8")
    return json.loads(text[text.index("=") + 1 :])


def names_of(kind: type) -> list[str]:
    return sorted(name for name, expected in EXPECTED.items() if isinstance(expected, kind))


@pytest.mark.parametrize("name", names_of(Tweets))
def test_tweets_files_yield_their_tweets(folder, name):
    expected = EXPECTED[name]
    results = parse_sample(folder, name, expected.account)
    assert all(isinstance(result, ParsedPost) for result in results)
    assert tuple(post.external_id for post in results) == expected.ids
    assert [post.record for post in results] == list(range(1, len(expected.ids) + 1))
    assert {post.author for post in results} == {expected.account}
    assert sum(bool(post.reply_to_id) for post in results) == expected.replies
    assert sum(bool(post.media) for post in results) == expected.with_media
    languages: dict[str, int] = {}
    for post in results:
        languages[post.language] = languages.get(post.language, 0) + 1
    assert languages == expected.languages
    assert [post.raw for post in results] == elements_of(folder / name)
    assert all(post.created_at.utcoffset().total_seconds() == 0 for post in results)


@pytest.mark.parametrize("name", names_of(Tweets))
def test_tweets_files_need_their_account(folder, name):
    with pytest.raises(TranscriptFormatError, match="import account.js together with tweets.js"):
        parse_sample(folder, name)


@pytest.mark.parametrize("name", names_of(Companion))
def test_companions_name_the_owner_and_hold_no_posts(folder, name):
    expected = EXPECTED[name]
    head = (folder / name).read_bytes()[:65536]
    assert twitter_archive.is_companion(head)
    assert read_account(folder, name) == expected.account
    with pytest.raises(TranscriptFormatError) as error:
        parse_sample(folder, name, MRLED)
    assert error.value.message == expected.refused


@pytest.mark.parametrize("name", names_of(Refused))
def test_refused_files_say_why(folder, name):
    with pytest.raises(TranscriptFormatError) as error:
        parse_sample(folder, name, EXGENESIS)
    assert error.value.message.startswith(EXPECTED[name].reason)
    assert "rewritten as JavaScript by a code formatter" in error.value.message


def test_mrled_retweet_is_only_its_text(folder):
    retweet, tweet = parse_sample(folder, "mrled_twarchive__tweet.js", MRLED)
    assert retweet.text == (
        "RT @nostrich: 2012 is about correcting the typo on the 3 different social networks you cross-posted to."
    )
    assert retweet.repost_of_id == ""
    assert retweet.truncated is False  # this one fitted in 140 characters
    assert retweet.mentions == ("nostrich",)
    assert retweet.url == "https://twitter.com/mrled/status/254848497235398656"
    assert tweet.metrics == {"retweet_count": 0, "favorite_count": 2}
    assert tweet.mentions == ("syncthing",)


def test_exgenesis_thread_and_photos(folder):
    posts = parse_sample(folder, "TheExGenesis_community-archive__tweets.js", EXGENESIS)
    by_id = {post.external_id: post for post in posts}
    # A self-reply thread: the first tweet answers the second.
    assert by_id["1627031510963441664"].reply_to_id == "1627019761950375936"
    assert by_id["1627031510963441664"].reply_to_handle == "exGenesis"
    photos = by_id["1627019761950375936"]
    assert len(photos.media) == 4
    assert all(media.kind == "photo" and media.url.startswith("https://pbs.twimg.com/media/") for media in photos.media)
    assert "https://t.co/" not in photos.text
    assert by_id["1626745546156257281"].mentions == ("42irrationalist", "tszzl")
    assert by_id["1626902980006932483"].metrics == {"retweet_count": 0, "favorite_count": 8}
    assert all(post.edit_history_ids == () for post in posts)  # each edit_info lists only itself
