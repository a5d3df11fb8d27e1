"""The Mastodon API parser (and its HTML-to-text helper) over small hand-written
fixtures. No database."""

from __future__ import annotations

import copy
import io
import json
from datetime import datetime, timezone

import pytest

from chats.importers import mastodon
from chats.importers._html import PlainText, html_to_text
from chats.importers.base import ParsedAuthor, ParsedMedia, ParsedPost, SkippedRecord, TranscriptFormatError
from tests.chats.importers.helpers import FIXTURES_DIR, parse_file, posts_by_record

FIXTURES = FIXTURES_DIR / "mastodon"

API = "https://mstdn.ca/api/v1/statuses/"
T1_ID = API + "111300000000000001"
A1_ID = API + "111300000000000002"
T1_TEXT = "T1: Where do you look first when a patient asks about a health claim they saw online? #hcsmca"
MOD = ParsedAuthor(
    platform="mastodon",
    platform_id="https://mstdn.ca/@hcsmca_mod",
    handle="hcsmca_mod@mstdn.ca",
    display_name="HCSM Canada chat",
    profile_url="https://mstdn.ca/@hcsmca_mod",
    avatar_url="https://files.mstdn.ca/accounts/avatars/109/300/original/hcsmca_mod.png",
)


def parse_fixture(name: str) -> list:
    return parse_file(mastodon, FIXTURES / name)


def parse_bytes(data: bytes) -> list:
    return list(mastodon.parse(io.BytesIO(data)))


def parse_statuses(*statuses) -> list:
    return parse_bytes(json.dumps(list(statuses)).encode())


def fixture_json(name: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def timeline_status(record: int) -> dict:
    """A status of tag_timeline.json, to vary in edge cases."""
    return copy.deepcopy(fixture_json("tag_timeline.json")[record - 1])


# --- detection (every fixture: test_contract.py) ---------------------------


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"acct,visibility\n",
        b'{"data": {"id": "1", "author_id": "2", "text": "visibility acct"}}',
        b'{"uri": "at://did:plc:x/app.bsky.feed.post/1", "record": {"$type": "app.bsky.feed.post"}}',
        # Twitter and Mastodon keys together: not Mastodon.
        b'{"id_str": "1", "acct": "a", "visibility": "public"}',
    ],
)
def test_sniff_refuses_what_is_not_mastodon(head):
    assert not mastodon.sniff(head)


def test_sniff_accepts_a_context_whose_statuses_are_cut_off():
    assert mastodon.sniff(b'\xef\xbb\xbf{"ancestors": [{"id": "1", "content": "<p>T1')


# --- a tag timeline from mstdn.ca ------------------------------------------


@pytest.fixture(scope="module")
def timeline() -> list:
    return parse_fixture("tag_timeline.json")


def test_records_are_numbered_by_array_position(timeline):
    assert [(type(result).__name__, result.record) for result in timeline] == [
        ("ParsedPost", 1),
        ("SkippedRecord", 2),
        ("ParsedPost", 3),
        ("ParsedPost", 4),
        ("ParsedPost", 5),
        ("ParsedPost", 6),
        ("ParsedPost", 7),
        ("SkippedRecord", 8),
        ("ParsedPost", 9),
        ("ParsedPost", 10),
    ]


def test_moderator_question_is_parsed_field_by_field(timeline):
    assert posts_by_record(timeline)[10] == ParsedPost(
        record=10,
        platform="mastodon",
        external_id=T1_ID,
        created_at=datetime(2023, 11, 8, 20, 0, 5, tzinfo=timezone.utc),
        author=MOD,
        text=T1_TEXT,
        url="https://mstdn.ca/@hcsmca_mod/111300000000000001",
        language="en",
        hashtags=("hcsmca",),
        metrics={"reply_count": 3, "reblog_count": 1, "favourite_count": 7, "quote_count": 1},
    )


def test_raw_is_the_untouched_status(timeline):
    statuses = fixture_json("tag_timeline.json")
    for record, post in posts_by_record(timeline).items():
        assert post.raw == statuses[record - 1]


