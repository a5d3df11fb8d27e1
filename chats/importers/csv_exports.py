"""Tweet CSV exports: TAGS, twarc's json2csv, Social Feed Manager, twarc-csv
and a Google-Sheets Twitter search add-on.

Pure and streaming: bytes in, ``ParsedPost`` and ``SkippedRecord`` out, no
Django. Rows are read one at a time through ``io.TextIOWrapper`` and
``csv.reader``, so memory does not grow with the file.

Which tool wrote a file is told from its header row. ``LAYOUTS`` maps each
known layout's columns to post fields; the first layout whose required columns
are all in the header wins. The header may follow a few preamble lines (the
search add-on writes its query above it) and its cells may be separated by
commas, semicolons or tabs (a spreadsheet saved in a European locale, Excel's
"Unicode text"): the separator is the one that splits a line into a known
header.

What the reader copes with:

- Encoding: UTF-8, with or without a BOM, or UTF-16 with a BOM. A file whose
  first 64 KiB are NOT valid UTF-8 is read as Windows-1252 (what Excel writes
  on Windows); that is the only case where another encoding is assumed. In a
  file read as UTF-8, a row holding bytes that are not UTF-8 is skipped as
  invalid.
- Line breaks: LF, CRLF or CR, and line breaks inside quoted cells. A record
  is numbered by the line where its row STARTS (header on line 1 unless a
  preamble comes first), so a multi-line text does not hide the rows after it.
- Empty cells and R's ``NA`` (a file written back by R) mean "no value".
- Ids are exact strings or nothing. A spreadsheet turns a 19-digit id into a
  float (``1.26426E+18``): the id is then taken from the row's status URL
  when it has one, and the row is skipped as invalid when it has not. A
  rounded reply/quote/retweet id is dropped rather than kept wrong.
- Dates: Twitter's ``Wed Oct 10 20:19:24 +0000 2018``, ISO 8601, or US
  ``M/D/YYYY [H:MM[:SS] [AM|PM]]``. A date without a timezone is in
  ``context.default_timezone``. A date without a time of day takes the time
  the tweet id encodes (Twitter ids since November 2010 carry their creation
  time to the millisecond).

What a post gets from a row:

- Texts are made readable as in the v1.1 parser: HTML entities unescaped
  once, t.co links expanded from whatever the export kept of the entities,
  the link to attached media dropped.
- A retweet is told by the file's own column (json2csv's ``tweet_type``,
  SFM's ``is_retweet``, twarc-csv's referenced ids) or, in files without
  one (TAGS), by a text starting "RT @handle:". Its ``repost_of_id`` is set
  when the file gives the original's id, "" when it does not: the post is
  kept either way.
- ``truncated`` is set for what Twitter cut, whatever the layout: a
  retweet's text ending in "…", and a long post's "… https://twitter.com/i/
  web/status/<id>" (compatibility mode). The search add-on keeps full texts
  and no retweets, so none of its posts is.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, BinaryIO, Callable, Iterator, Mapping

from ._common import TCO_LINK
from ._json import Prepended
from .base import (
    HEAD_SIZE,
    ParseContext,
    ParsedAuthor,
    ParsedPost,
    ParseResult,
    SkippedRecord,
    TranscriptFormatError,
)

# The v1.1 text machinery (HTML entities unescaped once, t.co links expanded,
# media links dropped) is the same for a CSV row once its cells are put in the
# shape of v1.1 entities; reuse it rather than copy it.
from .twitter_v1 import PLATFORM, PostBody, parse_created_at

format_name = "csv"


# --- layouts -----------------------------------------------------------------


def _keep(text: str) -> str:
    return text


def _decode_twarc_csv_text(text: str) -> str:
    """twarc-csv writes a text either JSON-encoded (``"can\\u2019t..."``, its
    early and ``--json-encode-text`` output) or with line breaks written as
    the two characters ``\\n`` (its default since)."""
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        try:
            decoded = json.loads(text)
        except json.JSONDecodeError:
            decoded = None
        if isinstance(decoded, str):
            return decoded
    return text.replace("\\n", "\n")


@dataclass(frozen=True)
class Layout:
    """One tool's CSV columns, as data.

    ``columns`` maps a field name to the columns that may hold it; in a row
    the first of them with a value wins. The fields:

    - ``id``, ``status_url``, ``created_at``, ``text``: the post;
    - ``handle``, ``user_id``, ``display_name``, ``avatar_url``: its author;
    - ``language``, ``thread_root_id``, ``edit_history_ids``;
    - ``reply_to_id``, ``reply_to_handle``, ``repost_of_id``, ``quote_of_id``:
      references held in columns of their own;
    - ``tweet_type`` (json2csv: original, retweet, quote, reply) with
      ``retweet_or_quote_id``; ``is_retweet`` / ``is_quote`` (Yes/No flags);
      ``referenced_tweets`` (a JSON list of ``{"type", "id"}``);
      ``retweeted_handle`` (for texts that lack their "RT @handle:");
    - ``entities``: Twitter v1.1 entities as JSON (TAGS);
    - ``hashtags``, ``mentions``, ``urls``, ``media``: lists, JSON-encoded or
      separated by commas or white space;
    - ``inlined_as``: marks a row that is a copy of a referenced tweet.

    ``url_pairs`` are (t.co link, expanded URL) column pairs; ``metrics`` maps
    a metric name to its column.
    """

    name: str
    required: tuple[str, ...]
    columns: Mapping[str, tuple[str, ...]]
    metrics: Mapping[str, str] = field(default_factory=dict)
    url_pairs: tuple[tuple[str, str], ...] = ()
    decode_text: Callable[[str], str] = _keep


TAGS = Layout(
    name="TAGS (Twitter Archiving Google Sheet)",
    required=("id_str", "from_user", "text", "created_at"),
    columns={
        "id": ("id_str",),
        "status_url": ("status_url",),
        "created_at": ("created_at", "time"),
        "text": ("text",),
        "handle": ("from_user",),
        "user_id": ("from_user_id_str",),
        "avatar_url": ("profile_image_url",),
        "reply_to_id": ("in_reply_to_status_id_str",),
        "reply_to_handle": ("in_reply_to_screen_name",),
        "entities": ("entities_str",),
        # user_lang is the account's language, not the post's: not used.
    },
)

TWARC_JSON2CSV = Layout(
    name="twarc 1 json2csv",
    required=("id", "tweet_url", "created_at", "user_screen_name", "text", "tweet_type"),
    columns={
        "id": ("id",),
        "status_url": ("tweet_url",),
        "created_at": ("created_at", "parsed_created_at"),
        "text": ("text",),
        "handle": ("user_screen_name",),
        "user_id": ("user_id",),
        "display_name": ("user_name",),
        "language": ("lang",),
        "reply_to_id": ("in_reply_to_status_id",),
        "reply_to_handle": ("in_reply_to_screen_name",),
        "tweet_type": ("tweet_type",),
        # twarc 1 wrote this header with a typo.
        "retweet_or_quote_id": ("retweet_or_quote_id", "reweet_or_quote_id"),
        "hashtags": ("hashtags",),
        "urls": ("urls",),
        "media": ("media",),
    },
    metrics={"retweet_count": "retweet_count", "favorite_count": "favorite_count"},
)

SOCIAL_FEED_MANAGER = Layout(
    name="Social Feed Manager export",
    required=("twitter_id", "screen_name", "created_at", "text"),
    columns={
        "id": ("twitter_id",),
        "status_url": ("twitter_url",),
        "created_at": ("created_at",),
        "text": ("text",),
        "handle": ("screen_name",),
        "reply_to_handle": ("in_reply_to_screen_name",),
        "is_retweet": ("is_retweet",),
        "is_quote": ("is_quote",),
        "hashtags": ("hashtags",),
        "mentions": ("mentions",),
        "media": ("media_url",),
    },
    url_pairs=(("url1", "url1_expanded"), ("url2", "url2_expanded")),
    metrics={"retweet_count": "retweet_count", "favorite_count": "favorite_count/like_count"},
)

# What twarc-csv's layouts share: dotted names from flattening API v2 tweets.
_TWARC_CSV_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "id": ("id",),
    "created_at": ("created_at",),
    "text": ("text",),
    "handle": ("author.username",),
    "user_id": ("author_id", "author.id"),
    "display_name": ("author.name",),
    "avatar_url": ("author.profile_image_url",),
    "language": ("lang",),
    "thread_root_id": ("conversation_id",),
    "hashtags": ("entities.hashtags",),
    "mentions": ("entities.mentions",),
    "urls": ("entities.urls",),
    "media": ("attachments.media",),
}
_TWARC_CSV_METRICS = {
    name: f"public_metrics.{name}" for name in ("retweet_count", "reply_count", "like_count", "quote_count")
}

# A pre-release layout (March 2021): references as one JSON list, and rows
# for the referenced tweets themselves, marked in a ``type`` column.
TWARC_CSV_EARLY = Layout(
    name="twarc-csv, early 2021 layout",
    required=("id", "created_at", "text", "author_id", "referenced_tweets", "type"),
    columns={**_TWARC_CSV_COLUMNS, "referenced_tweets": ("referenced_tweets",), "inlined_as": ("type",)},
    metrics=_TWARC_CSV_METRICS,
    decode_text=_decode_twarc_csv_text,
)

TWARC_CSV = Layout(
    name="twarc-csv (twarc 2)",
    required=("id", "created_at", "text", "author_id"),
    columns={
        **_TWARC_CSV_COLUMNS,
        "reply_to_id": ("referenced_tweets.replied_to.id",),
        "reply_to_handle": ("in_reply_to_username",),
        "repost_of_id": ("referenced_tweets.retweeted.id",),
        "quote_of_id": ("referenced_tweets.quoted.id",),
        # twarc-csv replaces a retweet's text by the original's full text.
        "retweeted_handle": ("retweeted_username",),
        "edit_history_ids": ("edit_history_tweet_ids",),
    },
    metrics=_TWARC_CSV_METRICS,
    decode_text=_decode_twarc_csv_text,
)

# A Google-Sheets add-on that saves a Twitter search to a sheet (its header
# has the "Verfied" typo). Links are taken out of the text into "Link(s)";
# "Profile Image" holds the label of a lost hyperlink ("View"), not a URL.
SEARCH_ADDON = Layout(
    name="Google-Sheets Twitter search add-on",
    required=("Date", "Screen Name", "Tweet Text", "Tweet ID"),
    columns={
        "id": ("Tweet ID",),
        "created_at": ("Date",),
        "text": ("Tweet Text",),
        "handle": ("Screen Name",),
        "display_name": ("Full Name",),
        "avatar_url": ("Profile Image",),
        "urls": ("Link(s)",),
        "media": ("Media",),
    },
    metrics={"retweet_count": "Retweets", "favorite_count": "Favorites"},
)

# Asked in this order: the early twarc-csv layout holds every required
# column of the released one.
LAYOUTS: tuple[Layout, ...] = (TAGS, TWARC_JSON2CSV, SOCIAL_FEED_MANAGER, TWARC_CSV_EARLY, TWARC_CSV, SEARCH_ADDON)

label = f"tweet CSV export ({', '.join(layout.name for layout in LAYOUTS)})"

# How many lines may come before the header (a query, a title, blank lines).
MAX_HEADER_LINE = 5
DELIMITERS = (",", ";", "\t")

# R writes a missing value as NA.
_NO_VALUE = frozenset({"", "NA"})


def _layout_for(names: list[str]) -> Layout | None:
    present = set(names)
    for layout in LAYOUTS:
        if all(column in present for column in layout.required):
            return layout
    return None


def _split_header(line: str) -> tuple[str, list[str]] | None:
    """The delimiter and column names if ``line`` is a known header."""
    for delimiter in DELIMITERS:
        if delimiter not in line:
            continue
        names = [name.strip().lstrip("\ufeff") for name in next(csv.reader([line], delimiter=delimiter), [])]
        if _layout_for(names) is not None:
            return delimiter, names
    return None


# --- detection ---------------------------------------------------------------

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def sniff(head: bytes) -> bool:
    """Whether one of the first lines of ``head`` is the header of a known layout."""
    text = head.decode(_encoding_of(head), errors="replace")
    if text.lstrip("\ufeff \t\r\n")[:1] in ("{", "[", "<") or "\x00" in text:
        return False
    lines = _LINE_BREAK.split(text, maxsplit=MAX_HEADER_LINE)[:MAX_HEADER_LINE]
    return any(_split_header(line) is not None for line in lines)


_ENCODING_NAMES = {"utf-16": "UTF-16", "utf-8-sig": "UTF-8", "cp1252": "Windows-1252"}


def _encoding_of(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    return "utf-8-sig" if _is_utf8(head) else "cp1252"


def _is_utf8(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A head cut in the middle of a character is still UTF-8.
        return error.reason == "unexpected end of data" and error.start >= len(head) - 3
    return True


# --- reading rows ------------------------------------------------------------


class _Columns:
    """Where the fields of a layout sit in one file's header."""

    def __init__(self, layout: Layout, names: list[str], line: int):
        self.layout = layout
        self.names = names
        self.line = line  # the header's line number
        self.raw_keys = _unique_keys(names)
        position: dict[str, int] = {}
        for index, name in enumerate(names):
            position.setdefault(name, index)
        self.position = position
        self.fields = {
            name: tuple(position[column] for column in columns if column in position)
            for name, columns in layout.columns.items()
        }

    def has(self, field_name: str) -> bool:
        return bool(self.fields.get(field_name))

    def column_of(self, field_name: str) -> str:
        """The column a message should name for a field."""
        indices = self.fields.get(field_name)
        return self.names[indices[0]] if indices else self.layout.columns.get(field_name, (field_name,))[0]


