"""Loading transcripts: parse a file, then upsert authors, posts and links in
one transaction. Used by the Celery task, the management command and the
admin alike (architecture.md, section 1).
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.cache import cache
from django.db import DataError, IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from chats.importers import HEAD_SIZE, ParsedPost, SkippedRecord, TranscriptFormatError, detect, expected_formats, get_parser
from chats.models import Author, Chat, Import, Link, Post, PostLink, Series
from chats.services.links import domain_of, normalise_url

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
EXTERNAL_ID_MAX = Post._meta.get_field("external_id").max_length
AUTHOR_ID_MAX = Author._meta.get_field("platform_id").max_length
HANDLE_MAX = Author._meta.get_field("handle").max_length
CHAT_SLUG_RE = re.compile(r"^(?P<hashtag>[a-z0-9_]+)-(?P<number>\d+)$")


class ImportFailed(Exception):
    """The import cannot go on; nothing it did is kept."""

    def __init__(self, message: str, *, record: int | None = None):
        super().__init__(message)
        self.error = {"record": record, "message": message}


@dataclass
class ImportOutcome:
    status: str = Import.Status.SUCCEEDED
    format: str = ""
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    chats: list[str] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    def as_contract(self) -> dict:
        """The JSON object of `import_transcript --json` (architecture.md, section 4)."""
        return asdict(self)


@dataclass
class SourceFile:
    name: str
    stream: BinaryIO


# --- Entry points ------------------------------------------------------------

def import_run(*, import_id: int) -> ImportOutcome | None:
    """Run the import described by an ``Import`` row and record its outcome.

    Returns None when the row no longer exists or already finished (a task
    delivered twice does the work once).
    """
    with transaction.atomic():
        row = Import.objects.select_for_update().filter(pk=import_id).first()
        if row is None or row.status in {Import.Status.SUCCEEDED, Import.Status.FAILED}:
            return None
        row.status = Import.Status.RUNNING
        row.started_at = timezone.now()
        row.save(update_fields=["status", "started_at"])

    with ExitStack() as stack:
        try:
            sources = [SourceFile(name, stack.enter_context(opener())) for name, opener in _sources_of(row)]
        except OSError as exc:
            outcome = ImportOutcome(status=Import.Status.FAILED, errors=[{"record": None, "message": f"cannot read the file: {exc}"}])
        else:
            outcome = _import_or_record_crash(
                row,
                sources=sources,
                requested_format=row.requested_format,
                chat_slug=row.chat_slug or None,
                series_hashtag=row.series_hashtag or None,
                split_sessions=row.split_sessions,
                import_row=row,
            )
    _record_outcome(row, outcome)
    return outcome


def transcript_import(
    *,
    sources: Sequence[SourceFile],
    requested_format: str = "auto",
    chat_slug: str | None = None,
    series_hashtag: str | None = None,
    split_sessions: bool = False,
    dry_run: bool = False,
    import_row: Import | None = None,
) -> ImportOutcome:
    """Parse ``sources`` and load them in one transaction.

    On any error nothing is written and the outcome says failed, with the
    record and the reason. With ``dry_run`` everything is checked and counted,
    then rolled back.
    """
    outcome = ImportOutcome()
    try:
        if split_sessions:
            # Refused rather than ignored: splitting arrives with session detection.
            raise ImportFailed("splitting a file into sessions is not supported yet; import it into one chat")
        with transaction.atomic():
            parsed = _parse_sources(sources, requested_format, outcome, import_row)
            _load(parsed, chat_slug=chat_slug, series_hashtag=series_hashtag, outcome=outcome, import_row=import_row)
            if dry_run:
                transaction.set_rollback(True)
    except ImportFailed as exc:
        return _failed(outcome, exc.error)
    except TranscriptFormatError as exc:
        return _failed(outcome, {"record": exc.record, "message": exc.message})
    except (DataError, IntegrityError) as exc:
        # The data broke a rule of the database that no check above caught;
        # the transaction is rolled back, and the import fails like any bad input.
        logger.warning("import refused by the database: %s", exc)
        return _failed(outcome, {"record": None, "message": f"the database refused the data: {exc}".strip()})
    return outcome


def _import_or_record_crash(row: Import, **kwargs) -> ImportOutcome:
    """Run the import; an unexpected error fails the row (and is raised on) so
    that no import stays "running" for ever. A lost database connection is
    left to the task's retry instead."""
    try:
        return transcript_import(**kwargs)
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:
        _record_outcome(row, ImportOutcome(status=Import.Status.FAILED, errors=[
            {"record": None, "message": f"the import stopped on an unexpected error: {type(exc).__name__}: {exc}"}]))
        raise


def _failed(outcome: ImportOutcome, error: dict) -> ImportOutcome:
    return ImportOutcome(status=Import.Status.FAILED, format=outcome.format, errors=[*outcome.errors, error])