def test_shortened_link_reads_as_the_full_url(timeline):
    answer = posts_by_record(timeline)[9]
    assert answer.text == (
        "A1 I start with what my patients already trust & check it against "
        "https://www.canada.ca/en/public-health.html 💉 #hcsmca"
    )
    # The link preview points at the same page: listed once.
    assert answer.urls == ("https://www.canada.ca/en/public-health.html",)


def test_remote_author_and_media(timeline):
    answer = posts_by_record(timeline)[9]
    assert answer.author == ParsedAuthor(
        platform="mastodon",
        platform_id="https://med-mastodon.com/@nurse_jo",
        handle="nurse_jo@med-mastodon.com",
        display_name="Jo Tremblay, RN",
        profile_url="https://med-mastodon.com/@nurse_jo",
        avatar_url="https://files.mstdn.ca/accounts/avatars/109/300/original/nurse_jo.png",
    )
    assert answer.media == (
        ParsedMedia(
            kind="image",
            url="https://files.med-mastodon.com/media_attachments/files/111/299/999/999/900/001/original/handout.png",
            alt_text="Handout: five questions to ask about a health claim",
        ),
    )
    # A remote status: the id is mstdn.ca's, the permalink its origin's.
    assert answer.external_id == A1_ID
    assert answer.url == "https://med-mastodon.com/@nurse_jo/111299999999990001"


def test_replies_point_at_ids_of_the_same_file(timeline):
    posts = posts_by_record(timeline)
    reply = posts[7]
    assert reply.reply_to_id == posts[9].external_id == A1_ID
    assert reply.reply_to_handle == "nurse_jo@med-mastodon.com"
    assert reply.mentions == ("nurse_jo@med-mastodon.com",)
    assert reply.text == "@nurse_jo Great point & thanks for the link!\nDo you walk through it together? #hcsmca"
    assert posts[9].reply_to_id == T1_ID


def test_boost_shows_the_boosted_text_and_points_at_it(timeline):
    boost = posts_by_record(timeline)[6]
    assert boost.repost_of_id == T1_ID
    assert boost.text == T1_TEXT
    assert boost.author.handle == "patient_voice@mastodon.social"
    assert boost.language == "en"  # the boosted status's; the boost has none
    assert boost.hashtags == ("hcsmca",)
    assert boost.url == "https://mastodon.social/users/patient_voice/statuses/111299999999990077/activity"
    # The boosted status is not a post of its own.
    assert [post.external_id for post in posts_by_record(timeline).values()].count(T1_ID) == 1


def test_quote_points_at_the_quoted_status(timeline):
    quote = posts_by_record(timeline)[3]
    assert quote.quote_of_id == T1_ID
    assert quote.repost_of_id == ""
    assert quote.text == "This is the question I wish my doctor asked me! #hcsmca"


def test_content_warning_comes_first(timeline):
    assert posts_by_record(timeline)[4].text == (
        "CW: vaccine misinformation\n\n"
        "A1 The worst myths I hear come from forwarded messages.\nAlways ask: who wrote it? #hcsmca"
    )


def test_arabic_text_is_kept_as_written(timeline):
    arabic = posts_by_record(timeline)[5]
    assert arabic.text == "ج١ أبحث دائماً عن المصدر قبل المشاركة #hcsmca"
    assert arabic.language == "ar"
    assert arabic.author.display_name == "د. أمل"


def test_poll_options_follow_the_text(timeline):
    assert posts_by_record(timeline)[1].text == (
        "T2: Which source do your patients trust most? #hcsmca\n\nPoll:\n- Their doctor\n- A pharmacist\n- Dr Google"
    )


def test_direct_message_is_skipped_not_failed(timeline):
    assert timeline[1] == SkippedRecord(
        2, "a direct message, not public: only public and unlisted statuses are archived"
    )


def test_account_in_the_list_is_invalid(timeline):
    skipped = timeline[7]
    assert skipped.record == 8 and skipped.invalid
    assert skipped.reason.startswith(
        "not a Mastodon status: expected an object with 'id', 'created_at', 'account' and 'content' (got keys: 'id', "
    )


