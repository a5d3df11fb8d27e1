"""The tweet CSV parser over the real third-party files in
``../shared/data/samples/csv/`` (SOURCES.md there says where each comes from
and what it holds). No database.

The expectations were checked against the files themselves; where they differ
from SOURCES.md's raw counts the reason is noted in the table.
"""

from __future__ import annotations

import csv
import html
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from chats.importers import csv_exports
from chats.importers.base import ParseContext, ParsedMedia, ParsedPost, SkippedRecord
from tests.chats.importers.helpers import parse_file, posts_by_record, posts_in
from tests.samples import samples_dir

# The PSTweetChat sheets hold US Eastern times without a timezone.
EASTERN = ParseContext(default_timezone=ZoneInfo("America/New_York"))


@dataclass(frozen=True)
class Expected:
    posts: int
    header_line: int
    id_column: str
    retweet_texts: int  # texts starting "RT @"
    reposts: int  # repost_of_id known
    quotes: int
    replies: int  # reply_to_id known
    reply_handles: int
    with_media: int
    truncated: int
    languages: dict[str, int]
    # t.co links left in texts: cut by Twitter in truncated texts, or a media
    # link that is not at the end of its text.
    texts_with_tco: int = 0
    skipped_valid: tuple[int, ...] = ()
    skipped_invalid: tuple[int, ...] = ()
    context: ParseContext = field(default_factory=ParseContext)


EXPECTED = {
    "DocNow_twarc-csv__small_sample_early.csv": Expected(
        # 4 rows: the 3 tweets, and the tweet one of them quotes, inlined as
        # a row of its own (type "quoted"): not a post of the export.
        posts=3,
        header_line=1,
        id_column="id",
        retweet_texts=0,
        reposts=0,
        quotes=1,
        replies=0,
        reply_handles=0,
        with_media=0,
        truncated=0,
        languages={"en": 3},
        skipped_valid=(4,),
    ),
    "gwu-libraries_notebooks__sfm_export_debatetweets.csv": Expected(
        # SOURCES counts 111 quotes: 63 are retweets of a quote (reposts, as in
        # the v1.1 parser) and 2 of the other 48 name no quoted status URL.
        # 342 retweets cut with "…" and 7 long posts in compatibility mode.
        posts=1000,
        header_line=1,
        id_column="twitter_id",
        retweet_texts=715,
        reposts=0,  # is_retweet says Yes, the original's id is not exported
        quotes=46,
        replies=0,  # in_reply_to_screen_name only
        reply_handles=119,
        with_media=185,
        truncated=349,
        languages={"": 1000},
        texts_with_tco=52,
    ),
    "gwu-libraries_notebooks__twarc1_json2csv_gelmanlibrary_replies_to.csv": Expected(
        posts=81,
        header_line=1,
        id_column="id",
        retweet_texts=0,
        reposts=0,
        quotes=0,
        replies=24,
        reply_handles=37,
        with_media=4,
        truncated=0,
        languages={"en": 81},
    ),
    "jdhitsolutions_PSTweetChat__pstweetchat_2019-03.csv": Expected(
        posts=135,
        header_line=2,
        id_column="Tweet ID",
        retweet_texts=0,
        reposts=0,
        quotes=0,
        replies=0,  # replies show only as leading mentions
        reply_handles=0,
        with_media=3,
        truncated=0,
        languages={"": 135},
        context=EASTERN,
    ),
    "jdhitsolutions_PSTweetChat__pstweetchat_2020-2023.csv": Expected(
        posts=2473,
        header_line=2,
        id_column="Tweet ID",
        retweet_texts=0,
        reposts=0,
        quotes=0,
        replies=0,
        reply_handles=0,
        with_media=177,
        truncated=0,
        languages={"": 2473},
        context=EASTERN,
    ),
    "ropensci-archive_tidytags__TAGS_sample-data.csv": Expected(
        # 7 of the 8 retweets cut with "…", 2 posts in compatibility mode.
        posts=10,
        header_line=1,
        id_column="id_str",
        retweet_texts=8,
        reposts=0,  # TAGS does not keep the original's id
        quotes=0,
        replies=0,
        reply_handles=0,
        with_media=1,
        truncated=9,
        languages={"": 10},
    ),
    "ropensci-archive_tidytags__TAGS_sample-tweet.csv": Expected(
        posts=1,
        header_line=1,
        id_column="id_str",
        retweet_texts=1,
        reposts=0,
        quotes=0,
        replies=0,
        reply_handles=0,
        with_media=0,
        truncated=1,
        languages={"": 1},
    ),
}


@pytest.fixture(scope="module")
def folder() -> Path:
    return samples_dir("csv")


def parse_sample(folder: Path, name: str) -> list:
    return parse_file(csv_exports, folder / name, EXPECTED[name].context)


def posts_of(folder: Path, name: str) -> list[ParsedPost]:
    return posts_in(parse_sample(folder, name))


def by_record(folder: Path, name: str) -> dict[int, ParsedPost]:
    return posts_by_record(parse_sample(folder, name))


