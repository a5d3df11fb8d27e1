"""Twitter API v1.1 statuses: JSON Lines, a JSON array, or a search response.

What twarc (v1), Social Feed Manager, the streaming API, ``statuses/*`` and
``search/tweets`` produce. Pure and streaming: bytes in, ``ParsedPost``,
``DeletionNotice`` (a stream's ``{"delete": {"status": ...}}``) and
``SkippedRecord`` out, no Django.

The text of a post is made readable the way twitter.com shows it: the full
text (``extended_tweet`` or ``full_text`` rather than a ``text`` cut at 140
characters), HTML entities unescaped once, t.co links replaced by the links
they stand for, and the t.co link to attached media dropped (the media are
listed in ``media`` instead).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any, BinaryIO, Iterator, Mapping

from ._common import describe, expand_tco_links, is_int, text_of
from ._json import BrokenRecord, first_significant_byte, iter_json_records, strip_bom
from .base import (
    DeletionNotice,
    ParseContext,
    ParsedAuthor,
    ParsedMedia,
    ParsedPost,
    ParseResult,
    SkippedRecord,
    TranscriptFormatError,
)

format_name = "twitter-v1"
label = "Twitter API v1.1 statuses (JSON Lines, a JSON array, or a search response)"

PLATFORM = "twitter"

# Objects the streaming APIs interleave with statuses; they are not posts.
STREAM_NOTICE_KEYS = (
    "delete",
    "limit",
    "scrub_geo",
    "status_withheld",
    "user_withheld",
    "disconnect",
    "warning",
    "event",
    "friends",
    "friends_str",
)

# A status id as the archive keeps it (str.isdigit would take other scripts' digits).
_DIGITS = re.compile(r"[0-9]{1,20}")

METRIC_KEYS = ("retweet_count", "favorite_count", "reply_count", "quote_count")

# --- detection -------------------------------------------------------------

_STATUS_MARKERS = (b'"id_str"', b'"created_at"', b'"user"')
# A notice is an object whose first key is the notice name and whose value is
# an object: ``{"delete":{"status":...}}``. Requiring that shape keeps
# Mastodon's streaming ``{"event":"delete",...}`` from matching.
_NOTICE_AT_LINE_START = re.compile(
    rb'(?:^|\n)[ \t\r]*\{\s*"(?:delete|limit|scrub_geo|status_withheld|user_withheld|disconnect|warning)"\s*:\s*\{'
)
# A Twitter personal archive with its ``window.YTD...`` prefix removed: an
# array of ``{"tweet": {...}}``. Its statuses lack ``user``; leave it to the
# archive parser.
_ARCHIVE_WRAPPER = re.compile(rb'^\[\s*\{\s*"tweet"\s*:')


def sniff(head: bytes) -> bool:
    """Whether ``head`` (the first bytes of a file) looks like v1.1 statuses."""
    if first_significant_byte(head) not in (b"{", b"["):
        return False
    head = strip_bom(head).lstrip()
    if _ARCHIVE_WRAPPER.match(head):
        return False
    if all(marker in head for marker in _STATUS_MARKERS):
        return True
    return bool(_NOTICE_AT_LINE_START.search(head))


# --- parsing ---------------------------------------------------------------


def parse(stream: BinaryIO, context: ParseContext = ParseContext()) -> Iterator[ParseResult]:
    """Yield a ``ParsedPost`` per status, a ``DeletionNotice`` per stream
    notice that a status was deleted, a ``SkippedRecord`` per other stream
    notice, and an invalid ``SkippedRecord`` per record that is not a
    readable status.

    Statuses of a search response (``{"statuses": [...]}``) are numbered by
    their position among the statuses of the file's responses.
    """
    searched_statuses = 0
    for record, value in iter_json_records(stream):
        if _is_search_response(value):
            for status in value["statuses"]:
                searched_statuses += 1
                yield _parse_record(status, searched_statuses)
        else:
            yield _parse_record(value, record)


def _is_search_response(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("statuses"), list) and not _is_status(value)


def _is_status(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and _id_of(value) != ""
        and "created_at" in value
        and isinstance(value.get("user"), dict)
    )


def _parse_record(value: Any, record: int) -> ParseResult | DeletionNotice:
    if isinstance(value, BrokenRecord):
        return SkippedRecord(record, value.reason, invalid=True)
    if _is_status(value):
        try:
            return parse_status(value, record)
        except TranscriptFormatError as error:
            return SkippedRecord(record, error.message, invalid=True)
    notice = _stream_notice_key(value)
    if notice == "delete":
        return _deletion_notice(value["delete"], record)
    if notice is not None:
        return SkippedRecord(record, f"stream notice {notice!r}, not a post")
    return SkippedRecord(
        record,
        "not a Twitter v1.1 status: expected an object with 'id_str', 'created_at' and 'user' "
        f"(got {describe(value)})",
        invalid=True,
    )


def _deletion_notice(notice: Any, record: int) -> DeletionNotice | SkippedRecord:
    """``{"delete": {"status": {"id_str": ..., "user_id_str": ...}}}``: the
    status was deleted, and the import must remove it (and keep it removed).
    A direct message's delete notice is no post's."""
    status = notice.get("status") if isinstance(notice, dict) else None
    if not isinstance(status, dict):
        return SkippedRecord(record, "stream notice 'delete' of no status, not a post")
    status_id = _id_of(status)
    if not _DIGITS.fullmatch(status_id):
        return SkippedRecord(record, "stream notice 'delete' without the deleted status's 'id_str'", invalid=True)
    return DeletionNotice(record=record, platform=PLATFORM, external_id=status_id)


def _stream_notice_key(value: Any) -> str | None:
    if isinstance(value, dict):
        for key in STREAM_NOTICE_KEYS:
            if key in value:
                return key
    return None


def parse_status(status: Mapping[str, Any], record: int) -> ParsedPost:
    """One v1.1 status object as a post; ``record`` is used in errors."""
    status_id = _id_of(status)
    author = _parse_author(status["user"], record)
    body = PostBody.of(status, record)
    return ParsedPost(
        record=record,
        platform=PLATFORM,
        external_id=status_id,
        created_at=parse_created_at(status["created_at"], record),
        author=author,
        text=body.readable_text(),
        url=f"https://twitter.com/{author.handle}/status/{status_id}",
        language=text_of(status.get("lang")),
        reply_to_id=_id_of(status, "in_reply_to_status_id"),
        reply_to_handle=text_of(status.get("in_reply_to_screen_name")),
        repost_of_id=_id_of(status["retweeted_status"]) if _is_retweet(status) else "",
        quote_of_id=_quoted_id(status),
        urls=body.urls(),
        hashtags=body.hashtags(),
        mentions=body.mentions(),
        media=body.media(),
        metrics=_metrics(status),
        truncated=body.truncated,
        raw=status,
    )


class PostBody:
    """The text a post shows and the entities (links, tags, mentions, media)
    that describe that text.

    Entities must come from the same object as the text: ``extended_tweet``
    when the full text came from there, the retweeted status for a retweet.
    """

    def __init__(self, text: str, holder: Mapping[str, Any], *, retweet_of: str = "", shown: str | None = None):
        self.text = text
        self.holder = holder  # the object carrying ``entities`` / ``extended_entities``
        self.retweet_of = retweet_of  # handle of the retweeted author, if a retweet
        # Only Twitter's cut "text" is left (for a retweet: of the original,
        # ``shown``): a fuller copy of the post wins.
        body = text if shown is None else shown
        self.truncated = holder.get("truncated") is True and "full_text" not in holder and holder.get("text") == body

    @classmethod
    def of(cls, status: Mapping[str, Any], record: int) -> PostBody:
        original = status["retweeted_status"] if _is_retweet(status) else {}
        handle = text_of(original["user"].get("screen_name")) if original else ""
        if handle:
            # The top-level ``text`` of a retweet is cut to 140 characters
            # and ends with "…"; rebuild it from the original's full text.
            text, holder = _full_text(original, record)
            return cls(f"RT @{handle}: {text}", holder, retweet_of=handle, shown=text)
        text, holder = _full_text(status, record)
        return cls(text, holder)

    def readable_text(self) -> str:
        expansions = {
            entity["url"]: entity["expanded_url"]
            for entity in self._entity_list("urls")
            if text_of(entity.get("url")) and text_of(entity.get("expanded_url"))
        }
        return expand_tco_links(self.text, expansions, self._media_links())

    def urls(self) -> tuple[str, ...]:
        urls = (text_of(entity.get("expanded_url")) for entity in self._entity_list("urls"))
        return tuple(url for url in urls if url)

    def hashtags(self) -> tuple[str, ...]:
        return tuple(tag for tag in (text_of(entity.get("text")) for entity in self._entity_list("hashtags")) if tag)

    def mentions(self) -> tuple[str, ...]:
        handles = tuple(
            handle
            for handle in (text_of(entity.get("screen_name")) for entity in self._entity_list("user_mentions"))
            if handle
        )
        # The text starts with "RT @author:", as Twitter's own retweet
        # entities do, so the retweeted author is the first mention.
        return ((self.retweet_of,) if self.retweet_of else ()) + handles

    def media(self) -> tuple[ParsedMedia, ...]:
        return tuple(
            ParsedMedia(
                kind=text_of(item.get("type")),
                url=text_of(item.get("media_url_https")) or text_of(item.get("media_url")),
                alt_text=text_of(item.get("ext_alt_text")),
            )
            for item in self._media_items()
        )

    def _entity_list(self, kind: str, entities_key: str = "entities") -> list[Mapping[str, Any]]:
        entities = self.holder.get(entities_key)
        items = entities.get(kind) if isinstance(entities, dict) else None
        return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []

    def _media_items(self) -> list[Mapping[str, Any]]:
        # extended_entities lists every photo of a multi-photo post;
        # entities.media only the first.
        return self._entity_list("media", "extended_entities") or self._entity_list("media")

    def _media_links(self) -> set[str]:
        items = self._entity_list("media", "extended_entities") + self._entity_list("media")
        return {link for link in (text_of(item.get("url")) for item in items) if link}


def _full_text(status: Mapping[str, Any], record: int) -> tuple[str, Mapping[str, Any]]:
    """The untruncated text and the object whose entities go with it."""
    extended = status.get("extended_tweet")
    if isinstance(extended, dict) and isinstance(extended.get("full_text"), str):
        return extended["full_text"], extended
    for key in ("full_text", "text"):
        if isinstance(status.get(key), str):
            return status[key], status
    raise TranscriptFormatError("the status has no 'text' or 'full_text'", record=record)


def _is_retweet(status: Mapping[str, Any]) -> bool:
    return _is_status(status.get("retweeted_status"))


def _quoted_id(status: Mapping[str, Any]) -> str:
    quoted = status.get("quoted_status")
    return _id_of(status, "quoted_status_id") or (_id_of(quoted) if isinstance(quoted, dict) else "")


def _parse_author(user: Mapping[str, Any], record: int) -> ParsedAuthor:
    user_id = _id_of(user)
    handle = text_of(user.get("screen_name"))
    if not user_id or not handle:
        raise TranscriptFormatError("the status's 'user' has no 'id_str' or no 'screen_name'", record=record)
    return ParsedAuthor(
        platform=PLATFORM,
        platform_id=user_id,
        handle=handle,
        display_name=text_of(user.get("name")),
        profile_url=f"https://twitter.com/{handle}",
        avatar_url=text_of(user.get("profile_image_url_https")) or text_of(user.get("profile_image_url")),
    )


def _metrics(status: Mapping[str, Any]) -> dict[str, int]:
    return {key: status[key] for key in METRIC_KEYS if is_int(status.get(key))}


def _id_of(obj: Mapping[str, Any], field: str = "id") -> str:
    """``obj[field + "_str"]``, else the numeric ``obj[field]`` as text.

    The numbers are a last resort: tools that went through JavaScript rounded
    them (872836479608733696 became 872836479608733700), the strings are exact.
    """
    text = obj.get(f"{field}_str")
    if isinstance(text, str) and text:
        return text
    number = obj.get(field)
    return str(number) if is_int(number) else ""


# --- dates -----------------------------------------------------------------

_MONTHS = {
    name: number for number, name in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), start=1)
}
# "Wed Oct 10 20:19:24 +0000 2018". Parsed by hand: strptime's %a and %b
# depend on the process locale.
_CREATED_AT = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?P<month>[A-Z][a-z]{2}) (?P<day>\d{1,2}) "
    r"(?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2}) "
    r"(?P<sign>[+-])(?P<off_h>\d{2})(?P<off_m>\d{2}) (?P<year>\d{4})"
)


def parse_created_at(value: Any, record: int) -> datetime:
    """A v1.1 ``created_at`` as an aware UTC datetime."""
    match = _CREATED_AT.fullmatch(value.strip()) if isinstance(value, str) else None
    try:
        if match is None or match["month"] not in _MONTHS:
            raise ValueError
        offset = timedelta(hours=int(match["off_h"]), minutes=int(match["off_m"]))
        local = datetime(
            int(match["year"]),
            _MONTHS[match["month"]],
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"]),
            tzinfo=timezone(-offset if match["sign"] == "-" else offset),
        )
    except ValueError:
        raise TranscriptFormatError(
            f"bad 'created_at' {value!r}: expected Twitter's format, like 'Wed Oct 10 20:19:24 +0000 2018'",
            record=record,
        ) from None
    return local.astimezone(timezone.utc)