def test_followers_only_status_is_skipped():
    status = timeline_status(10)
    status["visibility"] = "private"
    assert parse_statuses(status) == [
        SkippedRecord(1, "a followers-only status, not public: only public and unlisted statuses are archived")
    ]


# --- a thread's context ----------------------------------------------------


def test_context_numbers_ancestors_then_descendants():
    posts = parse_fixture("thread_context.json")
    assert [(post.record, post.external_id) for post in posts] == [
        (1, T1_ID),
        (2, A1_ID),
        (3, API + "111300000000000003"),
        (4, API + "111300000000000010"),
        (5, API + "111300000000000011"),
    ]
    context = fixture_json("thread_context.json")
    assert [post.raw for post in posts] == context["ancestors"] + context["descendants"]


def test_every_reply_of_the_thread_resolves_in_the_file():
    posts = parse_fixture("thread_context.json")
    ids = {post.external_id for post in posts}
    replies = [post for post in posts if post.reply_to_id]
    assert len(replies) == 4
    assert all(post.reply_to_id in ids for post in replies)
    # nurse_jo answers herself: the author is the one replied to.
    assert posts[3].reply_to_id == A1_ID
    assert posts[3].reply_to_handle == "nurse_jo@med-mastodon.com"
    assert posts[4].reply_to_handle == "hcsmca_mod@mstdn.ca"
    assert posts[4].mentions == ("hcsmca_mod@mstdn.ca", "nurse_jo@med-mastodon.com")


def test_files_from_the_same_server_share_ids(timeline):
    thread = {post.external_id: post for post in parse_fixture("thread_context.json")}
    for post in posts_by_record(timeline).values():
        if post.external_id in thread:
            assert thread[post.external_id].text == post.text


# --- Akkoma JSON Lines -----------------------------------------------------


@pytest.fixture(scope="module")
def akkoma() -> list:
    return parse_fixture("akkoma_statuses.jsonl")


def test_json_lines_are_numbered_by_physical_line(akkoma):
    # Line 2 is blank.
    assert [(type(result).__name__, result.record) for result in akkoma] == [
        ("ParsedPost", 1),
        ("ParsedPost", 3),
        ("SkippedRecord", 4),
        ("SkippedRecord", 5),
    ]


def test_akkoma_ids_and_handles(akkoma):
    first, reply = posts_by_record(akkoma)[1], posts_by_record(akkoma)[3]
    assert first.external_id == "https://health.social.example/api/v1/statuses/AbF4Q2nW7vX9aB3cDe"
    assert first.author.handle == "med_librarian@health.social.example"  # Akkoma's "fqn"
    assert first.author.platform_id == "https://health.social.example/users/med_librarian"
    assert reply.reply_to_id == first.external_id
    assert reply.reply_to_handle == "med_librarian@health.social.example"


def test_akkoma_content_without_paragraphs(akkoma):
    first, reply = posts_by_record(akkoma)[1], posts_by_record(akkoma)[3]
    # A Markdown link keeps its words and its address.
    assert first.text == "A1 Start from the CDC health literacy guide (https://www.cdc.gov/healthliteracy/) #hcsmca"
    assert first.urls == ("https://www.cdc.gov/healthliteracy/",)
    assert reply.text == "@med_librarian Pharmacists see these claims daily <3 #hcsmca"


def test_bad_date_and_cut_line_are_invalid(akkoma):
    bad_date, cut = akkoma[2], akkoma[3]
    assert bad_date == SkippedRecord(
        4,
        "bad 'created_at' '8 Nov 2023 20:09': "
        "expected an ISO 8601 time with its offset, like '2017-04-21T15:00:42.000Z'",
        invalid=True,
    )
    assert cut.record == 5 and cut.invalid and cut.reason.startswith("invalid JSON")


# --- files that do not say their server -------------------------------------


