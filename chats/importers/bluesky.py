"""Bluesky (AT Protocol) posts: the ``app.bsky.feed`` views the AppView serves.

What the public API (``searchPosts``, ``getPosts``, ``getQuotes``,
``getAuthorFeed``, ``getTimeline``, ``getPostThread``) and the tools built on
it (twitwi, atproto SDKs) write, in any of these layouts:

- a response page: ``{"posts": [postView...]}``, ``{"feed": [feedViewPost...]}``
  or ``{"thread": threadViewPost}``, pretty-printed or one per line;
- a JSON array or JSON Lines of post views, of feed items (``{"post": ...}``
  with an optional ``reply`` context or repost ``reason``), or of a mix.

Pure and streaming: bytes in, ``ParsedPost`` and ``SkippedRecord`` out, no
Django.

The text of a post is made readable the way bsky.app shows it, with the links
the app displays shortened ("example.org/some-lo...") replaced by the full
URL their facet carries. Facet ranges count UTF-8 *bytes*, not characters.
Only the facet and embed types of the ``app.bsky`` lexicon are read: other
clients' private types (polls, spoilers, encrypted posts...) are ignored, as
bsky.app ignores them.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO, Iterator, Mapping

from ._common import describe, is_int, text_of, unique
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

format_name = "bluesky"
label = (
    "Bluesky post views (searchPosts/getPosts pages, author feeds and timelines, getPostThread, "
    "or a JSON array / JSON Lines of posts)"
)

PLATFORM = "bluesky"
WEB = "https://bsky.app"

POST_COLLECTION = "app.bsky.feed.post"

# postView counters -> ParsedPost.metrics keys.
METRIC_KEYS = {
    "replyCount": "reply_count",
    "repostCount": "repost_count",
    "likeCount": "like_count",
    "quoteCount": "quote_count",
}

LINK_FEATURE = "app.bsky.richtext.facet#link"
MENTION_FEATURE = "app.bsky.richtext.facet#mention"
TAG_FEATURE = "app.bsky.richtext.facet#tag"

REASON_REPOST = "app.bsky.feed.defs#reasonRepost"
NOT_FOUND_POST = "app.bsky.feed.defs#notFoundPost"
BLOCKED_POST = "app.bsky.feed.defs#blockedPost"
THREAD_VIEW_POST = "app.bsky.feed.defs#threadViewPost"

# What the AppView shows for an account whose handle no longer resolves.
INVALID_HANDLE = "handle.invalid"


# --- detection -------------------------------------------------------------

_BLUESKY_MARKERS = (b'"at://did:', b'"app.bsky.')
# Keys only Twitter or Mastodon objects have. A Bluesky post quoting them in
# its text cannot match: a quote inside a JSON string is escaped (\").
_FOREIGN_KEYS = re.compile(rb'"(?:id_str|screen_name|acct|edit_history_tweet_ids|conversation_id)"\s*:')


def sniff(head: bytes) -> bool:
    """Whether ``head`` (the first bytes of a file) looks like Bluesky post views."""
    if first_significant_byte(head) not in (b"{", b"["):
        return False
    head = strip_bom(head)
    return any(marker in head for marker in _BLUESKY_MARKERS) and not _FOREIGN_KEYS.search(head)


# --- parsing ---------------------------------------------------------------


def parse(stream: BinaryIO, context: ParseContext = ParseContext()) -> Iterator[ParseResult]:
    """Yield a ``ParsedPost`` per post or repost, a ``SkippedRecord`` per thread
    node that is not a post (not found, blocked), and an invalid
    ``SkippedRecord`` per record that is not a readable post.

    Posts inside response pages (``posts``, ``feed``, ``thread``) are numbered
    by their position among the posts of the file's responses; a thread is
    counted from its anchor post, then its parents going up, then its replies
    depth-first.
    """
    contained_posts = 0
    for record, value in iter_json_records(stream):
        if isinstance(value, BrokenRecord):
            yield SkippedRecord(record, value.reason, invalid=True)
            continue
        items = _response_items(value)
        if items is None:
            yield _parse_item(value, record)
            continue
        for item, replied_to in items:
            contained_posts += 1
            yield _parse_item(item, contained_posts, replied_to=replied_to)


def _response_items(value: Any) -> Iterator[tuple[Any, Any]] | None:
    """``(item, post view it replies to or None)`` for each post of a response
    page, or None when ``value`` is not a response page."""
    if not isinstance(value, dict) or _is_post_view(value):
        return None
    for key in ("posts", "feed"):
        if isinstance(value.get(key), list):
            return ((item, None) for item in value[key])
    if isinstance(value.get("thread"), dict):
        return _thread_items(value["thread"])
    if _is_thread_node(value):
        return _thread_items(value)
    return None


def _is_thread_node(value: Mapping[str, Any]) -> bool:
    return isinstance(value.get("post"), dict) and (
        value.get("$type") == THREAD_VIEW_POST or "parent" in value or "replies" in value
    )


def _thread_items(anchor: Mapping[str, Any]) -> Iterator[tuple[Any, Any]]:
    """Every node of a thread view with the post view it replies to: the
    anchor, its parents going up, then the replies depth-first. Walked with a
    stack, not recursion: a long thread must not overflow Python's stack."""
    node: Any = anchor
    while isinstance(node, dict):
        parent = node.get("parent")
        yield _thread_entry(node), _post_of(parent)
        node = parent
    replies = [(reply, anchor) for reply in reversed(_replies_of(anchor))]
    while replies:
        reply, parent = replies.pop()
        yield _thread_entry(reply), _post_of(parent)
        replies.extend((nested, reply) for nested in reversed(_replies_of(reply)))