def _unique_keys(names: list[str]) -> list[str]:
    """Header names made unique the way pandas does ("Location", "Location.1"),
    so that ``raw`` keeps every cell of a header that repeats a name."""
    seen: dict[str, int] = {}
    keys = []
    for name in names:
        count = seen.get(name, 0)
        seen[name] = count + 1
        keys.append(name if count == 0 else f"{name}.{count}")
    return keys


@dataclass(frozen=True)
class _Row:
    record: int
    cells: list[str]
    columns: _Columns

    def get(self, field_name: str, *, strip: bool = True) -> str:
        """The first value among the field's columns, "" if none."""
        for index in self.columns.fields.get(field_name, ()):
            value = self.cells[index]
            if value.strip() not in _NO_VALUE:
                return value.strip() if strip else value
        return ""

    def cell(self, column: str) -> str:
        index = self.columns.position.get(column)
        value = self.cells[index].strip() if index is not None else ""
        return "" if value in _NO_VALUE else value

    def has(self, field_name: str) -> bool:
        return self.columns.has(field_name)

    def column_of(self, field_name: str) -> str:
        return self.columns.column_of(field_name)

    def raw(self) -> dict[str, str]:
        return dict(zip(self.columns.raw_keys, self.cells))

    def fail(self, reason: str) -> TranscriptFormatError:
        return TranscriptFormatError(reason, record=self.record)