def test_without_a_local_account_ids_are_the_global_uris():
    reply, answer = parse_fixture("remote_only.json")
    assert answer.external_id == "https://med-mastodon.com/users/nurse_jo/statuses/111299999999990001"
    assert reply.external_id == "https://mastodon.social/users/patient_voice/statuses/111299999999990080"
    # "AbX1" is an id of an unknown server: it cannot be placed.
    assert reply.raw["in_reply_to_id"] == "AbX1"
    assert reply.reply_to_id == ""
    assert reply.reply_to_handle == "nurse_jo@med-mastodon.com"


def test_the_server_is_learnt_from_a_local_account_further_down():
    remote, local = timeline_status(9), timeline_status(10)  # A1 (remote), then T1 (local)
    first, second = parse_statuses(remote, local)
    assert (first.external_id, second.external_id) == (A1_ID, T1_ID)
    assert first.reply_to_id == second.external_id


def test_the_server_is_learnt_from_a_local_mention():
    reply = timeline_status(7)  # by the local moderator
    reply["account"] = timeline_status(9)["account"]  # now by nurse_jo, remote
    moderator = {"id": "1", "username": "hcsmca_mod", "acct": "hcsmca_mod", "url": "https://mstdn.ca/@hcsmca_mod"}
    reply["mentions"] = [moderator]
    (post,) = parse_statuses(reply)
    assert post.external_id == API + "111300000000000003"


def test_status_local_to_another_server_is_refused():
    other = timeline_status(10)
    other["id"] = "42"
    other["account"] = {**other["account"], "url": "https://other.example/@hcsmca_mod"}
    first, second = parse_statuses(timeline_status(10), other)
    assert first.external_id == T1_ID
    assert second == SkippedRecord(
        2,
        "this status comes from the API of other.example, the file's first statuses from mstdn.ca's: "
        "ids are per server, import each server's statuses in a file of their own",
        invalid=True,
    )


def test_status_without_uri_in_a_file_without_server_is_invalid():
    status = timeline_status(9)
    del status["uri"]
    (skipped,) = parse_statuses(status)
    assert skipped.invalid
    assert skipped.reason.startswith("the status has no 'uri', and its 'id' is not unique")


# --- other shapes and edge cases -------------------------------------------


def test_one_pretty_printed_status():
    (post,) = parse_bytes(json.dumps(timeline_status(10), indent=2).encode())
    assert (post.record, post.external_id) == (1, T1_ID)


def test_search_result_statuses_are_numbered_among_themselves():
    result = {"accounts": [], "statuses": [timeline_status(10), timeline_status(9)], "hashtags": []}
    posts = parse_bytes(json.dumps(result).encode())
    assert [(post.record, post.external_id) for post in posts] == [(1, T1_ID), (2, A1_ID)]


def test_non_seekable_stream_gives_the_same_posts(timeline):
    class OneWay(io.RawIOBase):
        def __init__(self, data: bytes):
            self._data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            chunk = self._data.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    stream = OneWay((FIXTURES / "tag_timeline.json").read_bytes())
    assert not stream.seekable()
    assert list(mastodon.parse(stream)) == timeline


def test_created_at_with_an_offset_is_converted_to_utc():
    status = timeline_status(10)
    status["created_at"] = "2023-11-08T15:00:05-05:00"
    (post,) = parse_statuses(status)
    assert post.created_at == datetime(2023, 11, 8, 20, 0, 5, tzinfo=timezone.utc)
    assert post.created_at.tzinfo is timezone.utc


def test_created_at_without_an_offset_is_invalid():
    status = timeline_status(10)
    status["created_at"] = "2023-11-08T20:00:05"
    (skipped,) = parse_statuses(status)
    assert skipped.invalid and "bad 'created_at' '2023-11-08T20:00:05'" in skipped.reason


def test_links_to_attached_media_are_left_out():
    # 2017 servers appended each picture's page, with no text_url for remote ones.
    status = timeline_status(9)
    status["url"] = "https://framapiaf.org/users/jo/updates/14054"
    status["content"] = (
        '<p>A3 our handout <a href="https://framapiaf.org/media/cLJI8QfPLw7ZZ4yKZyI" rel="nofollow noopener">'
        '<span class="invisible">https://</span><span class="ellipsis">framapiaf.org/media/cLJI8QfPLw7</span>'
        '<span class="invisible">ZZ4yKZyI</span></a> and <a href="https://framapiaf.org/about">our server</a></p>'
    )
    status["card"] = None
    (post,) = parse_statuses(status)
    assert post.text == "A3 our handout  and our server (https://framapiaf.org/about)"
    assert post.urls == ("https://framapiaf.org/about",)
    assert len(post.media) == 1