def _thread_entry(node: Any) -> Any:
    """The post view a thread node holds (not the node: its ``raw`` would
    carry the whole thread), or the node itself when it holds no post (not
    found, blocked)."""
    post = _post_of(node)
    return post if isinstance(post, dict) else node


def _replies_of(node: Any) -> list[Any]:
    replies = node.get("replies") if isinstance(node, dict) else None
    return replies if isinstance(replies, list) else []


def _post_of(node: Any) -> Any:
    return node.get("post") if isinstance(node, dict) else None


def _parse_item(item: Any, record: int, *, replied_to: Any = None) -> ParseResult:
    """One post view, feed item or thread node."""
    placeholder = _placeholder_reason(item)
    if placeholder:
        return SkippedRecord(record, placeholder)
    try:
        if isinstance(item, dict) and isinstance(item.get("post"), dict):
            return _parse_feed_item(item, record, replied_to=replied_to)
        if _is_post_view(item):
            return parse_post_view(item, record, replied_to=replied_to)
    except TranscriptFormatError as error:
        return SkippedRecord(record, error.message, invalid=True)
    return SkippedRecord(record, _not_a_post_reason(item), invalid=True)


def _placeholder_reason(item: Any) -> str:
    """Why a well-formed thread or feed node holds no post ("" if it does)."""
    if not isinstance(item, dict):
        return ""
    uri = text_of(item.get("uri"))
    if item.get("$type") == NOT_FOUND_POST or item.get("notFound") is True:
        return f"post {uri} was not found (deleted, or its author left): nothing to import"
    if item.get("$type") == BLOCKED_POST or item.get("blocked") is True:
        return f"post {uri} is hidden by a block between its author and the account that fetched it"
    return ""


def _not_a_post_reason(item: Any) -> str:
    if isinstance(item, dict) and item.get("kind") == "commit" and isinstance(item.get("commit"), dict):
        return (
            "a firehose/Jetstream commit event, not a post view: it names the author by DID only; "
            "fetch the posts with app.bsky.feed.getPosts to import them"
        )
    return (
        "not a Bluesky post: expected a post view (an object with 'uri', 'author' and 'record'), "
        f"a feed item with 'post', or a response with 'posts', 'feed' or 'thread' (got {describe(item)})"
    )


def _is_post_view(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("uri"), str) and "record" in value and "author" in value


def _parse_feed_item(item: Mapping[str, Any], record: int, *, replied_to: Any) -> ParsedPost:
    """A feed item (``{"post", "reply", "reason"}``), a thread node, or twitwi's
    ``{"uri", "post"}``: the post, or a repost of it."""
    reply_context = item.get("reply")
    if replied_to is None and isinstance(reply_context, dict):
        replied_to = reply_context.get("parent")
    post = parse_post_view(item["post"], record, replied_to=replied_to)
    reason = item.get("reason")
    if isinstance(reason, dict) and reason.get("$type") == REASON_REPOST:
        return _repost(post, reason, item, record)
    # Other reasons (a pinned post, ``reasonPin``) show the post itself.
    return dataclasses.replace(post, raw=item)