def parse(stream: BinaryIO, context: ParseContext = ParseContext()) -> Iterator[ParseResult]:
    """Yield a ``ParsedPost`` per tweet row, a ``SkippedRecord`` per row that
    is not a post (invalid when it is broken).

    Raises ``TranscriptFormatError`` for an empty file and for one with no
    known header in its first lines.
    """
    head = stream.read(HEAD_SIZE)
    encoding = _encoding_of(head)
    text_stream = io.TextIOWrapper(
        io.BufferedReader(Prepended(head, stream)),
        encoding=encoding,
        # Bytes that are not text become lone surrogates, which the row check
        # below reports, instead of failing the whole file.
        errors="surrogateescape",
        newline="",
    )
    columns, delimiter = _read_header(text_stream)
    reader = csv.reader(text_stream, delimiter=delimiter)
    while True:
        record = columns.line + reader.line_num + 1  # the line the next row starts on
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield SkippedRecord(record, f"unreadable CSV row: {error}", invalid=True)
            continue
        # Blank lines and rows of empty cells are padding, not records.
        if any(cell.strip() for cell in cells):
            yield _parse_row(_Row(record, cells, columns), context, encoding)


def _read_header(text_stream: io.TextIOWrapper) -> tuple[_Columns, str]:
    first_line = ""
    for line_no in range(1, MAX_HEADER_LINE + 1):
        # Bounded: a file without line breaks must not be read whole here.
        line = text_stream.readline(HEAD_SIZE)
        if not line:
            break
        first_line = first_line or line.strip()
        found = _split_header(line)
        if found is not None:
            delimiter, names = found
            return _Columns(_layout_for(names), names, line_no), delimiter
    if not first_line and not line:
        raise TranscriptFormatError("the file is empty")
    shown = first_line if len(first_line) <= 300 else first_line[:300] + "..."
    raise TranscriptFormatError(
        f"no known tweet CSV header in the first {MAX_HEADER_LINE} lines (the first line reads {shown!r}); "
        "known layouts: "
        + "; ".join(f"{layout.name} (needs columns {', '.join(layout.required)})" for layout in LAYOUTS)
    )