def source_rows(path: Path, header_line: int) -> list[tuple[int, list[str]]]:
    """(line the row starts on, cells) for each data row, read with plain csv."""
    with open(path, encoding="utf-8-sig", newline="") as stream:
        reader = csv.reader(stream)
        rows = []
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return rows
            if start > header_line and cells:
                rows.append((start, cells))


def snowflake_time(tweet_id: str) -> datetime:
    return datetime(2010, 11, 4, 1, 42, 54, 657000, tzinfo=UTC) + timedelta(milliseconds=int(tweet_id) >> 22)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_counts(folder, name):
    expected = EXPECTED[name]
    results = parse_sample(folder, name)
    skipped = [result for result in results if isinstance(result, SkippedRecord)]
    assert tuple(result.record for result in skipped if not result.invalid) == expected.skipped_valid
    assert tuple(result.record for result in skipped if result.invalid) == expected.skipped_invalid
    posts = [result for result in results if isinstance(result, ParsedPost)]
    assert len(posts) == expected.posts
    assert sum(post.text.startswith("RT @") for post in posts) == expected.retweet_texts
    assert sum(bool(post.repost_of_id) for post in posts) == expected.reposts
    assert sum(bool(post.quote_of_id) for post in posts) == expected.quotes
    assert sum(bool(post.reply_to_id) for post in posts) == expected.replies
    assert sum(bool(post.reply_to_handle) for post in posts) == expected.reply_handles
    assert sum(bool(post.media) for post in posts) == expected.with_media
    assert sum(post.truncated for post in posts) == expected.truncated
    assert Counter(post.language for post in posts) == Counter(expected.languages)
    assert sum("://t.co/" in post.text for post in posts) == expected.texts_with_tco


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_ids_records_and_raw_match_the_file(folder, name):
    expected = EXPECTED[name]
    rows = source_rows(folder / name, expected.header_line)
    with open(folder / name, encoding="utf-8-sig", newline="") as stream:
        header = list(csv.reader(stream))[expected.header_line - 1]
    id_index = header.index(expected.id_column)
    skipped = set(expected.skipped_valid + expected.skipped_invalid)
    kept = [(start, cells) for start, cells in rows if start not in skipped]
    posts = posts_of(folder, name)
    assert [post.record for post in posts] == [start for start, _ in kept]
    assert [post.external_id for post in posts] == [cells[id_index] for _, cells in kept]
    assert [list(post.raw.values()) for post in posts] == [cells for _, cells in kept]
    assert all(post.created_at.utcoffset() == timedelta(0) for post in posts)
    assert all(post.platform == "twitter" and post.author.handle for post in posts)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_texts_are_unescaped_once(folder, name):
    for post in posts_of(folder, name):
        assert not any(entity in post.text for entity in ("&amp;", "&lt;", "&gt;")), (post.record, post.text)


def test_twarc_csv_early_layout(folder):
    posts = by_record(folder, "DocNow_twarc-csv__small_sample_early.csv")
    first = posts[2]
    # The text is JSON-encoded in the file.
    assert first.raw["text"].startswith('"After a long quest to the Motel;')
    assert "Montreal! can\\u2019t wait" in first.raw["text"]
    assert first.text == (
        "After a long quest to the Motel; we have arrived safely to Montreal! can’t wait to see the boys in action "
        "this weekend! \n@AlphaXsc2 @Sector_Six @24hourfitness @DreamHackSC2 @GameStop @EBGamesCanada"
    )
    assert first.mentions == ("AlphaXsc2", "Sector_Six", "24hourfitness", "DreamHackSC2", "GameStop", "EBGamesCanada")
    assert first.author.platform_id == "2722354677"
    assert first.author.handle == "aXSniperSC"
    assert first.created_at == datetime(2019, 9, 6, 20, 38, 1, tzinfo=UTC)
    assert first.metrics == {"retweet_count": 0, "reply_count": 0, "like_count": 3, "quote_count": 0}
    assert posts[3].hashtags == ("destiny",)
    quote = posts[5]
    assert quote.external_id == "1169968866866466817"
    assert quote.quote_of_id == "1169734611666198528"
    assert quote.text == (
        "Keep that same energy when you offer me .27 cents for a game from last year. "
        "https://twitter.com/GameStop/status/1169734611666198528"
    )
    assert quote.thread_root_id == "1169968866866466817"


def test_twarc_csv_early_inlined_quoted_tweet_is_skipped(folder):
    results = parse_sample(folder, "DocNow_twarc-csv__small_sample_early.csv")
    (skipped,) = [result for result in results if isinstance(result, SkippedRecord)]
    assert skipped.record == 4
    assert "quoted tweet" in skipped.reason