def _repost(original: ParsedPost, reason: Mapping[str, Any], item: Mapping[str, Any], record: int) -> ParsedPost:
    """A repost as a post of its own.

    Its text, links, tags, mentions and media are the original's, as the
    timeline shows them; what makes the original a reply or a quote, and its
    counters, stay with the original. A repost has no page of its own: its url
    is the original's.

    Its id is ``<reposter DID>/repost/<original author DID>/<original rkey>``:
    an account can repost a post once, so the pair names the repost. Newer
    AppViews also give the repost record's own ``at://`` uri, older ones and
    most exports do not; building the id the same way from every file keeps a
    repost found in two exports one post.
    """
    reposter = _parse_author(reason.get("by"), record, where="the repost's 'reason.by'")
    created_at = parse_timestamp(reason.get("indexedAt"))
    if created_at is None:
        raise TranscriptFormatError(
            f"the repost's 'reason.indexedAt' {reason.get('indexedAt')!r} is not an ISO 8601 date", record=record
        )
    original_did, _, original_rkey = _split_post_uri(original.external_id)
    return dataclasses.replace(
        original,
        external_id=f"{reposter.platform_id}/repost/{original_did}/{original_rkey}",
        created_at=created_at,
        author=reposter,
        repost_of_id=original.external_id,
        reply_to_id="",
        reply_to_handle="",
        thread_root_id="",
        quote_of_id="",
        metrics={},
        raw=item,
    )


def parse_post_view(view: Mapping[str, Any], record: int, *, replied_to: Any = None) -> ParsedPost:
    """One ``app.bsky.feed.defs#postView`` as a post; ``replied_to`` is the view
    of the post it replies to, when the file has it (feed reply context,
    thread parent), for its author's handle. ``record`` is used in errors."""
    uri = text_of(view.get("uri"))
    did, collection, rkey = _split_post_uri(uri)
    if collection != POST_COLLECTION or not rkey:
        raise TranscriptFormatError(
            f"'uri' {uri!r} is not a post's: expected at://<did>/{POST_COLLECTION}/<rkey>", record=record
        )
    author = _parse_author(view.get("author"), record, where="the post's 'author'")
    post_record = view.get("record")
    if not isinstance(post_record, dict):
        raise TranscriptFormatError("the post view has no 'record' object (the post itself)", record=record)
    text = post_record.get("text", "")
    if not isinstance(text, str):
        raise TranscriptFormatError(f"the post's 'record.text' is not text (got {describe(text)})", record=record)
    rich_text = _RichText(text, post_record.get("facets"))
    reply_to_id, thread_root_id = _reply_refs(post_record)
    return ParsedPost(
        record=record,
        platform=PLATFORM,
        external_id=uri,
        created_at=_created_at(post_record, rkey, record),
        author=author,
        text=rich_text.readable_text(),
        url=f"{_profile_url(author.platform_id, author.handle)}/post/{rkey}",
        language=_language(post_record),
        reply_to_id=reply_to_id,
        reply_to_handle=_handle_of(replied_to) if reply_to_id else "",
        quote_of_id=_quoted_uri(post_record.get("embed")),
        urls=unique(rich_text.links() + _external_links(post_record.get("embed"))),
        hashtags=unique(rich_text.tags() + _outline_tags(post_record)),
        mentions=unique(rich_text.mentions()),
        media=tuple(_media(view.get("embed"))),
        metrics=_metrics(view),
        thread_root_id=thread_root_id,
        raw=view,
    )


def _split_post_uri(uri: str) -> tuple[str, str, str]:
    """``(did, collection, rkey)`` of ``at://did/collection/rkey``; three empty
    strings when ``uri`` is not shaped so."""
    parts = uri.removeprefix("at://").split("/") if uri.startswith("at://") else []
    if len(parts) != 3 or not all(parts):
        return "", "", ""
    did, collection, rkey = parts
    return did, collection, rkey


def _parse_author(profile: Any, record: int, *, where: str) -> ParsedAuthor:
    profile = profile if isinstance(profile, dict) else {}
    did, handle = text_of(profile.get("did")), text_of(profile.get("handle"))
    if not did.startswith("did:") or not handle:
        raise TranscriptFormatError(f"{where} has no 'did' or no 'handle'", record=record)
    return ParsedAuthor(
        platform=PLATFORM,
        platform_id=did,
        handle=handle,
        display_name=text_of(profile.get("displayName")),
        profile_url=_profile_url(did, handle),
        avatar_url=text_of(profile.get("avatar")),
    )


def _profile_url(did: str, handle: str) -> str:
    # bsky.app pages take a DID too: the only address left when the handle
    # no longer resolves.
    return f"{WEB}/profile/{did if handle == INVALID_HANDLE else handle}"


def _handle_of(view: Any) -> str:
    author = view.get("author") if isinstance(view, dict) else None
    return text_of(author.get("handle")) if isinstance(author, dict) else ""


