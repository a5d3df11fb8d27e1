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
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chats.importers import HEAD_SIZE, PARSERS, ParseContext, ParsedPost, SkippedRecord, TranscriptFormatError, detect
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
            assert isinstance(result, ParsedPost | SkippedRecord), result
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
