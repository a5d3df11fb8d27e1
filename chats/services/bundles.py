"""Dataset bundles: a chat's (or a whole series') data as one zip, built by
a worker (chats.tasks_datasets) and served from storage, never built during
a request.

A bundle holds, under one folder:

- ``posts.jsonl``: a post per line, its fields and (full variant) the record
  as it was imported (``original``);
- ``posts.csv``: the same posts, one row each, fixed columns;
- ``questions.csv``, ``participants.csv``, ``links.csv``, ``studies.csv``;
- ``README.md`` (what it is, every column, how to cite, the terms),
  ``CITATION.cff`` (CFF 1.2.0) and ``SHA256SUMS`` (of every other file).

Two builds of the same data give the same bytes: rows in a fixed order,
JSON with fixed key order, zip entries in a fixed order stamped with the
data's own change time. The stored file is named by its checksum, so an
unchanged rebuild writes nothing, and a changed one is saved under a new
name before the row points at it (readers get the old file until the
transaction commits; the old file is deleted after).

Placeholders: a removed post (``Post.removed``) is a row with its reason,
no text and no original record; removed at its author's request, or written
by a redacted author, it carries no author either. Redacted authors are in
no participants list and get no pseudonym.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Count, Min
from django.utils import timezone

from chats.models import Chat, DatasetBundle, Link, Post, Question, Removal, Series
from chats.services.citations import absolute_url, apa, chat_citation, chat_title, local_date, site_url
from chats.services.pseudonyms import Pseudonymiser
from chats.services.redactions import redaction_scrubber
from chats.services.transcripts import iso_utc, neutralise_cell

logger = logging.getLogger(__name__)

# Changes when what a bundle holds changes: every bundle is then rebuilt.
BUNDLE_FORMAT = "1"
FULL = DatasetBundle.Variant.FULL
PSEUDONYMISED = DatasetBundle.Variant.PSEUDONYMISED
VARIANTS = (FULL, PSEUDONYMISED)
POSTS_PER_FETCH = 2000
# Advisory lock class of bundle builds (imports use their own).
_LOCK_CLASS = 0x62756E64  # "bund"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


# --- what each file holds (the README is written from these) --------------------

@dataclass(frozen=True)
class Column:
    name: str
    meaning: str
    full_only: bool = False  # left out of the pseudonymised variant


POST_COLUMNS = (
    Column("chat", "The chat's slug (`hcsmca-116`); its page is `/chats/<slug>/` on the archive."),
    Column("id", "The platform's id of the post, as text (never a number: 19-digit ids lose digits as numbers)."),
    Column("platform", "`twitter`, `mastodon` or `bluesky`."),
    Column("created_at", "When it was posted, ISO 8601 in UTC (`2019-01-16T20:00:00Z`)."),
    Column("author", "Full variant: the author's handle, without @. Pseudonymised variant: the author's "
                     "pseudonym (`participant-0001`). Empty when the post was removed at its author's request."),
    Column("author_id", "The platform's id of the author's account.", full_only=True),
    Column("author_name", "The author's display name when the post was imported.", full_only=True),
    Column("author_profile_url", "The author's profile page on the platform.", full_only=True),
    Column("url", "The post on its platform.", full_only=True),
    Column("text", "The post's plain text (links expanded, HTML entities decoded). Empty for a removed post."),
    Column("language", "Language code the platform detected (`en`, `fr`), or empty."),
    Column("question", "Label of the chat question the post answers (`T1`, `T1a`), or empty."),
    Column("question_source", "How that was decided: `label` (A1/T1 in the text), `reply` (reply chain), "
                              "`window` (time window), `repost` (retweet of an answer), `moderator`, or empty."),
    Column("reply_to", "Id of the post it replies to, or empty."),
    Column("repost_of", "Id of the post it reposts (a retweet or boost), or empty."),
    Column("quote_of", "Id of the post it quotes, or empty."),
    Column("thread_root", "Id of the first post of its thread, when the platform says so, or empty."),
    Column("urls", "Links shared in the post, expanded (CSV: separated by spaces; JSON: a list)."),
    Column("hashtags", "Hashtags in the post, without # (CSV: separated by spaces; JSON: a list)."),
    Column("mentions", "Handles mentioned (pseudonyms in the pseudonymised variant; CSV: separated by spaces; "
                       "JSON: a list)."),
    Column("media", "Attached media as the platform described them (CSV: JSON text; JSON: a list).",
           full_only=True),
    Column("metrics", "Counts the platform reported when captured (`retweet_count`, `favorite_count`, ...) "
                      "(CSV: JSON text; JSON: an object)."),
    Column("truncated", "`true` when the text is known to be cut short."),
    Column("removed", "Empty, or why the post is a placeholder: `author_request` (removed at its author's request: "
                      "no text, no author) or `deleted` (deleted on its platform: no text)."),
)
ORIGINAL = Column("original", "JSON Lines only, full variant only: the record exactly as it was in the imported "
                              "file (a Twitter v1.1 status, a Mastodon status, ...); `null` for a removed post.",
                  full_only=True)
QUESTION_COLUMNS = (
    Column("chat", "The chat's slug."),
    Column("label", "The question's label (`T1`, `T1a`)."),
    Column("parent", "Label of the question it belongs to (T1a belongs to T1), or empty."),
    Column("text", "The question's words (empty when its asker was removed at their request)."),
    Column("position", "Its order in the chat."),
    Column("asked_by", "Id of the post that asked it, or empty."),
    Column("asked_at", "When it was asked, ISO 8601 UTC, or empty."),
    Column("post_count", "How many posts of the bundle answer it."),
)
PARTICIPANT_COLUMNS = (
    Column("author", "The handle (full variant) or pseudonym (pseudonymised variant)."),
    Column("platform", "`twitter`, `mastodon` or `bluesky`."),
    Column("author_id", "The platform's id of the account.", full_only=True),
    Column("author_name", "Display name.", full_only=True),
    Column("author_profile_url", "Profile page on the platform.", full_only=True),
    Column("author_avatar_url", "Profile picture on the platform.", full_only=True),
    Column("post_count", "How many posts of the bundle they wrote (reposts included)."),
    Column("first_post_at", "Their first post in the bundle, ISO 8601 UTC."),
)
LINK_COLUMNS = (
    Column("url", "The link, normalised (tracking parameters dropped, host lower-cased)."),
    Column("domain", "Its host, without `www.`."),
    Column("title", "The page's title when known, or empty."),
    Column("share_count", "How many posts of the bundle shared it."),
    Column("first_shared_at", "When a post of the bundle first shared it, ISO 8601 UTC."),
    Column("first_post", "Id of that post."),
    Column("study", "The study it points to (`doi:`, `pmid:`, `pmcid:` or `arxiv:` and the identifier), or empty."),
)
STUDY_COLUMNS = (
    Column("study", "The study's identifier, as in `links.csv` (`doi:10.2196/12345`)."),
    Column("doi", "DOI, or empty."),
    Column("pmid", "PubMed id, or empty."),
    Column("pmcid", "PubMed Central id, or empty."),
    Column("arxiv_id", "arXiv id, or empty."),
    Column("title", "Title when known, or empty."),
    Column("urls", "The links of the bundle that point to it, separated by spaces."),
    Column("share_count", "How many posts of the bundle shared it."),
)


def columns(spec, variant: str) -> list[Column]:
    return [column for column in spec if variant == FULL or not column.full_only]


# --- which data a bundle covers --------------------------------------------------

@dataclass
class Scope:
    """The chats of a bundle: one chat, or a series' public archived chats."""
    chat: Chat | None
    series: Series
    chats: list[Chat]

    @property
    def name(self) -> str:
        return self.chat.slug if self.chat else f"{self.series.hashtag}-series"

    @property
    def changed_at(self) -> datetime:
        return max((chat.content_changed_at for chat in self.chats), default=datetime(1980, 1, 1, tzinfo=UTC))


