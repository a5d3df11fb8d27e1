"""The Bluesky parser over small hand-written fixtures. No database."""

from __future__ import annotations

import copy
import io
import json
from datetime import datetime, timezone

import pytest

from chats.importers import bluesky
from chats.importers.base import ParsedAuthor, ParsedMedia, ParsedPost, SkippedRecord, TranscriptFormatError
from tests.chats.importers import helpers
from tests.chats.importers.helpers import FIXTURES_DIR, LineByLineOnly, parse_file

FIXTURES = FIXTURES_DIR / "bluesky"

MOD_DID = "did:plc:h5csmcamodq3xk7w2vbnrt4e"
JO_DID = "did:plc:n2rsejotremblayx4kq7wmzc"
T1_URI = f"at://{MOD_DID}/app.bsky.feed.post/3l63srqy3ds2b"
A1_URI = f"at://{JO_DID}/app.bsky.feed.post/3l63sw5tfps2b"
R1_URI = "at://did:plc:p4tientvolcew6fyh2kdl3sa/app.bsky.feed.post/3l63sz5m32k2b"
A1_TEXT = (
    "A1 💉 I start with what my patients already trust & check it against "
    "https://www.canada.ca/en/public-health.html #hcsmca"
)
UTC = timezone.utc


def parse_bytes(data: bytes) -> list:
    return list(bluesky.parse(io.BytesIO(data)))


def parse_fixture(name: str) -> list:
    return parse_file(bluesky, FIXTURES / name)