_NOT_TEXT = re.compile("[\udc80-\udcff]")


def _parse_row(row: _Row, context: ParseContext, encoding: str) -> ParseResult:
    expected = len(row.columns.names)
    if len(row.cells) != expected:
        return SkippedRecord(
            row.record,
            f"the row has {len(row.cells)} cells where the header has {expected}: "
            "it is cut off or a quote in it is not closed",
            invalid=True,
        )
    if any(_NOT_TEXT.search(cell) for cell in row.cells):
        return SkippedRecord(
            row.record, f"the row holds bytes that are not {_ENCODING_NAMES[encoding]} text", invalid=True
        )
    inlined_as = row.get("inlined_as")
    if inlined_as:
        return SkippedRecord(
            row.record,
            f"a copy of a {inlined_as} tweet that twarc-csv added as a row of its own, not a post of the export",
        )
    try:
        return _parse_post(row, context)
    except TranscriptFormatError as error:
        return SkippedRecord(row.record, error.message, invalid=True)


# --- posts -------------------------------------------------------------------


def _parse_post(row: _Row, context: ParseContext) -> ParsedPost:
    post_id = _post_id(row)
    author = _author(row)
    references = _References.of(row)
    text = row.columns.layout.decode_text(row.get("text", strip=False))
    if references.retweeted_handle and not text.startswith("RT @"):
        text = f"RT @{references.retweeted_handle}: {text}"
    body = _body(row, text, references)
    readable_text = body.readable_text()
    return ParsedPost(
        record=row.record,
        platform=PLATFORM,
        external_id=post_id,
        created_at=_created_at(row, post_id, context),
        author=author,
        text=readable_text,
        url=_permalink(row, post_id, author.handle),
        language=row.get("language"),
        reply_to_id=references.reply_to_id,
        reply_to_handle=row.get("reply_to_handle").lstrip("@"),
        repost_of_id=references.repost_of_id,
        quote_of_id=references.quote_of_id or _quoted_status_id(row, body, references),
        urls=body.urls(),
        hashtags=body.hashtags(),
        mentions=body.mentions(),
        media=body.media(),
        metrics=_metrics(row),
        thread_root_id=_exact_id(row.get("thread_root_id")),
        edit_history_ids=_earlier_versions(row, post_id),
        truncated=_looks_cut(text, readable_text, references.is_retweet),
        raw=row.raw(),
    )


