"""The Twitter API v2 (twarc2) parser over small hand-written fixtures. No database.

Fixtures in tests/fixtures/twitter_v2/:
- chat_page.jsonl: one ``twarc2 search`` response page of an #hcsmca chat
  (11 tweets; includes; an error about a tweet and one about a user);
- chat_flat.jsonl: the same page after ``twarc2 flatten`` (one tweet a line);
- stream_edits.jsonl: ``twarc2 stream`` output (one tweet a page) with edited
  tweets, a blank line, a disconnect notice, an object that is no page and a
  last line cut off without its newline.
"""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone

import pytest

from chats.importers import twitter_v2
from chats.importers.base import ParsedAuthor, ParsedMedia, ParsedPost, SkippedRecord, TranscriptFormatError
from tests.chats.importers.helpers import FIXTURES_DIR, LineByLineOnly, jsonl, parse_file, posts_by_record

FIXTURES = FIXTURES_DIR / "twitter_v2"

T1_ID = "1580300000000000001"
A1_ID = "1580300000000000002"
T1_TEXT = (
    "T1: Where do you look first when a patient asks about a health claim they saw online? "
    "Journals, public health sites, or your own network? #hcsmca"
)
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"

MOD = {"id": "1012000000000000001", "username": "hcsmca_mod", "name": "HCSM Canada chat"}
JO = {"id": "1012000000000000002", "username": "nurse_jo", "name": "Jo Tremblay, RN"}


def parse_bytes(data: bytes) -> list:
    return list(twitter_v2.parse(io.BytesIO(data)))


def parse_fixture(name: str) -> list:
    return parse_file(twitter_v2, FIXTURES / name)