def _sources_of(row: Import):
    if row.file:
        yield row.original_name or Path(row.file.name).name, lambda: row.file.open("rb")
    for path in row.source_paths or []:
        yield Path(path).name, lambda path=path: open(path, "rb")


def _record_outcome(row: Import, outcome: ImportOutcome) -> None:
    with transaction.atomic():
        row.status = outcome.status
        row.format = outcome.format
        row.created_count = outcome.created
        row.updated_count = outcome.updated
        row.unchanged_count = outcome.unchanged
        row.skipped_count = outcome.skipped
        row.errors = outcome.errors
        row.finished_at = timezone.now()
        row.save()
        row.chats.set(Chat.objects.filter(slug__in=outcome.chats))


# --- Parsing -----------------------------------------------------------------

def _parse_sources(sources, requested_format, outcome, import_row) -> list[ParsedPost]:
    if not sources:
        raise ImportFailed("no file to import")
    posts: list[ParsedPost] = []
    for source in sources:
        format_name = _format_of(source, requested_format)
        outcome.format = format_name if not outcome.format or outcome.format == format_name else "mixed"
        prefix = f"{source.name}: " if len(sources) > 1 else ""
        try:
            for result in get_parser(format_name).parse(source.stream):
                if isinstance(result, SkippedRecord):
                    outcome.skipped += 1
                    outcome.errors.append({"record": result.record, "message": prefix + result.reason})
                else:
                    posts.append(result)
                if import_row is not None and (len(posts) + outcome.skipped) % 5000 == 0:
                    _report_progress(import_row, len(posts) + outcome.skipped)
        except TranscriptFormatError as exc:
            raise ImportFailed(f"{prefix}{exc.message}", record=exc.record) from exc
    return posts


def _format_of(source: SourceFile, requested_format: str) -> str:
    if requested_format and requested_format != "auto":
        get_parser(requested_format)  # refuses unknown names with the list of known ones
        return requested_format
    head = source.stream.read(HEAD_SIZE)
    source.stream.seek(0)
    if not head.strip():
        raise ImportFailed(f"{source.name} is empty: expected a transcript, one of: {expected_formats()}")
    format_name = detect(head)
    if format_name is None:
        raise ImportFailed(f"{source.name} is not a transcript this archive can read: expected one of: {expected_formats()}")
    return format_name


def _report_progress(row: Import, records: int) -> None:
    # The row itself is locked inside the import's transaction; the cache is
    # where the admin reads live progress. A cache outage must not fail an import.
    try:
        cache.set(import_progress_key(row.pk), records, timeout=24 * 3600)
    except Exception:  # noqa: BLE001
        logger.warning("could not report progress of import %s", row.pk, exc_info=True)


def import_progress_key(import_id: int) -> str:
    return f"import-progress:{import_id}"


# --- Loading -----------------------------------------------------------------

def _load(parsed: list[ParsedPost], *, chat_slug, series_hashtag, outcome: ImportOutcome, import_row) -> None:
    posts = _unique_posts(parsed, outcome)
    if not posts:
        if outcome.skipped:
            return
        raise ImportFailed("the file holds no posts")
    chat = _target_chat(posts, chat_slug=chat_slug, series_hashtag=series_hashtag)
    author_ids = _upsert_authors(posts)
    touched_ids = _upsert_posts(posts, chat=chat, author_ids=author_ids, outcome=outcome, import_row=import_row)
    _resolve_references(chat)
    _attach_links(posts, touched_ids)
    _stretch_chat(chat)
    outcome.chats = [chat.slug]


def _unique_posts(parsed: list[ParsedPost], outcome: ImportOutcome) -> list[ParsedPost]:
    """The same post twice in one file (overlapping searches do that) is kept once."""
    first_record: dict[tuple[str, str], int] = {}
    unique = []
    for post in parsed:
        _check_fits(post)
        key = (post.platform, post.external_id)
        if key in first_record:
            outcome.skipped += 1
            outcome.errors.append({"record": post.record, "message": f"the same post as record {first_record[key]}"})
            continue
        first_record[key] = post.record
        unique.append(post)
    return unique


def _target_chat(posts: list[ParsedPost], *, chat_slug, series_hashtag) -> Chat:
    start = min(p.created_at for p in posts)
    end = max(p.created_at for p in posts)
    if chat_slug:
        chat = Chat.objects.filter(slug=chat_slug).first()
        return chat or _create_chat_from_slug(chat_slug, start, end)
    existing = _chat_holding(posts)
    if existing is not None:
        return existing
    series = _series(series_hashtag or settings.HCSMCA_DEFAULT_SERIES)
    # Lock the series so two imports cannot take the same number.
    Series.objects.select_for_update().get(pk=series.pk)
    number = (series.chats.aggregate(Max("number"))["number__max"] or 0) + 1
    return Chat.objects.create(series=series, number=number, slug=f"{series.hashtag}-{number}", start=start, end=end)


