"""The deletion list parser (chats.importers.deletions): ids, URLs, v1.1
stream delete notices, bad lines reported with their numbers. No database."""
from __future__ import annotations

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chats.importers.deletions import (
    MAX_LINE_BYTES,
    DeletedPost,
    DeletionListError,
    SkippedLine,
    parse,
)


def results(data: bytes, platform: str = "twitter") -> list:
    return list(parse(io.BytesIO(data), platform=platform))


def ids(data: bytes, platform: str = "twitter") -> list[str]:
    return [r.external_id for r in results(data, platform) if isinstance(r, DeletedPost)]


def bad(data: bytes, platform: str = "twitter") -> list[int]:
    return [r.line for r in results(data, platform) if isinstance(r, SkippedLine) and r.invalid]


def test_ids_one_a_line_with_blank_lines_and_comments():
    data = b"# deleted since the chat\n1049753900000000000\n\n  1049753900000000001  \n123 # spam account\r\n"
    assert results(data) == [
        DeletedPost(2, "twitter", "1049753900000000000"),
        DeletedPost(4, "twitter", "1049753900000000001"),
        DeletedPost(5, "twitter", "123"),
    ]


@pytest.mark.parametrize("url", [
    "https://twitter.com/nurse_jo/status/1049753563476385793",
    "http://www.twitter.com/nurse_jo/status/1049753563476385793/",
    "https://mobile.twitter.com/nurse_jo/statuses/1049753563476385793?s=20",
    "https://x.com/nurse_jo/status/1049753563476385793/photo/1",
    "https://twitter.com/i/web/status/1049753563476385793",
])
def test_a_status_url_is_its_id(url):
    assert ids(url.encode()) == ["1049753563476385793"]


def test_v1_stream_delete_notices_and_the_rest_of_a_stream():
    lines = [
        {"delete": {"status": {"id": 5, "id_str": "1049753900000000000", "user_id": 9, "user_id_str": "9"},
                    "timestamp_ms": "1539201800000"}},
        {"created_at": "Wed Oct 10 20:00:05 +0000 2018", "id_str": "77", "user": {"id_str": "1"}, "text": "hi"},
        {"limit": {"track": 3}},
        {"delete": {"status": {"id": 1049753900000000002}}},
        {"delete": {"direct_message": {"id": 3}}},
        {"delete": {"status": {"user_id_str": "9"}}},
    ]
    got = results(b"\n".join(json.dumps(line).encode() for line in lines))
    assert got[0] == DeletedPost(1, "twitter", "1049753900000000000")
    assert got[1] == SkippedLine(2, "a status, not a delete notice", invalid=False)
    assert got[2] == SkippedLine(3, "a JSON object, not a delete notice", invalid=False)
    assert got[3] == DeletedPost(4, "twitter", "1049753900000000002")
    assert got[4].invalid is False  # a direct message: no post of ours
    assert got[5] == SkippedLine(6, "a delete notice whose status has no 'id_str' (or numeric 'id')")


def test_bad_lines_are_reported_with_their_numbers_and_reading_goes_on():
    data = (b"1\n"
            b"twelve\n"
            b"https://example.org/status/5\n"
            b"2 3\n"
            b"{\"delete\": \n"
            b"\xff\xfe\n"
            b"[1, 2]\n"
            b"4\n")
    assert ids(data) == ["1", "4"]
    assert bad(data) == [2, 3, 4, 5, 6, 7]
    reasons = {r.line: r.reason for r in results(data) if isinstance(r, SkippedLine)}
    assert "twelve" in reasons[2]
    assert reasons[6] == "not UTF-8 text"


def test_an_overlong_line_is_reported_not_held():
    data = b"1\n" + b"9" * (MAX_LINE_BYTES * 3) + b"\n2\n"
    assert ids(data) == ["1", "2"]
    assert bad(data) == [2]


def test_a_bom_is_ignored():
    assert ids(b"\xef\xbb\xbf42\n") == ["42"]


def test_a_binary_file_is_the_parsers_error():
    with pytest.raises(DeletionListError, match="not text"):
        results(b"PK\x03\x04\x00\x00binary")


def test_an_unknown_platform_is_the_parsers_error():
    with pytest.raises(DeletionListError, match="unknown platform"):
        results(b"1\n", platform="myspace")


def test_other_platforms_take_the_archives_ids_as_they_are():
    data = (b"https://mastodon.social/users/jo/statuses/109876543210\n"
            b"{\"delete\": {\"status\": {\"id_str\": \"1\"}}}\n")
    assert ids(data, "mastodon") == ["https://mastodon.social/users/jo/statuses/109876543210"]
    assert bad(data, "mastodon") == [2]


def test_a_bluesky_post_url_by_did_is_its_at_uri():
    data = (b"https://bsky.app/profile/did:plc:abc123/post/3kabcde\n"
            b"at://did:plc:abc123/app.bsky.feed.post/3kzzz\n")
    assert ids(data, "bluesky") == [
        "at://did:plc:abc123/app.bsky.feed.post/3kabcde", "at://did:plc:abc123/app.bsky.feed.post/3kzzz",
    ]


def test_twitter_ids_are_ascii_digits_only():
    # Arabic-Indic digits pass str.isdigit but are no tweet id.
    assert bad("١٢٣\n".encode()) == [1]


def test_the_list_is_read_as_a_stream():
    class Lines(io.BytesIO):
        """Fails if the parser reads the whole file at once."""

        def read(self, *args):  # noqa: D401
            raise AssertionError("read() of the whole file")

    stream = Lines(b"1\n2\n3\n")
    first = next(parse(stream, platform="twitter"))
    assert first == DeletedPost(1, "twitter", "1")
    assert stream.tell() == 2


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048), st.sampled_from(["twitter", "mastodon", "bluesky"]))
def test_arbitrary_bytes_give_results_or_the_parsers_own_error(data, platform):
    try:
        for result in parse(io.BytesIO(data), platform=platform):
            assert isinstance(result, DeletedPost | SkippedLine)
            assert result.line >= 1
            if isinstance(result, DeletedPost):
                assert result.external_id and len(result.external_id) <= 200
                assert not any(c.isspace() for c in result.external_id)
    except DeletionListError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(
    st.text(max_size=80),
    st.integers(min_value=0, max_value=10**20).map(str),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                 lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                     st.sampled_from(["delete", "status", "id", "id_str", "user"]), inner, max_size=3),
                 max_leaves=8).map(json.dumps),
), max_size=20))
def test_arbitrary_text_and_json_lines_never_crash(lines):
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    try:
        got = list(parse(io.BytesIO(data), platform="twitter"))
    except DeletionListError:
        return
    for result in got:
        if isinstance(result, DeletedPost):
            assert result.external_id.isascii() and result.external_id.isdigit()


def test_read_list_gathers_each_id_once_in_order_and_counts_the_rest():
    from chats.importers.deletions import read_list

    data = b"3\n1\n3\nbad\n{\"limit\": {\"track\": 1}}\nhttps://twitter.com/a/status/1\n2\n"
    read = read_list(io.BytesIO(data), platform="twitter")
    assert read.ids == ["3", "1", "2"]
    assert [e.line for e in read.errors] == [4]
    assert (read.error_count, read.skipped) == (1, 1)


def test_read_list_keeps_the_first_errors_and_counts_all():
    from chats.importers.deletions import MAX_REPORTED_ERRORS, read_list

    read = read_list(io.BytesIO(b"x\n" * (MAX_REPORTED_ERRORS + 5)), platform="twitter")
    assert len(read.errors) == MAX_REPORTED_ERRORS
    assert read.error_count == MAX_REPORTED_ERRORS + 5
