"""Twitter API v2 tweets as twarc2 writes them: response pages or flattened tweets.

Pure and streaming: bytes in, ``ParsedPost`` and ``SkippedRecord`` out, no
Django. Two layouts, one JSON value a line (a JSON array of them, or
pretty-printed values, read too):

- response pages (``twarc2 search``, ``timeline``, ``tweet``...)::

      {"data": [tweet, ...], "includes": {"users", "tweets", "media", "polls", "places"},
       "errors": [...], "meta": {...}, "__twarc": {...}}

  or, from ``twarc2 stream``, one tweet a page: ``{"data": {tweet}, "includes":
  ..., "matching_rules": [...]}``. A tweet names its author, the tweets it
  retweets, quotes or replies to, and its media by id; those objects are looked
  up in the page's ``includes``.
- flattened tweets (``twarc2 flatten``): one tweet a line with the same objects
  inlined (``author``, ``in_reply_to_user``, ``referenced_tweets[*]`` with
  their own fields and ``author``, ``attachments.media``). Flattening makes a
  missing object ``{}``. A flattened tweet is read by collecting its inlined
  objects into the same lookup a page's ``includes`` gives, so a page and its
  flattened form yield the same posts.

Records. A page holds many tweets, so posts are numbered by their running
position among the file's records, 1-based: every tweet of ``data`` is one
record, then every page error about a tweet; a flattened tweet, a page without
tweets, and a line that cannot be read count one record each (blank lines
none). A flattened file without blank lines is thus numbered by line. Every
``SkippedRecord`` reason starts with the line (for JSON Lines; the value's
position for other layouts) that holds the record.

``raw`` is lossless per record: for a page's tweet it is ``{"tweet": <the
object in data>, "includes": {<only the users, tweets, media, polls and places
that tweet names>}}``; for a flattened tweet it is the line's object as is.

Text, as twitter.com shows it: ``note_tweet.text`` (a long post) over
``text``, HTML entities unescaped once, t.co links replaced by the links they
stand for, the t.co links to attached media dropped (they are in ``media``).
A retweet's own ``text`` is cut ("RT @handle: ...…"); it is rebuilt as
"RT @handle: " + the retweeted tweet's full text, with that tweet's entities
and media. When the retweeted tweet is not in the file, the cut text is kept
and the post is marked ``truncated``.

Page ``errors`` (objects the API could not return) become valid
``SkippedRecord``s only when they are about a tweet (``resource_type`` "tweet",
e.g. a deleted tweet that was asked for); errors about users, media, polls...
(a suspended user mentioned in a tweet, say) concern no post and are ignored.

Edits: a tweet object is one version of an edit chain
(``edit_history_tweet_ids``, oldest first). ``edit_history_ids`` holds the
versions before it. When the file holds several versions of one chain as
tweets, only the latest is a post; each earlier one is a valid
``SkippedRecord``. To know a later version before the earlier one comes, every
page is looked at whole before its tweets are yielded, and the ids superseded
so far are remembered (memory grows with the edit chains only). An earlier
version that comes on a line BEFORE its later version has already been yielded
as a post then; the loader has to reconcile the two (the later post's
``edit_history_ids`` names it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Mapping

from ._common import describe, expand_tco_links, is_int, list_of, text_of
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
from .twitter_v1 import PLATFORM

format_name = "twitter-v2"
label = "Twitter API v2 tweets from twarc2 (response pages or flattened tweets, JSON Lines)"

METRIC_KEYS = ("retweet_count", "reply_count", "like_count", "quote_count", "impression_count", "bookmark_count")

# Keys of a response page; a page always has at least one of them.
_PAGE_KEYS = ("data", "includes", "errors", "meta")

# The link Twitter writes for an attached photo or video, for entities older
# than the "media_key" field.
_MEDIA_PAGE_LINK = re.compile(r"https?://(?:mobile\.)?(?:twitter|x)\.com/[^/]+/status/\d+/(?:photo|video)/\d+")


# --- detection -------------------------------------------------------------


def _key(name: str) -> re.Pattern[bytes]:
    """A JSON object key ``name`` (a value's escaped quotes do not match)."""
    return re.compile(rb'"' + name.encode() + rb'"\s*:')


_DATA = _key("data")
_TWARC_METADATA = _key("__twarc")
_AUTHOR_ID = _key("author_id")
_V2_TWEET_KEYS = (_AUTHOR_ID, _key("edit_history_tweet_ids"), _key("conversation_id"))
_INLINE_AUTHOR = re.compile(rb'"author"\s*:\s*\{')
# A v1.1 status: "id_str" and a "user" object. v2 has neither; this keeps out
# a v1.1 file whose texts or tool metadata happen to hold a v2 marker.
_V1_STATUS = (_key("id_str"), re.compile(rb'"user"\s*:\s*\{'))


def sniff(head: bytes) -> bool:
    """Whether ``head`` (the first bytes of a file) looks like twarc2 output."""
    if first_significant_byte(head) not in (b"{", b"["):
        return False
    head = strip_bom(head)
    if all(marker.search(head) for marker in _V1_STATUS):
        return False
    if _TWARC_METADATA.search(head):
        return True
    is_page = _DATA.search(head) and any(marker.search(head) for marker in _V2_TWEET_KEYS)
    is_flattened = _AUTHOR_ID.search(head) and _INLINE_AUTHOR.search(head)
    return bool(is_page or is_flattened)


# --- parsing ---------------------------------------------------------------


def parse(stream: BinaryIO, context: ParseContext = ParseContext()) -> Iterator[ParseResult]:
    """Yield a ``ParsedPost`` per tweet, a ``SkippedRecord`` per earlier edit,
    page error about a tweet and empty page, and an invalid ``SkippedRecord``
    per record that is not a readable tweet (see the module docstring)."""
    reader = _FileReader()
    for line, value in iter_json_records(stream):
        yield from reader.read(line, value)


class _FileReader:
    """Numbers the file's records and remembers the superseded edit versions."""

    def __init__(self) -> None:
        self.position = 0
        # Id of an earlier version -> id of the latest version seen so far.
        self.latest_version: dict[str, str] = {}

    def next_record(self) -> int:
        self.position += 1
        return self.position

    def read(self, line: int, value: Any) -> Iterator[ParseResult]:
        if isinstance(value, BrokenRecord):
            yield SkippedRecord(self.next_record(), f"line {line}: {value.reason}", invalid=True)
        elif _is_page(value):
            yield from self._read_page(line, value)
        elif _is_tweet(value):
            yield from self._read_tweets(line, [value], _Includes.inlined_in(value), raw_of=lambda tweet: value)
        else:
            yield SkippedRecord(
                self.next_record(),
                f"line {line}: neither a twarc2 response page (an object with 'data', 'includes', 'errors' "
                "or 'meta') nor a flattened tweet (an object with 'id', 'text' and 'author_id'); "
                f"got {describe(value)}",
                invalid=True,
            )

    def _read_page(self, line: int, page: Mapping[str, Any]) -> Iterator[ParseResult]:
        data = page.get("data")
        tweets = data if isinstance(data, list) else [data] if data is not None else []
        includes = _Includes.of_page(page.get("includes"))
        yield from self._read_tweets(
            line, tweets, includes, raw_of=lambda tweet: {"tweet": tweet, "includes": includes.named_by(tweet)}
        )
        missing = _missing_tweets(page.get("errors"))
        for tweet_id, problem in missing:
            yield SkippedRecord(self.next_record(), f"line {line}: the API did not return tweet {tweet_id}: {problem}")
        if not tweets and not missing:
            yield SkippedRecord(self.next_record(), f"line {line}: a response page with no tweets{_errors_note(page)}")

    def _read_tweets(
        self, line: int, tweets: list[Any], includes: _Includes, raw_of: Callable[[Any], Mapping[str, Any]]
    ) -> Iterator[ParseResult]:
        # The whole batch first: a later version may follow its earlier one.
        for tweet in tweets:
            if isinstance(tweet, dict):
                self._remember_earlier_versions(tweet)
        for tweet in tweets:
            yield self._read_tweet(line, tweet, includes, raw_of)

    def _read_tweet(
        self, line: int, tweet: Any, includes: _Includes, raw_of: Callable[[Any], Mapping[str, Any]]
    ) -> ParseResult:
        record = self.next_record()
        if not _is_tweet(tweet):
            return SkippedRecord(
                record,
                f"line {line}: not a tweet: expected an object with 'id', 'text' and 'author_id' "
                f"(got {describe(tweet)})",
                invalid=True,
            )
        latest = self.latest_version.get(tweet["id"])
        if latest:
            return SkippedRecord(
                record, f"line {line}: tweet {tweet['id']} is an earlier version of {latest}, kept as its edit history"
            )
        try:
            return _parse_tweet(tweet, includes, record, raw=raw_of(tweet))
        except TranscriptFormatError as error:
            return SkippedRecord(record, f"line {line}: tweet {tweet['id']}: {error.message}", invalid=True)

    def _remember_earlier_versions(self, tweet: Mapping[str, Any]) -> None:
        tweet_id = text_of(tweet.get("id"))
        for earlier in _earlier_versions(tweet):
            known = self.latest_version.get(earlier)
            if known is None or _is_later_id(tweet_id, known):
                self.latest_version[earlier] = tweet_id


def _is_page(value: Any) -> bool:
    return isinstance(value, dict) and "id" not in value and any(key in value for key in _PAGE_KEYS)


def _is_tweet(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and text_of(value.get("id")) != ""
        and ("text" in value or "note_tweet" in value)
        and "author_id" in value
    )


def _missing_tweets(errors: Any) -> list[tuple[str, str]]:
    """``(tweet id, problem)`` for each page error about a tweet."""
    found = []
    for error in list_of(errors):
        if isinstance(error, dict) and error.get("resource_type") == "tweet":
            problem = text_of(error.get("detail")) or text_of(error.get("title")) or "no detail given"
            found.append((text_of(error.get("resource_id")) or text_of(error.get("value")) or "(no id)", problem))
    return found


def _errors_note(page: Mapping[str, Any]) -> str:
    """" (errors: title, ...)" naming a page's errors, or ""."""
    errors = [error for error in list_of(page.get("errors")) if isinstance(error, dict)]
    titles = [text_of(error.get("title")) or text_of(error.get("detail")) or "untitled" for error in errors]
    return f" (errors: {', '.join(titles)})" if titles else ""


def _earlier_versions(tweet: Mapping[str, Any]) -> list[str]:
    """The ids before the tweet's own in its edit history (oldest first)."""
    history = [item for item in list_of(tweet.get("edit_history_tweet_ids")) if text_of(item)]
    own = text_of(tweet.get("id"))
    return history[: history.index(own)] if own in history else []


def _is_later_id(one: str, other: str) -> bool:
    # Snowflake ids grow with time; compared as decimal text, never as floats.
    return (len(one), one) > (len(other), other)


# --- includes ----------------------------------------------------------------


class _Includes:
    """The objects a tweet names by id: a page's ``includes``, or the objects
    a flattened tweet carries inline."""

    def __init__(self, *, users=(), tweets=(), media=(), polls=(), places=()):
        self.users = _index(users, "id")
        self.users_by_name = _index(users, "username")
        self.tweets = _index(tweets, "id")
        self.media = _index(media, "media_key")
        self.polls = _index(polls, "id")
        self.places = _index(places, "id")

    @classmethod
    def of_page(cls, includes: Any) -> _Includes:
        includes = includes if isinstance(includes, dict) else {}
        return cls(**{kind: list_of(includes.get(kind)) for kind in ("users", "tweets", "media", "polls", "places")})

    @classmethod
    def inlined_in(cls, tweet: Mapping[str, Any]) -> _Includes:
        # twarc2 flatten writes an object it could not find as {}; _index
        # drops those, as a page's lookup would find nothing.
        referenced = [ref for ref in list_of(tweet.get("referenced_tweets")) if isinstance(ref, dict) and "text" in ref]
        return cls(
            users=[tweet.get("author"), tweet.get("in_reply_to_user")] + [ref.get("author") for ref in referenced],
            tweets=referenced,
            media=[item for holder in [tweet, *referenced] for item in _inline_media(holder)],
        )

    def user(self, user_id: Any) -> Mapping[str, Any] | None:
        return self.users.get(text_of(user_id))

    def tweet(self, tweet_id: Any) -> Mapping[str, Any] | None:
        return self.tweets.get(text_of(tweet_id))

    def media_of(self, tweet: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        return [self.media[key] for key in _media_keys(tweet) if key in self.media]

    def named_by(self, tweet: Mapping[str, Any]) -> dict[str, list]:
        """The included objects ``tweet`` names, for a lossless ``raw``."""
        referenced = [self.tweet(ref.get("id")) for ref in _references(tweet)]
        referenced = [ref for ref in referenced if ref is not None]
        user_ids = [tweet.get("author_id"), tweet.get("in_reply_to_user_id")]
        user_ids += [ref.get("author_id") for ref in referenced]
        mentioned = [
            self.users_by_name.get(text_of(mention.get("username"))) for mention in _entities(tweet, "mentions")
        ]
        attachments = tweet.get("attachments") if isinstance(tweet.get("attachments"), dict) else {}
        geo = tweet.get("geo") if isinstance(tweet.get("geo"), dict) else {}
        named = {
            "users": [self.user(user_id) for user_id in user_ids] + mentioned,
            "tweets": referenced,
            "media": [item for holder in [tweet, *referenced] for item in self.media_of(holder)],
            "polls": [self.polls.get(text_of(poll_id)) for poll_id in list_of(attachments.get("poll_ids"))],
            "places": [self.places.get(text_of(geo.get("place_id")))],
        }
        return {kind: unique for kind, objects in named.items() if (unique := _unique(objects))}


def _index(objects: Iterable[Any], key: str) -> dict[str, Mapping[str, Any]]:
    return {obj[key]: obj for obj in objects if isinstance(obj, dict) and text_of(obj.get(key))}


def _unique(objects: Iterable[Any]) -> list[Mapping[str, Any]]:
    """The objects that are there, each once, in order."""
    seen: set[int] = set()
    unique = []
    for obj in objects:
        if obj is not None and id(obj) not in seen:
            seen.add(id(obj))
            unique.append(obj)
    return unique


def _inline_media(tweet: Mapping[str, Any]) -> list[Any]:
    attachments = tweet.get("attachments")
    return list_of(attachments.get("media")) if isinstance(attachments, dict) else []


def _media_keys(tweet: Mapping[str, Any]) -> list[str]:
    attachments = tweet.get("attachments")
    keys = list_of(attachments.get("media_keys")) if isinstance(attachments, dict) else []
    return [key for key in keys if text_of(key)]


def _references(tweet: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [ref for ref in list_of(tweet.get("referenced_tweets")) if isinstance(ref, dict)]


def _referenced_id(tweet: Mapping[str, Any], kind: str) -> str:
    """The id of the tweet ``tweet`` retweets / quotes / replies to, or ""."""
    for ref in _references(tweet):
        if ref.get("type") == kind and text_of(ref.get("id")):
            return ref["id"]
    return ""


# --- one tweet ---------------------------------------------------------------


def _parse_tweet(tweet: Mapping[str, Any], includes: _Includes, record: int, *, raw: Mapping[str, Any]) -> ParsedPost:
    """One v2 tweet as a post, the objects it names looked up in ``includes``."""
    tweet_id = tweet["id"]
    author = _parse_author(includes.user(tweet.get("author_id")), tweet.get("author_id"))
    body = _PostBody.of(tweet, includes)
    reply_to_user = includes.user(tweet.get("in_reply_to_user_id")) or {}
    return ParsedPost(
        record=record,
        platform=PLATFORM,
        external_id=tweet_id,
        created_at=parse_iso_created_at(tweet.get("created_at")),
        author=author,
        text=body.readable_text(),
        url=f"https://twitter.com/{author.handle}/status/{tweet_id}",
        language=text_of(tweet.get("lang")),
        reply_to_id=_referenced_id(tweet, "replied_to"),
        reply_to_handle=text_of(reply_to_user.get("username")),
        repost_of_id=_referenced_id(tweet, "retweeted"),
        quote_of_id=_referenced_id(tweet, "quoted"),
        urls=body.urls(),
        hashtags=body.hashtags(),
        mentions=body.mentions(),
        media=body.media,
        metrics=_metrics(tweet),
        thread_root_id=text_of(tweet.get("conversation_id")),
        edit_history_ids=tuple(_earlier_versions(tweet)),
        truncated=body.truncated,
        raw=raw,
    )


def _parse_author(user: Mapping[str, Any] | None, author_id: Any) -> ParsedAuthor:
    if user is None or not text_of(user.get("username")):
        raise TranscriptFormatError(
            f"its author {text_of(author_id) or '(no author_id)'} is not in the page's includes.users "
            "nor inline as 'author'"
        )
    handle = user["username"]
    return ParsedAuthor(
        platform=PLATFORM,
        platform_id=user["id"],
        handle=handle,
        display_name=text_of(user.get("name")),
        profile_url=f"https://twitter.com/{handle}",
        avatar_url=text_of(user.get("profile_image_url")),
    )


@dataclass(frozen=True)
class _PostBody:
    """The text a post shows, the object whose entities describe that text
    (the tweet, its ``note_tweet``, or the retweeted tweet), and its media."""

    text: str
    holder: Mapping[str, Any]
    media: tuple[ParsedMedia, ...]
    retweet_of: str = ""  # handle of the retweeted author, if rebuilt as a retweet
    truncated: bool = False

    @classmethod
    def of(cls, tweet: Mapping[str, Any], includes: _Includes) -> _PostBody:
        retweeted_id = _referenced_id(tweet, "retweeted")
        original = includes.tweet(retweeted_id) if retweeted_id else None
        original_author = includes.user(original.get("author_id")) if original else None
        handle = text_of(original_author.get("username")) if original_author else ""
        original_text = _full_text(original) if original else None
        if handle and original_text:
            text, holder = original_text
            # v2 gives a retweet the media keys of the original only at times.
            media = _parse_media(includes.media_of(original)) or _parse_media(includes.media_of(tweet))
            return cls(f"RT @{handle}: {text}", holder, media, retweet_of=handle)
        full = _full_text(tweet)
        if full is None:
            raise TranscriptFormatError("it has no 'text' or 'note_tweet.text'")
        text, holder = full
        # A retweet whose original is not in the file: its own text is cut.
        cut_retweet = bool(retweeted_id) and text.endswith("…")
        return cls(text, holder, _parse_media(includes.media_of(tweet)), truncated=cut_retweet)

    def readable_text(self) -> str:
        expansions = {text_of(entity.get("url")): text_of(entity.get("expanded_url")) for entity in self._links()}
        media_links = {
            text_of(entity.get("url")) for entity in _entities(self.holder, "urls") if _is_media_link(entity)
        }
        return expand_tco_links(self.text, expansions, media_links)

    def urls(self) -> tuple[str, ...]:
        return tuple(url for url in (text_of(entity.get("expanded_url")) for entity in self._links()) if url)

    def hashtags(self) -> tuple[str, ...]:
        tags = (text_of(entity.get("tag")) for entity in _entities(self.holder, "hashtags"))
        return tuple(tag for tag in tags if tag)

    def mentions(self) -> tuple[str, ...]:
        handles = tuple(
            handle
            for handle in (text_of(entity.get("username")) for entity in _entities(self.holder, "mentions"))
            if handle
        )
        # The text starts with "RT @author:", as the retweet's own entities
        # do, so the retweeted author is the first mention.
        return ((self.retweet_of,) if self.retweet_of else ()) + handles

    def _links(self) -> list[Mapping[str, Any]]:
        """The url entities that are links shared, not attached media."""
        return [entity for entity in _entities(self.holder, "urls") if not _is_media_link(entity)]


def _full_text(tweet: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]] | None:
    """The untruncated text and the object whose entities go with it."""
    note = tweet.get("note_tweet")
    if isinstance(note, dict) and isinstance(note.get("text"), str):
        return note["text"], note
    if isinstance(tweet.get("text"), str):
        return tweet["text"], tweet
    return None


def _is_media_link(entity: Mapping[str, Any]) -> bool:
    if text_of(entity.get("media_key")):
        return True
    return bool(_MEDIA_PAGE_LINK.fullmatch(text_of(entity.get("expanded_url"))))


def _parse_media(items: list[Mapping[str, Any]]) -> tuple[ParsedMedia, ...]:
    # A video or GIF has no "url", only a still: "preview_image_url".
    media = (
        ParsedMedia(
            kind=text_of(item.get("type")),
            url=text_of(item.get("url")) or text_of(item.get("preview_image_url")),
            alt_text=text_of(item.get("alt_text")),
        )
        for item in items
    )
    return tuple(item for item in media if item.url)


def _entities(holder: Mapping[str, Any], kind: str) -> list[Mapping[str, Any]]:
    entities = holder.get("entities")
    items = entities.get(kind) if isinstance(entities, dict) else None
    return [item for item in list_of(items) if isinstance(item, dict)]


def _metrics(tweet: Mapping[str, Any]) -> dict[str, int]:
    metrics = tweet.get("public_metrics")
    if not isinstance(metrics, dict):
        return {}
    return {key: metrics[key] for key in METRIC_KEYS if is_int(metrics.get(key))}


def parse_iso_created_at(value: Any) -> datetime:
    """A v2 ``created_at`` ("2021-04-08T14:17:02.000Z") as an aware UTC datetime."""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise TranscriptFormatError(
            f"bad 'created_at' {value!r}: expected an ISO 8601 time with its timezone, like '2021-04-08T14:17:02.000Z'"
        )
    return moment.astimezone(timezone.utc)