def test_hashtags_follow_the_text_then_the_other_tags():
    status = timeline_status(10)
    status["tags"] = [{"name": "patientsafety"}, {"name": "hcsmca"}]
    (post,) = parse_statuses(status)
    assert post.hashtags == ("hcsmca", "patientsafety")


def test_boost_of_itself_is_invalid():
    status = timeline_status(10)
    status["reblog"] = timeline_status(10)
    (skipped,) = parse_statuses(status)
    assert skipped == SkippedRecord(
        1, "the boosted status has the boost's own id '111300000000000001': a status cannot boost itself", invalid=True
    )


def test_akkoma_quote_id_without_the_quoted_status():
    status = timeline_status(3)
    status["quote"] = None
    status["quote_id"] = "111300000000000001"
    post, _ = parse_statuses(status, timeline_status(10))  # T1 says the server: mstdn.ca
    assert post.quote_of_id == T1_ID


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"<html></html>", "not JSON"),
    ],
)
def test_unreadable_files_are_refused(data, message):
    with pytest.raises(TranscriptFormatError) as error:
        parse_bytes(data)
    assert message in error.value.message


# --- HTML to text ----------------------------------------------------------


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<p>one</p><p>two</p>", "one\n\ntwo"),
        ("<p>one<br>two<br />three</p>", "one\ntwo\nthree"),
        ("<p>one</p>\n<p>two</p>", "one\n\ntwo"),
        ("<p>a &amp;amp; b &lt;3 &#128137;</p>", "a &amp; b <3 💉"),  # unescaped once
        ("<ul><li>one</li><li>two</li></ul><p>after</p>", "one\ntwo\n\nafter"),
        ("<p>x<script>alert(1)</script><style>p{}</style>y</p>", "xy"),
        ("<p><strong>bold</strong> <em>it</em> <code>code</code></p>", "bold it code"),
        ("plain text, no tags", "plain text, no tags"),
        ('<p>cut <a href="https://x.example/a">https://x.example/a', "cut https://x.example/a"),
    ],
)
def test_html_to_text(markup, text):
    assert html_to_text(markup).text == text


def test_html_mentions_and_hashtags_keep_their_text():
    markup = (
        '<p><span class="h-card"><a href="https://med-mastodon.com/@nurse_jo" class="u-url mention">'
        '@<span>nurse_jo</span></a></span> yes! '
        '<a href="https://mstdn.ca/tags/hcsmca" class="mention hashtag" rel="tag">#<span>HCSMca</span></a> '
        '<a href="https://misskey.example/tags/health">#health</a> <a href="https://x.example/list">#1 tip</a></p>'
    )
    assert html_to_text(markup) == PlainText(
        text="@nurse_jo yes! #HCSMca #health #1 tip (https://x.example/list)",
        links=("https://x.example/list",),
        hashtags=("HCSMca", "health"),
    )


def test_html_shortened_link_is_the_full_href():
    markup = (
        '<p><a href="http://www.mamot.gouv.qc.ca/accueil/" rel="nofollow noopener"><span class="invisible">http://www.'
        '</span><span class="ellipsis">mamot.gouv.qc.ca/accu</span><span class="invisible">eil/</span></a></p>'
    )
    assert html_to_text(markup) == PlainText(
        text="http://www.mamot.gouv.qc.ca/accueil/", links=("http://www.mamot.gouv.qc.ca/accueil/",), hashtags=()
    )


def test_html_dropped_link_leaves_no_trace():
    result = html_to_text(
        '<p>look <a href="https://m.example/media/1">https://m.example/media/1</a></p>',
        drop_link=lambda href: "/media/" in href,
    )
    assert result == PlainText(text="look", links=(), hashtags=())