def load_fixture(name: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def jsonl(*values) -> bytes:
    return helpers.jsonl(*values, ensure_ascii=False)


def post_view(**record_fields) -> dict:
    """A minimal valid post view, for the edge cases that need no fixture file."""
    record = {"$type": "app.bsky.feed.post", "createdAt": "2024-10-09T17:20:00.000Z", "text": "A2 Ask your librarian!"}
    record.update(record_fields)
    return {
        "uri": f"at://{JO_DID}/app.bsky.feed.post/3l63tw3fuvk2b",
        "cid": "bafyreihq3vbrj2lnlxw5xzrcmaxqhpnzwd6jv5e7jx4tsw2bf6cyhwnvxu",
        "author": {"did": JO_DID, "handle": "nursejo.bsky.social", "displayName": "Jo Tremblay, RN"},
        "record": record,
    }


TAG = "app.bsky.richtext.facet#tag"
MENTION = "app.bsky.richtext.facet#mention"


def link_facet(text: str, shown: str, uri: str) -> dict:
    start = text.encode().index(shown.encode())
    return {
        "index": {"byteStart": start, "byteEnd": start + len(shown.encode())},
        "features": [{"$type": "app.bsky.richtext.facet#link", "uri": uri}],
    }


def only_post(data: bytes) -> ParsedPost:
    (post,) = parse_bytes(data)
    assert isinstance(post, ParsedPost), post
    return post


# --- a searchPosts page ----------------------------------------------------------


@pytest.fixture(scope="module")
def search() -> list:
    return parse_fixture("search_posts.json")


def test_search_page_posts_are_numbered_by_position(search):
    assert [(post.record, post.external_id) for post in search][:3] == [(1, T1_URI), (2, A1_URI), (3, R1_URI)]
    assert len(search) == 7
    assert all(isinstance(post, ParsedPost) for post in search)


def test_answer_is_parsed_field_by_field(search):
    assert search[1] == ParsedPost(
        record=2,
        platform="bluesky",
        external_id=A1_URI,
        created_at=datetime(2024, 10, 9, 17, 2, 31, 907000, tzinfo=UTC),
        author=ParsedAuthor(
            platform="bluesky",
            platform_id=JO_DID,
            handle="nursejo.bsky.social",
            display_name="Jo Tremblay, RN",
            profile_url="https://bsky.app/profile/nursejo.bsky.social",
            avatar_url=f"https://cdn.bsky.app/img/avatar/plain/{JO_DID}/bafkreiajoavatar2vfnq3k@jpeg",
        ),
        text=A1_TEXT,
        url="https://bsky.app/profile/nursejo.bsky.social/post/3l63sw5tfps2b",
        language="en",
        reply_to_id=T1_URI,
        # A search page does not say whom a reply answers.
        reply_to_handle="",
        urls=("https://www.canada.ca/en/public-health.html",),
        hashtags=("hcsmca",),
        metrics={"reply_count": 1, "repost_count": 1, "like_count": 4, "quote_count": 1},
        thread_root_id=T1_URI,
    )


def test_created_at_is_aware_utc(search):
    assert search[0].created_at.tzinfo is UTC
    assert search[0].created_at.isoformat() == "2024-10-09T17:00:04.211000+00:00"


def test_raw_is_the_untouched_post_view(search):
    views = load_fixture("search_posts.json")["posts"]
    assert [post.raw for post in search] == views


def test_shortened_link_after_an_emoji_is_expanded_by_byte_offsets(search):
    record = search[1].raw["record"]
    assert "canada.ca/en/public-he..." in record["text"]
    # The facet counts bytes: "💉" is 4 bytes but 1 character.
    start = record["facets"][0]["index"]["byteStart"]
    assert record["text"].encode()[start:].startswith(b"canada.ca/")
    assert record["text"][start:] != record["text"].encode()[start:].decode()
    assert search[1].text == A1_TEXT
    # The link card points at the same page: listed once.
    assert record["embed"]["external"]["uri"] == "https://www.canada.ca/en/public-health.html"
    assert search[1].urls == ("https://www.canada.ca/en/public-health.html",)


def test_reply_with_a_mention(search):
    reply = search[2]
    assert reply.text == (
        "@nursejo.bsky.social Same here! Do you hand them the link or walk through it together? #hcsmca"
    )
    assert reply.mentions == ("nursejo.bsky.social",)
    assert (reply.reply_to_id, reply.thread_root_id) == (A1_URI, T1_URI)


def test_right_to_left_text_is_kept_as_is(search):
    arabic = search[3]
    assert arabic.text == "ج١ أبدأ دائماً بمواقع الصحة العامة الموثوقة، ثم أسأل زملائي #hcsmca"
    assert arabic.hashtags == ("hcsmca",)
    assert arabic.language == "ar"
    assert arabic.author.display_name == "صحة للجميع"


def test_quote_with_an_image(search):
    quote = search[4]
    assert quote.quote_of_id == A1_URI
    assert quote.text == "Cross-checking is the habit we should teach first. Our clinic's handout 📄 #hcsmca"
    assert quote.media == (
        ParsedMedia(
            kind="photo",
            url="https://cdn.bsky.app/img/feed_fullsize/plain/did:plc:d7amiraqk3x5nwz2lb6hp4ce/"
            "bafkreihandoutq7xbnd3lg2cjw5v4kz6mseyf7hrtu3pa@jpeg",
            alt_text="A printed handout titled 'Checking health information online'",
        ),
    )
    assert quote.urls == ()


def test_text_is_plain_not_html(search):
    # Bluesky text is what the author typed: an "&amp;" there was typed, and
    # unescaping it would change the post.
    assert search[5].text == "A2 No sources, miracle cures <and> ALL CAPS. Also &amp; in a bio, oddly. #hcsmca"


def test_post_with_empty_text_is_still_a_post(search):
    image_only = search[6]
    assert image_only.text == ""
    assert image_only.language == ""  # no "langs"
    assert image_only.media[0].alt_text == "October #hcsmca schedule: Oct 9, 16, 23, 30 at 1pm ET"
    assert image_only.hashtags == ()  # alt text is not the post's text


# --- an author feed --------------------------------------------------------------


@pytest.fixture(scope="module")
def feed() -> list:
    return parse_fixture("author_feed.json")


def test_feed_items_are_numbered_by_position_and_keep_the_item_as_raw(feed):
    items = load_fixture("author_feed.json")["feed"]
    assert [post.record for post in feed] == [1, 2, 3, 4]
    assert [post.raw for post in feed] == items


def test_pinned_post_is_the_post_itself(feed):
    pinned = feed[0]
    assert pinned.repost_of_id == ""
    assert pinned.author.handle == "hcsmca.bsky.social"
    # Eight fractional digits, cut to microseconds.
    assert pinned.raw["post"]["record"]["createdAt"] == "2024-10-09T16:55:00.12345678Z"
    assert pinned.created_at == datetime(2024, 10, 9, 16, 55, 0, 123456, tzinfo=UTC)
    # "healthlit" is an outline tag (record.tags), not in the text.
    assert pinned.hashtags == ("hcsmca", "healthlit")


def test_created_at_with_an_offset_is_converted_to_utc(feed):
    assert feed[1].raw["post"]["record"]["createdAt"] == "2024-10-09T13:10:00-04:00"
    assert feed[1].created_at == datetime(2024, 10, 9, 17, 10, tzinfo=UTC)


def test_reply_context_names_the_author_replied_to(feed):
    reply = feed[2]
    assert reply.reply_to_id == R1_URI
    assert reply.reply_to_handle == "patientvoice.bsky.social"
    assert reply.thread_root_id == T1_URI


def test_repost_is_a_post_of_the_reposter(feed, search):
    repost, original = feed[3], search[1]
    assert repost.external_id == f"{MOD_DID}/repost/{JO_DID}/3l63sw5tfps2b"
    assert repost.repost_of_id == A1_URI
    assert repost.author.handle == "hcsmca.bsky.social"
    assert repost.created_at == datetime(2024, 10, 9, 17, 3, 15, 442000, tzinfo=UTC)  # reason.indexedAt
    assert repost.text == original.text == A1_TEXT
    assert (repost.urls, repost.hashtags, repost.language) == (original.urls, original.hashtags, "en")
    assert repost.url == original.url
    # Replying and the counters belong to the original.
    assert (repost.reply_to_id, repost.thread_root_id, repost.metrics) == ("", "", {})


# --- a getPostThread response ----------------------------------------------------


@pytest.fixture(scope="module")
def thread() -> list:
    return parse_fixture("thread.json")


def test_thread_is_read_anchor_then_parents_then_replies(thread):
    assert [(result.record, type(result).__name__) for result in thread] == [
        (1, "ParsedPost"),
        (2, "ParsedPost"),
        (3, "ParsedPost"),
        (4, "ParsedPost"),
        (5, "SkippedRecord"),
        (6, "SkippedRecord"),
    ]
    anchor, parent, reply, nested = thread[:4]
    assert (anchor.external_id, parent.external_id, reply.external_id) == (A1_URI, T1_URI, R1_URI)
    assert nested.text == "Together, every time. 5 minutes on the site with them beats any pamphlet."


def test_thread_posts_name_the_author_they_reply_to(thread):
    assert [post.reply_to_handle for post in thread[:4]] == [
        "hcsmca.bsky.social",
        "",
        "nursejo.bsky.social",
        "patientvoice.bsky.social",
    ]


def test_thread_raw_is_the_post_view_not_the_node(thread):
    node = load_fixture("thread.json")["thread"]
    assert thread[0].raw == node["post"]
    assert "replies" not in thread[0].raw


def test_missing_and_blocked_thread_posts_are_skipped_as_valid(thread):
    assert thread[4] == SkippedRecord(
        5,
        "post at://did:plc:gonev5lq2wxb3kz7ma4dtr6c/app.bsky.feed.post/3l63t7wpz222b was not found "
        "(deleted, or its author left): nothing to import",
    )
    assert thread[5].invalid is False
    assert thread[5].reason.startswith("post at://did:plc:blockdq3xa7vn2lzk6wmp4ey/app.bsky.feed.post/")
    assert "hidden by a block" in thread[5].reason


def test_a_very_deep_thread_is_walked_without_recursion(monkeypatch):
    root = {"post": post_view()}
    node = root
    for _ in range(5000):
        reply = {"post": post_view(text="A2 me too", reply={"root": {"uri": T1_URI}, "parent": {"uri": T1_URI}})}
        node["replies"] = [reply]
        node = reply
    monkeypatch.setattr(bluesky, "iter_json_records", lambda stream: iter([(1, {"thread": root})]))
    results = list(bluesky.parse(io.BytesIO(b"")))
    assert len(results) == 5001
    assert results[-1].record == 5001


# --- JSON Lines ------------------------------------------------------------------


@pytest.fixture(scope="module")
def lines() -> list:
    return parse_fixture("chat_lines.jsonl")


def test_lines_are_numbered_by_physical_line(lines):
    # Line 3 is blank.
    assert [(type(result).__name__, result.record) for result in lines] == [
        ("ParsedPost", 1),
        ("ParsedPost", 2),
        ("SkippedRecord", 4),
        ("SkippedRecord", 5),
        ("ParsedPost", 6),
        ("SkippedRecord", 7),
    ]


def test_long_link_is_expanded_and_not_unescaped(lines):
    answer = lines[1]
    url = "https://library.example.org/health-literacy/walkthrough?lang=en&region=on"
    assert answer.text == f"A3 Our library's 5-minute walkthrough: {url} #hcsmca #healthlit"
    assert answer.urls == (url,)
    assert answer.hashtags == ("hcsmca", "healthlit")
    assert answer.created_at == datetime(2024, 10, 9, 17, 40, 12, tzinfo=UTC)  # no fraction


def test_bad_lines_are_invalid_records(lines):
    profile, no_handle, cut = lines[2], lines[3], lines[5]
    assert profile.invalid and profile.reason.startswith("not a Bluesky post: expected a post view")
    assert "(got keys: 'did', 'handle', 'displayName'," in profile.reason
    assert no_handle == SkippedRecord(5, "the post's 'author' has no 'did' or no 'handle'", invalid=True)
    assert cut.invalid and cut.reason.startswith("invalid JSON: Unterminated string")


def test_year_zero_date_falls_back_to_the_record_key_time(lines):
    post = lines[4]
    assert post.raw["record"]["createdAt"] == "0000-10-09T17:45:09.000Z"
    # 3l63vcehou22b is a TID: the time the author's server made the record.
    assert post.created_at == datetime(2024, 10, 9, 17, 45, 9, tzinfo=UTC)
    # No facet marks "#hcsmca" here: the client did not tag it.
    assert post.hashtags == ()


def test_json_lines_are_read_line_by_line():
    stream = LineByLineOnly(jsonl(post_view(), post_view(text="A2 two"), post_view(text="A2 three")))
    results = bluesky.parse(stream)
    assert next(results).text == "A2 Ask your librarian!"
    assert stream.lines_read == 1
    assert [post.text for post in results] == ["A2 two", "A2 three"]


def test_crlf_lines_and_bom_are_accepted():
    lines = jsonl(post_view(), post_view(text="A2 مرحبا")).replace(b"\n", b"\r\n")
    data = b"\xef\xbb\xbf" + lines
    posts = parse_bytes(data)
    assert [post.text for post in posts] == ["A2 Ask your librarian!", "A2 مرحبا"]


# --- other layouts -----------------------------------------------------------------


def test_array_mixing_post_views_feed_items_and_twitwi_wrappers():
    view = post_view()
    data = json.dumps([view, {"post": view}, {"uri": view["uri"], "post": view}], indent=2).encode()
    posts = parse_bytes(data)
    assert [post.record for post in posts] == [1, 2, 3]
    assert {post.external_id for post in posts} == {view["uri"]}
    assert posts[2].raw == {"uri": view["uri"], "post": view}


def test_responses_one_per_line_are_numbered_across_responses():
    page = load_fixture("search_posts.json")
    results = parse_bytes(jsonl(page, page))
    assert [post.record for post in results] == list(range(1, 15))


def test_search_page_on_one_line_reads_the_same(search):
    assert parse_bytes(json.dumps(load_fixture("search_posts.json")).encode()) == search


def test_bare_thread_view_post_is_walked_too(thread):
    node = load_fixture("thread.json")["thread"]
    assert parse_bytes(json.dumps(node).encode()) == thread


def test_thread_whose_anchor_is_gone_is_a_valid_skip():
    gone = {"$type": "app.bsky.feed.defs#notFoundPost", "uri": A1_URI, "notFound": True}
    assert parse_bytes(json.dumps({"thread": gone}).encode()) == [
        SkippedRecord(1, f"post {A1_URI} was not found (deleted, or its author left): nothing to import")
    ]


def test_firehose_events_are_refused_with_a_hint():
    event = {"did": JO_DID, "time_us": 1728494400000000, "kind": "commit"}
    event["commit"] = {"operation": "create", "collection": "app.bsky.feed.post", "rkey": "3l63tw3fuvk2b"}
    (skipped,) = parse_bytes(jsonl(event))
    assert skipped.invalid
    assert skipped.reason.startswith("a firehose/Jetstream commit event, not a post view")


@pytest.mark.parametrize("data", [b"", b"  \n", b"\xef\xbb\xbf"], ids=["empty", "whitespace", "bom-only"])
def test_empty_file_is_refused(data):
    with pytest.raises(TranscriptFormatError, match=r"^the file is empty$"):
        parse_bytes(data)


def test_text_file_is_refused_as_not_json():
    with pytest.raises(TranscriptFormatError, match=r"^not JSON"):
        parse_bytes(b"T1: hello #hcsmca\n")


# --- field details -----------------------------------------------------------------


def test_link_labelled_with_words_keeps_its_words():
    text = "T4 slides are up: Read the summary #hcsmca"
    view = post_view(text=text, facets=[link_facet(text, "Read the summary", "https://hcsmca.example.org/t4")])
    post = only_post(jsonl(view))
    assert post.text == text
    assert post.urls == ("https://hcsmca.example.org/t4",)


def test_link_range_off_a_character_boundary_is_not_replaced():
    text = "A4 ✅ example.org/a-long-pa... #hcsmca"
    facet = link_facet(text, "example.org/a-long-pa...", "https://example.org/a-long-page")
    facet["index"]["byteStart"] -= 2  # counted in characters by a buggy client: lands inside "✅"
    post = only_post(jsonl(post_view(text=text, facets=[facet])))
    assert post.text == text
    assert post.urls == ("https://example.org/a-long-page",)


def test_link_shown_with_an_ellipsis_character():
    text = "A4 see https://example.org/guide/chap… thanks!"
    facet = link_facet(text, "https://example.org/guide/chap…", "https://example.org/guide/chapter-2")
    view = post_view(text=text, facets=[facet])
    assert only_post(jsonl(view)).text == "A4 see https://example.org/guide/chapter-2 thanks!"


def test_malformed_and_foreign_facets_are_ignored():
    text = "A5 #hcsmca rocks"
    facets = [
        {"index": {"byteStart": 3, "byteEnd": 10}, "features": [{"$type": TAG, "tag": "#hcsmca"}]},
        {"index": {"byteStart": 3, "byteEnd": 10}, "features": [{"$type": "FACETTAG", "tag": "other"}]},
        {"index": {"byteStart": 11, "byteEnd": 99}, "features": [{"$type": MENTION, "did": MOD_DID}]},
        {"index": "3-10", "features": "tag"},
        "not a facet",
    ]
    post = only_post(jsonl(post_view(text=text, facets=facets)))
    assert post.text == text
    assert post.hashtags == ("hcsmca",)  # leading "#" dropped
    assert post.mentions == ()


def test_quote_of_a_feed_is_not_a_quote():
    embed = {
        "$type": "app.bsky.embed.record",
        "record": {"uri": f"at://{MOD_DID}/app.bsky.feed.generator/hcsmca", "cid": "bafyreia"},
    }
    assert only_post(jsonl(post_view(embed=embed))).quote_of_id == ""


def test_video_is_media_and_its_link_card_beside_a_quote_is_a_url():
    view = post_view(
        embed={
            "$type": "app.bsky.embed.recordWithMedia",
            "record": {"record": {"uri": T1_URI, "cid": "bafyreib"}},
            "media": {"$type": "app.bsky.embed.external#main", "external": {"uri": "https://hcsmca.example.org/"}},
        }
    )
    view["embed"] = {
        "$type": "app.bsky.embed.video#view",
        "cid": "bafkreivideo",
        "playlist": "https://video.bsky.app/watch/did%3Aplc%3Ax/bafkreivideo/playlist.m3u8",
        "alt": "Our 30-second intro to #hcsmca",
    }
    post = only_post(jsonl(view))
    assert post.quote_of_id == T1_URI
    assert post.urls == ("https://hcsmca.example.org/",)
    assert post.media == (
        ParsedMedia(
            "video",
            "https://video.bsky.app/watch/did%3Aplc%3Ax/bafkreivideo/playlist.m3u8",
            "Our 30-second intro to #hcsmca",
        ),
    )


def test_invalid_handle_links_to_the_did():
    view = post_view()
    view["author"]["handle"] = "handle.invalid"
    post = only_post(jsonl(view))
    assert post.author.handle == "handle.invalid"
    assert post.author.profile_url == f"https://bsky.app/profile/{JO_DID}"
    assert post.url == f"https://bsky.app/profile/{JO_DID}/post/3l63tw3fuvk2b"


def test_only_integer_metrics_are_kept():
    view = dict(post_view(), replyCount=2, likeCount=None, repostCount="3", quoteCount=True)
    assert only_post(jsonl(view)).metrics == {"reply_count": 2}


def test_first_language_is_kept():
    assert only_post(jsonl(post_view(langs=["fr", "en"]))).language == "fr"


def test_unreadable_date_without_a_tid_key_is_an_invalid_record():
    view = post_view(createdAt="10/09/2024 17:45")
    view["uri"] = f"at://{JO_DID}/app.bsky.feed.post/hcsmca-draft"
    (skipped,) = parse_bytes(jsonl(view))
    assert skipped == SkippedRecord(
        1,
        "bad 'record.createdAt' '10/09/2024 17:45': expected an ISO 8601 date like '2024-10-10T20:00:05.000Z'",
        invalid=True,
    )


def test_uri_of_something_else_than_a_post_is_an_invalid_record():
    view = post_view()
    view["uri"] = f"at://{JO_DID}/app.bsky.feed.like/3l63tw3fuvk2b"
    (skipped,) = parse_bytes(jsonl(view))
    assert skipped.invalid
    assert skipped.reason == (
        f"'uri' 'at://{JO_DID}/app.bsky.feed.like/3l63tw3fuvk2b' is not a post's: "
        "expected at://<did>/app.bsky.feed.post/<rkey>"
    )


def test_repost_without_a_date_is_an_invalid_record():
    reposter = {"did": MOD_DID, "handle": "hcsmca.bsky.social"}
    item = {"post": post_view(), "reason": {"$type": "app.bsky.feed.defs#reasonRepost", "by": reposter}}
    (skipped,) = parse_bytes(jsonl(item))
    assert skipped == SkippedRecord(1, "the repost's 'reason.indexedAt' None is not an ISO 8601 date", invalid=True)


def test_text_of_the_wrong_type_is_an_invalid_record():
    (skipped,) = parse_bytes(jsonl(post_view(text=["A1"])))
    assert skipped == SkippedRecord(1, "the post's 'record.text' is not text (got a JSON array)", invalid=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-10-09T17:00:04.211Z", datetime(2024, 10, 9, 17, 0, 4, 211000, tzinfo=UTC)),
        ("2025-12-05T10:16:59.78349200Z", datetime(2025, 12, 5, 10, 16, 59, 783492, tzinfo=UTC)),
        ("2025-10-05T16:36:30.410000Z", datetime(2025, 10, 5, 16, 36, 30, 410000, tzinfo=UTC)),
        ("2024-12-11T00:00:06+08:00", datetime(2024, 12, 10, 16, 0, 6, tzinfo=UTC)),
        ("2024-10-09T17:00:04", datetime(2024, 10, 9, 17, 0, 4, tzinfo=UTC)),
        ("0000-10-14T15:06:10.730Z", None),
        ("yesterday", None),
        (1728493204, None),
    ],
)
def test_parse_timestamp(value, expected):
    assert bluesky.parse_timestamp(value) == expected