def _chat_holding(posts: list[ParsedPost]) -> Chat | None:
    """The chat that already holds most of these posts: a re-import goes back there."""
    keys = [p.external_id for p in posts[:BATCH_SIZE]]
    platform = posts[0].platform
    chat_id = (
        Post.objects.filter(platform=platform, external_id__in=keys)
        .values("chat_id").annotate(n=Count("id")).order_by("-n").values_list("chat_id", flat=True).first()
    )
    return Chat.objects.filter(pk=chat_id).first() if chat_id else None


def _create_chat_from_slug(slug: str, start: datetime, end: datetime) -> Chat:
    match = CHAT_SLUG_RE.match(slug)
    if not match:
        raise ImportFailed(f"there is no chat {slug!r}; to create one, name it <series hashtag>-<number>, e.g. hcsmca-116")
    series = _series(match["hashtag"])
    number = int(match["number"])
    if Chat.objects.filter(series=series, number=number).exists():
        raise ImportFailed(f"chat number {number} of #{series.hashtag} already exists under another slug")
    return Chat.objects.create(series=series, number=number, slug=slug, start=start, end=end)


def _series(hashtag: str) -> Series:
    hashtag = hashtag.lstrip("#").lower()
    series, _ = Series.objects.get_or_create(hashtag=hashtag, defaults={"name": f"#{hashtag}"})
    return series


def _upsert_authors(posts: list[ParsedPost]) -> dict[tuple[str, str], int]:
    latest = {}
    for post in posts:  # the newest profile in the file wins
        latest[(post.author.platform, post.author.platform_id)] = post.author
    rows = [
        Author(platform=a.platform, platform_id=a.platform_id, handle=a.handle, display_name=a.display_name,
               profile_url=a.profile_url, avatar_url=a.avatar_url)
        for a in latest.values()
    ]
    Author.objects.bulk_create(
        rows, batch_size=BATCH_SIZE, update_conflicts=True, unique_fields=["platform", "platform_id"],
        update_fields=["handle", "display_name", "profile_url", "avatar_url"],
    )
    ids = {}
    for platform in {key[0] for key in latest}:
        platform_ids = [key[1] for key in latest if key[0] == platform]
        for start in range(0, len(platform_ids), BATCH_SIZE):
            for pk, platform_id in Author.objects.filter(
                platform=platform, platform_id__in=platform_ids[start:start + BATCH_SIZE]
            ).values_list("pk", "platform_id"):
                ids[(platform, platform_id)] = pk
    return ids


POST_FIELDS = [
    "chat", "author", "created_at", "text", "url", "language", "urls", "hashtags", "mentions", "media", "metrics",
    "original", "content_hash", "reply_to_external_id", "repost_of_external_id", "quote_of_external_id", "last_import",
    # Cleared for a changed post, then resolved again from its external ids.
    "reply_to", "repost_of", "quote_of",
]


def content_hash(post: ParsedPost) -> str:
    payload = asdict(post)
    payload.pop("record")
    payload["raw"] = post.raw
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


def _upsert_posts(posts, *, chat: Chat, author_ids, outcome: ImportOutcome, import_row) -> list[int]:
    """Insert new posts, update changed ones; returns the ids of both."""
    touched: list[int] = []
    for start in range(0, len(posts), BATCH_SIZE):
        batch = posts[start:start + BATCH_SIZE]
        existing = {
            (row.platform, row.external_id): row
            for row in Post.objects.filter(
                platform__in={p.platform for p in batch}, external_id__in=[p.external_id for p in batch]
            ).only("id", "platform", "external_id", "content_hash", "chat_id")
        }
        new_rows, changed_rows = [], []
        for parsed in batch:
            row = _post_row(parsed, chat=chat, author_id=author_ids[(parsed.author.platform, parsed.author.platform_id)],
                            import_row=import_row)
            current = existing.get((parsed.platform, parsed.external_id))
            if current is None:
                new_rows.append(row)
            elif current.content_hash != row.content_hash or current.chat_id != chat.pk:
                row.pk = current.pk
                changed_rows.append(row)
            else:
                outcome.unchanged += 1
        Post.objects.bulk_create(new_rows)
        Post.objects.bulk_update(changed_rows, POST_FIELDS)
        outcome.created += len(new_rows)
        outcome.updated += len(changed_rows)
        touched += [row.pk for row in new_rows + changed_rows]
    return touched


