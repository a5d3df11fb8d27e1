"""Mastodon API statuses: a JSON array (a tag, public or account timeline), JSON
Lines, one status, a thread's ``context`` or a ``/api/v2/search`` result.

Also what Pleroma, Akkoma and other servers with Mastodon's API return. Pure
and streaming: bytes in, ``ParsedPost`` and ``SkippedRecord`` out, no Django.

Which ids
---------
A status's ``id`` belongs to the server whose API wrote the file: the same
post seen from two servers has two ids, and two servers may use the same id
for different posts. The ``uri`` is global, but the API never gives the
``uri`` of the status replied to or quoted, only that server's ``id``
(``in_reply_to_id``, ``quote_id``). So that replies and quotes find their
target, within a file and across files from the same server, a post's
``external_id`` is that server's API address of the status:

    https://<server>/api/v1/statuses/<id>

and ``reply_to_id``, ``repost_of_id`` and ``quote_of_id`` are built the same
way from the ids the status names. Every status of a file is in the id space
of one server; the file says which only through its local accounts (an
``acct`` without ``@domain``: an author, a boosted or quoted author or a
mentioned account), whose profile ``url`` is on that server. Before parsing,
the file is read once to find the first such account; the stream is then
rewound (memory stays constant, the file is read twice at worst).

A file with no local account at all (a tag timeline of remote posts only)
does not say which server's ids it holds: its posts then take their global
``uri`` as ``external_id`` (the boosted and the embedded quoted status too)
and their ``reply_to_id`` stays empty; ``reply_to_handle`` still says whom
they answer. A status local to another server than the file's first local
account (files of two servers joined together) is refused: its ids would be
read in the wrong server's space.

The same person seen from two servers has two account ids, so an author's
``platform_id`` is the account's profile ``url`` (``https://server/@user``),
the same from every server; the handle is ``user@server``.

What a post holds
-----------------
- ``text``: ``content`` as plain text (``_html``): full links, mentions and
  hashtags as shown, entities unescaped once, links to attached media (the
  ``/media/...`` links 2017-era servers appended) left out. A content warning
  comes first: ``CW: <spoiler_text>`` and a blank line. A poll's options
  follow the text, one a line after ``Poll:``.
- a boost (``reblog``) is a post of the booster whose ``text``, links, tags,
  mentions, media and language are the boosted status's (Mastodon shows the
  boosted text, not an "RT @user:" prefix), with ``repost_of_id`` the boosted
  status. The boosted status is not a post of its own here.
- ``metrics``: ``reply_count``, ``reblog_count``, ``favourite_count`` and
  ``quote_count``, from the API's ``*_count`` fields when they are numbers.
- ``urls``: the content's links in order, then the link preview's (``card``)
  if not already there.
- ``visibility``: only public and unlisted statuses are archived; a
  followers-only or direct status is skipped (not invalid).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, BinaryIO, Iterator, Mapping
from urllib.parse import urlsplit

from ._common import describe, is_int, list_of, text_of, unique
from ._html import html_to_text
from ._json import BrokenRecord, first_significant_byte, iter_json_records, strip_bom
from .base import (
    ParseContext,
    ParsedAuthor,
    ParsedMedia,
    ParsedPost,
    ParseResult,
    SkippedRecord,
    TranscriptFormatError,
)

format_name = "mastodon"
label = "Mastodon API statuses (a JSON array, JSON Lines, one status, or a thread context)"

PLATFORM = "mastodon"

# API count -> metric name (the singular, as the other platforms' metrics).
METRICS = {
    "replies_count": "reply_count",
    "reblogs_count": "reblog_count",
    "favourites_count": "favourite_count",
    "quotes_count": "quote_count",
}
NOT_ARCHIVED_VISIBILITIES = {
    "private": "a followers-only status",
    "direct": "a direct message",
    "limited": "a status limited to chosen people",
}


# --- detection -------------------------------------------------------------

_STATUS_MARKERS = (b'"visibility"', b'"spoiler_text"', b'"reblog"', b'"favourites_count"')
# Twitter and Bluesky keys: a file that has them is not Mastodon's.
_FOREIGN_MARKERS = (b'"id_str"', b'"screen_name"', b'"author_id"', b'"$type"')
# A thread's context starts with its ancestors (its statuses may not fit the head).
_CONTEXT_START = re.compile(rb'\s*\{\s*"ancestors"\s*:\s*\[')


def sniff(head: bytes) -> bool:
    """Whether ``head`` (the first bytes of a file) looks like Mastodon statuses."""
    if first_significant_byte(head) not in (b"{", b"["):
        return False
    head = strip_bom(head)
    if any(marker in head for marker in _FOREIGN_MARKERS):
        return False
    is_context = bool(_CONTEXT_START.match(head)) or (b'"ancestors"' in head and b'"descendants"' in head)
    # "acct" (user or user@server) is an account of Mastodon's API.
    return is_context or (b'"acct"' in head and any(marker in head for marker in _STATUS_MARKERS))


# --- parsing ---------------------------------------------------------------


def parse(stream: BinaryIO, context: ParseContext = ParseContext()) -> Iterator[ParseResult]:
    """Yield a ``ParsedPost`` per public status, a ``SkippedRecord`` per
    private one, and an invalid ``SkippedRecord`` per record that is not a
    readable status.

    Statuses of a context (``ancestors`` then ``descendants``) or of a search
    result are numbered by their position among the file's such statuses.
    """
    with _rewindable(stream) as readable:
        start = readable.tell()
        ids = _Ids(server=_server_of(readable))
        readable.seek(start)
        for record, value in _statuses(readable):
            yield _parse_record(value, record, ids)


@contextmanager
def _rewindable(stream: BinaryIO) -> Iterator[BinaryIO]:
    """The stream itself when it can seek, else a temporary copy that can."""
    if stream.seekable():
        yield stream
        return
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as copy:
        shutil.copyfileobj(stream, copy)
        copy.seek(0)
        yield copy


def _statuses(stream: BinaryIO) -> Iterator[tuple[int, Any]]:
    """``(record, value)`` for each status of the file, containers opened."""
    contained = 0
    for record, value in iter_json_records(stream):
        statuses = _contained_statuses(value)
        if statuses is None:
            yield record, value
            continue
        for status in statuses:
            contained += 1
            yield contained, status


def _contained_statuses(value: Any) -> list | None:
    """The statuses of a context or a search result; None for anything else."""
    if not isinstance(value, dict) or "account" in value:
        return None
    if isinstance(value.get("ancestors"), list) and isinstance(value.get("descendants"), list):
        return value["ancestors"] + value["descendants"]
    if isinstance(value.get("statuses"), list) and "accounts" in value:
        return value["statuses"]
    return None


def _server_of(stream: BinaryIO) -> str:
    """The host of the server whose API wrote the file, or "" if it does not say."""
    try:
        for _, value in _statuses(stream):
            server = _local_server(value) if isinstance(value, dict) else ""
            if server:
                return server
    except TranscriptFormatError:
        pass  # parsing proper says what is wrong with the file
    return ""


def _local_server(status: Mapping[str, Any]) -> str:
    """The host of the first local account the status names ("" if none)."""
    for account in (status.get("account"), *list_of(status.get("mentions"))):
        acct = text_of(account.get("acct")) if isinstance(account, dict) else ""
        if acct and "@" not in acct and _host(account.get("url")):
            return _host(account["url"])
    for embedded in (status.get("reblog"), _quoted_status(status)):
        if isinstance(embedded, dict):
            server = _local_server(embedded)
            if server:
                return server
    return ""


class _Ids:
    """Global ids for the statuses of one file (see the module docstring)."""

    def __init__(self, server: str):
        self.server = server

    def of(self, status: Mapping[str, Any], record: int, what: str = "status") -> str:
        if self.server:
            local_id = self.of_local(status.get("id"))
            if not local_id:
                raise TranscriptFormatError(f"the {what} has no 'id'", record=record)
            return local_id
        uri = text_of(status.get("uri")).strip()
        if not uri:
            raise TranscriptFormatError(
                f"the {what} has no 'uri', and its 'id' is not unique: the file names no local account, "
                "so which server's id it is cannot be told",
                record=record,
            )
        return uri

    def of_local(self, local_id: Any) -> str:
        """The global id of a status the server knows as ``local_id`` ("" if unknown)."""
        text = _id_text(local_id)
        return f"https://{self.server}/api/v1/statuses/{text}" if self.server and text else ""


def _parse_record(value: Any, record: int, ids: _Ids) -> ParseResult:
    if isinstance(value, BrokenRecord):
        return SkippedRecord(record, value.reason, invalid=True)
    if not _is_status(value):
        return SkippedRecord(
            record,
            "not a Mastodon status: expected an object with 'id', 'created_at', 'account' and 'content' "
            f"(got {describe(value)})",
            invalid=True,
        )
    not_archived = NOT_ARCHIVED_VISIBILITIES.get(text_of(value.get("visibility")))
    if not_archived:
        return SkippedRecord(record, f"{not_archived}, not public: only public and unlisted statuses are archived")
    try:
        return parse_status(value, record, ids)
    except TranscriptFormatError as error:
        return SkippedRecord(record, error.message, invalid=True)


def _is_status(value: Any) -> bool:
    return isinstance(value, dict) and all(key in value for key in ("id", "created_at", "account", "content"))


def parse_status(status: Mapping[str, Any], record: int, ids: _Ids) -> ParsedPost:
    """One status object as a post; ``record`` is used in errors."""
    _check_server(status, record, ids)
    external_id = ids.of(status, record)
    boosted = status.get("reblog") if isinstance(status.get("reblog"), dict) else None
    repost_of_id = ids.of(boosted, record, "boosted status") if boosted else ""
    if repost_of_id == external_id:
        raise TranscriptFormatError(
            f"the boosted status has the boost's own id {_id_text(status.get('id'))!r}: a status cannot boost itself",
            record=record,
        )
    shown = boosted or status  # a boost shows the boosted status
    body = _Body(shown)
    author = _parse_author(status.get("account"), record)
    return ParsedPost(
        record=record,
        platform=PLATFORM,
        external_id=external_id,
        created_at=parse_created_at(status.get("created_at"), record),
        author=author,
        text=body.text,
        url=_http_url(status.get("url")) or _http_url(status.get("uri")),
        language=text_of(shown.get("language")),
        reply_to_id=ids.of_local(status.get("in_reply_to_id")),
        reply_to_handle=_replied_handle(status, author),
        repost_of_id=repost_of_id,
        quote_of_id=_quote_of_id(status, record, ids),
        urls=body.urls,
        hashtags=body.hashtags,
        mentions=body.mentions,
        media=body.media,
        metrics={name: status[key] for key, name in METRICS.items() if is_int(status.get(key))},
        raw=status,
    )


def _check_server(status: Mapping[str, Any], record: int, ids: _Ids) -> None:
    server = _local_server(status)
    if server and ids.server and server != ids.server:
        raise TranscriptFormatError(
            f"this status comes from the API of {server}, the file's first statuses from {ids.server}'s: "
            "ids are per server, import each server's statuses in a file of their own",
            record=record,
        )


class _Body:
    """What a status shows: its text and the links, tags, mentions and media."""

    def __init__(self, status: Mapping[str, Any]):
        self._status = status
        self._attachments = [item for item in list_of(status.get("media_attachments")) if isinstance(item, dict)]
        content = html_to_text(text_of(status.get("content")), drop_link=self._is_media_link)
        self.text = _with_poll(_with_content_warning(text_of(status.get("spoiler_text")), content.text), status)
        self.urls = unique((*content.links, *self._card_url()))
        self.hashtags = _with_tags(content.hashtags, status)
        self.mentions = tuple(
            _qualified(text_of(mention.get("acct")), mention.get("url"))
            for mention in list_of(status.get("mentions"))
            if isinstance(mention, dict) and text_of(mention.get("acct"))
        )
        self.media = tuple(
            ParsedMedia(
                kind=text_of(item.get("type")),
                # The origin's copy outlives the viewing server's cache of it.
                url=text_of(item.get("remote_url")) or text_of(item.get("url")),
                alt_text=text_of(item.get("description")),
            )
            for item in self._attachments
        )

    def _is_media_link(self, href: str) -> bool:
        if not self._attachments:
            return False
        if any(href in (item.get("url"), item.get("remote_url"), item.get("text_url")) for item in self._attachments):
            return True
        # 2017-era servers appended each attachment's page to the text as
        # https://<origin>/media/<code>; the API gave no text_url for remote ones.
        parts = urlsplit(href)
        origin = _host(self._status.get("url")) or _host(self._status.get("uri"))
        return parts.hostname == origin and bool(_MEDIA_PAGE_PATH.fullmatch(parts.path))

    def _card_url(self) -> tuple[str, ...]:
        card = self._status.get("card")
        url = _http_url(card.get("url")) if isinstance(card, dict) else ""
        return (url,) if url and not self._is_media_link(url) else ()


_MEDIA_PAGE_PATH = re.compile(r"/media/[A-Za-z0-9_-]+")


def _with_content_warning(spoiler_text: str, text: str) -> str:
    spoiler_text = spoiler_text.strip()
    if not spoiler_text:
        return text
    return f"CW: {spoiler_text}\n\n{text}" if text else f"CW: {spoiler_text}"


def _with_poll(text: str, status: Mapping[str, Any]) -> str:
    poll = status.get("poll")
    options = list_of(poll.get("options")) if isinstance(poll, dict) else []
    titles = [text_of(option.get("title")) for option in options if isinstance(option, dict)]
    lines = [f"- {title}" for title in titles if title]
    if not lines:
        return text
    poll_text = "Poll:\n" + "\n".join(lines)
    return f"{text}\n\n{poll_text}" if text else poll_text


def _with_tags(shown: tuple[str, ...], status: Mapping[str, Any]) -> tuple[str, ...]:
    """Hashtags as the text writes them, in order, then the status's other
    ``tags`` (the API lists them lower-cased and in no useful order)."""
    seen = {tag.casefold() for tag in shown}
    others = []
    for tag in list_of(status.get("tags")):
        name = text_of(tag.get("name")) if isinstance(tag, dict) else ""
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            others.append(name)
    return unique(shown) + tuple(others)


def _quote_of_id(status: Mapping[str, Any], record: int, ids: _Ids) -> str:
    quoted = _quoted_status(status)
    if quoted is not None:
        return ids.of(quoted, record, "quoted status")
    quote = status.get("quote")
    # Akkoma/Pleroma: quote_id; Mastodon 4.4 when the quote is not shown: quoted_status_id.
    local_id = status.get("quote_id") or (quote.get("quoted_status_id") if isinstance(quote, dict) else None)
    return ids.of_local(local_id)


def _quoted_status(status: Mapping[str, Any]) -> dict | None:
    """The embedded quoted status: Akkoma's ``quote`` is the status itself,
    Mastodon 4.4's ``quote`` holds it in ``quoted_status``."""
    quote = status.get("quote")
    if not isinstance(quote, dict):
        return None
    if _is_status(quote):
        return quote
    quoted = quote.get("quoted_status")
    return quoted if _is_status(quoted) else None