def scope_of(*, chat_id: int | None = None, series_id: int | None = None) -> Scope | None:
    """The scope, or None when there is nothing public to bundle (a hidden or
    scheduled chat, a series without public archived chats)."""
    if chat_id is not None:
        chat = Chat.objects.archived().select_related("series").filter(pk=chat_id).first()
        return Scope(chat=chat, series=chat.series, chats=[chat]) if chat else None
    series = Series.objects.filter(pk=series_id).first()
    if series is None:
        return None
    chats = list(Chat.objects.archived().filter(series=series).select_related("series").order_by("start", "pk"))
    return Scope(chat=None, series=series, chats=chats) if chats else None


def source_version(scope: Scope) -> str:
    """What the bundle is built from: each chat's content version (bumped by
    every change, redactions included), the bundle format and the site URL
    (the README and CITATION.cff carry it) and the series' hashtag, name and
    timezone (the README's title and times; a series edit bumps no chat)."""
    series = scope.series
    site = hashlib.sha256(f"{site_url()}|{series.hashtag}|{series.name}|{series.timezone}".encode()).hexdigest()[:8]
    if scope.chat is not None:
        chat = scope.chat
        return (f"chat {chat.pk} v{chat.content_version} "
                f"{int(chat.content_changed_at.timestamp() * 1_000_000)} f{BUNDLE_FORMAT} s{site}")
    parts = ",".join(f"{chat.pk}.{chat.content_version}.{int(chat.content_changed_at.timestamp() * 1_000_000)}"
                     for chat in scope.chats)
    digest = hashlib.sha256(parts.encode()).hexdigest()[:32]
    return f"series {scope.series.pk} n{len(scope.chats)} {digest} f{BUNDLE_FORMAT} s{site}"


# --- building ----------------------------------------------------------------------

class _HashingWriter(io.RawIOBase):
    """Passes bytes to a zip entry and hashes them (for SHA256SUMS)."""

    def __init__(self, target):
        self.target = target
        self.digest = hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.digest.update(data)
        return self.target.write(data)


