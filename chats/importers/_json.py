"""Reading JSON records from a byte stream, whatever the layout.

Exports come as JSON Lines (one value a line), as one JSON array, as one
object (maybe pretty-printed), or as several pretty-printed objects one after
another (what ``jq .`` writes). ``iter_json_records`` hides the difference and
yields ``(record number, value)`` pairs that a parser turns into posts.

Record numbers are what a person needs to find the record in the file:
- JSON Lines: the physical line number (blank lines counted);
- everything else: the 1-based position of the value, elements of a top-level
  array counted one by one.

A record that cannot be read inside a readable file (a line cut off at the
end of a stream, a line that is not UTF-8) comes out as a ``BrokenRecord``
value, for the parser to report as an invalid ``SkippedRecord``; a file that
is not JSON at all raises ``TranscriptFormatError``.

JSON Lines are read a line at a time and top-level arrays an element at a
time (ijson), so memory does not grow with the file. Other documents (one
pretty-printed object, several one after another) are read whole.

No Django here: parsers must stay importable without it.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from typing import Any, BinaryIO, Iterator

import ijson

from .base import TranscriptFormatError

UTF8_BOM = b"\xef\xbb\xbf"

# JSON's own whitespace (``\s`` would also accept characters JSON refuses).
_JSON_WHITESPACE = re.compile(r"[ \t\n\r]*")


@dataclass(frozen=True)
class BrokenRecord:
    """A record of the file that is not readable JSON; ``reason`` says why."""

    reason: str


def strip_bom(data: bytes) -> bytes:
    return data[len(UTF8_BOM) :] if data.startswith(UTF8_BOM) else data


def first_significant_byte(head: bytes) -> bytes:
    """The first byte after an optional BOM and whitespace (b"" if none)."""
    return strip_bom(head).lstrip()[:1]


def iter_json_records(stream: BinaryIO) -> Iterator[tuple[int, Any]]:
    """Yield ``(record number, value)`` for every record in a JSON byte stream.

    The layout is told from the start of the file: ``[`` is an array; ``{``
    whose first line is a complete object is JSON Lines, read line by line;
    any other ``{`` is one or more whole JSON documents.
    """
    consumed: list[bytes] = []  # lines read while looking for the first value
    line_no = 0
    while True:
        line = stream.readline()
        if not line:
            raise TranscriptFormatError("the file is empty")
        line_no += 1
        if line_no == 1:
            line = strip_bom(line)
        consumed.append(line)
        if line.strip():
            break

    first = line.lstrip()[:1]
    if first == b"{":
        value = _complete_object_or_none(line, line_no)
        if value is not None:
            yield line_no, value
            yield from _json_lines(stream, after_line=line_no)
            return
    elif first == b"[":
        yield from iter_array_items(Prepended(b"".join(consumed), stream))
        return
    else:
        raise TranscriptFormatError(
            f"not JSON: expected '{{' or '[' at the start of the file, got {first.decode('latin-1')!r}"
        )
    # Pretty-printed objects are parsed whole: they are search responses,
    # thread views and the like, a few MB at most.
    yield from _json_documents(b"".join(consumed) + stream.read())


def iter_array_items(stream: BinaryIO) -> Iterator[tuple[int, Any]]:
    """``(position, element)`` for each element of the JSON array ``stream``
    holds, read incrementally. An array cut off or broken after its first
    element ends with a ``BrokenRecord``; one broken before it is not JSON."""
    record = 0
    try:
        for record, item in enumerate(ijson.items(stream, "item", use_float=True), start=1):
            yield record, item
    except (ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError) as error:
        message = f"invalid JSON after element {record}: {error}"
        if record == 0:
            raise TranscriptFormatError(message) from None
        yield record + 1, BrokenRecord(message)
        return


class Prepended(io.RawIOBase):
    """A binary stream that reads ``head`` and then the rest of ``stream``."""

    def __init__(self, head: bytes, stream: BinaryIO):
        self._head = head
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            data, self._head = self._head + self._stream.read(), b""
            return data
        return super().read(size)


def _decode_line(line: bytes) -> str | BrokenRecord:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as error:
        return BrokenRecord(f"not UTF-8 text: {error.reason} at byte {error.start} of the line")


def _complete_object_or_none(line: bytes, line_no: int) -> dict | None:
    """The line's object when the line holds exactly one JSON object."""
    text = _decode_line(line)
    if isinstance(text, BrokenRecord):
        raise TranscriptFormatError(f"not UTF-8 text on line {line_no}: {text.reason}")
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _json_lines(stream: BinaryIO, *, after_line: int) -> Iterator[tuple[int, Any]]:
    line_no = after_line
    for line in iter(stream.readline, b""):
        line_no += 1
        if not line.strip():
            continue
        text = _decode_line(line)
        if isinstance(text, BrokenRecord):
            yield line_no, text
            continue
        try:
            # Without its line break, a line cut short reads "Unterminated
            # string" rather than "Invalid control character".
            yield line_no, json.loads(text.rstrip("\r\n"))
        except json.JSONDecodeError as error:
            yield line_no, BrokenRecord(f"invalid JSON: {error.msg}: column {error.colno}")


def _json_documents(data: bytes) -> Iterator[tuple[int, Any]]:
    """Values of a document made of one or more whitespace-separated JSON values."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line_no = data.count(b"\n", 0, error.start) + 1
        raise TranscriptFormatError(f"not UTF-8 text: {error.reason} on line {line_no}") from None

    decoder = json.JSONDecoder()
    record = 0
    position = _JSON_WHITESPACE.match(text, 0).end()
    while position < len(text):
        is_array = text[position] == "["
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            # Inside an array we cannot tell which element is broken; json's
            # message carries the line and column instead.
            raise TranscriptFormatError(f"invalid JSON: {error}", record=None if is_array else record + 1) from None
        for item in value if is_array else [value]:
            record += 1
            yield record, item
        position = _JSON_WHITESPACE.match(text, position).end()