def _check_fits(parsed: ParsedPost) -> None:
    """Refuse, naming the record, values longer than their columns."""
    for label, value, limit in (
        ("post id", parsed.external_id, EXTERNAL_ID_MAX),
        ("author id", parsed.author.platform_id, AUTHOR_ID_MAX),
        ("author handle", parsed.author.handle, HANDLE_MAX),
        ("reply-to id", parsed.reply_to_id, EXTERNAL_ID_MAX),
        ("repost-of id", parsed.repost_of_id, EXTERNAL_ID_MAX),
        ("quote-of id", parsed.quote_of_id, EXTERNAL_ID_MAX),
    ):
        if len(value) > limit:
            raise ImportFailed(f"the {label} is {len(value)} characters long; at most {limit} are kept", record=parsed.record)


def _post_row(parsed: ParsedPost, *, chat: Chat, author_id: int, import_row) -> Post:
    return Post(
        platform=parsed.platform,
        external_id=parsed.external_id,
        chat=chat,
        author_id=author_id,
        created_at=parsed.created_at,
        text=parsed.text,
        url=parsed.url[:500],
        language=parsed.language[:16],
        urls=list(parsed.urls),
        hashtags=list(parsed.hashtags),
        mentions=list(parsed.mentions),
        media=[asdict(m) for m in parsed.media],
        metrics=dict(parsed.metrics),
        original=parsed.raw,
        content_hash=content_hash(parsed),
        reply_to_external_id=parsed.reply_to_id,
        repost_of_external_id=parsed.repost_of_id,
        quote_of_external_id=parsed.quote_of_id,
        last_import=import_row if import_row is not None and import_row.pk else None,
    )


def _resolve_references(chat: Chat) -> None:
    """Point reply / repost / quote references at rows, in both directions:
    this chat's posts at what they answer, and older posts at this chat's."""
    with connection.cursor() as cursor:
        for column in ("reply_to", "repost_of", "quote_of"):
            cursor.execute(
                f"""
                UPDATE chats_post AS source SET {column}_id = target.id
                FROM chats_post AS target
                WHERE source.{column}_external_id <> ''
                  AND target.platform = source.platform
                  AND target.external_id = source.{column}_external_id
                  AND source.{column}_id IS DISTINCT FROM target.id
                  AND (source.chat_id = %s OR target.chat_id = %s)
                """,
                [chat.pk, chat.pk],
            )


def _attach_links(posts: list[ParsedPost], touched_ids: list[int]) -> None:
    if not touched_ids:
        return
    post_ids = dict(
        ((platform, external_id), pk)
        for pk, platform, external_id in Post.objects.filter(pk__in=touched_ids).values_list("pk", "platform", "external_id")
    )
    wanted: list[tuple[int, str, int]] = []  # (post id, normalised url, position)
    for post in posts:
        pk = post_ids.get((post.platform, post.external_id))
        if pk is None:
            continue
        seen = set()
        for url in post.urls:
            normalised = normalise_url(url)
            if normalised and normalised not in seen:
                seen.add(normalised)
                wanted.append((pk, normalised, len(seen) - 1))
    previous_link_ids = set(PostLink.objects.filter(post_id__in=touched_ids).values_list("link_id", flat=True))
    PostLink.objects.filter(post_id__in=touched_ids).delete()
    urls = sorted({url for _, url, _ in wanted})
    Link.objects.bulk_create([Link(url=url, domain=domain_of(url)) for url in urls], ignore_conflicts=True,
                             batch_size=BATCH_SIZE)
    link_ids = dict(Link.objects.filter(url__in=urls).values_list("url", "pk")) if urls else {}
    PostLink.objects.bulk_create(
        [PostLink(post_id=pk, link_id=link_ids[url], position=position) for pk, url, position in wanted],
        batch_size=BATCH_SIZE, ignore_conflicts=True,
    )
    # Links an edited post no longer shares are recounted too (down to zero).
    _recount_links(previous_link_ids | set(link_ids.values()))


def _recount_links(link_ids: Iterable[int]) -> None:
    link_ids = list(link_ids)
    if not link_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE chats_link AS link SET
                share_count = (SELECT count(*) FROM chats_postlink pl WHERE pl.link_id = link.id),
                first_post_id = (
                    SELECT p.id FROM chats_postlink pl JOIN chats_post p ON p.id = pl.post_id
                    WHERE pl.link_id = link.id ORDER BY p.created_at, p.id LIMIT 1
                )
            WHERE link.id = ANY(%s)
            """,
            [link_ids],
        )


def _stretch_chat(chat: Chat) -> None:
    """A chat spans at least the posts it holds."""
    bounds = chat.posts.aggregate(first=Min("created_at"), last=Max("created_at"))
    start = min(chat.start, bounds["first"]) if bounds["first"] else chat.start
    end = max(chat.end, bounds["last"]) if bounds["last"] else chat.end
    if (start, end) != (chat.start, chat.end):
        chat.start, chat.end = start, end
        chat.save(update_fields=["start", "end", "updated_at"])