class _Zip:
    """A zip whose bytes depend on its content only."""

    def __init__(self, fileobj, *, folder: str, changed_at: datetime):
        self.zip = zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        self.folder = folder
        moment = changed_at.astimezone(UTC)
        self.date_time = max(ZIP_EPOCH, (moment.year, moment.month, moment.day, moment.hour, moment.minute,
                                         moment.second - moment.second % 2))
        self.sums: list[tuple[str, str]] = []

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(f"{self.folder}/{name}", date_time=self.date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.create_system = 3
        info.external_attr = 0o644 << 16
        return info

    def open(self, name: str):
        stream = self.zip.open(self._info(name), "w")
        writer = _HashingWriter(stream)
        return stream, writer

    def add(self, name: str, data: bytes) -> None:
        stream, writer = self.open(name)
        with stream:
            writer.write(data)
        self.sums.append((name, writer.digest.hexdigest()))

    def close(self) -> None:
        lines = "".join(f"{digest}  {name}\n" for name, digest in sorted(self.sums))
        self.add("SHA256SUMS", lines.encode())
        self.zip.close()


class _Csv:
    """CSV text in memory or a temporary file; UTF-8, no BOM, CRLF (RFC 4180)."""

    def __init__(self, header: list[str]):
        self.buffer = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024, mode="w+b")
        self.text = io.TextIOWrapper(self.buffer, encoding="utf-8", newline="")
        self.writer = csv.writer(self.text, lineterminator="\r\n")
        self.writer.writerow(header)

    def row(self, values) -> None:
        self.writer.writerow(values)

    def copy_to(self, bundle: _Zip, name: str) -> None:
        self.text.flush()
        self.buffer.seek(0)
        stream, writer = bundle.open(name)
        with stream:
            while chunk := self.buffer.read(1024 * 1024):
                writer.write(chunk)
        bundle.sums.append((name, writer.digest.hexdigest()))
        self.text.close()


def _cell(value) -> str:
    """A CSV cell: lists of text joined by spaces, other structures as JSON;
    text from users neutralised against spreadsheet formulas (the JSON Lines
    file keeps it exact)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return neutralise_cell(" ".join(value))
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return neutralise_cell(str(value))


def _posts(scope: Scope):
    return (
        Post.objects.filter(chat__in=[chat.pk for chat in scope.chats])
        .select_related("author", "question", "chat", "repost_of__author")
        .order_by("created_at", "external_id", "platform")
    )


def _hides_author(post: Post) -> bool:
    return post.removed == Removal.AUTHOR_REQUEST or post.author.redacted_at is not None


@dataclass
class Counts:
    posts: int = 0
    removed: int = 0
    participants: int = 0
    questions: int = 0
    links: int = 0
    studies: int = 0
    first: datetime | None = None
    last: datetime | None = None


class Scrubber:
    """The redaction service's scrubber (chats.redaction_scrub), one per
    platform, applied again as the bundle is written: the database is
    already scrubbed (chats.services.redactions); this keeps a bundle clean
    of a mention the database may still hold (a capture imported before the
    scrub existed)."""

    def __init__(self):
        self._by_platform: dict = {}

    @classmethod
    def from_redactions(cls) -> Scrubber:
        return cls()

    def _for(self, platform: str):
        if platform not in self._by_platform:
            self._by_platform[platform] = redaction_scrubber(platform)
        return self._by_platform[platform]

    def text(self, platform: str, text: str) -> str:
        return self._for(platform).text(text)

    def mentions(self, platform: str, mentions) -> list[str]:
        return self._for(platform).mentions(mentions)

    def record(self, platform: str, value):
        """An original record with the redacted people's accounts, posts and mentions out."""
        return self._for(platform).record(value)


def _number_people(scope: Scope, scrub: Scrubber) -> Pseudonymiser:
    """Pseudonyms in the order the bundle meets people: each author at their
    first post (redacted ones never), then those only mentioned."""
    names = Pseudonymiser()
    # Two passes over the posts (the same snapshot) rather than the texts of
    # a whole series held in memory.
    authors = _posts(scope).values_list("platform", "author__handle", "author__redacted_at", "removed")
    for platform, handle, redacted_at, removed in authors.iterator(chunk_size=POSTS_PER_FETCH):
        if redacted_at is None and removed != Removal.AUTHOR_REQUEST:
            names.pseudonym(platform, handle)
    texts = _posts(scope).filter(removed="", text__contains="@").values_list(
        "platform", "text", "repost_of__removed", "repost_of__author__redacted_at")
    for platform, text, repost_removed, repost_redacted in texts.iterator(chunk_size=POSTS_PER_FETCH):
        if repost_removed != Removal.AUTHOR_REQUEST and repost_redacted is None:  # else blank, as _post_record
            names.see_mentions(platform, scrub.text(platform, text))
    return names


def _repeats_removed_words(post: Post) -> bool:
    """A repost of a post removed at its author's request: its text and
    record are a copy of the words removed."""
    original = post.repost_of
    return original is not None and (original.removed == Removal.AUTHOR_REQUEST or
                                     original.author.redacted_at is not None)


def _post_record(post: Post, variant: str, names: Pseudonymiser | None, scrub: Scrubber) -> dict:
    hide = _hides_author(post)
    removed = bool(post.removed) or _repeats_removed_words(post)
    author = post.author
    record = {
        "chat": post.chat.slug,
        "id": post.external_id,
        "platform": post.platform,
        "created_at": iso_utc(post.created_at),
        "author": "" if hide else (names.pseudonym(post.platform, author.handle) if names else author.handle),
        "author_id": "" if hide else author.platform_id,
        "author_name": "" if hide else author.display_name,
        "author_profile_url": "" if hide else author.profile_url,
        "url": "" if removed else post.url,
        "text": "" if removed else scrub.text(post.platform, post.text),
        "language": post.language,
        "question": post.question.label if post.question else "",
        "question_source": post.question_source,
        "reply_to": post.reply_to_external_id,
        "repost_of": post.repost_of_external_id,
        "quote_of": post.quote_of_external_id,
        "thread_root": post.thread_root_external_id,
        "urls": [] if removed else list(post.urls),
        "hashtags": [] if removed else list(post.hashtags),
        "mentions": [] if removed else scrub.mentions(post.platform, post.mentions),
        "media": [] if removed else list(post.media),
        "metrics": dict(sorted((post.metrics or {}).items())),
        "truncated": post.truncated,
        "removed": post.removed,
    }
    if names is not None:
        record["text"] = names.text(post.platform, record["text"])
        record["urls"] = [names.url(url) for url in record["urls"]]
        record["mentions"] = [names.pseudonym(post.platform, handle) if handle and not handle.startswith("[")
                              else handle for handle in record["mentions"]]
        for column in POST_COLUMNS:
            if column.full_only:
                del record[column.name]
    else:
        record["original"] = None if removed or not post.original else scrub.record(post.platform, post.original)
    return record


