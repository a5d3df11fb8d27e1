"""The tweet CSV parser over small hand-written fixtures. No database."""

from __future__ import annotations

import codecs
import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from chats.importers import HEAD_SIZE, csv_exports
from chats.importers.base import ParseContext, ParsedMedia, ParsedPost, SkippedRecord, TranscriptFormatError
from tests.chats.importers.helpers import FIXTURES_DIR, parse_file, posts_by_record

FIXTURES = FIXTURES_DIR / "csv"
TORONTO = ParseContext(default_timezone=ZoneInfo("America/Toronto"))

# Ids of the TAGS fixture.
T1_ID = "1103354576368717824"
A1_JO_ID = "1103355360703565824"
ROUNDED_RECOVERED_ID = "1103356505748557824"
ROUNDED_LOST_ID = "1103356610606157824"


def parse_bytes(data: bytes, context: ParseContext = ParseContext()) -> list:
    return list(csv_exports.parse(io.BytesIO(data), context))


def parse_fixture(name: str, context: ParseContext = ParseContext()) -> list:
    return parse_file(csv_exports, FIXTURES / name, context)


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)


# A minimal Social Feed Manager file, for the edge cases that need no fixture.
SFM_HEADER = ["created_at", "twitter_id", "screen_name", "twitter_url", "text", "retweet_count"]
SFM_ROW = {
    "created_at": "2019-03-06 18:03:12+00:00",
    "twitter_id": A1_JO_ID,
    "screen_name": "nurse_jo",
    "twitter_url": f"http://twitter.com/nurse_jo/status/{A1_JO_ID}",
    "text": "A1 Ask your librarian! #hcsmca",
    "retweet_count": "2",
}


