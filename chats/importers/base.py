"""What every importer produces: plain frozen dataclasses, no ORM.

The parser contract (every module in ``chats.importers``):

- ``format_name``, ``label`` and ``sniff(head: bytes) -> bool``;
- ``parse(stream, context=ParseContext()) -> Iterator[ParsedPost | SkippedRecord]``,
  streaming: memory must not grow with the file;
- raise ``TranscriptFormatError`` only when the file as a whole cannot be read
  as the format (empty, not JSON, no header the format knows...);
- yield ``SkippedRecord(record, reason, invalid=True)`` for one bad record in
  an otherwise readable file (a line cut off, a row without an id, an id a
  spreadsheet rounded), so the import can skip and report it, or fail under
  ``--strict``;
- yield ``SkippedRecord(record, reason)`` for a well-formed record that is
  not a post (a stream's ``delete`` notice, say).

The loading service (``chats.services.imports``) is the only thing that turns
these into rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, BinaryIO, Iterator, Mapping, Protocol

# How many bytes of a file detection (``sniff``) looks at.
HEAD_SIZE = 64 * 1024


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
    # The post that started the thread (Twitter v2 conversation_id, Bluesky's
    # reply root), when the platform says.
    thread_root_id: str = ""
    # Ids of earlier versions of an edited post (Twitter v2 edit history), the
    # post's own id excluded.
    edit_history_ids: tuple[str, ...] = ()
    # The text is known to be cut short (a v1.1 "text" ending in "…" with
    # truncated=true, a CSV export's 140 characters): a fuller copy wins.
    truncated: bool = False
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class SkippedRecord:
    """A record that does not become a post.

    ``invalid`` is False for a well-formed record that is not a post (a
    stream's ``delete`` or ``limit`` notice) and True for a record that is
    broken (cut off, no id, unreadable date); under ``--strict`` an invalid
    record fails the import.
    """

    record: int
    reason: str
    invalid: bool = False


@dataclass(frozen=True)
class DeletionNotice:
    """A platform's notice, inside a capture, that a post was deleted (a
    Twitter v1.1 stream's ``{"delete": {"status": {...}}}``). The import
    marks that post deleted and keeps it so (a tombstone)."""

    record: int
    platform: str
    external_id: str


@dataclass(frozen=True)
class ParseContext:
    """What a parser may need besides the bytes of its file."""

    # Dates written without a timezone (spreadsheet exports) are in the
    # series' timezone.
    default_timezone: tzinfo = UTC
    # The archive owner's account, read from account.js given alongside a
    # personal archive's tweets.js (whose tweets do not name their author).
    account: ParsedAuthor | None = None


ParseResult = ParsedPost | SkippedRecord


class Parser(Protocol):
    format_name: str
    label: str  # human name used in messages: "Twitter API v1.1 statuses"

    def sniff(self, head: bytes) -> bool: ...

    def parse(self, stream: BinaryIO, context: ParseContext = ...) -> Iterator[ParseResult]: ...
