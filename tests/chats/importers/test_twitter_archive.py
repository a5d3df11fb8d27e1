"""The Twitter personal-archive parser over small hand-written fixtures. No database."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone

import pytest

from chats.importers import twitter_archive
from chats.importers.base import (
    ParseContext,
    ParsedAuthor,
    ParsedMedia,
    ParsedPost,
    SkippedRecord,
    TranscriptFormatError,
)
from tests.chats.importers.helpers import FIXTURES_DIR, parse_file, posts_by_record

FIXTURES = FIXTURES_DIR / "twitter_archive"

JO = ParsedAuthor(
    platform="twitter",
    platform_id="1012000000000000002",
    handle="nurse_jo",
    display_name="Jo Tremblay, RN",
    profile_url="https://twitter.com/nurse_jo",
)
WITH_JO = ParseContext(account=JO)


def read_fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parse_fixture(name: str, context: ParseContext = WITH_JO) -> list:
    return parse_file(twitter_archive, FIXTURES / name, context)


def parse_bytes(data: bytes, context: ParseContext = WITH_JO) -> list:
    return list(twitter_archive.parse(io.BytesIO(data), context))


def archive_elements(name: str) -> list:
    """The fixture's array read with plain json, the prefix cut at its '='."""
    text = read_fixture(name).decode("utf-8-sig")
    return json.loads(text[text.index("=") + 1 :])


def ytd(name: str, elements: list) -> bytes:
    return f"window.YTD.{name}.part0 = {json.dumps(elements)}".encode()


# --- detection (every fixture: test_contract.py) ---------------------------


@pytest.mark.parametrize(
    ("name", "companion"),
    [
        ("tweets.js", False),
        ("tweet_2019_unwrapped.js", False),
        ("tweets_with_users.json", False),
        ("account.js", True),
        ("profile.js", True),
        ("manifest.js", True),
    ],
)
def test_is_companion_tells_the_files_without_tweets(name, companion):
    assert twitter_archive.is_companion(read_fixture(name)[:65536]) is companion


@pytest.mark.parametrize(
    "head",
    [
        b'window.YTD.tweetdeck.part0 = [ {"deck": {}} ]',  # a name that starts like "tweet"
        b'window.YTD.tweet_headers.part0 = [ {"tweet": {"tweet_id": "1"}} ]',
        b'window.YTD.like.part0 = [ {"like": {"tweetId": "1"}} ]',
    ],
)
def test_other_ytd_files_are_companions(head):
    assert twitter_archive.sniff(head)
    assert twitter_archive.is_companion(head)


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b'[{"id_str": "1", "created_at": "Wed Oct 10 20:19:24 +0000 2018", "user": {}}]',
        b'{"tweet": {"id_str": "1"}}',
        b'var tweets = [{"tweet": {}}]',
        b"id,text\n1,hello\n",
    ],
)
def test_sniff_refuses_what_is_not_an_archive(head):
    assert not twitter_archive.sniff(head)


# --- the archive owner -----------------------------------------------------


def test_read_account_from_account_js():
    with open(FIXTURES / "account.js", "rb") as stream:
        assert twitter_archive.read_account(stream) == JO


def test_read_account_from_manifest_js():
    with open(FIXTURES / "manifest.js", "rb") as stream:
        assert twitter_archive.read_account(stream) == JO


def test_read_account_of_a_file_without_an_account_is_none():
    with open(FIXTURES / "profile.js", "rb") as stream:
        assert twitter_archive.read_account(stream) is None
    assert twitter_archive.read_account(io.BytesIO(ytd("account", [{"account": {"username": "no_id"}}]))) is None


# --- tweets.js -------------------------------------------------------------


@pytest.fixture(scope="module")
def archive() -> list:
    return parse_fixture("tweets.js")


def test_records_are_numbered_by_array_position(archive):
    assert [(type(result).__name__, result.record) for result in archive] == [
        ("ParsedPost", 1),
        ("ParsedPost", 2),
        ("ParsedPost", 3),
        ("ParsedPost", 4),
        ("ParsedPost", 5),
        ("ParsedPost", 6),
        ("ParsedPost", 7),
        ("SkippedRecord", 8),
        ("SkippedRecord", 9),
    ]


