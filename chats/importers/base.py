"""What every importer produces: plain frozen dataclasses, no ORM.

A parser turns a byte stream into ``ParsedPost`` records and raises
``TranscriptFormatError`` (carrying the 1-based record number) for input it
cannot read. The loading service (``chats.services.imports``) is the only
thing that turns these into rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO, Iterator, Mapping, Protocol


class TranscriptFormatError(ValueError):
    """The input is not what the parser expects.

    ``record`` is the 1-based number of the record (line, array element, CSV
    row) at fault, or ``None`` when the whole file is at fault (empty, wrong
    format).
    """

    def __init__(self, message: str, *, record: int | None = None):
        self.message = message
        self.record = record
        super().__init__(f"record {record}: {message}" if record is not None else message)


@dataclass(frozen=True)
class ParsedAuthor:
    platform: str
    platform_id: str
    handle: str
    display_name: str = ""
    profile_url: str = ""
    avatar_url: str = ""


@dataclass(frozen=True)
class ParsedMedia:
    kind: str  # photo, video, animated_gif, ...
    url: str
    alt_text: str = ""


@dataclass(frozen=True)
class ParsedPost:
    record: int  # 1-based position in the file, for error messages
    platform: str
    external_id: str  # always text: numeric ids lose precision in JSON
    created_at: datetime  # aware, UTC
    author: ParsedAuthor
    text: str  # plain text, HTML entities unescaped, t.co links expanded
    url: str = ""  # permalink to the original post
    language: str = ""
    reply_to_id: str = ""
    reply_to_handle: str = ""
    repost_of_id: str = ""
    quote_of_id: str = ""
    urls: tuple[str, ...] = ()  # expanded URLs shared in the post, in order
    hashtags: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    media: tuple[ParsedMedia, ...] = ()
    metrics: Mapping[str, int] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class SkippedRecord:
    """A record that is well-formed but is not a post (a stream's ``delete`` or
    ``limit`` notice, say). Parsers yield it so the import can count and report
    it instead of failing."""

    record: int
    reason: str


ParseResult = ParsedPost | SkippedRecord


class Parser(Protocol):
    format_name: str
    label: str  # human name used in messages: "Twitter API v1.1 statuses"

    def sniff(self, head: bytes) -> bool: ...

    def parse(self, stream: BinaryIO) -> Iterator[ParseResult]: ...