def _write_posts(bundle: _Zip, scope: Scope, variant: str, names: Pseudonymiser | None, counts: Counts,
                 scrub: Scrubber):
    """posts.jsonl and posts.csv in one pass; returns the participants' rows
    and the questions' answer counts."""
    header = [column.name for column in columns(POST_COLUMNS, variant)]
    table = _Csv(header)
    stream, jsonl = bundle.open("posts.jsonl")
    people: dict[int, dict] = {}
    answers: Counter = Counter()
    with stream:
        for post in _posts(scope).iterator(chunk_size=POSTS_PER_FETCH):
            record = _post_record(post, variant, names, scrub)
            jsonl.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")
            table.row([_cell(record[name]) for name in header])
            counts.posts += 1
            counts.removed += bool(post.removed)
            counts.first = counts.first or post.created_at
            counts.last = post.created_at
            if post.question_id:
                answers[post.question_id] += 1
            if not _hides_author(post):
                person = people.setdefault(post.author_id, {
                    "author": record["author"], "platform": post.platform, "author_id": post.author.platform_id,
                    "author_name": post.author.display_name, "author_profile_url": post.author.profile_url,
                    "author_avatar_url": post.author.avatar_url, "post_count": 0,
                    "first_post_at": iso_utc(post.created_at)})
                person["post_count"] += 1
    bundle.sums.append(("posts.jsonl", jsonl.digest.hexdigest()))
    table.copy_to(bundle, "posts.csv")
    counts.participants = len(people)
    return list(people.values()), answers


def _table(bundle: _Zip, name: str, spec, variant: str, rows: list[dict]) -> None:
    header = [column.name for column in columns(spec, variant)]
    table = _Csv(header)
    for row in rows:
        table.row([_cell(row.get(column, "")) for column in header])
    table.copy_to(bundle, name)


def _study_id(study) -> str:
    if study is None:
        return ""
    for prefix, value in (("doi", study.doi), ("pmid", study.pmid), ("pmcid", study.pmcid),
                          ("arxiv", study.arxiv_id)):
        if value:
            return f"{prefix}:{value}"
    return f"study:{study.pk}"


def _links_and_studies(scope: Scope, names: Pseudonymiser | None):
    """Links shared by the bundle's posts (removed posts share none), most
    shared first; the studies among them. A pseudonymised bundle leaves out
    links to profiles and posts on the platforms."""
    chat_ids = [chat.pk for chat in scope.chats]
    links = (
        Link.objects.filter(posts__chat__in=chat_ids, posts__removed="")
        .select_related("study", "first_post")
        .annotate(bundle_shares=Count("posts", distinct=True), first_shared=Min("posts__created_at"))
        .order_by("-bundle_shares", "url")
    )
    link_rows, studies = [], {}
    for link in links:
        if names is not None and names.url(link.url) != link.url:
            continue
        first_post = (Post.objects.filter(links=link, chat__in=chat_ids, removed="")
                      .order_by("created_at", "external_id").values_list("external_id", flat=True).first())
        study = _study_id(link.study)
        title = names.text(link.first_post.platform if link.first_post else "twitter", link.title) if names else link.title
        link_rows.append({"url": link.url, "domain": link.domain, "title": title,
                          "share_count": link.bundle_shares, "first_shared_at": iso_utc(link.first_shared),
                          "first_post": first_post or "", "study": study})
        if link.study is not None:
            entry = studies.setdefault(study, {
                "study": study, "doi": link.study.doi, "pmid": link.study.pmid, "pmcid": link.study.pmcid,
                "arxiv_id": link.study.arxiv_id, "title": link.study.title, "urls": [], "share_count": 0})
            entry["urls"].append(link.url)
            entry["share_count"] += link.bundle_shares
    study_rows = sorted(studies.values(), key=lambda row: (-row["share_count"], row["study"]))
    for row in study_rows:
        row["urls"] = sorted(row["urls"])
    return link_rows, study_rows


def _question_rows(scope: Scope, answers: Counter, names: Pseudonymiser | None, scrub: Scrubber) -> list[dict]:
    questions = (Question.objects.filter(chat__in=[chat.pk for chat in scope.chats])
                 .select_related("chat", "parent", "asked_by").order_by("chat__start", "chat_id", "position", "label"))
    rows = []
    for question in questions:
        platform = question.asked_by.platform if question.asked_by else "twitter"
        text = scrub.text(platform, question.text)
        if names is not None:
            text = names.text(platform, text)
        rows.append({
            "chat": question.chat.slug, "label": question.label,
            "parent": question.parent.label if question.parent else "", "text": text,
            "position": question.position,
            "asked_by": question.asked_by.external_id if question.asked_by else "",
            "asked_at": iso_utc(question.asked_at) or "", "post_count": answers.get(question.pk, 0),
        })
    return rows