# --- ids ---------------------------------------------------------------------

_DIGITS = re.compile(r"\d+")
# Group 1 is the author's handle, None in the handle-less "/i/web/status/" form.
_STATUS_URL = re.compile(r"^https?://(?:(?:www|mobile)\.)?(?:twitter|x)\.com/(?:i/web|(\w+))/status(?:es)?/(\d+)")


def _earlier_versions(row: _Row, post_id: str) -> tuple[str, ...]:
    edit_ids = map(_exact_id, _list_items(row.get("edit_history_ids")))
    return tuple(edit_id for edit_id in edit_ids if edit_id not in ("", post_id))


def _exact_id(cell: str) -> str:
    """A reference id as written, or "" when it is not an exact integer: a
    rounded id would point at some other tweet."""
    return cell if isinstance(cell, str) and _DIGITS.fullmatch(cell) else ""


def _post_id(row: _Row) -> str:
    cell = row.get("id")
    column = row.column_of("id")
    url_match = _STATUS_URL.match(row.get("status_url"))
    url_id = url_match[2] if url_match else ""
    if not cell:
        if url_id:
            return url_id
        raise row.fail(f"the row has no tweet id (column {column!r}) and no status URL")
    if _DIGITS.fullmatch(cell) and url_id in ("", cell):
        return cell
    if not _is_positive_number(cell):
        raise row.fail(f"the tweet id {cell!r} (column {column!r}) is not a tweet id")
    if url_id and _is_rounding_of(cell, url_id):
        return url_id
    if url_id:
        raise row.fail(f"the tweet id {cell} (column {column!r}) does not match the id {url_id} of the status URL")
    raise row.fail(f"the tweet id {cell} was rounded by a spreadsheet and no status URL gives it back")


def _is_positive_number(cell: str) -> bool:
    try:
        number = Decimal(cell)
    except InvalidOperation:
        return False
    return number.is_finite() and number > 0


def _is_rounding_of(cell: str, exact: str) -> bool:
    """Whether ``cell`` is what a spreadsheet or a float made of ``exact``:
    ``1.26426E+18`` (rounded to the digits shown) or ``1264260123456789248.0``
    (the nearest double)."""
    number = Decimal(cell)
    if float(number) == float(int(exact)):
        return True
    half_last_digit = Decimal(1).scaleb(number.normalize().as_tuple().exponent) / 2
    return abs(number - Decimal(exact)) <= half_last_digit


# Twitter ids since November 2010 ("snowflakes") hold their creation time:
# milliseconds since this epoch, shifted left 22 bits. Sequential ids before
# them never reached 10^11; a snowflake id is above that after four minutes.
_SNOWFLAKE_EPOCH_MS = 1288834974657
_FIRST_SNOWFLAKE = 10**11