def sfm_csv(*rows: dict, delimiter: str = ",", header: list[str] = SFM_HEADER) -> bytes:
    """An SFM export of ``rows``, each a change to ``SFM_ROW``."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    for changes in rows:
        row = {**SFM_ROW, **changes}
        writer.writerow([row[name] for name in header])
    return buffer.getvalue().encode("utf-8")


def only_result(data: bytes, context: ParseContext = ParseContext()):
    (result,) = parse_bytes(data, context)
    return result


# --- TAGS: CRLF, NA placeholders, a multi-line text, rounded ids ---------------


@pytest.fixture(scope="module")
def tags() -> list:
    return parse_fixture("tags_hcsmca.csv")


def test_tags_fixture_is_crlf():
    assert b"\r\n" in (FIXTURES / "tags_hcsmca.csv").read_bytes()


def test_tags_records_are_numbered_by_the_line_their_row_starts_on(tags):
    # Record 5's text spans lines 5 to 7, so the next row starts on line 8.
    assert [(type(result).__name__, result.record) for result in tags] == [
        ("ParsedPost", 2),
        ("ParsedPost", 3),
        ("ParsedPost", 4),
        ("ParsedPost", 5),
        ("ParsedPost", 8),
        ("ParsedPost", 9),
        ("SkippedRecord", 10),
        ("SkippedRecord", 11),
        ("ParsedPost", 12),
        ("SkippedRecord", 13),
    ]


def test_tags_moderator_question(tags):
    t1 = posts_by_record(tags)[2]
    assert t1.platform == "twitter"
    assert t1.external_id == T1_ID
    assert t1.created_at == utc(2019, 3, 6, 18, 0, 5)
    assert t1.author.platform_id == "115161233"
    assert t1.author.handle == "hcsmca"
    assert t1.author.profile_url == "https://twitter.com/hcsmca"
    assert t1.author.avatar_url == "http://pbs.twimg.com/profile_images/1000000000000000000/hcsmca_normal.jpg"
    # The t.co link is expanded from entities_str.
    assert t1.text == (
        "T1: Where do you look first when a patient asks about a health claim they saw online? #hcsmca "
        "https://hcsmca.ca/2019/03/06/health-claims/"
    )
    assert t1.urls == ("https://hcsmca.ca/2019/03/06/health-claims/",)
    assert t1.hashtags == ("hcsmca",)
    assert t1.mentions == ()
    assert t1.url == f"http://twitter.com/hcsmca/statuses/{T1_ID}"  # the file's own status URL
    assert t1.language == ""  # user_lang is the account's language
    assert not t1.truncated
    assert t1.raw["id_str"] == T1_ID
    assert t1.raw["geo_coordinates"] == "NA"  # raw is the row untouched


def test_tags_reply_with_an_html_entity_and_an_emoji(tags):
    answer = posts_by_record(tags)[3]
    assert answer.text == "@hcsmca A1 I start with our public health unit & then ask our librarians 📚 #hcsmca"
    assert answer.reply_to_id == T1_ID
    assert answer.reply_to_handle == "hcsmca"
    assert answer.mentions == ("hcsmca",)


def test_tags_arabic_text_is_kept_as_written(tags):
    answer = posts_by_record(tags)[4]
    assert answer.text == "A1 أبدأ دائماً بموقع وزارة الصحة ثم أسأل الصيدلي #hcsmca"
    assert answer.hashtags == ("hcsmca",)


def test_tags_multi_line_text(tags):
    answer = posts_by_record(tags)[5]
    assert answer.text == "A1 Two steps:\n1. who wrote it and who paid for it?\n2. ask a librarian! #hcsmca"


def test_tags_retweet_whose_original_id_is_not_in_the_file(tags):
    retweet = posts_by_record(tags)[8]
    assert retweet.text.startswith("RT @hcsmca: T1: Where do you look first")
    assert retweet.text.endswith("#hcsmca htt…")
    assert retweet.repost_of_id == ""  # TAGS does not keep the original's id
    assert retweet.truncated  # Twitter cut the retweet's text
    assert retweet.mentions == ("hcsmca",)  # not repeated: entities_str already names it


def test_tags_rounded_id_is_recovered_from_the_status_url(tags):
    post = posts_by_record(tags)[9]
    assert post.raw["id_str"] == "1.10336E+18"
    assert post.external_id == ROUNDED_RECOVERED_ID
    assert post.url == f"http://twitter.com/pharma_lee/statuses/{ROUNDED_RECOVERED_ID}"


def test_tags_rounded_id_without_status_url_is_skipped(tags):
    skipped = tags[6]
    assert skipped == SkippedRecord(
        10, "the tweet id 1.10336E+18 was rounded by a spreadsheet and no status URL gives it back", invalid=True
    )
    assert ROUNDED_LOST_ID not in {post.external_id for post in posts_by_record(tags).values()}


def test_tags_row_without_a_date_is_skipped(tags):
    assert tags[7] == SkippedRecord(11, "the row has no date (column 'created_at')", invalid=True)


def test_tags_na_cells_mean_no_value(tags):
    post = posts_by_record(tags)[12]
    assert post.raw["entities_str"] == "NA"
    assert post.raw["in_reply_to_status_id_str"] == "NA"
    assert post.reply_to_id == ""
    assert post.reply_to_handle == ""
    # Without entities, hashtags and mentions are read from the text.
    assert post.hashtags == ("patientsafety", "hcsmca")
    assert post.mentions == ("nurse_jo",)


def test_tags_row_cut_off_at_the_end_is_skipped(tags):
    skipped = tags[-1]
    assert skipped.record == 13
    assert skipped.invalid
    assert "3 cells where the header has 18" in skipped.reason


def test_no_post_carries_a_rounded_id(tags):
    assert all(post.external_id.isdigit() for post in posts_by_record(tags).values())


# --- the search add-on: a preamble line, @names, US dates without a timezone ---


@pytest.fixture(scope="module")
def addon() -> list:
    return parse_fixture("search_addon_hcsmca.csv", TORONTO)


def test_addon_header_after_a_preamble_line(addon):
    # Line 1 is the add-on's query; the header is line 2. Record 4's links
    # cell spans two lines.
    assert [result.record for result in addon] == [3, 4, 6, 7, 8]
    assert all(isinstance(result, ParsedPost) for result in addon)


def test_addon_screen_names_lose_their_at_sign(addon):
    post = posts_by_record(addon)[4]
    assert post.author.handle == "nurse_jo"
    # No user ids in this export: authors are known by handle.
    assert post.author.platform_id == "handle:nurse_jo"
    assert post.author.display_name == "Jo Tremblay, RN 🩺"
    assert post.author.avatar_url == ""  # the cell says "View"
    assert post.url == "https://twitter.com/nurse_jo/status/1105877429253197824"


def test_addon_local_dates_are_converted_across_the_dst_change(addon):
    posts = posts_by_record(addon)
    # 6 March 2019: Toronto on EST (UTC-5).
    assert posts[7].raw["Date"] == "3/6/2019 13:00:05"
    assert posts[7].created_at == utc(2019, 3, 6, 18, 0, 5)
    # 13 March 2019, after the change of 10 March: EDT (UTC-4).
    assert posts[3].raw["Date"] == "3/13/2019 13:00:04"
    assert posts[3].created_at == utc(2019, 3, 13, 17, 0, 4)
    assert posts[4].raw["Date"] == "03/13/2019 01:05 PM"
    assert posts[4].created_at == utc(2019, 3, 13, 17, 5, 0)


def test_addon_dates_default_to_utc():
    posts = posts_by_record(parse_fixture("search_addon_hcsmca.csv"))
    assert posts[3].created_at == utc(2019, 3, 13, 13, 0, 4)


def test_addon_date_without_time_takes_the_time_of_the_tweet_id(addon):
    post = posts_by_record(addon)[8]
    assert post.raw["Date"] == "3/6/2019"
    assert post.created_at == datetime(2019, 3, 6, 13, 2, 41, tzinfo=ZoneInfo("America/Toronto"))


def test_addon_links_media_metrics_and_entities(addon):
    post = posts_by_record(addon)[4]
    assert post.text == "@hcsmca A1 Plain language, the next steps & who to call #hcsmca"
    assert post.urls == ("https://example.org/plain-language", "https://example.org/teach-back")
    assert post.media == (ParsedMedia("photo", "https://pbs.twimg.com/media/D1hcsmcaA1x.jpg"),)
    assert post.metrics == {"retweet_count": 0, "favorite_count": 2}
    assert post.hashtags == ("hcsmca",)
    assert post.mentions == ("hcsmca",)
    # Replies are only leading mentions here: no reply id to give.
    assert post.reply_to_id == ""


def test_addon_arabic_post(addon):
    post = posts_by_record(addon)[6]
    assert post.text == "@hcsmca @nurse_jo A1 ملخص مكتوب بلغة المريض #hcsmca"
    assert post.author.display_name == "د. سلمى"
    assert post.mentions == ("hcsmca", "nurse_jo")


def test_addon_raw_keeps_both_location_columns(addon):
    raw = posts_by_record(addon)[3].raw
    assert raw["Location"] == ""
    assert raw["Location.1"] == "Toronto, ON"


# --- twarc 1 json2csv ------------------------------------------------------------


@pytest.fixture(scope="module")
def json2csv() -> dict[int, ParsedPost]:
    results = parse_fixture("twarc1_json2csv_hcsmca.csv")
    assert all(isinstance(result, ParsedPost) for result in results)
    return posts_by_record(results)


def test_json2csv_original_with_an_expanded_link(json2csv):
    t1 = json2csv[2]
    assert t1.external_id == "1108412898604109824"
    assert t1.created_at == utc(2019, 3, 20, 17, 0, 3)
    assert t1.author.platform_id == "115161233"
    assert t1.author.display_name == "#hcsmca"
    assert t1.text.endswith("#hcsmca https://hcsmca.ca/2019/03/20/languages/")
    assert t1.metrics == {"retweet_count": 2, "favorite_count": 6}
    assert t1.language == "en"


def test_json2csv_retweet_takes_its_original_from_the_misspelt_column(json2csv):
    retweet = json2csv[4]
    assert retweet.raw["reweet_or_quote_id"] == "1108412898604109824"
    assert retweet.repost_of_id == "1108412898604109824"
    assert retweet.text.startswith("RT @hcsmca: T1: How do you find reliable health info")
    assert retweet.quote_of_id == ""


def test_json2csv_quote_and_reply(json2csv):
    assert json2csv[5].quote_of_id == "1108412898604109824"
    assert json2csv[5].text == (
        "Our multilingual guide is here 👇 #hcsmca https://library.example.org/multilingual "
        "https://twitter.com/hcsmca/status/1108412898604109824"
    )
    reply = json2csv[3]
    assert reply.reply_to_id == "1108412898604109824"
    assert reply.reply_to_handle == "hcsmca"
    assert reply.language == "ar"
    assert reply.text == "@hcsmca A1 نستخدم مواقع وزارة الصحة المترجمة #hcsmca"


def test_json2csv_media_link_is_dropped_from_the_text(json2csv):
    post = json2csv[6]
    assert post.text == "A1 Our pharmacy keeps leaflets in 12 languages at https://pharmacy.example.org/languages!"
    assert post.urls == ("https://pharmacy.example.org/languages",)
    assert post.media == (ParsedMedia("photo", "https://twitter.com/pharma_lee/status/1108414144312397824/photo/1"),)


def test_json2csv_rounded_reply_id_is_dropped(json2csv):
    reply = json2csv[7]
    assert reply.raw["in_reply_to_status_id"] == "1.10408E+18"
    assert reply.reply_to_id == ""
    assert reply.reply_to_handle == "dr_salma"


# --- Social Feed Manager -----------------------------------------------------------


@pytest.fixture(scope="module")
def sfm() -> dict[int, ParsedPost]:
    results = parse_fixture("sfm_hcsmca.csv")
    assert all(isinstance(result, ParsedPost) for result in results)
    return posts_by_record(results)


def test_sfm_link_pairs_and_hashtag_list(sfm):
    t1 = sfm[2]
    assert t1.text == (
        "T1: What makes a hospital's social media feel human? #hcsmca #hcsm https://hcsmca.ca/2019/03/27/human/"
    )
    assert t1.hashtags == ("hcsmca", "hcsm")
    assert t1.created_at == utc(2019, 3, 27, 17, 0, 2)
    assert t1.author.platform_id == "handle:hcsmca"
    assert t1.metrics == {"retweet_count": 0, "favorite_count": 4}


def test_sfm_retweet_without_the_original_id(sfm):
    retweet = sfm[3]
    assert retweet.repost_of_id == ""
    assert retweet.text.startswith("RT @hcsmca: T1:")
    assert retweet.truncated


def test_sfm_quote_id_comes_from_the_quoted_status_link(sfm):
    quote = sfm[4]
    assert quote.quote_of_id == "1110949609469005824"
    assert quote.text == (
        "A1 Real names & faces, replies within a day #hcsmca https://twitter.com/hcsmca/status/1110949609469005824"
    )


def test_sfm_media_link_is_dropped(sfm):
    post = sfm[5]
    assert post.text == "@hcsmca A1 Photos of the actual team, like ours 😊 #hcsmca"
    assert post.media == (ParsedMedia("photo", "http://pbs.twimg.com/media/D2hcsmcaTeam.jpg"),)
    assert post.reply_to_handle == "hcsmca"
    assert post.reply_to_id == ""  # SFM does not export it


def test_sfm_hand_typed_rt_is_not_a_retweet(sfm):
    post = sfm[6]
    assert post.raw["is_retweet"] == "No"
    assert post.text.startswith("RT @nurse_jo:")
    assert not post.truncated
    assert post.mentions == ("nurse_jo",)


# --- twarc-csv (released layout) ------------------------------------------------------


@pytest.fixture(scope="module")
def twarc_csv() -> dict[int, ParsedPost]:
    results = parse_fixture("twarc_csv_hcsmca.csv")
    assert all(isinstance(result, ParsedPost) for result in results)
    return posts_by_record(results)


T1_TWARC_TEXT = (
    "T1: Now that many of us are trying Mastodon, where will #hcsmca meet?\n\n"
    "Vote below https://hcsmca.ca/2022/11/02/where-next/"
)


def test_twarc_csv_text_line_breaks_links_and_media(twarc_csv):
    t1 = twarc_csv[2]
    assert t1.text == T1_TWARC_TEXT
    assert t1.urls == ("https://hcsmca.ca/2022/11/02/where-next/",)
    assert t1.media == (ParsedMedia("photo", "https://pbs.twimg.com/media/Fg1hcsmca.jpg", "A map of the fediverse"),)
    assert t1.metrics == {"retweet_count": 2, "reply_count": 3, "like_count": 9, "quote_count": 1}
    assert t1.created_at == utc(2022, 11, 2, 17, 0, 1)
    assert t1.author.display_name == "#hcsmca"
    assert t1.thread_root_id == t1.external_id == "1587852036404301824"


def test_twarc_csv_retweet_gets_its_rt_prefix_back(twarc_csv):
    retweet = twarc_csv[4]
    assert retweet.repost_of_id == "1587852036404301824"
    assert retweet.text == f"RT @hcsmca: {T1_TWARC_TEXT}"
    assert retweet.mentions == ("hcsmca",)
    assert not retweet.truncated


def test_twarc_csv_reply_quote_and_edit_history(twarc_csv):
    reply = twarc_csv[3]
    assert (reply.reply_to_id, reply.reply_to_handle, reply.language) == ("1587852036404301824", "hcsmca", "ar")
    assert reply.thread_root_id == "1587852036404301824"
    assert reply.mentions == ("hcsmca",)
    quote = twarc_csv[5]
    assert quote.quote_of_id == "1587852036404301824"
    assert quote.text == (
        "Both! We'll archive each #hcsmca chat & its replies https://twitter.com/hcsmca/status/1587852036404301824"
    )
    edited = twarc_csv[6]
    assert edited.edit_history_ids == ("1587853290501197824",)


# --- encodings and dialects ------------------------------------------------------------


def test_semicolon_and_tab_separated_files():
    for delimiter in (";", "\t"):
        post = only_result(sfm_csv({"text": "A1 Ask; then ask again\tand again #hcsmca"}, delimiter=delimiter))
        assert post.external_id == A1_JO_ID
        assert post.text == "A1 Ask; then ask again\tand again #hcsmca"


def test_utf8_bom():
    post = only_result(codecs.BOM_UTF8 + sfm_csv({"text": "Santé publique 🩺 #hcsmca"}))
    assert post.text == "Santé publique 🩺 #hcsmca"
    assert "created_at" in post.raw


def test_utf16_with_bom():
    post = only_result(sfm_csv({"text": "Santé publique 🩺 #hcsmca"}, delimiter="\t").decode().encode("utf-16"))
    assert post.text == "Santé publique 🩺 #hcsmca"


def test_windows_1252_when_the_file_is_not_utf8():
    data = sfm_csv({"text": "Santé publique – l’info #hcsmca"}).decode().encode("cp1252")
    assert only_result(data).text == "Santé publique – l’info #hcsmca"


def test_a_row_that_is_not_utf8_in_a_utf8_file_is_skipped():
    filler = [{"twitter_id": str(int(A1_JO_ID) + n), "twitter_url": "", "text": "A1 " + "x" * 100} for n in range(800)]
    data = sfm_csv(*filler, {"text": "BROKEN"}, {"text": "Santé #hcsmca"})
    assert data.index(b"BROKEN") > HEAD_SIZE  # past what decides the encoding
    data = data.replace(b"BROKEN", b"caf\xe9")
    results = parse_bytes(data)
    assert results[-2] == SkippedRecord(802, "the row holds bytes that are not UTF-8 text", invalid=True)
    assert results[-1].text == "Santé #hcsmca"


def test_old_mac_line_endings():
    data = sfm_csv({}, {"twitter_id": str(int(A1_JO_ID) + 1), "twitter_url": ""}).replace(b"\n", b"\r")
    assert [result.record for result in parse_bytes(data)] == [2, 3]


def test_blank_lines_are_counted_but_not_reported():
    data = sfm_csv({}).replace(b"\n", b"\n\n", 1) + b"\n,,,,,\n"
    assert [(type(result).__name__, result.record) for result in parse_bytes(data)] == [("ParsedPost", 3)]


def test_a_row_with_more_cells_than_the_header_is_skipped():
    data = sfm_csv({}) + b"2019-03-06 18:03:12+00:00,1103355360703565825,nurse_jo,,A1,2,extra\n"
    skipped = parse_bytes(data)[1]
    assert skipped.record == 3 and skipped.invalid
    assert "7 cells where the header has 6" in skipped.reason


def test_float_formatted_counts():
    assert only_result(sfm_csv({"retweet_count": "3.0"})).metrics == {"retweet_count": 3}
    assert only_result(sfm_csv({"retweet_count": "NA"})).metrics == {}


# --- whole files that are not tweet CSV ---------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"\n\n  \r\n"])
def test_empty_file(data):
    with pytest.raises(TranscriptFormatError, match="the file is empty"):
        parse_bytes(data)


def test_unknown_header_names_what_was_seen_and_what_is_known():
    with pytest.raises(TranscriptFormatError) as raised:
        parse_bytes(b"name,email\nJo,jo@example.org\n")
    message = raised.value.message
    assert "'name,email'" in message
    for layout in csv_exports.LAYOUTS:
        assert layout.name in message
    assert "id_str, from_user, text, created_at" in message
    assert raised.value.record is None


def test_json_is_not_csv():
    with pytest.raises(TranscriptFormatError):
        parse_bytes(b'{"id_str": "1", "created_at": "x", "text": "y", "from_user": "z"}\n')


def test_header_further_down_than_the_preamble_allows():
    with pytest.raises(TranscriptFormatError, match="first 5 lines"):
        parse_bytes(b"title\n" * 5 + sfm_csv({}))


# --- ids -------------------------------------------------------------------------------------


def test_float_id_with_a_trailing_point_zero_is_recovered_from_the_url():
    post = only_result(sfm_csv({"twitter_id": "1103355360703565824.0"}))
    assert post.external_id == A1_JO_ID
    post = only_result(sfm_csv({"twitter_id": "1103355360703565800"}))  # what Excel keeps: 15 digits
    assert post.external_id == A1_JO_ID


def test_id_that_disagrees_with_the_status_url_is_skipped():
    skipped = only_result(sfm_csv({"twitter_id": "1.2E+18"}))
    assert skipped == SkippedRecord(
        2,
        f"the tweet id 1.2E+18 (column 'twitter_id') does not match the id {A1_JO_ID} of the status URL",
        invalid=True,
    )
    assert only_result(sfm_csv({"twitter_id": "1103355360703565999"})).invalid


def test_missing_or_unreadable_ids():
    assert only_result(sfm_csv({"twitter_id": ""})).external_id == A1_JO_ID  # from the status URL
    assert only_result(sfm_csv({"twitter_id": "", "twitter_url": ""})) == SkippedRecord(
        2, "the row has no tweet id (column 'twitter_id') and no status URL", invalid=True
    )
    assert only_result(sfm_csv({"twitter_id": "#VALUE!", "twitter_url": ""})) == SkippedRecord(
        2, "the tweet id '#VALUE!' (column 'twitter_id') is not a tweet id", invalid=True
    )


def test_row_without_any_author():
    skipped = only_result(sfm_csv({"screen_name": "", "twitter_url": ""}))
    assert skipped.invalid and "no screen name (column 'screen_name')" in skipped.reason


def test_handle_from_the_status_url():
    post = only_result(sfm_csv({"screen_name": ""}))
    assert post.author.handle == "nurse_jo"
    assert post.author.platform_id == "handle:nurse_jo"


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2019-03-06 18:03:12+00:00", utc(2019, 3, 6, 18, 3, 12)),
        ("2019-03-06T18:03:12.000Z", utc(2019, 3, 6, 18, 3, 12)),
        ("Wed Mar 06 18:03:12 +0000 2019", utc(2019, 3, 6, 18, 3, 12)),
        ("2019-03-06 13:03:12", utc(2019, 3, 6, 18, 3, 12)),  # naive: Toronto time
        ("3/6/2019 1:03:12 PM", utc(2019, 3, 6, 18, 3, 12)),
        ("3/6/2019 12:03 AM", utc(2019, 3, 6, 5, 3)),
        ("3/6/2019 12:03 PM", utc(2019, 3, 6, 17, 3)),
        ("11/3/2019 1:30:00", utc(2019, 11, 3, 5, 30)),  # the repeated hour: its first, EDT, occurrence
    ],
)
def test_date_formats(cell, expected):
    assert only_result(sfm_csv({"created_at": cell}), TORONTO).created_at == expected


def test_date_only_takes_the_time_of_the_tweet_id():
    post = only_result(sfm_csv({"created_at": "2019-03-06"}), TORONTO)
    assert post.created_at == utc(2019, 3, 6, 18, 3, 12)  # the fixture's ids carry whole seconds


def test_date_only_of_another_day_than_the_tweet_id_is_skipped():
    skipped = only_result(sfm_csv({"created_at": "3/9/2019"}))
    assert skipped.invalid
    assert skipped.reason.startswith(f"the date 2019-03-09 (column 'created_at') is not the day of tweet {A1_JO_ID}")


def test_date_only_of_a_pre_2010_tweet_is_midnight():
    post = only_result(sfm_csv({"created_at": "4/23/2009", "twitter_id": "1590000000", "twitter_url": ""}), TORONTO)
    assert post.created_at == utc(2009, 4, 23, 4, 0)


def test_unreadable_date_is_skipped():
    skipped = only_result(sfm_csv({"created_at": "last Wednesday"}))
    assert skipped.invalid
    assert skipped.reason.startswith("unreadable date 'last Wednesday' (column 'created_at')")


# --- streaming, detection, purity --------------------------------------------------------------


class CountingStream(io.BytesIO):
    def __init__(self, data: bytes):
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size=-1):
        data = super().read(size)
        self.bytes_read += len(data)
        return data

    def readinto(self, buffer):
        count = super().readinto(buffer)
        self.bytes_read += count
        return count


def test_rows_are_read_as_they_are_needed():
    rows = [{"twitter_id": str(int(A1_JO_ID) + n), "twitter_url": ""} for n in range(20000)]
    stream = CountingStream(sfm_csv(*rows))
    results = csv_exports.parse(stream)
    first = next(results)
    assert first.record == 2
    assert stream.bytes_read < len(stream.getvalue()) / 4
    assert sum(1 for _ in results) == 19999


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b'{"id_str": "1", "from_user": "x", "text": "id_str,from_user,text,created_at"}\n',
        b"[\n",
        b'<?xml version="1.0"?>\n<rss>id_str,from_user,text,created_at</rss>',
        b"window.YTD.tweets.part0 = [",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"name,email\nJo,jo@example.org\n",
        b"title\n" * 5 + b"id_str,from_user,text,created_at\n",
    ],
)
def test_sniff_refuses_what_is_not_a_tweet_csv(head):
    assert not csv_exports.sniff(head)


def test_sniff_accepts_a_header_cut_short_after_it_and_other_dialects():
    cut_after_the_header = b"Twitter Query: #hcsmca\nDate,Screen Name,Full Name,Tweet Text,Tweet ID\n3/6/2019,@hc"
    assert csv_exports.sniff(cut_after_the_header)
    assert csv_exports.sniff(codecs.BOM_UTF8 + sfm_csv({}, delimiter=";"))
    assert csv_exports.sniff(sfm_csv({}, delimiter="\t").decode().encode("utf-16"))