def bundle_contents(scope: Scope, variant: str, fileobj) -> Counts:
    """Write the bundle of ``scope`` as a zip into ``fileobj`` (seekable)."""
    scrub = Scrubber.from_redactions()
    names = None if variant == FULL else _number_people(scope, scrub)
    counts = Counts()
    folder = bundle_folder(scope, variant)
    bundle = _Zip(fileobj, folder=folder, changed_at=scope.changed_at)
    # Posts first: the README needs their counts. Entries are written in this
    # fixed order; SHA256SUMS lists them sorted.
    people, answers = _write_posts(bundle, scope, variant, names, counts, scrub)
    questions = _question_rows(scope, answers, names, scrub)
    links, studies = _links_and_studies(scope, names)
    counts.questions, counts.links, counts.studies = len(questions), len(links), len(studies)
    _table(bundle, "questions.csv", QUESTION_COLUMNS, variant, questions)
    _table(bundle, "participants.csv", PARTICIPANT_COLUMNS, variant, people)
    _table(bundle, "links.csv", LINK_COLUMNS, variant, links)
    _table(bundle, "studies.csv", STUDY_COLUMNS, variant, studies)
    bundle.add("README.md", readme(scope, variant, counts).encode())
    bundle.add("CITATION.cff", citation_cff(scope, variant).encode())
    bundle.close()
    return counts


def bundle_folder(scope: Scope, variant: str) -> str:
    return f"{scope.name}-dataset" + ("-pseudonymised" if variant == PSEUDONYMISED else "")


def download_name(scope_name: str, variant: str) -> str:
    return f"{scope_name}-dataset" + ("-pseudonymised" if variant == PSEUDONYMISED else "") + ".zip"


# --- README and CITATION.cff ----------------------------------------------------------

def _named(series: Series) -> bool:
    """Whether the series has a name beyond its hashtag (imports name new ones "#tag")."""
    return bool(series.name) and series.name.strip().lstrip("#").lower() != series.hashtag.lower()


def _scope_title(scope: Scope) -> str:
    if scope.chat is not None:
        return chat_title(scope.chat)
    return f"#{scope.series.hashtag} chats" + (f" ({scope.series.name})" if _named(scope.series) else "")


def _scope_url(scope: Scope) -> str:
    from django.urls import reverse

    if scope.chat is not None:
        return absolute_url(scope.chat.get_absolute_url())
    return absolute_url(reverse("chats:series", kwargs={"hashtag": scope.series.hashtag}))


def _released(scope: Scope):
    last = max(scope.chats, key=lambda chat: chat.start)
    return local_date(last.start, scope.series.timezone)


def _column_table(spec, variant: str, *, extra=()) -> str:
    lines = ["| Column | Meaning |", "| --- | --- |"]
    for column in [*columns(spec, variant), *extra]:
        lines.append(f"| `{column.name}` | {column.meaning.replace('|', '/')} |")
    return "\n".join(lines)


