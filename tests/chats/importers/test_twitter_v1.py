"""The Twitter v1.1 parser over small hand-written fixtures. No database."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone

import pytest

from chats.importers import twitter_v1
from chats.importers.base import DeletionNotice, ParsedAuthor, ParsedMedia, ParsedPost, SkippedRecord, TranscriptFormatError
from tests.chats.importers.helpers import FIXTURES_DIR, LineByLineOnly, jsonl, parse_file, posts_by_record

FIXTURES = FIXTURES_DIR / "twitter_v1"

T1_TEXT = (
    "T1: Where do you look first when a patient asks about a health claim they saw online? "
    "Journals, public health sites, or your own network? #hcsmca"
)
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def parse_bytes(data: bytes) -> list:
    return list(twitter_v1.parse(io.BytesIO(data)))


def parse_fixture(name: str) -> list:
    return parse_file(twitter_v1, FIXTURES / name)


def fixture_line(name: str, line_no: int) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8").splitlines()[line_no - 1])


def status(**fields) -> dict:
    """A minimal valid status, for the edge cases that need no fixture file."""
    base = {
        "created_at": "Wed Oct 10 20:19:24 +0000 2018",
        "id_str": "1049760011122233344",
        "text": "A4 Ask your librarian! #hcsmca",
        "user": {"id_str": "1012000000000000002", "screen_name": "nurse_jo", "name": "Jo Tremblay, RN"},
    }
    base.update(fields)
    return base


# --- a JSON Lines chat fragment ------------------------------------------------


@pytest.fixture(scope="module")
def chat() -> list:
    return parse_fixture("chat_fragment.jsonl")


def test_records_are_numbered_by_physical_line(chat):
    # Line 3 is blank; line 5 is a delete notice.
    assert [(type(result).__name__, result.record) for result in chat] == [
        ("ParsedPost", 1),
        ("ParsedPost", 2),
        ("ParsedPost", 4),
        ("DeletionNotice", 5),
        ("ParsedPost", 6),
        ("ParsedPost", 7),
        ("ParsedPost", 8),
        ("ParsedPost", 9),
    ]


def test_moderator_question_is_parsed_field_by_field(chat):
    assert posts_by_record(chat)[1] == ParsedPost(
        record=1,
        platform="twitter",
        external_id="1049753101234567168",
        created_at=datetime(2018, 10, 10, 20, 0, 5, tzinfo=timezone.utc),
        author=ParsedAuthor(
            platform="twitter",
            platform_id="1012000000000000001",
            handle="hcsmca_mod",
            display_name="HCSM Canada chat",
            profile_url="https://twitter.com/hcsmca_mod",
            avatar_url="https://pbs.twimg.com/profile_images/1000000000000000001/hcsmca_mod_normal.jpg",
        ),
        text=T1_TEXT,
        url="https://twitter.com/hcsmca_mod/status/1049753101234567168",
        language="en",
        hashtags=("hcsmca",),
        metrics={"retweet_count": 3, "favorite_count": 7},
    )


def test_created_at_is_aware_utc(chat):
    created_at = posts_by_record(chat)[1].created_at
    assert created_at.tzinfo is timezone.utc
    assert created_at.isoformat() == "2018-10-10T20:00:05+00:00"


def test_raw_is_the_untouched_record(chat):
    for record, post in posts_by_record(chat).items():
        assert post.raw == fixture_line("chat_fragment.jsonl", record)


def test_answer_is_unescaped_and_its_link_expanded(chat):
    answer = posts_by_record(chat)[2]
    assert answer.text == (
        "A1 I start with what my patients already trust & check it against "
        "https://www.canada.ca/en/public-health.html 💉 #hcsmca"
    )
    assert answer.urls == ("https://www.canada.ca/en/public-health.html",)
    assert answer.author.handle == "nurse_jo"


def test_reply_keeps_the_exact_string_ids(chat):
    reply = posts_by_record(chat)[4]
    # The numeric "id" in the file is the rounded 1049753874199871500.
    assert reply.raw["id"] == 1049753874199871500
    assert reply.external_id == "1049753874199871490"
    assert reply.reply_to_id == "1049753563476385793"
    assert reply.reply_to_handle == "nurse_jo"
    assert reply.mentions == ("nurse_jo",)
    assert reply.text == "@nurse_jo Same here! Do you hand them the link or walk through it together? #hcsmca"


def test_delete_notice_names_the_deleted_status(chat):
    assert chat[3] == DeletionNotice(record=5, platform="twitter", external_id="1049753900000000000")


def test_retweet_text_is_rebuilt_from_the_full_original(chat):
    retweet = posts_by_record(chat)[6]
    # The top-level text was cut at 140 characters with "…".
    assert retweet.raw["text"].endswith("or you…")
    assert retweet.text == f"RT @hcsmca_mod: {T1_TEXT}"
    assert retweet.repost_of_id == "1049753101234567168"
    assert retweet.author.handle == "patient_voice"
    assert retweet.mentions == ("hcsmca_mod",)
    assert retweet.hashtags == ("hcsmca",)


def test_embedded_statuses_are_not_posts_of_their_own(chat):
    ids = [post.external_id for post in posts_by_record(chat).values()]
    assert len(ids) == len(set(ids)) == 7


def test_quote_links_to_the_quoted_post(chat):
    quote = posts_by_record(chat)[7]
    assert quote.quote_of_id == "1049753563476385793"
    assert quote.text == (
        "Cross-checking is the habit we should teach first. #hcsmca "
        "https://twitter.com/nurse_jo/status/1049753563476385793"
    )
    assert quote.urls == ("https://twitter.com/nurse_jo/status/1049753563476385793",)


def test_right_to_left_text_is_kept_as_is(chat):
    arabic = posts_by_record(chat)[8]
    assert arabic.text == "ج١ أبدأ دائماً بمواقع الصحة العامة الموثوقة، ثم أسأل زملائي #hcsmca"
    assert arabic.language == "ar"
    assert arabic.author.display_name == "صحة للجميع"


def test_media_link_is_dropped_from_text_and_listed_as_media(chat):
    photo = posts_by_record(chat)[9]
    assert photo.text == "A1 The handout we give patients at our clinic 📄 #hcsmca"
    assert photo.media == (
        ParsedMedia(
            kind="photo",
            url="https://pbs.twimg.com/media/DpQ1handoutXYZ.jpg",
            alt_text="A printed handout titled 'Checking health information online'",
        ),
    )
    assert photo.urls == ()


# --- other layouts -------------------------------------------------------------


def test_crlf_lines_and_bom_are_accepted():
    results = parse_fixture("chat_fragment_crlf_bom.jsonl")
    assert [post.external_id for post in results] == ["1049755700000000000", "1049755900000000001"]
    assert results[0].text == "T2: What makes you distrust a health account on social media? #hcsmca"
    assert not any("\r" in post.text for post in results)


def test_entities_are_unescaped_once_only():
    answer = parse_fixture("chat_fragment_crlf_bom.jsonl")[1]
    assert (
        answer.raw["text"]
        == "A2 No sources, miracle cures &lt;and&gt; ALL CAPS. Also &amp;amp; in a bio, oddly. #hcsmca"
    )
    assert answer.text == "A2 No sources, miracle cures <and> ALL CAPS. Also &amp; in a bio, oddly. #hcsmca"


def test_pretty_printed_array_is_numbered_by_index():
    results = parse_fixture("user_timeline.json")
    assert [(post.record, post.external_id) for post in results] == [
        (1, "1049760000000000000"),
        (2, "1049759000000000000"),
        (3, "1049750000000000000"),
    ]
    # tweet_mode=extended: the text is in "full_text".
    assert results[0].text == (
        "Thanks all for a great #hcsmca tonight! Transcript and summary soon at https://hcsmca.example.org/chats/hcsmca-116/"
    )
    assert (
        results[2].text
        == "Welcome to #hcsmca! Tonight: finding reliable health information online. Intro yourselves 👋"
    )


def test_search_response_statuses_are_numbered_by_index():
    results = parse_fixture("search_response.json")
    assert [(post.record, post.external_id, post.repost_of_id) for post in results] == [
        (1, "1049753101234567168", ""),
        (2, "1049753563476385793", ""),
        (3, "1049754012345678848", "1049753101234567168"),
    ]
    assert results[2].text == f"RT @hcsmca_mod: {T1_TEXT}"


def test_search_response_on_one_line_reads_the_same():
    response = json.loads((FIXTURES / "search_response.json").read_text(encoding="utf-8"))
    assert parse_bytes(json.dumps(response).encode()) == parse_fixture("search_response.json")


def test_search_responses_one_per_line_are_numbered_across_responses():
    response = json.loads((FIXTURES / "search_response.json").read_text(encoding="utf-8"))
    results = parse_bytes(jsonl(response, response))
    assert [post.record for post in results] == [1, 2, 3, 4, 5, 6]


def test_pretty_single_status_uses_extended_tweet():
    (post,) = parse_fixture("extended_tweet_pretty.json")
    assert post.record == 1
    assert post.raw["truncated"] is True
    assert post.truncated is False  # the full text is in extended_tweet
    assert post.text == (
        "A3 Show patients how to check who runs a site, when it was last updated, and whether it cites research. "
        "We built a 5-minute walkthrough with our library: "
        # "&region" must not become "®ion": the expanded URL is not HTML.
        "https://library.example.org/health-literacy/walkthrough?lang=en&region=on #hcsmca #healthlit"
    )
    assert post.urls == ("https://library.example.org/health-literacy/walkthrough?lang=en&region=on",)
    assert post.hashtags == ("hcsmca", "healthlit")
    assert post.media == (ParsedMedia(kind="photo", url="https://pbs.twimg.com/media/DpQ2walkthrough.jpg"),)
    assert post.reply_to_id == "1049759000000000000"
    assert post.reply_to_handle == "hcsmca_mod"
    assert post.metrics == {"retweet_count": 5, "favorite_count": 11, "reply_count": 2, "quote_count": 0}


@pytest.mark.parametrize(
    ("notice", "expected"),
    [
        pytest.param({"delete": {"status": {"id": 5, "id_str": "5", "user_id_str": "9"}}},
                     DeletionNotice(1, "twitter", "5"), id="id_str"),
        # A tool that went through JavaScript may have dropped id_str; the number is the last resort.
        pytest.param({"delete": {"status": {"id": 7, "user_id": 9}}}, DeletionNotice(1, "twitter", "7"), id="numeric"),
        pytest.param({"delete": {"direct_message": {"id": 3}}},
                     SkippedRecord(1, "stream notice 'delete' of no status, not a post"), id="direct-message"),
        pytest.param({"delete": {"status": {"id_str": "12a"}}},
                     SkippedRecord(1, "stream notice 'delete' without the deleted status's 'id_str'", invalid=True),
                     id="bad-id"),
        pytest.param({"delete": "gone"}, SkippedRecord(1, "stream notice 'delete' of no status, not a post"),
                     id="not-an-object"),
    ],
)
def test_delete_notices(notice, expected):
    assert parse_bytes(jsonl(notice)) == [expected]


def test_concatenated_pretty_objects_are_numbered_in_order():
    # What `jq . statuses.jsonl` writes.
    data = b"\n".join(json.dumps(value, indent=2).encode() for value in (status(), {"limit": {"track": 12}}))
    results = parse_bytes(data)
    assert results[0].record == 1
    assert results[1] == SkippedRecord(2, "stream notice 'limit', not a post")


def test_json_lines_are_read_line_by_line():
    stream = LineByLineOnly(jsonl(status(), status(id_str="2"), status(id_str="3")))
    results = twitter_v1.parse(stream)
    assert next(results).external_id == "1049760011122233344"
    assert stream.lines_read == 1  # nothing read ahead of the post handed out
    assert [post.external_id for post in results] == ["2", "3"]


# --- field details -------------------------------------------------------------


def test_created_at_with_an_offset_is_converted_to_utc():
    (post,) = parse_bytes(jsonl(status(created_at="Wed Oct 10 16:19:24 -0400 2018")))
    assert post.created_at == datetime(2018, 10, 10, 20, 19, 24, tzinfo=timezone.utc)
    assert post.created_at.tzinfo is timezone.utc


def test_numeric_ids_are_used_only_when_strings_are_missing():
    record = status(id=1049760011122233344, in_reply_to_status_id=1049753101234567168)
    del record["id_str"]
    record["user"] = {"id": 1012000000000000002, "screen_name": "nurse_jo"}
    (post,) = parse_bytes(jsonl(record))
    assert post.external_id == "1049760011122233344"
    assert post.reply_to_id == "1049753101234567168"
    assert post.author.platform_id == "1012000000000000002"
    assert post.author.display_name == ""
    assert post.author.avatar_url == ""


def test_quote_id_falls_back_to_the_quoted_status():
    (post,) = parse_bytes(jsonl(status(quoted_status=status(id_str="1049753563476385793"))))
    assert post.quote_of_id == "1049753563476385793"


def test_only_integer_metrics_are_kept():
    (post,) = parse_bytes(jsonl(status(retweet_count=2, favorite_count=None, reply_count="3", quote_count=True)))
    assert post.metrics == {"retweet_count": 2}


def test_missing_language_is_empty_and_und_is_kept():
    no_lang, undetermined = parse_bytes(jsonl(status(), status(lang="und")))
    assert no_lang.language == ""
    assert undetermined.language == "und"


def test_full_text_wins_over_text_and_null_is_ignored():
    (post,) = parse_bytes(jsonl(status(text=None, full_text="A4 The whole answer, not cut. #hcsmca")))
    assert post.text == "A4 The whole answer, not cut. #hcsmca"


def test_leading_mentions_of_a_reply_are_kept():
    record = status(
        text="@hcsmca_mod @dr_amira A4 Agreed, start small. #hcsmca",
        display_text_range=[22, 53],
        entities={"user_mentions": [{"screen_name": "hcsmca_mod"}, {"screen_name": "dr_amira"}]},
    )
    (post,) = parse_bytes(jsonl(record))
    assert post.text == "@hcsmca_mod @dr_amira A4 Agreed, start small. #hcsmca"
    assert post.mentions == ("hcsmca_mod", "dr_amira")


# What compat mode (the REST default) leaves of a long status: 140 characters
# ending "…" and a link to the status itself.
COMPAT_TEXT = (
    "A3 Show patients how to check who runs a site, when it was last updated, and whether it cites research. "
    "We built a… https://t.co/WaLk5min01"
)
COMPAT_LINK = {"url": "https://t.co/WaLk5min01", "expanded_url": "https://twitter.com/i/web/status/1049760011122233344"}
FULL_TEXT = (
    "A3 Show patients how to check who runs a site, when it was last updated, and whether it cites research. "
    "We built a 5-minute walkthrough with our library. #hcsmca"
)


def test_compat_mode_status_is_truncated():
    (post,) = parse_bytes(jsonl(status(truncated=True, text=COMPAT_TEXT, entities={"urls": [COMPAT_LINK]})))
    assert post.truncated is True
    assert post.text.endswith("We built a… https://twitter.com/i/web/status/1049760011122233344")


def test_extended_status_is_not_truncated():
    extended_mode = status(truncated=False, full_text=FULL_TEXT, display_text_range=[0, len(FULL_TEXT)])
    del extended_mode["text"]
    # Streaming: "truncated" is true of the "text", the full one is beside it.
    streaming = status(truncated=True, text=COMPAT_TEXT, extended_tweet={"full_text": FULL_TEXT})
    for post in parse_bytes(jsonl(extended_mode, streaming)):
        assert post.text == FULL_TEXT
        assert post.truncated is False


def test_short_status_is_not_truncated():
    (post,) = parse_bytes(jsonl(status(truncated=False)))
    assert post.truncated is False


def test_retweet_of_a_compat_mode_status_is_truncated():
    original = status(id_str="1049750000000000000", truncated=True, text=COMPAT_TEXT, entities={"urls": [COMPAT_LINK]})
    retweet = status(text="RT @nurse_jo: " + COMPAT_TEXT[:120] + "…", retweeted_status=original)
    (post,) = parse_bytes(jsonl(retweet))
    assert post.text.startswith("RT @nurse_jo: A3 Show patients")
    assert post.truncated is True


# --- bad records in a readable file ----------------------------------------------
# One bad record is an invalid SkippedRecord, with its record number and a
# reason, and the records after it are still read.

STATUS_EXPECTED = "not a Twitter v1.1 status: expected an object with 'id_str', 'created_at' and 'user'"


def test_invalid_json_line_is_skipped_and_the_next_lines_are_read():
    results = parse_fixture("invalid_json_line3.jsonl")
    assert [(type(result).__name__, result.record) for result in results] == [
        ("ParsedPost", 1),
        ("ParsedPost", 2),
        ("SkippedRecord", 3),
        ("ParsedPost", 4),
    ]
    assert results[2] == SkippedRecord(3, "invalid JSON: Unterminated string starting at: column 91", invalid=True)
    assert results[3].external_id == "1049753101234567168"


def test_object_that_is_not_a_status_is_an_invalid_record():
    assert parse_fixture("not_a_tweet.json") == [
        SkippedRecord(1, f"{STATUS_EXPECTED} (got keys: 'name')", invalid=True)
    ]


def test_line_that_is_not_an_object_is_an_invalid_record():
    results = parse_bytes(jsonl(status(), [1, 2]))
    assert results[0].external_id == "1049760011122233344"
    assert results[1] == SkippedRecord(2, f"{STATUS_EXPECTED} (got a JSON array)", invalid=True)


def test_array_element_that_is_not_a_status_names_its_index():
    results = parse_bytes(json.dumps([status(), {"id_str": "1", "text": "no date, no user"}], indent=1).encode())
    assert results[0].record == 1
    assert results[1] == SkippedRecord(2, f"{STATUS_EXPECTED} (got keys: 'id_str', 'text')", invalid=True)


def test_array_broken_after_its_first_element_ends_with_an_invalid_record():
    results = parse_bytes(b'[\n{"id_str": "1"},\n{"id_str": "2",,}\n]')
    assert results[0] == SkippedRecord(1, f"{STATUS_EXPECTED} (got keys: 'id_str')", invalid=True)
    assert len(results) == 2
    assert (results[1].record, results[1].invalid) == (2, True)
    assert results[1].reason.startswith("invalid JSON after element 1: parse error: invalid object key")


def test_non_utf8_line_is_an_invalid_record():
    results = parse_bytes(jsonl(status()) + b'{"text": "caf\xe9 au lait"}\n' + jsonl(status(id_str="3")))
    assert [result.record for result in results] == [1, 2, 3]
    assert results[1] == SkippedRecord(
        2, "not UTF-8 text: invalid continuation byte at byte 13 of the line", invalid=True
    )


def test_bad_created_at_is_an_invalid_record():
    results = parse_bytes(jsonl(status(), status(created_at="2018-10-10T20:19:24Z")))
    assert results[1] == SkippedRecord(
        2,
        "bad 'created_at' '2018-10-10T20:19:24Z': expected Twitter's format, like 'Wed Oct 10 20:19:24 +0000 2018'",
        invalid=True,
    )


def test_impossible_date_is_an_invalid_record():
    assert parse_bytes(jsonl(status(created_at="Fri Feb 30 20:19:24 +0000 2018"))) == [
        SkippedRecord(
            1,
            "bad 'created_at' 'Fri Feb 30 20:19:24 +0000 2018': expected Twitter's format, "
            "like 'Wed Oct 10 20:19:24 +0000 2018'",
            invalid=True,
        )
    ]


def test_user_without_screen_name_is_an_invalid_record():
    assert parse_bytes(jsonl(status(user={"id_str": "1012000000000000002"}))) == [
        SkippedRecord(1, "the status's 'user' has no 'id_str' or no 'screen_name'", invalid=True)
    ]


def test_status_without_text_is_an_invalid_record():
    record = status()
    del record["text"]
    assert parse_bytes(jsonl(record)) == [SkippedRecord(1, "the status has no 'text' or 'full_text'", invalid=True)]


# --- whole-file failures ---------------------------------------------------------


def test_array_broken_before_its_first_element_is_refused():
    with pytest.raises(TranscriptFormatError) as caught:
        parse_bytes(b'[\n{"id_str": "1",,}\n]')
    assert caught.value.record is None
    assert caught.value.message.startswith("invalid JSON after element 0: parse error: invalid object key")


def test_broken_pretty_printed_document_is_refused():
    # Not JSON Lines (the first line is no whole object): read whole, and
    # json cannot say which value is broken.
    with pytest.raises(TranscriptFormatError) as caught:
        parse_bytes(b'{\n  "id_str": "1",\n  "text": "A1",,\n}\n')
    assert caught.value.message.startswith("invalid JSON: Expecting property name enclosed in double quotes: line 3")


@pytest.mark.parametrize("data", [b"", b"  \n\r\n\t\n", b"\xef\xbb\xbf\n"], ids=["empty", "whitespace", "bom-only"])
def test_empty_file_is_refused(data):
    with pytest.raises(TranscriptFormatError) as caught:
        parse_bytes(data)
    assert caught.value.message == "the file is empty"
    assert caught.value.record is None


def test_empty_fixture_is_refused():
    with pytest.raises(TranscriptFormatError, match=r"^the file is empty$"):
        parse_fixture("empty.jsonl")


def test_png_is_refused_as_not_json():
    with pytest.raises(TranscriptFormatError) as caught:
        parse_bytes(PNG_BYTES)
    assert caught.value.record is None
    assert caught.value.message == "not JSON: expected '{' or '[' at the start of the file, got '\\x89'"


def test_text_that_is_not_json_is_refused():
    with pytest.raises(TranscriptFormatError) as caught:
        parse_bytes(b"id,created_at,text\n1,Wed Oct 10 20:19:24 +0000 2018,hello\n")
    assert caught.value.message == "not JSON: expected '{' or '[' at the start of the file, got 'i'"


# --- sniffing (every fixture: test_contract.py) -------------------------------


def test_sniff_recognises_a_stream_that_starts_with_notices():
    assert twitter_v1.sniff(b'{"delete":{"status":{"id":1,"id_str":"1"},"timestamp_ms":"1"}}\n{"limit":{"track":3}}\n')


def test_sniff_copes_with_a_head_cut_mid_record():
    head = (FIXTURES / "chat_fragment.jsonl").read_bytes()
    cut = head[: head.index(b'"user"') + 40]
    assert twitter_v1.sniff(cut)


@pytest.mark.parametrize(
    "head",
    [
        pytest.param(PNG_BYTES, id="png"),
        pytest.param(b"", id="empty"),
        pytest.param(b"  \n", id="whitespace"),
        pytest.param(b"id,created_at,text\n1,Wed Oct 10 20:19:24 +0000 2018,hello\n", id="csv"),
        pytest.param(
            b'{"data": [{"id": "1049753101234567168", "author_id": "1012000000000000001", "text": "T1: #hcsmca",'
            b' "created_at": "2018-10-10T20:00:05.000Z"}], "includes": {"users": []}}\n',
            id="twarc2-page",
        ),
        pytest.param(
            b'window.YTD.tweets.part0 = [ {\n  "tweet" : {\n    "id_str" : "1049753101234567168",\n'
            b'    "created_at" : "Wed Oct 10 20:00:05 +0000 2018"',
            id="personal-archive",
        ),
        pytest.param(
            b'[ {\n  "tweet" : {\n    "id_str" : "1049753101234567168",\n'
            b'    "created_at" : "Wed Oct 10 20:00:05 +0000 2018", "user" : {}',
            id="personal-archive-without-prefix",
        ),
        pytest.param(b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"></rss>', id="xml"),
        pytest.param(b'{"event":"delete","payload":"109876543210"}\n', id="mastodon-stream"),
        pytest.param(b'{"name": "not a tweet"}\n', id="other-json"),
    ],
)
def test_sniff_refuses_other_files(head):
    assert not twitter_v1.sniff(head)