def test_answer_is_parsed_field_by_field(archive):
    assert posts_by_record(archive)[1] == ParsedPost(
        record=1,
        platform="twitter",
        external_id="1049753563476385793",
        created_at=datetime(2018, 10, 10, 20, 3, 12, tzinfo=timezone.utc),
        author=JO,
        text=(
            "A1 I start with what my patients already trust & check it against "
            "https://www.canada.ca/en/public-health.html 💉 #hcsmca"
        ),
        url="https://twitter.com/nurse_jo/status/1049753563476385793",
        language="en",
        urls=("https://www.canada.ca/en/public-health.html",),
        hashtags=("hcsmca",),
        # The archive writes the counts as strings: "favorite_count": "4".
        metrics={"retweet_count": 2, "favorite_count": 4},
    )


def test_raw_is_the_untouched_array_element(archive):
    elements = archive_elements("tweets.js")
    for record, post in posts_by_record(archive).items():
        assert post.raw == elements[record - 1]
    assert posts_by_record(archive)[1].raw["tweet"]["favorite_count"] == "4"


def test_every_post_is_by_the_account_owner(archive):
    assert {post.author for post in posts_by_record(archive).values()} == {JO}


def test_the_loaders_account_is_kept_whole():
    with_avatar = ParsedAuthor(**{**JO.__dict__, "avatar_url": "https://pbs.twimg.com/profile_images/1/jo.jpg"})
    posts = posts_by_record(parse_fixture("tweets.js", ParseContext(account=with_avatar)))
    assert posts[1].author == with_avatar


def test_cut_retweet_is_marked_truncated_without_an_original(archive):
    retweet = posts_by_record(archive)[2]
    assert retweet.text.startswith("RT @hcsmca_mod: T1: Where do you look first")
    assert retweet.text.endswith("or yo…")
    assert retweet.truncated is True
    assert retweet.repost_of_id == ""  # the archive does not say which tweet
    assert retweet.mentions == ("hcsmca_mod",)
    assert not any(post.truncated for record, post in posts_by_record(archive).items() if record != 2)


def test_reply_ids_are_the_archive_strings(archive):
    reply = posts_by_record(archive)[3]
    assert reply.reply_to_id == "1049753101234567168"
    assert reply.reply_to_handle == "hcsmca_mod"
    assert reply.mentions == ("hcsmca_mod",)
    assert reply.text == "@hcsmca_mod Same here! Do you hand them the link or walk through it together? #hcsmca"


def test_arabic_text_is_kept_as_written(archive):
    arabic = posts_by_record(archive)[4]
    assert arabic.text == "ج٢ أتحقق دائماً من المصدر قبل مشاركة أي معلومة صحية #hcsmca"
    assert arabic.language == "ar"
    assert arabic.hashtags == ("hcsmca",)


def test_photo_link_is_dropped_and_the_photo_listed(archive):
    photo = posts_by_record(archive)[5]
    assert photo.text == "A3 Our clinic's handout on spotting health myths 📄 #hcsmca"
    assert photo.media == (ParsedMedia(kind="photo", url="https://pbs.twimg.com/media/DpJrS0aXcAAhcsm.jpg"),)
    assert photo.urls == ()


def test_edited_tweet_names_its_earlier_version(archive):
    posts = posts_by_record(archive)
    edited, original = posts[6], posts[7]
    assert edited.text == "A4 Ask your librarian! 📚 #hcsmca"
    assert edited.edit_history_ids == ("1049760011122233344",)
    assert original.external_id == "1049760011122233344"
    assert original.edit_history_ids == ()  # the later version is not an earlier one
    assert posts[1].edit_history_ids == ()  # edit_info lists only the tweet itself