def test_sfm_export(folder):
    posts = by_record(folder, "gwu-libraries_notebooks__sfm_export_debatetweets.csv")
    first = posts[2]
    assert first.external_id == "780464994479542272"
    assert first.created_at == datetime(2016, 9, 26, 17, 52, 9, tzinfo=UTC)
    assert first.author.platform_id == "handle:tlajj5"  # no user ids in this export
    assert first.text == (
        "RT @realDonaldTrump: New national Bloomberg poll just released - thank you! Join the MOVEMENT: "
        "http://www.DonaldJTrump.com.  #TrumpTrain #MAGA…"
    )
    assert first.truncated
    assert first.hashtags == ("TrumpTrain", "MAGA")
    assert first.url == "http://twitter.com/tlajj5/status/780464994479542272"
    with_photo = posts[3]
    assert with_photo.text == "RT @HebertEtHalfred: Quoi ? #Debates2016 ou quoi ??"
    assert with_photo.media == (ParsedMedia("photo", "http://pbs.twimg.com/media/CtTFQ2rWcAAKLb7.jpg"),)
    quote_reply = posts[9]
    assert quote_reply.quote_of_id == "780377077518364673"
    assert quote_reply.reply_to_handle == "HillaryClinton"
    assert quote_reply.text == (
        "@HillaryClinton see you at the debates! https://twitter.com/realdonaldtrump/status/780377077518364673"
    )


def test_json2csv_export(folder):
    posts = by_record(folder, "gwu-libraries_notebooks__twarc1_json2csv_gelmanlibrary_replies_to.csv")
    assert posts[2].raw["reweet_or_quote_id"] == ""  # the upstream header's typo
    assert posts[2].text == (
        "Hey @gelmanlibrary, are the search databases down? I keep trying to access "
        "https://library.gwu.edu/search/most-popular-databases and I get a connection timeout message."
    )
    assert posts[2].author.platform_id == "444158298"
    assert posts[2].author.display_name == "Jeffrey Williams"
    reply = posts[3]
    assert reply.reply_to_id == "462620504135057408"
    assert reply.reply_to_handle == "gelmanlibrary"
    assert reply.hashtags == ("finals",)
    with_link_and_photo = [post for post in posts.values() if "fanpilgrimage" in post.text]
    (post,) = with_link_and_photo
    assert post.text.endswith("at http://fanpilgrimage.wordpress.com!")
    assert post.media == (ParsedMedia("photo", "https://twitter.com/LizSetto/status/558704312709558273/photo/1"),)


def test_pstweetchat_day_only_dates_take_the_tweet_id_time(folder):
    posts = posts_of(folder, "jdhitsolutions_PSTweetChat__pstweetchat_2019-03.csv")
    assert {post.raw["Date"] for post in posts} == {"3/1/2019", "2/27/2019", "2/28/2019", "2/24/2019"}
    assert all(post.created_at == snowflake_time(post.external_id) for post in posts)
    first = posts[0]
    assert first.external_id == "1101611262893572101"
    assert first.author.handle == "JeffHicks"
    assert first.author.platform_id == "handle:jeffhicks"
    assert first.urls == ("https://github.com/jdhitsolutions/PSTweetChat",)
    assert first.hashtags == ("PowerShell", "PSTweetchat")
    assert first.metrics == {"retweet_count": 4, "favorite_count": 9}


def test_pstweetchat_eastern_dates_agree_with_the_tweet_ids(folder):
    posts = posts_of(folder, "jdhitsolutions_PSTweetChat__pstweetchat_2020-2023.csv")
    # The sheet wrote whole seconds; the ids carry milliseconds.
    assert all(
        timedelta(0) <= snowflake_time(post.external_id) - post.created_at < timedelta(seconds=1) for post in posts
    )
    newest = posts[0]
    assert newest.raw["Date"] == "3/3/2023 13:48:03"
    assert newest.created_at == datetime(2023, 3, 3, 18, 48, 3, tzinfo=UTC)  # EST
    summer = [post for post in posts if post.raw["Date"].startswith("5/6/2022 13:")]
    assert summer and all(post.created_at.hour == 17 for post in summer)  # EDT
    assert len({post.author.platform_id for post in posts}) == 132
    assert sum(post.text.startswith("@") for post in posts) == 1248
    assert sum(bool(post.mentions) for post in posts) >= 1248


def test_tags_sample(folder):
    posts = by_record(folder, "ropensci-archive_tidytags__TAGS_sample-data.csv")
    # Record 4's text spans lines 4 to 6.
    assert list(posts) == [2, 3, 4, 7, 8, 9, 10, 11, 12, 13]
    assert posts[4].text.endswith("Bridging Theory and Practice: \n\nhtt…")
    assert posts[4].truncated
    assert posts[2].raw["user_followers_count"] == "NA"
    assert posts[2].reply_to_id == ""
    assert posts[2].author.platform_id == "1251951804398669825"
    assert posts[2].url == "http://twitter.com/Harriet96152202/statuses/1251954312772812801"
    photo = posts[3]
    assert photo.text == "RT @dtpthanh: Look like sisters? @YamChaivisit #aect19"
    assert photo.mentions == ("dtpthanh", "YamChaivisit")
    assert photo.media == (ParsedMedia("photo", "https://pbs.twimg.com/media/EHrwskZU0AA2xdG.jpg"),)
    compat = posts[8]
    assert compat.text.endswith("great content and great… https://twitter.com/i/web/status/1227652243870097408")
    assert compat.truncated
    assert html.unescape(posts[8].raw["text"]).startswith("Give Madinah what it deserves")
