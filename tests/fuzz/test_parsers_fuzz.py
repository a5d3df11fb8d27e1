"""Every parser, given arbitrary bytes or a damaged real file, either yields
results or raises its own error type carrying a record number (1-based) or
None, the documented value for a fault of the whole file (see
``chats.importers.base.TranscriptFormatError`` and ``summaries.wxr``).

Any other exception (KeyError, TypeError, UnicodeDecodeError, RecursionError
...) is a bug: the import would crash instead of telling the user which record
is at fault. No database, no Django.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chats.importers import HEAD_SIZE, PARSERS, ParseContext, ParsedPost, SkippedRecord, TranscriptFormatError, detect
from chats.importers.base import DeletionNotice
from summaries import wxr
from tests.chats.importers.helpers import FIXTURES_DIR
from tests.samples import SAMPLES_DIR, samples_dir

# Enough to cover headers, a few records and the parsers' buffering, small
# enough that a hundred examples stay quick.
MAX_SIZE = 4096
# Real samples are cut to their head before mutation: the faults of interest
# (a broken record among good ones) show up early.
SAMPLE_HEAD = 16 * 1024

FORMATS = sorted(PARSERS)
FOLDERS = {format_name: format_name.replace("-", "_") for format_name in FORMATS}


def fixtures(folder: str) -> list[Path]:
    return sorted(path for path in (FIXTURES_DIR / folder).iterdir() if path.is_file())


def check_parser(format_name: str, data: bytes) -> None:
    """Consume the whole iterator: only results or a TranscriptFormatError."""
    parser = PARSERS[format_name]
    try:
        for result in parser.parse(io.BytesIO(data), ParseContext()):
            assert isinstance(result, ParsedPost | SkippedRecord | DeletionNotice), result
            assert result.record >= 1, result
    except TranscriptFormatError as error:
        assert error.record is None or error.record >= 1, error.record


def check_wxr(data: bytes) -> None:
    try:
        for record in wxr.parse(io.BytesIO(data)):
            assert record is not None
    except wxr.WxrFormatError as error:
        assert error.record is None or error.record >= 1, error.record


def check(target: str, data: bytes) -> None:
    if target == "wxr":
        check_wxr(data)
    else:
        check_parser(target, data)


@st.composite
def mutated(draw, original: bytes) -> bytes:
    """``original`` damaged a few times: bytes flipped, cut off, random bytes
    inserted, a line duplicated or dropped."""
    data = bytearray(original)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "duplicate_line", "drop_line"]))
        if not data:
            data.extend(draw(st.binary(min_size=1, max_size=16)))
            continue
        at = draw(st.integers(min_value=0, max_value=len(data) - 1))
        if kind == "flip":
            data[at] ^= draw(st.integers(min_value=1, max_value=255))
        elif kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:
            lines = bytes(data).splitlines(keepends=True)
            index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            if kind == "duplicate_line":
                lines.insert(index, lines[index])
            else:
                del lines[index]
            data = bytearray(b"".join(lines))
    return bytes(data)


TARGETS = FORMATS + ["wxr"]
FIXTURE_CASES = [
    pytest.param(target, path, id=f"{target}:{path.name}")
    for target in TARGETS
    for path in fixtures(FOLDERS.get(target, target))
]


@pytest.mark.parametrize("target", TARGETS)
@given(data=st.binary(max_size=MAX_SIZE))
def test_arbitrary_bytes(target, data):
    check(target, data)


@given(data=st.binary(max_size=HEAD_SIZE // 16))
def test_detect_arbitrary_bytes(data):
    # Detection sees any upload's head: it answers a name or None, never raises.
    assert detect(data) in (*PARSERS, None)
    assert wxr.sniff(data) in (True, False)


@pytest.mark.parametrize(("target", "path"), FIXTURE_CASES)
@given(data=st.data())
def test_mutated_fixture(target, path, data):
    damaged = data.draw(mutated(path.read_bytes()[:MAX_SIZE * 4]), label="damaged")
    check(target, damaged)
    # Whatever detection makes of the damaged file, that parser copes too.
    detected = detect(damaged[:HEAD_SIZE])
    if detected is not None:
        check(detected, damaged)


def sample_cases() -> list:
    if not SAMPLES_DIR.is_dir():
        return [pytest.param(None, None, id="no-samples")]
    return [
        pytest.param(target, path, id=f"{target}:{path.name}")
        for target in TARGETS
        for path in sorted((SAMPLES_DIR / FOLDERS.get(target, target)).glob("*"))
        if path.is_file()
    ]


@pytest.mark.parametrize(("target", "path"), sample_cases())
@given(data=st.data())
def test_mutated_sample_head(target, path, data):
    if path is None:
        samples_dir("twitter_v1")  # skips outside CI with the reason, fails under CI
    with open(path, "rb") as stream:
        head = stream.read(SAMPLE_HEAD)
    check(target, data.draw(mutated(head), label="damaged"))


# JSON of the right syntax and the wrong shape: the keys the JSON formats
# look for, holding values of any type (a user that is a list, an id that is
# a float, a date that is null). Random bytes rarely get past the JSON
# decoder; these reach the code that reads the fields.
KEYS = st.sampled_from([
    "id", "id_str", "created_at", "full_text", "text", "user", "entities", "urls", "data", "includes", "post",
    "record", "author", "did", "handle", "uri", "cid", "account", "content", "tweet", "retweeted_status",
    "in_reply_to_status_id_str", "reply", "parent", "root", "referenced_tweets", "author_id", "username",
    "indexedAt", "createdAt", "acct", "url", "media_attachments", "tags", "mentions", "hashtags", "expanded_url",
    "indices", "edit_history_tweet_ids", "conversation_id", "thread", "ancestors", "descendants", "feed", "posts",
    "statuses", "extended_tweet", "display_text_range", "extended_entities", "quoted_status", "reblog", "embed",
])
LEAVES = (
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=30)
    | st.sampled_from(["Wed Jan 16 20:00:00 +0000 2019", "2024-10-09T16:55:00.123Z", "1085624398153904128",
                       "did:plc:abc", "at://did:plc:abc/app.bsky.feed.post/3l6"])
)
JSON_VALUES = st.recursive(
    LEAVES, lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=30,
)


@pytest.mark.parametrize("target", FORMATS)
@given(values=st.lists(JSON_VALUES, min_size=1, max_size=3), as_lines=st.booleans(),
       prefix=st.sampled_from([b"", b"window.YTD.tweets.part0 = "]))
def test_json_of_the_wrong_shape(target, values, as_lines, prefix):
    if as_lines:
        data = b"".join(json.dumps(value).encode() + b"\n" for value in values)
    else:
        data = prefix + json.dumps(values if len(values) > 1 else values[0]).encode()
    check(target, data)


def test_wxr_unknown_encoding_is_a_format_error():
    # Found by test_mutated_fixture: expat passed the unknown name to Python's
    # codecs and the LookupError crashed the import.
    data = (FIXTURES_DIR / "wxr" / "blog-1.0.xml").read_bytes().replace(b'encoding="UTF-8"', b'encoding="TTF-8"', 1)
    assert b"TTF-8" in data
    with pytest.raises(wxr.WxrFormatError, match="TTF-8"):
        list(wxr.parse(io.BytesIO(data)))