def _snowflake_time(post_id: str) -> datetime | None:
    number = int(post_id)
    if number < _FIRST_SNOWFLAKE:
        return None
    milliseconds = (number >> 22) + _SNOWFLAKE_EPOCH_MS
    return datetime.fromtimestamp(milliseconds // 1000, UTC) + timedelta(milliseconds=milliseconds % 1000)


# --- authors -----------------------------------------------------------------


def _author(row: _Row) -> ParsedAuthor:
    handle = row.get("handle").lstrip("@")
    if not handle:
        url_match = _STATUS_URL.match(row.get("status_url"))
        handle = (url_match[1] or "") if url_match else ""
    user_id = _exact_id(row.get("user_id"))
    if not user_id and not handle:
        raise row.fail(f"the row has no author: no screen name (column {row.column_of('handle')!r}) and no user id")
    avatar = row.get("avatar_url")
    return ParsedAuthor(
        platform=PLATFORM,
        # CSV exports without a user id column (Social Feed Manager, the
        # search add-on) identify an author by handle only: the "handle:"
        # prefix keeps such keys apart from Twitter's numeric ids. A user id
        # a spreadsheet rounded falls back to the handle the same way.
        platform_id=user_id or f"handle:{handle.lower()}",
        handle=handle,
        display_name=row.get("display_name"),
        profile_url=f"https://twitter.com/{handle}" if handle else "",
        avatar_url=avatar if avatar.startswith(("https://", "http://")) else "",
    )


def _permalink(row: _Row, post_id: str, handle: str) -> str:
    url = row.get("status_url")
    url_match = _STATUS_URL.match(url)
    if url_match and url_match[2] == post_id:
        return url
    if handle:
        return f"https://twitter.com/{handle}/status/{post_id}"
    return f"https://twitter.com/i/web/status/{post_id}"


# --- references --------------------------------------------------------------

_RETWEET_PREFIX = re.compile(r"RT @(\w+):")
# Columns that say whether a row is a retweet. A file with one of them is
# believed over the text: "RT @someone:" typed by hand is not a retweet.
_RETWEET_COLUMNS = ("repost_of_id", "tweet_type", "is_retweet", "referenced_tweets")


@dataclass(frozen=True)
class _References:
    reply_to_id: str = ""
    repost_of_id: str = ""
    quote_of_id: str = ""
    is_retweet: bool = False
    is_quote: bool = False
    retweeted_handle: str = ""  # set when the text lacks its "RT @handle:"

    @classmethod
    def of(cls, row: _Row) -> _References:
        typed = _referenced_tweets(row)
        tweet_type = row.get("tweet_type").lower()
        referenced = _exact_id(row.get("retweet_or_quote_id"))
        repost_of_id = (
            _exact_id(row.get("repost_of_id"))
            or typed.get("retweeted", "")
            or (referenced if tweet_type == "retweet" else "")
        )
        if any(row.has(column) for column in _RETWEET_COLUMNS):
            is_retweet = bool(repost_of_id) or tweet_type == "retweet" or _is_yes(row.get("is_retweet"))
        else:
            # TAGS has no such column: its retweets are told by their text.
            # Their original's id is not in the file, so repost_of_id stays "".
            is_retweet = _RETWEET_PREFIX.match(row.get("text")) is not None
        quote_of_id = (
            _exact_id(row.get("quote_of_id"))
            or typed.get("quoted", "")
            or (referenced if tweet_type == "quote" else "")
        )
        retweeted_handle = row.get("retweeted_handle").lstrip("@") if is_retweet else ""
        return cls(
            reply_to_id=_exact_id(row.get("reply_to_id")) or typed.get("replied_to", ""),
            repost_of_id=repost_of_id,
            # As in the v1.1 parser, a retweet of a quote is a repost, not a quote.
            quote_of_id="" if is_retweet else quote_of_id,
            is_retweet=is_retweet,
            is_quote=not is_retweet and (bool(quote_of_id) or tweet_type == "quote" or _is_yes(row.get("is_quote"))),
            retweeted_handle=retweeted_handle,
        )


def _is_yes(cell: str) -> bool:
    return cell.lower() in ("yes", "true", "1")


def _referenced_tweets(row: _Row) -> dict[str, str]:
    """twarc-csv's early ``referenced_tweets`` JSON list, as {type: id}."""
    return {
        item["type"]: _exact_id(item.get("id"))
        for item in _list_items(row.get("referenced_tweets"))
        if isinstance(item, dict) and isinstance(item.get("type"), str)
    }


def _quoted_status_id(row: _Row, body: PostBody, references: _References) -> str:
    """A quote whose file says only "is a quote" (Social Feed Manager): the
    quoted tweet is the last status link among the post's URLs."""
    if not references.is_quote:
        return ""
    for url in reversed(body.urls()):
        url_match = _STATUS_URL.match(url)
        if url_match and url_match[1]:  # not a "/i/web/status/" link to the post itself
            return url_match[2]
    return ""


# --- text and entities -------------------------------------------------------

_HASHTAG = re.compile(r"(?<![\w&])#(?!\d+(?!\w))(\w+)")
_MENTION = re.compile(r"(?<![A-Za-z0-9_@])@([A-Za-z0-9_]{1,15})(?![A-Za-z0-9_@])")
# Twitter cut a retweet's text at 140 characters with "…", and a long
# post's text in compatibility mode with "…" and a link to the full post. A
# text its author or a cross-posting app cut ("… https://instagram.com/...")
# has no fuller copy: it is not truncated.
_CUT_RETWEET = re.compile(r"…\s*$")
_CUT_COMPAT = re.compile(r"…\s+https?://twitter\.com/i/web/status/\d+\s*$")


def _looks_cut(text: str, readable_text: str, is_retweet: bool) -> bool:
    return bool(_CUT_COMPAT.search(readable_text) or (is_retweet and _CUT_RETWEET.search(text)))


def _body(row: _Row, text: str, references: _References) -> PostBody:
    """The text with the entities that go with it, as the v1.1 parser reads them."""
    entities = _json_object(row.get("entities"))
    if entities is None:
        media = _media_entities(row)
        urls, media_links = _url_entities(row, text, has_media=bool(media))
        text = _without_links(text, media_links)
        entities = {
            "urls": urls,
            "media": media,
            "hashtags": [{"text": tag} for tag in _names(row, "hashtags", text, _HASHTAG)],
            "user_mentions": [{"screen_name": handle} for handle in _names(row, "mentions", text, _MENTION)],
        }
    handle_match = _RETWEET_PREFIX.match(text) if references.is_retweet else None
    retweeted = handle_match[1] if handle_match else ""
    mentioned = [item.get("screen_name", "") for item in entities.get("user_mentions") or [] if isinstance(item, dict)]
    if mentioned and retweeted and mentioned[0].lower() == retweeted.lower():
        retweeted = ""  # already the first mention, as in a retweet's own entities
    return PostBody(text, {"entities": entities}, retweet_of=retweeted)


def _json_object(cell: str) -> dict | None:
    if not cell.startswith("{"):
        return None
    try:
        value = json.loads(cell)
    except json.JSONDecodeError:
        return None  # an unreadable entities cell: fall back to the text alone
    return value if isinstance(value, dict) else None


def _list_items(cell: str) -> list[Any]:
    """The items of a list cell: a JSON list (twarc-csv), else the cell split
    on white space (json2csv separates with spaces, the search add-on with
    line breaks). Not on commas: a URL may hold one; names split further."""
    if not cell:
        return []
    if cell.startswith("["):
        try:
            value = json.loads(cell)
        except json.JSONDecodeError:
            value = None
        if isinstance(value, list):
            return [item for item in value if item not in (None, "")]
    return [item for item in re.split(r"\s+", cell) if item]


def _names(row: _Row, field_name: str, text: str, pattern: re.Pattern[str]) -> list[str]:
    """Hashtags or handles, without their sign: from the field's column, or
    from the text when the layout has no such column."""
    if not row.has(field_name):
        return pattern.findall(text)
    names = []
    for item in _list_items(row.get(field_name)):
        if isinstance(item, dict):
            item = item.get("tag") or item.get("username") or item.get("text") or item.get("screen_name") or ""
        # Social Feed Manager separates its names with ", ".
        names.extend(name.lstrip("#@") for name in str(item).split(",") if name.strip("#@ "))
    return names


def _url_entities(row: _Row, text: str, *, has_media: bool) -> tuple[list[dict], list[str]]:
    """v1.1-style url entities for a row, and the text's t.co links that
    stand for attached media.

    Links come as (t.co, expanded) pairs (Social Feed Manager's url1 and
    url1_expanded, twarc-csv's early entities), or as expanded URLs only,
    listed in the order of the t.co links of the text (json2csv, twarc-csv);
    twarc-csv lists a media link by its display URL "pic.twitter.com/...".
    Twitter puts the link to attached media last, so a t.co link left
    unexplained at the very end of a text with media is that link.
    """
    entities = []
    for link_column, expanded_column in row.columns.layout.url_pairs:
        expanded = row.cell(expanded_column)
        if expanded:
            entities.append({"url": row.cell(link_column), "expanded_url": expanded})
    in_order = []
    for item in _list_items(row.get("urls")):
        if isinstance(item, dict) and isinstance(item.get("expanded_url"), str):
            entities.append({"url": item.get("url") or "", "expanded_url": item["expanded_url"]})
        elif isinstance(item, str):
            in_order.append(item)
    explained = {entity["url"] for entity in entities}
    unexplained = [link for link in TCO_LINK.findall(text) if link not in explained]
    media_links = []
    for index, expanded in enumerate(in_order):
        link = unexplained[index] if index < len(unexplained) else ""
        if expanded.startswith("pic.twitter.com/"):
            media_links.extend([link] if link else [])
        else:
            entities.append({"url": link, "expanded_url": expanded})
    left = unexplained[len(in_order) :]
    if has_media and left and text.rstrip().endswith(left[-1]):
        media_links.append(left[-1])
    return entities, media_links


def _without_links(text: str, links: list[str]) -> str:
    for link in links:
        text = re.sub(re.escape(link) + r"(?![A-Za-z0-9])", "", text)
    return text.rstrip() if links else text


def _media_entities(row: _Row) -> list[dict]:
    entities = []
    for item in _list_items(row.get("media")):
        if isinstance(item, dict):  # twarc-csv's attachments.media
            url = item.get("url") or item.get("preview_image_url") or ""
            kind, alt_text = item.get("type") or "", item.get("alt_text") or ""
        else:
            url, kind, alt_text = str(item), _media_kind(str(item)), ""
        if url.startswith("pic.twitter.com/"):  # the search add-on's display form
            url = f"https://{url}"
        if url.startswith(("https://", "http://")):
            entities.append({"type": kind or _media_kind(url), "media_url_https": url, "ext_alt_text": alt_text})
    return entities


def _media_kind(url: str) -> str:
    """A media kind guessed from its URL: exports give the URL, not the kind."""
    if "tweet_video" in url:
        return "animated_gif"
    if "video" in url:  # .../video/1, ext_tw_video_thumb, amplify_video_thumb
        return "video"
    return "photo"


def _metrics(row: _Row) -> dict[str, int]:
    counts = {}
    for name, column in row.columns.layout.metrics.items():
        # pandas writes the counts of a column with gaps as floats: "3.0".
        count_match = re.fullmatch(r"(\d+)(?:\.0*)?", row.cell(column))
        if count_match:
            counts[name] = int(count_match[1])
    return counts


# --- dates -------------------------------------------------------------------

_TWITTER_DATE = re.compile(r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} ")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_US_DATE = re.compile(
    r"(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})"
    r"(?:[ T]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?(?:\s*(?P<half>[AaPp])\.?[Mm]\.?)?)?"
)