def readme(scope: Scope, variant: str, counts: Counts) -> str:
    """The bundle's README.md: what it is, each file and column, how to
    cite it, the terms. Only the data's own dates, so that it is the same
    text for the same data."""
    title = _scope_title(scope)
    url = _scope_url(scope)
    tz = scope.series.timezone
    if scope.chat is not None:
        chat = scope.chat
        start = chat.start.astimezone(local_zone(tz))
        end = chat.end.astimezone(local_zone(tz))
        when = f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} ({tz}), {iso_utc(chat.start)} to {iso_utc(chat.end)}"
        what = f"the data of one chat of the #{scope.series.hashtag} series: **{title}**"
    else:
        first, last = scope.chats[0], scope.chats[-1]
        when = (f"{local_date(first.start, tz)} to {local_date(last.start, tz)} ({len(scope.chats)} chats, "
                f"the public archived chats of the series when the bundle was built)")
        what = f"the data of every public archived chat of the #{scope.series.hashtag} series"
    pseudonymised = variant == PSEUDONYMISED
    jsonl_extra = () if pseudonymised else (ORIGINAL,)
    citation = chat_citation(scope.chat) if scope.chat is not None else None
    cite = (f"> {apa(citation)}"
            if citation else
            f"> {scope.series.hashtag}. ({_released(scope).year}). {title} [Tweet chat transcripts]. "
            f"hcsmca archive. {url}")
    variant_text = (
        "This is the **pseudonymised** variant. Every handle is replaced by a pseudonym "
        "(`participant-0001`, numbered in the order people first appear in this bundle: authors by their "
        "first post, then people only mentioned); the same person has the same pseudonym in every file of "
        "this bundle, and mentions inside texts (`@handle`) read `@participant-0007`. Pseudonyms are local "
        "to this bundle: the same person has another number in another chat's bundle. Display names, "
        "account ids, avatars, profile links, the posts' own links (they contain handles), attached media, "
        "links to profiles or posts on the platforms (replaced by `[link to a profile or post removed]`) "
        "and the original imported records are left out. What it cannot remove: names people wrote in "
        "their own words (\"Kate here, from Halifax\"). Pseudonymised is not anonymous: the posts are "
        "public and searchable, so treat them as personal data."
        if pseudonymised else
        "This is the **full** variant: handles, display names and profile links as the archive's pages show "
        "them, and each post's original imported record. A **pseudonymised** variant (handles replaced by "
        "pseudonyms, no names, profiles or original records) is offered next to it for research that must "
        "not hold identifiers."
    )
    sections = [
        f"# {title}: dataset" + (" (pseudonymised)" if pseudonymised else ""),
        "",
        f"This bundle holds {what}, from the hcsmca archive. {variant_text}",
        "",
        f"- Series: #{scope.series.hashtag}" + (f" ({scope.series.name})" if _named(scope.series) else ""),
        f"- When: {when}",
        f"- Posts: {counts.posts} ({counts.removed} removed, kept as placeholders)",
        f"- Participants: {counts.participants}",
        f"- Questions: {counts.questions}; links: {counts.links}; studies: {counts.studies}",
        f"- Permanent URL: {url}",
        f"- Bundle format: {BUNDLE_FORMAT}",
        "",
        "## Files",
        "",
        "- `posts.jsonl`: one JSON object per line, one line per post, in time order"
        + ("" if pseudonymised else ", with the record as it was imported (`original`)") + ".",
        "- `posts.csv`: the same posts, one row each, the same columns (without `original`).",
        "- `questions.csv`: the chat's questions.",
        "- `participants.csv`: the people who wrote the posts (not those removed at their request).",
        "- `links.csv` and `studies.csv`: the links shared in the posts, and those recognised as research "
        "(DOI, PubMed, PubMed Central, arXiv).",
        "- `CITATION.cff`: how to cite this dataset, in the Citation File Format.",
        "- `SHA256SUMS`: checksums of every other file; check them with `sha256sum -c SHA256SUMS` in this "
        "folder.",
        "",
        "Times are ISO 8601 in UTC. Ids are text. CSV files are UTF-8 (no byte order mark), comma-separated, "
        "RFC 4180 quoting, CRLF line ends. In the CSV files a text cell that begins with `=`, `+`, `-`, `@`, "
        "a tab or a carriage return gets a leading `'` so spreadsheets do not run it as a formula; "
        "`posts.jsonl` has the exact text.",
        "",
        "## Removed posts",
        "",
        "Removed posts are placeholders: the row keeps its id, time, chat, question and thread links (so "
        "replies and counts stay as they were), with `removed` saying why, no text, no links and no original "
        "record. A post removed at its author's request (`author_request`) has no author either, and people "
        "who asked to be removed appear in no file; a repost of such a post keeps its row and author but not "
        "the words it copied (empty `text`, no original record). Removals happen after a bundle is built too: "
        "use the latest "
        "bundle from the archive, and delete older copies of removed posts you hold.",
        "",
        "## Columns",
        "",
        "### posts.jsonl and posts.csv",
        "",
        _column_table(POST_COLUMNS, variant, extra=jsonl_extra),
        "",
        "### questions.csv",
        "",
        _column_table(QUESTION_COLUMNS, variant),
        "",
        "### participants.csv",
        "",
        _column_table(PARTICIPANT_COLUMNS, variant),
        "",
        "### links.csv",
        "",
        _column_table(LINK_COLUMNS, variant),
        "",
        "### studies.csv",
        "",
        _column_table(STUDY_COLUMNS, variant),
        "",
        "## How to cite",
        "",
        cite,
        "",
        "Add the date you downloaded it (\"Retrieved <date>, from ...\"). `CITATION.cff` has the same in a "
        "machine-readable form; the archive's page for it offers APA and BibTeX.",
        "",
        "## Terms",
        "",
        "The posts were public on their platforms when they were captured during the chat. Their words belong "
        "to their authors; the archive keeps them so the chats can be read, studied and cited. Use this data "
        "for research, teaching and journalism, within your platform's and your ethics board's terms: do not "
        "re-identify people in the pseudonymised variant, do not contact participants about their health, "
        "quote sparingly and in context, and respect removals (see above). Participants can ask the archive "
        "to remove their posts.",
        "",
    ]
    return "\n".join(sections)


def local_zone(name: str):
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _yaml(value: str) -> str:
    """A YAML scalar: JSON's double-quoted strings are valid YAML."""
    return json.dumps(value, ensure_ascii=False)


def citation_cff(scope: Scope, variant: str) -> str:
    """CITATION.cff (Citation File Format 1.2.0) of the bundle."""
    title = _scope_title(scope) + (" (pseudonymised dataset)" if variant == PSEUDONYMISED else " (dataset)")
    if scope.chat is not None:
        released = local_date(scope.chat.start, scope.series.timezone)
        version = f"{scope.chat.content_version}"
        abstract = (f"Posts, questions, links and studies of {chat_title(scope.chat)}, a tweet chat of the "
                    f"#{scope.series.hashtag} series, from the hcsmca archive.")
    else:
        released = _released(scope)
        version = f"{len(scope.chats)} chats"
        abstract = (f"Posts, questions, links and studies of the public archived chats of the "
                    f"#{scope.series.hashtag} series, from the hcsmca archive.")
    keywords = sorted({scope.series.hashtag, "tweet chat", "health care social media"})
    lines = [
        "cff-version: 1.2.0",
        f"message: {_yaml('If you use this dataset, please cite it as below.')}",
        "type: dataset",
        f"title: {_yaml(title)}",
        "authors:",
        f"  - name: {_yaml(f'#{scope.series.hashtag} community')}",
        f"date-released: {released.isoformat()}",
        f"version: {_yaml(version)}",
        f"url: {_yaml(_scope_url(scope))}",
        f"abstract: {_yaml(abstract)}",
        "keywords:",
        *[f"  - {_yaml(keyword)}" for keyword in keywords],
        "",
    ]
    return "\n".join(lines)