def _reply_refs(post_record: Mapping[str, Any]) -> tuple[str, str]:
    """``(parent uri, root uri)`` of a reply, empty strings otherwise."""
    reply = post_record.get("reply")
    if not isinstance(reply, dict):
        return "", ""
    return _ref_uri(reply.get("parent")), _ref_uri(reply.get("root"))


def _ref_uri(ref: Any) -> str:
    return text_of(ref.get("uri")) if isinstance(ref, dict) else ""


def _language(post_record: Mapping[str, Any]) -> str:
    langs = post_record.get("langs")
    return text_of(langs[0]) if isinstance(langs, list) and langs else ""


def _outline_tags(post_record: Mapping[str, Any]) -> tuple[str, ...]:
    """``record.tags``: hashtags given outside the text."""
    tags = post_record.get("tags")
    return tuple(_bare_tag(tag) for tag in tags if _bare_tag(tag)) if isinstance(tags, list) else ()


def _bare_tag(tag: Any) -> str:
    return text_of(tag).strip().lstrip("#")


def _metrics(view: Mapping[str, Any]) -> dict[str, int]:
    return {name: view[key] for key, name in METRIC_KEYS.items() if is_int(view.get(key))}


# --- text and facets ---------------------------------------------------------

_SCHEME = re.compile(r"^https?://", re.IGNORECASE)
_ELLIPSES = ("...", "…")
_HANDLE = re.compile(r"@?([A-Za-z0-9][A-Za-z0-9.-]*)")


class _RichText:
    """A post's text with its facets: byte ranges of the UTF-8 text tagged as
    a link, a mention or a hashtag."""

    def __init__(self, text: str, facets: Any):
        self.data = text.encode("utf-8")
        # (facet index, feature) pairs; malformed facets are left out.
        self.features: list[tuple[Any, Mapping[str, Any]]] = []
        for facet in facets if isinstance(facets, list) else []:
            features = facet.get("features") if isinstance(facet, dict) else None
            for feature in features if isinstance(features, list) else []:
                if isinstance(feature, dict):
                    self.features.append((facet.get("index"), feature))

    def readable_text(self) -> str:
        """The text with each shortened link replaced by its full URL.

        A link facet may also label a URL with other words ("Read more") or,
        from a buggy client, point a few bytes off; both are left as written.
        """
        pieces, position = [], 0
        for (start, end), uri in sorted(self._shortened_links()):
            if start < position:  # overlaps the previous link
                continue
            pieces += [self.data[position:start], uri.encode("utf-8")]
            position = end
        return b"".join(pieces + [self.data[position:]]).decode("utf-8")

    def _shortened_links(self) -> Iterator[tuple[tuple[int, int], str]]:
        """``(byte range, full URL)`` of each link shown shortened."""
        for index, feature in self._of(LINK_FEATURE):
            span, uri = self._span(index), text_of(feature.get("uri"))
            if span is not None and _is_shortened(self._shown(span), uri):
                yield span, uri

    def links(self) -> tuple[str, ...]:
        # A link is shared even when its range is off.
        return tuple(uri for uri in (text_of(feature.get("uri")) for _, feature in self._of(LINK_FEATURE)) if uri)

    def mentions(self) -> tuple[str, ...]:
        """Handles as the text shows them ("@alice.example" -> "alice.example")."""
        handles = []
        for index, _ in self._of(MENTION_FEATURE):
            span = self._span(index)
            match = _HANDLE.fullmatch(self._shown(span)) if span else None
            if match:
                handles.append(match[1])
        return tuple(handles)

    def tags(self) -> tuple[str, ...]:
        return tuple(tag for tag in (_bare_tag(feature.get("tag")) for _, feature in self._of(TAG_FEATURE)) if tag)

    def _of(self, feature_type: str) -> list[tuple[Any, Mapping[str, Any]]]:
        return [(index, feature) for index, feature in self.features if feature.get("$type") == feature_type]

    def _shown(self, span: tuple[int, int]) -> str:
        return self.data[span[0] : span[1]].decode("utf-8")

    def _span(self, index: Any) -> tuple[int, int] | None:
        """The facet's byte range, when it lies in the text on character
        boundaries (clients that counted characters or UTF-16 units miss)."""
        if not isinstance(index, dict):
            return None
        start, end = index.get("byteStart"), index.get("byteEnd")
        if not (is_int(start) and is_int(end) and 0 <= start < end <= len(self.data)):
            return None
        try:
            self.data[start:end].decode("utf-8")
        except UnicodeDecodeError:
            return None
        return start, end


