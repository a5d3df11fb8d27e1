"""Twitter personal archives: ``data/tweets.js`` (``tweet.js`` before 2022).

An archive's data files are JavaScript that assigns one JSON value:
``window.YTD.tweets.part0 = [ {"tweet": {...}}, ... ]`` (the oldest ones
without the ``"tweet"`` wrapper). The prefix is skipped and the array read an
element at a time. A copy whose prefix was removed by hand (a bare JSON array
of ``{"tweet": {...}}``) is read too.

The tweets are v1.1-shaped, so ``twitter_v1`` makes the posts, but:

- they carry no ``user``: the author is the archive's owner, named in
  ``account.js`` (or ``manifest.js``), which the loader reads with
  ``read_account`` and passes in ``ParseContext.account``. A reformatted
  archive whose tweets carry a ``user`` needs no account;
- every number is a string (``"favorite_count": "3"``, ``"id": "123"``);
- a retweet is only its text, "RT @user: ..." cut at 140 characters and ended
  with "…": the original is not there, so ``repost_of_id`` stays empty and
  such a text is marked ``truncated``;
- an edited tweet lists its versions in ``edit_info``.

The archive's other files (account.js, profile.js, manifest.js, likes...)
are "companions": ``sniff`` accepts them so that detection routes them here,
``is_companion`` tells them apart, and ``parse`` refuses them.

Not read: the 2012-2018 "Grailbird" layout (``Grailbird.data.tweets_2015_03
= [...]``), deleted-tweets.js and note-tweet.js (the full text of long
tweets), and files a code formatter rewrote as JavaScript (unquoted keys,
single quotes): those are refused with a message saying so.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, BinaryIO, Iterator, Mapping

from . import twitter_v1
from ._common import describe, text_of
from ._json import BrokenRecord, Prepended, first_significant_byte, iter_array_items, iter_json_records, strip_bom
from .base import ParseContext, ParsedAuthor, ParsedPost, ParseResult, SkippedRecord, TranscriptFormatError

format_name = "twitter-archive"
label = "Twitter personal archive (data/tweets.js, with account.js)"

# The YTD data names whose files hold the owner's tweets.
TWEET_FILES = frozenset({"tweets", "tweet"})

NO_AUTHOR = "a personal archive's tweets do not name their author: import account.js together with tweets.js"

# ``window.YTD.<data name>.part<N> =`` and the manifest's ``window.__THAR_CONFIG =``.
_YTD_PREFIX = re.compile(rb"\s*window\.YTD\.(?P<name>\w+)\.part\d+\s*=")
_MANIFEST_PREFIX = re.compile(rb"\s*window\.__THAR_CONFIG\s*=")
_MANIFEST = "manifest"
# The first element of a bare tweets array (quotes optional: a JavaScript
# rewrite is detected so that it can be refused with a clear message).
_BARE_TWEETS = re.compile(rb"""\s*\[\s*\{\s*["']?tweet["']?\s*:""")
# Enough bytes to hold any prefix.
_PREFIX_HEAD_SIZE = 1024
_DIGITS = re.compile(r"[0-9]+")
# Numeric fields written as strings that twitter_v1 reads as ``<name>_str``.
_ID_FIELDS = ("id", "in_reply_to_status_id", "in_reply_to_user_id")


# --- detection -------------------------------------------------------------


def sniff(head: bytes) -> bool:
    """Whether ``head`` is an archive file: tweets or a companion."""
    head = strip_bom(head)
    return bool(_YTD_PREFIX.match(head) or _MANIFEST_PREFIX.match(head) or _BARE_TWEETS.match(head))


def is_companion(head: bytes) -> bool:
    """Whether ``head`` is an archive file that holds no tweets (account.js,
    profile.js, manifest.js...)."""
    head = strip_bom(head)
    match = _YTD_PREFIX.match(head)
    return bool(match and match["name"].decode() not in TWEET_FILES) or bool(_MANIFEST_PREFIX.match(head))


# --- the archive owner -----------------------------------------------------


def read_account(stream: BinaryIO) -> ParsedAuthor | None:
    """The archive's owner from account.js (``accountId``, ``username``,
    ``accountDisplayName``) or manifest.js (``userInfo``); None when the file
    names nobody."""
    name, records = _open(stream)
    for _, value in records:
        if not isinstance(value, dict):
            continue
        if name == _MANIFEST:
            return _owner(value.get("userInfo"), id_key="accountId", handle_key="userName", name_key="displayName")
        owner = _owner(value.get("account"), id_key="accountId", handle_key="username", name_key="accountDisplayName")
        if owner is not None:
            return owner
    return None


def _owner(info: Any, *, id_key: str, handle_key: str, name_key: str) -> ParsedAuthor | None:
    if not isinstance(info, dict):
        return None
    account_id, handle = text_of(info.get(id_key)), text_of(info.get(handle_key))
    if not _DIGITS.fullmatch(account_id) or not handle:
        return None
    return ParsedAuthor(
        platform=twitter_v1.PLATFORM,
        platform_id=account_id,
        handle=handle,
        display_name=text_of(info.get(name_key)),
        profile_url=f"https://twitter.com/{handle}",
    )


# --- parsing ---------------------------------------------------------------


def parse(stream: BinaryIO, context: ParseContext = ParseContext()) -> Iterator[ParseResult]:
    """Yield a ``ParsedPost`` per tweet of tweets.js and an invalid
    ``SkippedRecord`` per element that is not a readable tweet.

    Raises ``TranscriptFormatError`` for a companion file, for a file that is
    not JSON after its prefix, and for tweets without an author when no
    ``context.account`` is given.
    """
    name, records = _open(stream)
    if name and name not in TWEET_FILES:
        raise TranscriptFormatError(f"{_file_name(name)} holds no posts: import it together with tweets.js")
    for record, value in records:
        yield _parse_record(value, record, context.account)


def _open(stream: BinaryIO) -> tuple[str, Iterator[tuple[int, Any]]]:
    """The file's data name ("tweets", "account"..., "manifest"; "" for a
    bare array) and its ``(record, value)`` pairs, the prefix skipped."""
    head = stream.read(_PREFIX_HEAD_SIZE)
    text = strip_bom(head)
    ytd = _YTD_PREFIX.match(text)
    if ytd:
        name, prefix, rest = ytd["name"].decode(), ytd.group().decode().strip(), text[ytd.end() :]
        if first_significant_byte(rest) not in (b"[", b""):
            raise TranscriptFormatError(f"expected a JSON array after '{prefix}'")
        return name, _array_after_prefix(Prepended(rest, stream), prefix)
    manifest = _MANIFEST_PREFIX.match(text)
    if manifest:
        return _MANIFEST, iter_json_records(Prepended(text[manifest.end() :], stream))
    return "", _bare_records(Prepended(head, stream))


def _array_after_prefix(stream: BinaryIO, prefix: str) -> Iterator[tuple[int, Any]]:
    try:
        yield from iter_array_items(stream)
    except TranscriptFormatError as error:
        raise TranscriptFormatError(
            f"what follows '{prefix}' is not JSON ({_first_line(error.message)}): a file rewritten as "
            "JavaScript by a code formatter (unquoted keys, single-quoted strings, trailing commas) "
            "cannot be read; import the file as it came in the archive"
        ) from None


def _bare_records(stream: BinaryIO) -> Iterator[tuple[int, Any]]:
    try:
        yield from iter_json_records(stream)
    except TranscriptFormatError as error:
        raise TranscriptFormatError(
            f"{error.message}; expected a Twitter archive's tweets.js (window.YTD.tweets.part0 = [...])"
        ) from None


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0]


def _file_name(name: str) -> str:
    """The archive file a data name comes from: account_label -> account-label.js."""
    return f"{name.replace('_', '-')}.js"


def _parse_record(value: Any, record: int, account: ParsedAuthor | None) -> ParseResult:
    if isinstance(value, BrokenRecord):
        return SkippedRecord(record, value.reason, invalid=True)
    tweet = _unwrapped(value)
    if tweet is None:
        return SkippedRecord(
            record,
            "not an archive tweet: expected {\"tweet\": {...}} with 'id_str' and 'created_at' "
            f"(got {describe(value)})",
            invalid=True,
        )
    own_user = tweet.get("user") if isinstance(tweet.get("user"), dict) else None
    if own_user is None and account is None:
        raise TranscriptFormatError(NO_AUTHOR)
    try:
        post = twitter_v1.parse_status(_v1_status(tweet, own_user or _user_of(account)), record)
    except TranscriptFormatError as error:
        return SkippedRecord(record, error.message, invalid=True)
    return _archive_post(post, tweet, raw=value, account=None if own_user else account)


def _unwrapped(value: Any) -> dict | None:
    """The tweet of an element: ``{"tweet": {...}}``, or the element itself
    in the oldest archives."""
    tweet = value.get("tweet") if isinstance(value, dict) and "tweet" in value else value
    if isinstance(tweet, dict) and ("id_str" in tweet or "id" in tweet) and "created_at" in tweet:
        return tweet
    return None


def _user_of(account: ParsedAuthor) -> dict[str, str]:
    return {"id_str": account.platform_id, "screen_name": account.handle, "name": account.display_name}


def _v1_status(tweet: Mapping[str, Any], user: Mapping[str, Any]) -> dict[str, Any]:
    """The tweet as twitter_v1 reads a status: with a ``user``, ids as
    ``*_str`` and counts as numbers."""
    status = {**tweet, "user": user}
    for field in _ID_FIELDS:
        if not text_of(status.get(f"{field}_str")) and _is_digits(status.get(field)):
            status[f"{field}_str"] = status[field]
    for key in twitter_v1.METRIC_KEYS:
        if _is_digits(status.get(key)):
            status[key] = int(status[key])
    return status


def _archive_post(post: ParsedPost, tweet: Mapping[str, Any], *, raw: Any, account: ParsedAuthor | None) -> ParsedPost:
    # A retweet's text in an archive is Twitter's cut one: "RT @user: ...…".
    cut_retweet = post.text.startswith("RT @") and post.text.endswith("…")
    return replace(
        post,
        author=account or post.author,  # the loader's account may carry more (an avatar)
        edit_history_ids=_earlier_versions(tweet, post.external_id),
        truncated=post.truncated or cut_retweet,
        raw=raw,
    )


def _earlier_versions(tweet: Mapping[str, Any], own_id: str) -> tuple[str, ...]:
    """Ids of the versions before this one, from ``edit_info``: an original
    lists its versions under ``initial``, an edit under ``edit.editControlInitial``."""
    info = _dict(tweet.get("edit_info"))
    control = _dict(info.get("initial")) or _dict(_dict(info.get("edit")).get("editControlInitial"))
    versions = control.get("editTweetIds")
    ids = [item for item in versions if _is_digits(item)] if isinstance(versions, list) else []
    return tuple(ids[: ids.index(own_id)] if own_id in ids else ids)


def _is_digits(value: Any) -> bool:
    return isinstance(value, str) and bool(_DIGITS.fullmatch(value))


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}
