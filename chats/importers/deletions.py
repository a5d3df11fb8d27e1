"""Deletion lists: which posts were deleted on their platform.

Pure and streaming, no Django: bytes in, one result per line out. A list is
UTF-8 text, one entry a line:

- a post's id as the archive stores it (Twitter: the digits of the status
  id; Mastodon and Bluesky: the status URI / ``at://`` URI the import used);
- a Twitter status URL (``https://twitter.com/name/status/123``, x.com,
  mobile., ``/i/web/status/``): its id;
- a Bluesky post URL by DID (``https://bsky.app/profile/did:plc:…/post/rkey``):
  its ``at://`` URI;
- a Twitter v1.1 stream delete notice (``{"delete": {"status": {"id_str":
  "…", "user_id_str": "…"}}}``), so a stream file can be given as it is: its
  statuses and other notices are skipped, not errors;
- blank lines and ``#`` comments (a whole line, or after the entry).

A line that is none of these is reported with its number (``SkippedLine``
with ``invalid=True``) and reading goes on. Only a file that is not text at
all (NUL bytes: a zip, a gzip, an image) raises ``DeletionListError``.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, BinaryIO, Iterator

PLATFORMS = ("twitter", "mastodon", "bluesky")
# Longer lines are read in pieces and reported, never held whole: a stream
# notice is ~200 bytes, a full v1.1 status a few kilobytes.
MAX_LINE_BYTES = 64 * 1024
# Matches the models' external_id length.
MAX_ID_LENGTH = 200
# Bytes looked at to tell a binary file from text.
SNIFF_BYTES = 8 * 1024

_TWITTER_ID = re.compile(r"[0-9]{1,20}")
_TWITTER_URL = re.compile(
    r"https?://(?:(?:www|mobile)\.)?(?:twitter|x)\.com/(?:[A-Za-z0-9_]{1,50}|i/web)/status(?:es)?/"
    r"(?P<id>[0-9]{1,20})(?:[/?#]\S*)?",
    re.IGNORECASE,
)
_BLUESKY_URL = re.compile(r"https://bsky\.app/profile/(?P<did>did:[a-z]+:[A-Za-z0-9._:%-]+)/post/(?P<rkey>[A-Za-z0-9._~:-]+)/?")
_TRAILING_COMMENT = re.compile(r"\s+#.*$")
_UTF8_BOM = b"\xef\xbb\xbf"


class DeletionListError(ValueError):
    """The file as a whole cannot be read as a deletion list."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class DeletedPost:
    line: int  # 1-based physical line
    platform: str
    external_id: str


@dataclass(frozen=True)
class SkippedLine:
    """A line that names no deleted post. ``invalid`` lines are errors to
    report (not an id, not a URL, broken JSON); the others are well-formed
    records that are simply not deletions (a status or a ``limit`` notice in
    a stream file)."""

    line: int
    reason: str
    invalid: bool = True


DeletionResult = DeletedPost | SkippedLine


def parse(stream: BinaryIO, *, platform: str) -> Iterator[DeletionResult]:
    """Yield a ``DeletedPost`` or a ``SkippedLine`` per non-blank, non-comment
    line of ``stream``. Raises ``DeletionListError`` only for an unknown
    platform or a file that is not text."""
    if platform not in PLATFORMS:
        raise DeletionListError(f"unknown platform {platform!r}; expected one of {', '.join(PLATFORMS)}")
    line_no = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        line_no += 1
        if line_no == 1:
            if b"\x00" in raw[:SNIFF_BYTES]:
                raise DeletionListError("the file is not text (a zip, a gzip or an image?): expected ids, one a line")
            raw = raw[len(_UTF8_BOM):] if raw.startswith(_UTF8_BOM) else raw
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            _skip_rest_of_line(stream)
            yield SkippedLine(line_no, f"line longer than {MAX_LINE_BYTES} bytes: not an id or a delete notice")
            continue
        # The common line, a bare tweet id, without decoding or regexes
        # (bytes.isdigit is ASCII digits only).
        bare = raw.strip()
        if platform == "twitter" and bare.isdigit() and len(bare) <= 20:
            yield DeletedPost(line_no, platform, bare.decode("ascii"))
            continue
        result = parse_line(raw, line_no, platform=platform)
        if result is not None:
            yield result


def _skip_rest_of_line(stream: BinaryIO) -> None:
    while True:
        piece = stream.readline(MAX_LINE_BYTES)
        if not piece or piece.endswith(b"\n"):
            return