def fixture_lines(name: str) -> list[dict]:
    return [json.loads(line) for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def tweet(**fields) -> dict:
    """A minimal valid v2 tweet by @nurse_jo, for edge cases needing no fixture."""
    base = {
        "id": "1580300000000000099",
        "author_id": JO["id"],
        "created_at": "2022-10-13T00:40:00.000Z",
        "text": "A5 Ask your librarian! #hcsmca",
    }
    base.update(fields)
    return base


def page(*tweets, users=(JO,), **fields) -> dict:
    return {"data": list(tweets), "includes": {"users": list(users)}, **fields}


# --- one search response page ------------------------------------------------------


@pytest.fixture(scope="module")
def chat() -> list:
    return parse_fixture("chat_page.jsonl")


@pytest.fixture(scope="module")
def chat_page() -> dict:
    (value,) = fixture_lines("chat_page.jsonl")
    return value


def test_page_tweets_are_numbered_by_position_then_tweet_errors(chat):
    # 11 tweets on line 1: the 10th is an earlier version of the 11th; record
    # 12 is the page's error about a tweet.
    assert [(type(result).__name__, result.record) for result in chat] == [
        *(("ParsedPost", record) for record in range(1, 10)),
        ("SkippedRecord", 10),
        ("ParsedPost", 11),
        ("SkippedRecord", 12),
    ]


def test_moderator_question_is_parsed_field_by_field(chat):
    assert posts_by_record(chat)[1] == ParsedPost(
        record=1,
        platform="twitter",
        external_id=T1_ID,
        created_at=datetime(2022, 10, 13, 0, 0, 5, tzinfo=timezone.utc),
        author=ParsedAuthor(
            platform="twitter",
            platform_id="1012000000000000001",
            handle="hcsmca_mod",
            display_name="HCSM Canada chat",
            profile_url="https://twitter.com/hcsmca_mod",
            avatar_url="https://pbs.twimg.com/profile_images/1000000000000000001/hcsmca_mod_normal.jpg",
        ),
        text=T1_TEXT,
        url=f"https://twitter.com/hcsmca_mod/status/{T1_ID}",
        language="en",
        hashtags=("hcsmca",),
        metrics={"retweet_count": 3, "reply_count": 2, "like_count": 7, "quote_count": 0, "impression_count": 412},
        thread_root_id=T1_ID,
    )


def test_created_at_is_aware_utc(chat):
    created_at = posts_by_record(chat)[1].created_at
    assert created_at.tzinfo is timezone.utc
    assert created_at.isoformat() == "2022-10-13T00:00:05+00:00"


def test_raw_is_the_tweet_and_the_includes_it_names(chat, chat_page):
    users = {user["username"]: user for user in chat_page["includes"]["users"]}
    reply = posts_by_record(chat)[3]
    assert reply.raw == {
        "tweet": chat_page["data"][2],
        # The author, then the user replied to (also the one mentioned).
        "includes": {"users": [users["patient_voice"], users["nurse_jo"]], "tweets": [chat_page["data"][1]]},
    }
    photo = posts_by_record(chat)[7]
    assert photo.raw == {
        "tweet": chat_page["data"][6],
        "includes": {"users": [users["clinic_lib"]], "media": chat_page["includes"]["media"]},
    }
    for post in posts_by_record(chat).values():
        assert post.raw["tweet"] == chat_page["data"][post.record - 1]


def test_answer_is_unescaped_and_its_link_expanded(chat):
    answer = posts_by_record(chat)[2]
    assert "trust &amp; check" in answer.raw["tweet"]["text"]
    assert answer.text == (
        "A1 I start with what my patients already trust & check it against "
        # "&region" must not become "®ion": the expanded URL is not HTML.
        "https://www.canada.ca/en/public-health.html?lang=en&region=on 💉 #hcsmca"
    )
    assert answer.urls == ("https://www.canada.ca/en/public-health.html?lang=en&region=on",)
    assert answer.author.handle == "nurse_jo"


def test_reply_names_the_tweet_and_user_replied_to(chat):
    reply = posts_by_record(chat)[3]
    assert reply.reply_to_id == A1_ID
    assert reply.reply_to_handle == "nurse_jo"
    assert reply.thread_root_id == A1_ID  # conversation_id
    assert reply.mentions == ("nurse_jo",)
    assert reply.text == "@nurse_jo Same here! Do you hand them the link or walk through it together? #hcsmca"


def test_retweet_text_is_rebuilt_from_the_full_original(chat):
    retweet = posts_by_record(chat)[4]
    assert retweet.raw["tweet"]["text"].endswith("your o…")  # v2 cuts a retweet's own text
    assert retweet.text == f"RT @hcsmca_mod: {T1_TEXT}"
    assert retweet.repost_of_id == T1_ID
    assert retweet.author.handle == "patient_voice"
    assert retweet.mentions == ("hcsmca_mod",)
    assert retweet.hashtags == ("hcsmca",)
    assert retweet.truncated is False
    assert [user["username"] for user in retweet.raw["includes"]["users"]] == ["patient_voice", "hcsmca_mod"]
    assert [original["id"] for original in retweet.raw["includes"]["tweets"]] == [T1_ID]


def test_retweet_of_a_tweet_not_in_the_file_keeps_its_cut_text(chat):
    retweet = posts_by_record(chat)[9]
    assert retweet.repost_of_id == "1580100000000000000"
    assert retweet.text == (
        "RT @healthlit_ca: Reminder: tonight's #hcsmca is about finding reliable health information online. "
        "Join us at 8pm ET with @hcsmca_mod and…"
    )
    assert retweet.truncated is True
    assert retweet.mentions == ("healthlit_ca", "hcsmca_mod")


def test_quote_links_to_the_quoted_post(chat):
    quote = posts_by_record(chat)[5]
    assert quote.quote_of_id == A1_ID
    assert quote.reply_to_id == quote.repost_of_id == ""
    assert quote.text == (
        f"Cross-checking is the habit we should teach first. #hcsmca https://twitter.com/nurse_jo/status/{A1_ID}"
    )
    assert quote.urls == (f"https://twitter.com/nurse_jo/status/{A1_ID}",)


def test_embedded_tweets_are_not_posts_of_their_own(chat):
    ids = [post.external_id for post in posts_by_record(chat).values()]
    assert len(ids) == len(set(ids)) == 10
    assert ids.count(T1_ID) == ids.count(A1_ID) == 1


def test_right_to_left_text_is_kept_as_is(chat):
    arabic = posts_by_record(chat)[6]
    assert arabic.text == "ج١ أبدأ دائماً بمواقع الصحة العامة الموثوقة، ثم أسأل زملائي #hcsmca"
    assert arabic.language == "ar"
    assert arabic.author.display_name == "صحة للجميع"


def test_media_link_is_dropped_from_text_and_listed_as_media(chat):
    photo = posts_by_record(chat)[7]
    assert photo.text == "A1 The handout we give patients at our clinic 📄 #hcsmca"
    assert photo.media == (
        ParsedMedia(
            kind="photo",
            url="https://pbs.twimg.com/media/FfHandout7.jpg",
            alt_text="A printed handout titled 'Checking health information online'",
        ),
    )
    assert photo.urls == ()
    assert photo.author.avatar_url == ""  # the user object has no profile_image_url


def test_long_post_uses_note_tweet_and_its_entities(chat):
    long_post = posts_by_record(chat)[8]
    assert long_post.raw["tweet"]["text"].endswith("…")
    assert long_post.text == (
        "A3 Show patients how to check who runs a site, when it was last updated, and whether it cites research. "
        "We built a 5-minute walkthrough with our library, and it has cut the 'I read it online' debates in half. "
        "Happy to share the slides with anyone who asks > just DM me. "
        "https://library.example.org/health-literacy/walkthrough #hcsmca #healthlit"
    )
    assert long_post.urls == ("https://library.example.org/health-literacy/walkthrough",)
    assert long_post.hashtags == ("hcsmca", "healthlit")
    assert long_post.truncated is False


def test_earlier_version_in_the_same_page_is_skipped_for_the_latest(chat):
    assert chat[9] == SkippedRecord(
        10, "line 1: tweet 1580300000000000010 is an earlier version of 1580300000000000011, kept as its edit history"
    )
    latest = posts_by_record(chat)[11]
    assert latest.external_id == "1580300000000000011"
    assert latest.text == "A2 Check the date on the page first #hcsmca"
    assert latest.edit_history_ids == ("1580300000000000010",)


def test_page_error_about_a_tweet_is_a_valid_skip_and_one_about_a_user_is_ignored(chat):
    skipped = [result for result in chat if isinstance(result, SkippedRecord)]
    assert skipped[-1] == SkippedRecord(
        12,
        "line 1: the API did not return tweet 1580200000000000000: "
        "Could not find tweet with referenced_tweets.id: [1580200000000000000].",
    )
    assert not any("spam_cures" in result.reason for result in skipped)


# --- the flattened form of the same page -------------------------------------------


@pytest.fixture(scope="module")
def flat() -> list:
    return parse_fixture("chat_flat.jsonl")


def test_flattened_tweets_are_numbered_by_line(flat):
    assert [result.record for result in flat] == list(range(1, 12))
    assert all(isinstance(result, ParsedPost) for result in flat)


def test_flattened_form_gives_the_posts_of_the_page(chat, flat):
    page_posts = posts_by_record(chat)
    flat_posts = posts_by_record(flat)
    # Known difference: a flattened file is read a tweet at a time, so the
    # earlier version (line 10) comes before the later one is known.
    assert flat_posts.pop(10).external_id == "1580300000000000010"
    assert flat_posts == page_posts  # raw aside: ParsedPost.raw is not compared


def test_flattened_raw_is_the_line_as_is(flat):
    lines = fixture_lines("chat_flat.jsonl")
    assert [post.raw for post in flat] == lines
    assert flat[3].raw["referenced_tweets"][0]["author"]["username"] == "hcsmca_mod"


def test_flattened_tweet_whose_objects_were_not_found_reads_like_its_page():
    # twarc2 flatten writes what it could not find in includes as {}.
    retweet = tweet(
        text="RT @healthlit_ca: Reminder: tonight's #hcsmca is at 8pm ET…",
        referenced_tweets=[{"type": "retweeted", "id": "1580100000000000000"}],
        attachments={"media_keys": ["3_1"], "media": [{}]},
    )
    flattened = {**retweet, "author": JO}
    assert parse_bytes(jsonl(flattened)) == parse_bytes(jsonl(page(retweet)))
    (post,) = parse_bytes(jsonl(flattened))
    assert post.media == ()
    assert post.truncated is True


def test_flattened_tweet_without_its_author_is_invalid():
    results = parse_bytes(jsonl({**tweet(), "author": {}}))
    assert results == [
        SkippedRecord(
            1,
            "line 1: tweet 1580300000000000099: its author 1012000000000000002 is not in the page's "
            "includes.users nor inline as 'author'",
            invalid=True,
        )
    ]


# --- a stream with edits and notices -----------------------------------------------


def test_stream_with_edits_notices_and_a_cut_last_line():
    results = parse_fixture("stream_edits.jsonl")
    posts = posts_by_record(results)
    assert [post.external_id for post in posts.values()] == [
        # The first version came before its edit: both are posts, the
        # loader reconciles them through the later one's edit history.
        "1580300000000000020",
        "1580300000000000021",
        "1580300000000000031",
    ]
    assert posts[2].edit_history_ids == ("1580300000000000020",)
    assert posts[3].edit_history_ids == ("1580300000000000030",)
    assert [result for result in results if isinstance(result, SkippedRecord)] == [
        # The earlier version came after the latest: skipped.
        SkippedRecord(
            4,
            "line 4: tweet 1580300000000000030 is an earlier version of 1580300000000000031, kept as its edit history",
        ),
        # Line 5 is blank and counts for nothing.
        SkippedRecord(5, "line 6: a response page with no tweets (errors: operational-disconnect)"),
        SkippedRecord(
            6,
            "line 7: neither a twarc2 response page (an object with 'data', 'includes', 'errors' or 'meta') "
            "nor a flattened tweet (an object with 'id', 'text' and 'author_id'); got keys: 'name'",
            invalid=True,
        ),
        SkippedRecord(7, "line 8: invalid JSON: Unterminated string starting at: column 219", invalid=True),
    ]


def test_stream_page_holds_one_tweet_as_an_object():
    (first, *_) = parse_fixture("stream_edits.jsonl")
    line = json.loads((FIXTURES / "stream_edits.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert isinstance(line["data"], dict)
    assert first.raw == {"tweet": line["data"], "includes": {"users": line["includes"]["users"]}}
    assert first.text == "T4 is up next: what do you tell patients about symptom checkers? #hcsmcs"


def test_json_lines_are_read_line_by_line():
    stream = LineByLineOnly(jsonl(page(tweet(id="1")), page(tweet(id="2")), page(tweet(id="3"))))
    results = twitter_v2.parse(stream)
    assert next(results).external_id == "1"
    assert stream.lines_read == 1  # nothing read ahead of the post handed out
    assert [post.external_id for post in results] == ["2", "3"]


# --- other layouts -----------------------------------------------------------------


def test_pretty_printed_page_reads_like_its_line(chat, chat_page):
    assert parse_bytes(json.dumps(chat_page, indent=2).encode()) == chat


def test_array_of_flattened_tweets_reads_like_its_lines(flat):
    assert parse_bytes(json.dumps(fixture_lines("chat_flat.jsonl")).encode()) == flat


def test_crlf_lines_and_bom_are_accepted(flat):
    data = b"\xef\xbb\xbf" + (FIXTURES / "chat_flat.jsonl").read_bytes().replace(b"\n", b"\r\n")
    results = parse_bytes(data)
    assert results == flat
    assert not any("\r" in post.text for post in results)


def test_pages_are_numbered_across_the_file():
    results = parse_bytes(jsonl(page(tweet(id="1"), tweet(id="2")), {"meta": {"result_count": 0}}, page(tweet(id="3"))))
    assert [(type(result).__name__, result.record) for result in results] == [
        ("ParsedPost", 1),
        ("ParsedPost", 2),
        ("SkippedRecord", 3),
        ("ParsedPost", 4),
    ]
    assert results[2] == SkippedRecord(3, "line 2: a response page with no tweets")


# --- field details -----------------------------------------------------------------


def test_created_at_with_an_offset_is_converted_to_utc():
    (post,) = parse_bytes(jsonl(page(tweet(created_at="2022-10-12T20:40:00-04:00"))))
    assert post.created_at == datetime(2022, 10, 13, 0, 40, tzinfo=timezone.utc)
    assert post.created_at.tzinfo is timezone.utc


def test_only_integer_metrics_are_kept_and_bookmarks_count():
    metrics = {"retweet_count": 2, "like_count": None, "reply_count": "3", "quote_count": True, "bookmark_count": 4}
    (post,) = parse_bytes(jsonl(page(tweet(public_metrics=metrics))))
    assert post.metrics == {"retweet_count": 2, "bookmark_count": 4}


def test_missing_language_is_empty_and_und_is_kept():
    no_lang, undetermined = parse_bytes(jsonl(page(tweet(id="1"), tweet(id="2", lang="und"))))
    assert no_lang.language == ""
    assert undetermined.language == "und"


def test_media_link_recognised_by_its_address_without_media_key():
    link = {"url": "https://t.co/Vid30abc", "expanded_url": "https://twitter.com/nurse_jo/status/1/video/1"}
    record = tweet(
        text="A5 Our 1-minute explainer https://t.co/Vid30abc",
        entities={"urls": [link]},
        attachments={"media_keys": ["7_1"]},
    )
    still = "https://pbs.twimg.com/amplify_video_thumb/1/img/v.jpg"
    video = {"media_key": "7_1", "type": "video", "preview_image_url": still}
    (post,) = parse_bytes(jsonl({**page(record), "includes": {"users": [JO], "media": [video]}}))
    assert post.text == "A5 Our 1-minute explainer"
    assert post.urls == ()
    assert post.media == (ParsedMedia(kind="video", url=still),)


def test_user_replied_to_without_a_replied_tweet():
    (post,) = parse_bytes(jsonl(page(tweet(in_reply_to_user_id=MOD["id"]), users=(JO, MOD))))
    assert post.reply_to_id == ""
    assert post.reply_to_handle == "hcsmca_mod"


# --- bad records in a readable file ---------------------------------------------


def test_bad_created_at_is_an_invalid_record():
    results = parse_bytes(jsonl(page(tweet(id="1"), tweet(id="2", created_at="Wed Oct 10 20:19:24 +0000 2018"))))
    assert results[1] == SkippedRecord(
        2,
        "line 1: tweet 2: bad 'created_at' 'Wed Oct 10 20:19:24 +0000 2018': expected an ISO 8601 time with its "
        "timezone, like '2021-04-08T14:17:02.000Z'",
        invalid=True,
    )


def test_created_at_without_timezone_is_an_invalid_record():
    (skipped,) = parse_bytes(jsonl(page(tweet(created_at="2022-10-13T00:40:00"))))
    assert skipped.invalid and skipped.record == 1
    assert "bad 'created_at' '2022-10-13T00:40:00'" in skipped.reason


def test_author_missing_from_includes_is_an_invalid_record():
    assert parse_bytes(jsonl(page(tweet(), users=(MOD,)))) == [
        SkippedRecord(
            1,
            "line 1: tweet 1580300000000000099: its author 1012000000000000002 is not in the page's "
            "includes.users nor inline as 'author'",
            invalid=True,
        )
    ]


def test_data_item_that_is_not_a_tweet_is_an_invalid_record():
    results = parse_bytes(jsonl(page(tweet(id="1"), {"id": "2", "text": "no author"}, "3")))
    assert [result.record for result in results] == [1, 2, 3]
    assert results[1] == SkippedRecord(
        2,
        "line 1: not a tweet: expected an object with 'id', 'text' and 'author_id' (got keys: 'id', 'text')",
        invalid=True,
    )
    assert results[2].reason.endswith("(got a JSON string)")


def test_non_utf8_line_is_an_invalid_record():
    results = parse_bytes(jsonl(page(tweet())) + b'{"data": [{"text": "caf\xe9"}]}\n')
    assert results[1].record == 2
    assert results[1].invalid
    assert results[1].reason.startswith("line 2: not UTF-8 text")


# --- whole-file failures -------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"  \n\r\n", b"\xef\xbb\xbf\n"], ids=["empty", "whitespace", "bom-only"])
def test_empty_file_is_refused(data):
    with pytest.raises(TranscriptFormatError, match=r"^the file is empty$"):
        parse_bytes(data)


def test_png_is_refused_as_not_json():
    with pytest.raises(TranscriptFormatError) as caught:
        parse_bytes(PNG_BYTES)
    assert caught.value.record is None
    assert caught.value.message.startswith("not JSON")


def test_array_broken_before_its_first_element_is_refused():
    with pytest.raises(TranscriptFormatError, match="invalid JSON after element 0"):
        parse_bytes(b'[{"id": "1",, }]')


# --- sniffing (every fixture: test_contract.py) ---------------------------------------


def test_sniff_copes_with_a_head_cut_mid_record_and_a_bom():
    head = (FIXTURES / "chat_page.jsonl").read_bytes()
    assert twitter_v2.sniff(b"\xef\xbb\xbf" + head[: head.index(b'"author_id"') + 20])


@pytest.mark.parametrize(
    "head",
    [
        pytest.param(PNG_BYTES, id="png"),
        pytest.param(b"", id="empty"),
        pytest.param(b"id,author_id,text\n1,2,hello\n", id="csv"),
        pytest.param(
            b'{"created_at": "Wed Oct 10 20:19:24 +0000 2018", "id_str": "1049753101234567168", '
            b'"text": "T1: #hcsmca", "user": {"id_str": "1", "screen_name": "hcsmca_mod"}}\n',
            id="twitter-v1",
        ),
        pytest.param(
            b'{"created_at": "Wed Oct 10 20:19:24 +0000 2018", "id_str": "1", "text": "\\"data\\": \\"author_id\\":",'
            b' "user": {"id_str": "1", "screen_name": "hcsmca_mod"}, "__twarc": {"version": "1.12.1"}}\n',
            id="twitter-v1-by-twarc",
        ),
        pytest.param(
            b'window.YTD.tweets.part0 = [ {\n  "tweet" : {\n    "id_str" : "1049753101234567168"',
            id="personal-archive",
        ),
        pytest.param(b'[{"id": "109", "account": {"acct": "nurse_jo"}, "content": "<p>A1</p>"}]', id="mastodon"),
        pytest.param(
            b'{"feed": [{"post": {"uri": "at://did:plc:x/app.bsky.feed.post/1", "author": {"did": "did:plc:x"}}}]}',
            id="bluesky",
        ),
        pytest.param(b'{"name": "not a tweet"}\n', id="other-json"),
    ],
)
def test_sniff_refuses_other_files(head):
    assert not twitter_v2.sniff(head)