def _is_shortened(shown: str, uri: str) -> bool:
    """Whether ``shown`` is the URL ``uri`` written short: without its scheme
    ("example.org/page") or cut and ended with an ellipsis ("example.org/so...")."""
    for ellipsis in _ELLIPSES:
        if shown.endswith(ellipsis):
            shown = shown[: -len(ellipsis)]
            break
    bare_shown, bare_uri = _SCHEME.sub("", shown), _SCHEME.sub("", uri)
    # A dot: a label that happens to begin the URL ("github") is no URL.
    return "." in bare_shown and (
        bare_uri.startswith(bare_shown) or bare_uri.removeprefix("www.").startswith(bare_shown)
    )


# --- embeds --------------------------------------------------------------------


def _embed_type(embed: Any) -> str:
    # "#main" names a lexicon's main definition: "x#main" is "x".
    return text_of(embed.get("$type")).removesuffix("#main") if isinstance(embed, dict) else ""


def _quoted_uri(record_embed: Any) -> str:
    """The uri of the post a record embeds (a quote), "" when it quotes
    nothing or embeds something else (a feed, a list)."""
    kind = _embed_type(record_embed)
    if kind == "app.bsky.embed.recordWithMedia":
        # An app.bsky.embed.record, whose $type may be left out here.
        quote = record_embed.get("record")
    elif kind == "app.bsky.embed.record":
        quote = record_embed
    else:
        return ""
    uri = _ref_uri(quote.get("record")) if isinstance(quote, dict) else ""
    return uri if _split_post_uri(uri)[1] == POST_COLLECTION else ""


def _external_links(record_embed: Any) -> tuple[str, ...]:
    """The link card's URL (``app.bsky.embed.external``), alone or beside a quote."""
    kind = _embed_type(record_embed)
    if kind == "app.bsky.embed.recordWithMedia":
        return _external_links(record_embed.get("media"))
    external = record_embed.get("external") if kind == "app.bsky.embed.external" else None
    uri = text_of(external.get("uri")) if isinstance(external, dict) else ""
    return (uri,) if uri else ()


def _media(view_embed: Any) -> Iterator[ParsedMedia]:
    """Images and video from the post view's hydrated embed: only the view has
    their URLs (the record holds blob references)."""
    kind = _embed_type(view_embed)
    if kind == "app.bsky.embed.recordWithMedia#view":
        yield from _media(view_embed.get("media"))
    elif kind == "app.bsky.embed.images#view":
        images = view_embed.get("images")
        for image in images if isinstance(images, list) else []:
            if isinstance(image, dict) and text_of(image.get("fullsize")):
                yield ParsedMedia(kind="photo", url=image["fullsize"], alt_text=text_of(image.get("alt")))
    elif kind == "app.bsky.embed.video#view" and text_of(view_embed.get("playlist")):
        yield ParsedMedia(kind="video", url=view_embed["playlist"], alt_text=text_of(view_embed.get("alt")))


# --- dates ---------------------------------------------------------------------

_TID = re.compile(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}")
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_timestamp(value: Any) -> datetime | None:
    """An AT Protocol datetime as an aware UTC datetime, None if unreadable.

    ``fromisoformat`` (Python 3.11) reads every variant found in real
    records: "Z" or an offset, no fraction or 1 to 9 fractional digits (cut to
    microseconds). A datetime without an offset, against the lexicon, is
    taken as UTC.
    """
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def tid_timestamp(rkey: str) -> datetime | None:
    """The creation time a TID record key encodes (microseconds since 1970 in
    its top 53 bits), None if ``rkey`` is not a TID."""
    if not _TID.fullmatch(rkey):
        return None
    number = 0
    for character in rkey:
        number = number * 32 + _TID_ALPHABET.index(character)
    return _EPOCH + timedelta(microseconds=number >> 10)


def _created_at(post_record: Mapping[str, Any], rkey: str, record: int) -> datetime:
    """``record.createdAt``; when the client wrote a date Python cannot hold
    (year 0000 is seen in the wild) or none, the time in the post's TID
    record key, which the author's server stamps when the post is made."""
    created_at = parse_timestamp(post_record.get("createdAt")) or tid_timestamp(rkey)
    if created_at is None:
        raise TranscriptFormatError(
            f"bad 'record.createdAt' {post_record.get('createdAt')!r}: expected an ISO 8601 date "
            "like '2024-10-10T20:00:05.000Z'",
            record=record,
        )
    return created_at