def test_element_that_is_not_a_tweet_is_invalid(archive):
    assert archive[7] == SkippedRecord(
        8,
        "not an archive tweet: expected {\"tweet\": {...}} with 'id_str' and 'created_at' (got keys: 'like')",
        invalid=True,
    )


def test_unreadable_date_is_invalid(archive):
    skipped = archive[8]
    assert skipped.record == 9 and skipped.invalid
    assert "bad 'created_at' '2018-10-10 20:25:00'" in skipped.reason


def test_file_cut_off_ends_with_an_invalid_record():
    results = parse_fixture("tweets_cut_off.js")
    assert [post.external_id for post in results[:2]] == ["1049753563476385793", "1049754001122334455"]
    (broken,) = results[2:]
    assert broken.record == 3 and broken.invalid
    assert "invalid JSON after element 2" in broken.reason


# --- other layouts ---------------------------------------------------------


def test_2019_tweet_js_without_wrapper_with_bom_and_crlf():
    posts = parse_fixture("tweet_2019_unwrapped.js")
    assert [(post.record, post.external_id, post.author) for post in posts] == [
        (1, "1049753563476385793", JO),
        (2, "1049755200011223344", JO),
    ]
    assert posts[1].reply_to_id == "1049753101234567168"


def test_reformatted_archive_whose_tweets_carry_a_user_needs_no_account():
    posts = parse_fixture("tweets_with_users.json", ParseContext())
    assert [post.external_id for post in posts] == ["1049756300099887766", "1049753563476385793"]
    assert {post.author.handle for post in posts} == {"patient_voice"}
    assert posts[0].author.platform_id == "1012000000000000003"
    assert posts[0].url == "https://twitter.com/patient_voice/status/1049756300099887766"
    assert posts[1].metrics == {"retweet_count": 2, "favorite_count": 4}


def test_ids_only_as_numeric_strings_are_read():
    tweet = {"id": "1049753563476385793", "created_at": "Wed Oct 10 20:03:12 +0000 2018", "full_text": "A1 yes #hcsmca"}
    (post,) = parse_bytes(ytd("tweet", [{"tweet": tweet}]))
    assert post.external_id == "1049753563476385793"


# --- whole-file refusals ---------------------------------------------------


def test_tweets_without_an_account_are_refused():
    with pytest.raises(TranscriptFormatError) as error:
        parse_fixture("tweets.js", ParseContext())
    assert error.value.message == (
        "a personal archive's tweets do not name their author: import account.js together with tweets.js"
    )
    assert error.value.record is None


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("account.js", "account.js holds no posts: import it together with tweets.js"),
        ("profile.js", "profile.js holds no posts: import it together with tweets.js"),
        ("manifest.js", "manifest.js holds no posts: import it together with tweets.js"),
    ],
)
def test_companion_files_are_refused(name, message):
    with pytest.raises(TranscriptFormatError) as error:
        parse_fixture(name)
    assert error.value.message == message


def test_javascript_rewrite_is_refused_with_the_reason():
    data = b"window.YTD.tweets.part0 = [\n  {\n    tweet: {\n      id_str: '1049753563476385793',\n    },\n  },\n]\n"
    with pytest.raises(TranscriptFormatError) as error:
        parse_bytes(data)
    assert error.value.message.startswith("what follows 'window.YTD.tweets.part0 =' is not JSON (")
    assert "rewritten as JavaScript by a code formatter" in error.value.message


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"window.YTD.tweets.part0 = {}", "expected a JSON array after 'window.YTD.tweets.part0 ='"),
        (b"hello", "not JSON"),
    ],
)
def test_unreadable_files_are_refused(data, message):
    with pytest.raises(TranscriptFormatError) as error:
        parse_bytes(data)
    assert message in error.value.message


def test_parse_streams_the_array():
    """The first post comes out before the rest of the file is read."""
    elements = archive_elements("tweets.js")[:1] * 5000
    stream = io.BytesIO(ytd("tweets", elements))
    first = next(twitter_archive.parse(stream, WITH_JO))
    assert first.external_id == "1049753563476385793"
    assert stream.tell() < len(stream.getvalue()) / 10