def parse_line(raw: bytes, line_no: int, *, platform: str) -> DeletionResult | None:
    """One line's result, or None for a blank line or a comment."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return SkippedLine(line_no, "not UTF-8 text")
    text = text.strip()
    if not text or text.startswith("#"):
        return None
    if "\x00" in text:
        return SkippedLine(line_no, "contains a NUL character")
    if text.startswith("{"):
        return _json_line(text, line_no, platform=platform)
    text = _TRAILING_COMMENT.sub("", text)
    if any(character.isspace() for character in text):
        return SkippedLine(line_no, f"more than one word ({_shown(text)}): expected one id or URL a line")
    if platform == "twitter":
        return _twitter_entry(text, line_no)
    if platform == "bluesky":
        match = _BLUESKY_URL.fullmatch(text)
        if match:
            return DeletedPost(line_no, platform, f"at://{match['did']}/app.bsky.feed.post/{match['rkey']}")
    if len(text) > MAX_ID_LENGTH:
        return SkippedLine(line_no, f"longer than {MAX_ID_LENGTH} characters: not a post id")
    if not text.isprintable():
        return SkippedLine(line_no, f"contains control characters ({_shown(text)})")
    return DeletedPost(line_no, platform, text)


def _twitter_entry(text: str, line_no: int) -> DeletionResult:
    if _TWITTER_ID.fullmatch(text):
        return DeletedPost(line_no, "twitter", text)
    match = _TWITTER_URL.fullmatch(text)
    if match:
        return DeletedPost(line_no, "twitter", match["id"])
    return SkippedLine(
        line_no, f"not a tweet id or status URL ({_shown(text)}): expected digits or https://twitter.com/name/status/123"
    )


def _json_line(text: str, line_no: int, *, platform: str) -> DeletionResult:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return SkippedLine(line_no, "a line starting with '{' that is not one complete JSON object")
    if not isinstance(value, dict):
        return SkippedLine(line_no, "JSON that is not an object")
    notice = value.get("delete")
    if notice is None:
        # A stream file given as it is: statuses and other notices are not deletions.
        kind = "a status" if "id_str" in value or "created_at" in value else "a JSON object"
        return SkippedLine(line_no, f"{kind}, not a delete notice", invalid=False)
    status = notice.get("status") if isinstance(notice, dict) else None
    if not isinstance(status, dict):
        if isinstance(notice, dict) and "direct_message" in notice:
            return SkippedLine(line_no, "a direct message's delete notice, not a post's", invalid=False)
        return SkippedLine(line_no, "a delete notice without a 'status' object")
    if platform != "twitter":
        return SkippedLine(line_no, f"a Twitter delete notice in a {platform} list")
    status_id = _id_of(status)
    if not status_id:
        return SkippedLine(line_no, "a delete notice whose status has no 'id_str' (or numeric 'id')")
    return DeletedPost(line_no, "twitter", status_id)


def _id_of(status: dict[str, Any]) -> str:
    # id_str is exact; a numeric id may have been rounded by a JavaScript tool.
    text = status.get("id_str")
    if isinstance(text, str) and _TWITTER_ID.fullmatch(text):
        return text
    number = status.get("id")
    if isinstance(number, int) and not isinstance(number, bool) and 0 < number < 10**20:
        return str(number)
    return ""


def _shown(text: str, limit: int = 60) -> str:
    """The start of a bad line for a message, with control characters shown escaped."""
    cut = text if len(text) <= limit else text[:limit] + "…"
    return repr(cut)


# Enough bad lines to see what is wrong with a file; the rest are counted.
MAX_REPORTED_ERRORS = 200


@dataclass
class DeletionList:
    """A whole list read: its ids (each once, in file order), the bad lines
    (the first MAX_REPORTED_ERRORS of them, with the total) and how many
    well-formed lines were not deletions."""

    platform: str
    ids: list[str]
    errors: list[SkippedLine]
    error_count: int = 0
    skipped: int = 0


def read_list(stream: BinaryIO, *, platform: str) -> DeletionList:
    """Read all of ``stream`` (what the admin upload and ``import_deletions``
    hand to ``posts_mark_deleted``). Raises ``DeletionListError`` like
    ``parse``."""
    seen: dict[str, None] = {}
    result = DeletionList(platform=platform, ids=[], errors=[])
    for item in parse(stream, platform=platform):
        if isinstance(item, DeletedPost):
            seen.setdefault(item.external_id)
        elif item.invalid:
            result.error_count += 1
            if len(result.errors) < MAX_REPORTED_ERRORS:
                result.errors.append(item)
        else:
            result.skipped += 1
    result.ids = list(seen)
    return result