def _created_at(row: _Row, post_id: str, context: ParseContext) -> datetime:
    cell = row.get("created_at")
    column = row.column_of("created_at")
    if not cell:
        raise row.fail(f"the row has no date (column {column!r})")
    if _TWITTER_DATE.match(cell):
        return parse_created_at(cell, row.record)
    try:
        moment = _read_date(cell)
    except ValueError:
        raise row.fail(
            f"unreadable date {cell!r} (column {column!r}): expected Twitter's 'Wed Oct 10 20:19:24 +0000 2018', "
            "ISO 8601 or US 'M/D/YYYY H:MM:SS'"
        ) from None
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=context.default_timezone)
        return moment.astimezone(UTC)
    return _day_at_tweet_time(row, moment, post_id, context)


def _read_date(cell: str) -> datetime | date:
    """A datetime (naive when the cell gives no timezone), or a date when the
    cell gives no time of day."""
    if _ISO_DAY.fullmatch(cell):
        return date.fromisoformat(cell)
    us_match = _US_DATE.fullmatch(cell)
    if us_match is None:
        return datetime.fromisoformat(cell)
    day = date(int(us_match["year"]), int(us_match["month"]), int(us_match["day"]))
    if us_match["hour"] is None:
        return day
    hour = int(us_match["hour"])
    if us_match["half"]:
        if not 1 <= hour <= 12:
            raise ValueError
        hour = hour % 12 + (12 if us_match["half"].lower() == "p" else 0)
    return datetime.combine(day, time(hour, int(us_match["minute"]), int(us_match["second"] or 0)))


def _day_at_tweet_time(row: _Row, day: date, post_id: str, context: ParseContext) -> datetime:
    """A date without a time of day: the time the tweet id encodes, when the
    id is a snowflake of that day; else midnight of that day."""
    moment = _snowflake_time(post_id)
    if moment is None:
        return datetime.combine(day, time(), tzinfo=context.default_timezone).astimezone(UTC)
    # A day of slack: the file's timezone may not be the default one.
    if abs(moment.astimezone(context.default_timezone).date() - day) > timedelta(days=1):
        raise row.fail(
            f"the date {day.isoformat()} (column {row.column_of('created_at')!r}) is not the day of "
            f"tweet {post_id}, which was posted at {moment.isoformat()}"
        )
    return moment