def test_tid_timestamp():
    assert bluesky.tid_timestamp("3kbpuogc6fz2o") == datetime(2023, 10, 14, 15, 16, 37, 389695, tzinfo=UTC)
    assert bluesky.tid_timestamp("self") is None
    assert bluesky.tid_timestamp("zzzzzzzzzzzzz") is None  # top bit set: not a TID


def test_raw_is_not_modified_by_parsing():
    view = post_view()
    before = copy.deepcopy(view)
    post = only_post(jsonl(view))
    assert post.raw == before


# --- detection (every fixture: test_contract.py) -----------------------------------


@pytest.mark.parametrize(
    "head",
    [
        b'{"created_at":"Wed Oct 10 20:19:24 +0000 2018","id_str":"1","text":"https://bsky.app/","user":{}}',
        b'[{"id":"1","account":{"acct":"nurse_jo"},"content":"<p>at://did:plc:x on app.bsky.feed.post</p>"}]',
        b'{"uri": "at://did:plc:x/app.bsky.feed.post/1", "id_str": "1"}',
        b"uri,text\nat://did:plc:x/app.bsky.feed.post/1,hello\n",
        b"\x89PNG\r\n",
    ],
    ids=["tweet", "mastodon", "tweet-with-bluesky-marker", "csv", "png"],
)
def test_sniff_refuses_other_formats(head):
    assert not bluesky.sniff(head)