# --- the service ---------------------------------------------------------------------------

def _lock(scope_key: tuple[str, int], variant: str) -> bool:
    kind, pk = scope_key
    lock_class = _LOCK_CLASS + (0 if kind == "chat" else 2) + (0 if variant == FULL else 1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [lock_class, pk])
        return cursor.fetchone()[0]


def _storage_name(scope: Scope, variant: str, sha256: str) -> str:
    # Named by content: an unchanged rebuild finds its file already there,
    # and a new file never overwrites one a reader may be downloading.
    return f"bundles/{bundle_folder(scope, variant)}-{sha256[:16]}.zip"


def _bundle_row(*, chat_id: int | None, series_id: int | None, variant: str) -> DatasetBundle:
    lookup = {"chat_id": chat_id} if chat_id is not None else {"series_id": series_id}
    row, _ = DatasetBundle.objects.select_for_update().get_or_create(**lookup, variant=variant)
    return row


def bundle_build(*, chat_id: int | None = None, series_id: int | None = None,
                 variant: str = FULL) -> DatasetBundle | None:
    """Build (or confirm) the ``variant`` bundle of chat ``chat_id`` or
    series ``series_id``, in one transaction that reads a consistent
    snapshot. Returns the row, or None when there is nothing public to
    bundle (its bundle, if any, is then deleted) or another worker is
    building the same bundle right now."""
    if (chat_id is None) == (series_id is None):
        raise ValueError("give a chat_id or a series_id")
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}")
    try:
        # Inside an outer transaction (tests) the snapshot is the outer one's.
        snapshot = not connection.in_atomic_block
        return _build(chat_id=chat_id, series_id=series_id, variant=variant, snapshot=snapshot)
    except Exception as exc:
        _record_failure(chat_id=chat_id, series_id=series_id, variant=variant, error=exc)
        raise


@transaction.atomic
def _build(*, chat_id, series_id, variant, snapshot: bool) -> DatasetBundle | None:
    if snapshot:
        with connection.cursor() as cursor:
            # One snapshot for the posts, questions, links and versions read.
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    if not _lock(("chat", chat_id) if chat_id is not None else ("series", series_id), variant):
        logger.info("bundle of chat %s / series %s (%s) is being built elsewhere", chat_id, series_id, variant)
        return None
    scope = scope_of(chat_id=chat_id, series_id=series_id)
    if scope is None:
        bundles_delete(chat_id=chat_id, series_id=series_id, variant=variant)
        return None
    row = _bundle_row(chat_id=chat_id, series_id=series_id, variant=variant)
    version = source_version(scope)
    if row.status == DatasetBundle.Status.READY and row.source_version == version and _stored(row):
        return row
    with tempfile.TemporaryFile() as temporary:
        bundle_contents(scope, variant, temporary)
        size = temporary.tell()
        temporary.seek(0)
        digest = hashlib.sha256()
        while chunk := temporary.read(1024 * 1024):
            digest.update(chunk)
        sha256 = digest.hexdigest()
        name = _storage_name(scope, variant, sha256)
        if not (default_storage.exists(name) and _file_sha256(name) == sha256):
            if default_storage.exists(name):
                default_storage.delete(name)  # a partial write of an earlier attempt
            temporary.seek(0)
            saved = default_storage.save(name, File(temporary, name=os.path.basename(name)))
            name = saved
    old = row.file.name if row.file else ""
    row.file.name = name
    row.size, row.sha256, row.source_version = size, sha256, version
    row.status, row.error, row.built_at = DatasetBundle.Status.READY, "", timezone.now()
    row.save()
    if old and old != name:
        transaction.on_commit(lambda: _delete_file(old))
    return row


def _stored(row: DatasetBundle) -> bool:
    return bool(row.file) and default_storage.exists(row.file.name)


def _file_sha256(name: str) -> str:
    digest = hashlib.sha256()
    with default_storage.open(name, "rb") as stored:
        while chunk := stored.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _delete_file(name: str) -> None:
    try:
        default_storage.delete(name)
    except OSError:
        logger.warning("could not delete the old bundle file %s", name)


def _record_failure(*, chat_id, series_id, variant, error: Exception) -> None:
    """A build that raised: a bundle already served keeps its file (and says
    what failed); a first build is marked failed."""
    message = f"{type(error).__name__}: {error}"[:2000]
    lookup = {"chat_id": chat_id} if chat_id is not None else {"series_id": series_id}
    try:
        with transaction.atomic():
            scope = scope_of(chat_id=chat_id, series_id=series_id)
            if scope is None:
                return
            row, _ = DatasetBundle.objects.select_for_update().get_or_create(**lookup, variant=variant)
            row.error = message
            if not _stored(row):
                # Not retried by the beat until its data change (source_version).
                row.status = DatasetBundle.Status.FAILED
                row.source_version = source_version(scope)
            row.save(update_fields=["error", "status", "source_version"])
    except Exception:  # the database may be what failed; the task's log has the first error
        logger.exception("could not record the failure of a bundle build")


