"""Reading a WordPress export (WXR 1.0, 1.1 and 1.2): pure and streaming.

``parse(stream)`` yields, in file order, the blog's authors (``WxrAuthor``),
one ``WxrSite`` (version and addresses, before the first item), each item
(``WxrItem``: posts, pages, attachments, menu items... with their terms and
comments) and ``WxrSkipped`` for an item too broken to use (no id, no date).
No ORM: ``summaries.services.wxr_import`` turns these into rows.

Why expat directly rather than ``ElementTree.iterparse``: a DOCTYPE (and so
any entity declaration, the "billion laughs" and external-entity attacks)
is refused before it is read, without adding defusedxml. Memory holds one
item at a time.

The namespaces differ between versions (``http://wordpress.org/export/1.0/``,
``.../1.1/``, ``https://wordpress.org/export/1.2/``): any
``http(s)://wordpress.org/export/1.N/`` is the ``wp`` namespace.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from email.utils import parsedate_to_datetime
from typing import BinaryIO
from xml.parsers import expat

CHUNK_SIZE = 64 * 1024
WP_NS = re.compile(r"^https?://wordpress\.org/export/1\.\d+/$")
EXCERPT_NS = re.compile(r"^https?://wordpress\.org/export/1\.\d+/excerpt/$")
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
_SNIFF_NS = re.compile(rb"wordpress\.org/export/1\.\d+/")

format_name = "wxr"
label = "WordPress export (WXR)"


class WxrFormatError(ValueError):
    """The file cannot be read as a WordPress export.

    ``record`` is the 1-based number of the ``<item>`` at fault, or None when
    the fault lies outside any item (not XML, not WXR, a DOCTYPE).
    """

    def __init__(self, message: str, *, record: int | None = None):
        self.message = message
        self.record = record
        super().__init__(f"item {record}: {message}" if record is not None else message)


@dataclass(frozen=True)
class WxrAuthor:
    login: str
    display_name: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""


@dataclass(frozen=True)
class WxrSite:
    wxr_version: str
    base_site_url: str = ""
    base_blog_url: str = ""
    link: str = ""


@dataclass(frozen=True)
class WxrTerm:
    domain: str  # category, post_tag (tag in WXR 1.0), post_format, nav_menu, "" for 1.0's bare copies
    slug: str
    name: str


@dataclass(frozen=True)
class WxrComment:
    wp_id: int
    parent_id: int | None  # None for a top-level comment (wp:comment_parent 0)
    kind: str  # wp:comment_type as written; "" for an ordinary comment
    approved: str  # wp:comment_approved as written: 1, 0, spam, trash...
    author_name: str
    author_email: str
    author_url: str
    author_ip: str
    created_at: datetime | None  # aware; None when no date could be read
    content: str  # HTML as WordPress stored it
    user_id: int | None = None


@dataclass(frozen=True)
class WxrItem:
    record: int  # 1-based position of the <item> in the file
    wp_id: int
    post_type: str
    status: str
    title: str  # as written: may hold HTML and entities
    slug: str  # wp:post_name as written (may be percent-encoded or empty)
    link: str
    creator: str  # the author's login (dc:creator)
    content: str
    excerpt: str
    published_at: datetime | None  # aware; None for a draft without a date
    comment_status: str = "open"
    password: str = ""
    terms: tuple[WxrTerm, ...] = ()
    comments: tuple[WxrComment, ...] = ()
    # Comments without a usable wp:comment_id: they cannot be told apart on
    # a re-import, so they are left out and counted.
    broken_comments: int = 0


@dataclass(frozen=True)
class WxrSkipped:
    record: int
    reason: str
    invalid: bool = True


WxrRecord = WxrAuthor | WxrSite | WxrItem | WxrSkipped


def sniff(head: bytes) -> bool:
    """A WordPress export: an RSS document declaring the export namespace."""
    return b"<rss" in head and _SNIFF_NS.search(head) is not None


def parse(stream: BinaryIO, *, default_timezone: tzinfo = UTC) -> Iterator[WxrRecord]:
    """The records of a WXR file, streamed. Dates written without a zone
    (used only when the GMT date is missing) are read in ``default_timezone``."""
    reader = _Reader(default_timezone)
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = reader.refuse_doctype
    parser.EntityDeclHandler = reader.refuse_entity
    parser.StartNamespaceDeclHandler = reader.namespace
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.text
    read = 0
    while True:
        chunk = stream.read(CHUNK_SIZE)
        read += len(chunk)
        if not read:
            raise WxrFormatError("the file is empty: expected a WordPress export (WXR)")
        try:
            parser.Parse(chunk, not chunk)
        except LookupError as exc:
            # Expat hands an encoding it does not know (encoding="TTF-8") to
            # Python's codecs, whose LookupError would crash the import.
            raise WxrFormatError(f"not a WordPress export (WXR) this site can read: {exc}") from exc
        except expat.ExpatError as exc:
            if not reader.saw_root:
                raise WxrFormatError(
                    f"not a WordPress export (WXR): the file is not XML (line {exc.lineno}, column {exc.offset}: "
                    f"{expat.ErrorString(exc.code)})") from exc
            raise WxrFormatError(
                f"not well-formed XML at line {exc.lineno}, column {exc.offset}: {expat.ErrorString(exc.code)}",
                record=reader.item_number or None,
            ) from exc
        yield from reader.ready
        reader.ready.clear()
        if not chunk:
            break
    if not reader.saw_root:
        raise WxrFormatError("the file is empty: expected a WordPress export (WXR)")
    if reader.site is None:
        raise WxrFormatError("no <channel> with a wp:wxr_version: not a WordPress export (WXR)")


class _Reader:
    """Expat callbacks building one item (or author) at a time."""

    def __init__(self, default_timezone: tzinfo):
        self.default_timezone = default_timezone
        self.ready: list[WxrRecord] = []
        self.stack: list[str] = []
        self.buffer: list[str] = []
        self.namespaces: set[str] = set()
        self.saw_root = False
        self.site: WxrSite | None = None
        self.channel: dict[str, str] = {}
        self.item_number = 0
        self.item: dict | None = None
        self.terms: list[WxrTerm] = []
        self.term_attrs: dict[str, str] = {}
        self.comments: list[dict[str, str]] = []
        self.comment: dict[str, str] | None = None
        self.author: dict[str, str] | None = None

    # -- refusals --

    def refuse_doctype(self, *args) -> None:
        raise WxrFormatError("the file declares a DOCTYPE; a WordPress export never does, and entities are refused")

    def refuse_entity(self, *args) -> None:
        raise WxrFormatError("the file declares entities; they are refused")

    def namespace(self, prefix, uri) -> None:
        self.namespaces.add(uri or "")

    # -- names --

    @staticmethod
    def _short(name: str) -> str:
        """``uri local`` as ``wp:local``, ``content:local``... or ``local``."""
        uri, _, local = name.rpartition(" ")
        if not uri:
            return local
        if WP_NS.match(uri):
            return f"wp:{local}"
        if EXCERPT_NS.match(uri):
            return f"excerpt:{local}"
        if uri == CONTENT_NS:
            return f"content:{local}"
        if uri == DC_NS:
            return f"dc:{local}"
        return f"{{{uri}}}{local}"

    # -- events --

    def start(self, name: str, attrs: dict[str, str]) -> None:
        short = self._short(name)
        depth = len(self.stack)
        if depth == 0:
            self.saw_root = True
            if short != "rss":
                raise WxrFormatError(f"the document is <{short}>, not <rss>: not a WordPress export (WXR)")
            if not any(WP_NS.match(uri) for uri in self.namespaces):
                raise WxrFormatError("the <rss> does not declare the wordpress.org/export namespace: not a WXR file")
        self.stack.append(short)
        self.buffer = []
        path = self.stack
        if short == "item" and path[:-1] == ["rss", "channel"]:
            self._site()
            self.item_number += 1
            self.item, self.terms, self.comments = {}, [], []
        elif short == "wp:author" and path[:-1] == ["rss", "channel"]:
            self.author = {}
        elif short == "wp:comment" and self.item is not None and len(path) == 4:
            self.comment = {}
        elif short == "category" and self.item is not None and len(path) == 4:
            self.term_attrs = {"domain": attrs.get("domain", ""), "slug": attrs.get("nicename", "")}

    def text(self, data: str) -> None:
        self.buffer.append(data)

    def end(self, name: str) -> None:
        short = self.stack[-1]
        value = "".join(self.buffer)
        self.buffer = []
        depth = len(self.stack)
        parent = self.stack[-2] if depth > 1 else ""
        if self.comment is not None and parent == "wp:comment":
            self.comment[short] = value
        elif short == "wp:comment" and self.comment is not None:
            self.comments.append(self.comment)
            self.comment = None
        elif self.author is not None and parent == "wp:author":
            self.author[short] = value
        elif short == "wp:author" and self.author is not None:
            self._author_done(self.author)
            self.author = None
        elif self.item is not None and parent == "item":
            if short == "category":
                self.terms.append(WxrTerm(self.term_attrs.get("domain", ""), self.term_attrs.get("slug", ""),
                                          value.strip()))
            else:
                self.item.setdefault(short, value)
        elif short == "item" and self.item is not None:
            self.ready.append(self._item_done())
            self.item = None
        elif parent == "channel" and depth == 3:
            self.channel.setdefault(short, value)
        elif short == "channel":
            self._site()
        self.stack.pop()

    # -- records --

    def _site(self) -> None:
        if self.site is not None:
            return
        version = self.channel.get("wp:wxr_version", "").strip()
        if not version:
            raise WxrFormatError("the channel has no wp:wxr_version before its first item: not a WordPress export")
        self.site = WxrSite(
            wxr_version=version, base_site_url=self.channel.get("wp:base_site_url", "").strip(),
            base_blog_url=self.channel.get("wp:base_blog_url", "").strip(), link=self.channel.get("link", "").strip(),
        )
        self.ready.append(self.site)

    def _author_done(self, fields: dict[str, str]) -> None:
        login = fields.get("wp:author_login", "").strip()
        if login:
            self.ready.append(WxrAuthor(
                login=login, display_name=fields.get("wp:author_display_name", "").strip(),
                email=fields.get("wp:author_email", "").strip(),
                first_name=fields.get("wp:author_first_name", "").strip(),
                last_name=fields.get("wp:author_last_name", "").strip(),
            ))

    def _item_done(self) -> WxrItem | WxrSkipped:
        fields, record = self.item or {}, self.item_number
        wp_id = _int(fields.get("wp:post_id"))
        if wp_id is None or wp_id <= 0:
            return WxrSkipped(record, "the item has no wp:post_id")
        post_type = fields.get("wp:post_type", "").strip() or "post"
        status = fields.get("wp:status", "").strip() or "publish"
        published_at = (
            _gmt(fields.get("wp:post_date_gmt")) or _rfc822(fields.get("pubDate"))
            or _local(fields.get("wp:post_date"), self.default_timezone)
        )
        if published_at is None and post_type == "post" and status in {"publish", "future"}:
            return WxrSkipped(record, f"post {wp_id} is published but has no readable date")
        comments, broken = [], 0
        for raw in self.comments:
            comment_id = _int(raw.get("wp:comment_id"))
            if comment_id is None or comment_id <= 0:
                broken += 1
                continue
            parent = _int(raw.get("wp:comment_parent"))
            comments.append(WxrComment(
                wp_id=comment_id, parent_id=parent if parent else None,
                kind=raw.get("wp:comment_type", "").strip(), approved=raw.get("wp:comment_approved", "").strip(),
                author_name=raw.get("wp:comment_author", "").strip(),
                author_email=raw.get("wp:comment_author_email", "").strip(),
                author_url=raw.get("wp:comment_author_url", "").strip(),
                author_ip=raw.get("wp:comment_author_IP", "").strip(),
                created_at=_gmt(raw.get("wp:comment_date_gmt"))
                or _local(raw.get("wp:comment_date"), self.default_timezone),
                content=raw.get("wp:comment_content", ""),
                user_id=_int(raw.get("wp:comment_user_id")) or None,
            ))
        return WxrItem(
            record=record, wp_id=wp_id, post_type=post_type, status=status,
            title=fields.get("title", "").strip(), slug=fields.get("wp:post_name", "").strip(),
            link=fields.get("link", "").strip(), creator=fields.get("dc:creator", "").strip(),
            content=fields.get("content:encoded", ""), excerpt=fields.get("excerpt:encoded", ""),
            published_at=published_at, comment_status=fields.get("wp:comment_status", "open").strip(),
            password=fields.get("wp:post_password", ""), terms=tuple(self.terms), comments=tuple(comments),
            broken_comments=broken,
        )


def _int(value: str | None) -> int | None:
    try:
        return int((value or "").strip())
    except ValueError:
        return None


def _naive(value: str | None) -> datetime | None:
    """WordPress's ``YYYY-MM-DD HH:MM:SS``; its ``0000-00-00 00:00:00`` means none."""
    value = (value or "").strip()
    if not value or value.startswith("0000-00-00"):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


def _gmt(value: str | None) -> datetime | None:
    moment = _naive(value)
    return moment.replace(tzinfo=UTC) if moment else None


def _local(value: str | None, zone: tzinfo) -> datetime | None:
    moment = _naive(value)
    return moment.replace(tzinfo=zone).astimezone(UTC) if moment else None


def _rfc822(value: str | None) -> datetime | None:
    """The item's pubDate; WordPress writes year -0001 for drafts."""
    value = (value or "").strip()
    if not value or "-0001" in value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment.astimezone(UTC) if moment.tzinfo else None