def _replied_handle(status: Mapping[str, Any], author: ParsedAuthor) -> str:
    account_id = _id_text(status.get("in_reply_to_account_id"))
    if not account_id:
        return ""
    account = status.get("account")
    if isinstance(account, dict) and _id_text(account.get("id")) == account_id:
        return author.handle  # a thread: the author answers themself
    for mention in list_of(status.get("mentions")):
        if isinstance(mention, dict) and _id_text(mention.get("id")) == account_id:
            return _qualified(text_of(mention.get("acct")), mention.get("url"))
    pleroma = status.get("pleroma")
    return text_of(pleroma.get("in_reply_to_account_acct")) if isinstance(pleroma, dict) else ""


def _parse_author(account: Any, record: int) -> ParsedAuthor:
    profile_url = _http_url(account.get("url")) if isinstance(account, dict) else ""
    acct = text_of(account.get("acct")) if isinstance(account, dict) else ""
    if not profile_url or not acct:
        raise TranscriptFormatError("the status's 'account' has no 'acct' or no profile 'url'", record=record)
    return ParsedAuthor(
        platform=PLATFORM,
        platform_id=profile_url,
        # Akkoma gives the full handle as "fqn"; Mastodon leaves the server
        # out of a local account's "acct".
        handle=text_of(account.get("fqn")) or _qualified(acct, profile_url),
        display_name=text_of(account.get("display_name")),
        profile_url=profile_url,
        avatar_url=text_of(account.get("avatar")) or text_of(account.get("avatar_static")),
    )


def _qualified(acct: str, profile_url: Any) -> str:
    """``user@server`` for a local ``user``, from the host of its profile."""
    acct = acct.lstrip("@")
    host = _host(profile_url)
    return acct if "@" in acct or not host else f"{acct}@{host}"


# --- values ----------------------------------------------------------------


def parse_created_at(value: Any, record: int) -> datetime:
    """An ISO 8601 ``created_at`` ("2017-04-21T15:00:42.000Z") as aware UTC."""
    try:
        if not isinstance(value, str):
            raise ValueError
        moment = datetime.fromisoformat(value.strip())
        if moment.tzinfo is None:
            raise ValueError
    except ValueError:
        raise TranscriptFormatError(
            f"bad 'created_at' {value!r}: expected an ISO 8601 time with its offset, like '2017-04-21T15:00:42.000Z'",
            record=record,
        ) from None
    return moment.astimezone(UTC)


def _id_text(value: Any) -> str:
    """An id as text: ids are strings in the API, numbers in some copies."""
    if isinstance(value, str):
        return value.strip()
    return str(value) if is_int(value) else ""


def _host(url: Any) -> str:
    return (urlsplit(url).hostname or "") if _http_url(url) else ""


def _http_url(value: Any) -> str:
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else ""