def bundles_delete(*, chat_id: int | None = None, series_id: int | None = None, variant: str | None = None) -> int:
    """Delete bundles (rows, then their files after commit) of a chat or
    series: one hidden, unarchived or left without public chats."""
    rows = DatasetBundle.objects.filter(**({"chat_id": chat_id} if chat_id is not None else {"series_id": series_id}))
    if variant is not None:
        rows = rows.filter(variant=variant)
    names = [name for name in rows.values_list("file", flat=True) if name]
    deleted, _ = rows.delete()
    for name in names:
        transaction.on_commit(lambda name=name: _delete_file(name))
    return deleted


@dataclass(frozen=True)
class Job:
    chat_id: int | None
    series_id: int | None
    variant: str


def bundles_stale() -> list[Job]:
    """The builds the archive needs: each variant of every public archived
    chat and of every series with one, whose bundle is missing or older
    than its data; and the bundles of chats or series no longer public, to
    delete (jobs whose build deletes them). A bundle whose first build
    failed is retried when its data change (or from the admin)."""
    rows = {(row.chat_id, row.series_id, row.variant): row for row in DatasetBundle.objects.all()}
    jobs: list[Job] = []
    seen = set()
    chats = list(Chat.objects.archived().select_related("series").order_by("series_id", "start", "pk"))
    by_series: dict[int, list[Chat]] = {}
    for chat in chats:
        by_series.setdefault(chat.series_id, []).append(chat)
        version = source_version(Scope(chat=chat, series=chat.series, chats=[chat]))
        for variant in VARIANTS:
            seen.add((chat.pk, None, variant))
            if _needs_build(rows.get((chat.pk, None, variant)), version):
                jobs.append(Job(chat.pk, None, variant))
    for series_id, series_chats in by_series.items():
        version = source_version(Scope(chat=None, series=series_chats[0].series, chats=series_chats))
        for variant in VARIANTS:
            seen.add((None, series_id, variant))
            if _needs_build(rows.get((None, series_id, variant)), version):
                jobs.append(Job(None, series_id, variant))
    # Bundles of what is no longer public: their build finds nothing and deletes them.
    jobs.extend(Job(chat_id, series_id, variant) for (chat_id, series_id, variant) in rows
                if (chat_id, series_id, variant) not in seen)
    return jobs


def _needs_build(row: DatasetBundle | None, version: str) -> bool:
    if row is None:
        return True
    if row.status == DatasetBundle.Status.FAILED:
        return False if row.source_version == version else True
    return row.source_version != version or row.status == DatasetBundle.Status.BUILDING


def ready_bundles(*, chat: Chat | None = None, series: Series | None = None) -> dict[str, DatasetBundle]:
    """The ready bundles of a public chat or series, by variant (for pages)."""
    rows = DatasetBundle.objects.filter(status=DatasetBundle.Status.READY).exclude(file="")
    rows = rows.filter(chat=chat) if chat is not None else rows.filter(series=series)
    return {row.variant: row for row in rows}


def series_bundle_scope_exists(series: Series) -> bool:
    """Whether ``series`` has a public archived chat (else no bundle is served)."""
    return Chat.objects.archived().filter(series=series).exists()


def bundle_downloads(chat: Chat) -> list[dict]:
    """The ready downloads a public chat's page lists, in one query: its two
    bundles, then its series' two (label, variant, url, size, built_at,
    sha256)."""
    from django.db.models import Q
    from django.urls import reverse

    hashtag = chat.series.hashtag
    rows = DatasetBundle.objects.filter(Q(chat=chat) | Q(series_id=chat.series_id),
                                        status=DatasetBundle.Status.READY).exclude(file="")
    ready = {("chat" if row.chat_id else "series", row.variant): row for row in rows}
    downloads = []
    for kind, kwargs, label in (("chat", {"slug": chat.slug}, "This chat's data"),
                                ("series", {"hashtag": hashtag}, f"All #{hashtag} chats")):
        for variant, suffix, extra in ((FULL, "", ""), (PSEUDONYMISED, "-pseudonymised", ", pseudonymised")):
            bundle = ready.get((kind, variant))
            if bundle is None:
                continue
            downloads.append({
                "label": f"{label}{extra} (zip)", "variant": variant,
                "url": reverse(f"datasets:{kind}{suffix}", kwargs=kwargs), "size": bundle.size,
                "built_at": bundle.built_at.isoformat(timespec="seconds") if bundle.built_at else None,
                "sha256": bundle.sha256,
            })
    return downloads


# A file younger than this may be a build's that has not committed yet.
ORPHAN_AGE_SECONDS = 3600


def bundles_prune_files() -> int:
    """Delete files under ``bundles/`` that no bundle points at and that
    are older than an hour: left by a build whose transaction failed after
    its file was saved. Returns how many were deleted."""
    from datetime import timedelta

    try:
        _, files = default_storage.listdir("bundles")
    except FileNotFoundError:
        return 0
    referenced = set(DatasetBundle.objects.exclude(file="").values_list("file", flat=True))
    cutoff = timezone.now() - timedelta(seconds=ORPHAN_AGE_SECONDS)
    deleted = 0
    for filename in sorted(files):
        name = f"bundles/{filename}"
        if name in referenced:
            continue
        try:
            if default_storage.get_modified_time(name) >= cutoff:
                continue
        except (OSError, NotImplementedError):
            continue
        _delete_file(name)
        deleted += 1
    return deleted
