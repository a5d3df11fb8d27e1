"""Loading transcripts: parse files, then merge their posts into the archive
in one transaction. Used by the Celery task, the management command and the
admin alike (architecture.md, section 1).

How a load goes, and why:

1. Each file is detected (or taken as ``--format``) and parsed as a stream.
   Parsed posts are written in batches with PostgreSQL ``COPY`` into a
   temporary staging table, so memory stays flat whatever the file's size.
2. The staging table is merged with set-based SQL: the richest copy of each
   post wins inside the file, authors are upserted, new posts inserted,
   existing ones replaced only by a richer copy (full text over truncated,
   longer text, more metrics) and otherwise left unchanged.
3. New posts go to the chat named on the command line, to the chat that
   already holds the file's other posts (a re-import), to sessions cut from
   the capture (``split_sessions``, or a series with a schedule), or to a new
   chat.
4. References (reply, repost, quote) are resolved to rows both ways, links
   counted and recognised as studies, questions detected and assigned.

Any error leaves the archive exactly as it was: it is one transaction.
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import DataError, IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Max
from django.utils import timezone

from chats.importers import (
    HEAD_SIZE,
    PARSERS,
    ParseContext,
    ParsedPost,
    SkippedRecord,
    TranscriptFormatError,
    detect,
    expected_formats,
    get_parser,
)
from chats.importers.base import DeletionNotice
from chats.models import Author, Chat, Import, Post, Series
from chats.services.content import chats_content_touch
from chats.services.links import domain_of, links_recount, normalise_url, studies_recognise
from chats.services.questions import questions_assign_many
from chats.services.redactions import BLANK_POST_COLUMNS, posts_mark_deleted, redaction_scrubber
from chats.services.sessions import SessionPlan, plan_sessions
from chats.services.sources import DecompressionRefused, decompressed

logger = logging.getLogger(__name__)

BATCH_SIZE = 5000
# Only so many skipped records are listed one by one; the rest are counted.
MAX_REPORTED_ERRORS = 1000
EXTERNAL_ID_MAX = Post._meta.get_field("external_id").max_length
AUTHOR_ID_MAX = Author._meta.get_field("platform_id").max_length
HANDLE_MAX = Author._meta.get_field("handle").max_length
CHAT_SLUG_RE = re.compile(r"^(?P<hashtag>[a-z0-9_]+)-(?P<number>\d+)$")
# First key of the PostgreSQL advisory lock that keeps one import to one worker
# (the second key is the Import id); any constant unused elsewhere will do.
_IMPORT_LOCK_CLASS = 7001


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
    # Beyond the contract: what a moderator wants to know, above all on a dry run.
    first_post_at: datetime | None = None
    last_post_at: datetime | None = None
    outside: int = 0
    new_chats: list[str] = field(default_factory=list)
    unreported_errors: int = 0

    CONTRACT_KEYS = ("status", "format", "created", "updated", "unchanged", "skipped", "chats", "errors")

    def as_contract(self) -> dict:
        """The JSON object of `import_transcript --json` (architecture.md, section 4)."""
        return {key: getattr(self, key) for key in self.CONTRACT_KEYS}

    def report(self, record: int | None, message: str) -> None:
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"record": record, "message": message})
        else:
            self.unreported_errors += 1

    def close_report(self) -> None:
        if self.unreported_errors:
            self.errors.append({"record": None, "message": f"... and {self.unreported_errors} more not listed"})
            self.unreported_errors = 0


@dataclass
class SourceFile:
    name: str
    stream: BinaryIO
    size: int = 0


# Called with (records read, bytes read, bytes in all files).
ProgressCallback = Callable[[int, int, int], None]


# --- Entry points ------------------------------------------------------------

def import_run(*, import_id: int, progress: ProgressCallback | None = None) -> ImportOutcome | None:
    """Run the import described by an ``Import`` row and record its outcome.

    Returns None when the row no longer exists, already finished, or is
    being run by another worker (a task delivered twice does the work once).
    """
    # The row lock below is held only while the status changes, so a second
    # worker handed the same import (a task delivered twice) would otherwise
    # see "running" and import the file again. A session advisory lock held
    # for the whole run stops it; PostgreSQL drops it if the worker dies, so
    # a retry after a lost connection can still take the import over.
    if not _import_lock(import_id):
        logger.info("import %s is already running in another worker; not running it twice", import_id)
        return None
    try:
        return _import_run_locked(import_id=import_id, progress=progress)
    finally:
        _import_unlock(import_id)


def _import_lock(import_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_IMPORT_LOCK_CLASS, import_id])
        return cursor.fetchone()[0]


def _import_unlock(import_id: int) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_IMPORT_LOCK_CLASS, import_id])
    except (OperationalError, InterfaceError):
        # The connection is gone, and the session's locks went with it.
        logger.warning("could not release the lock of import %s: the connection is gone", import_id)


def _import_run_locked(*, import_id: int, progress: ProgressCallback | None) -> ImportOutcome | None:
    with transaction.atomic():
        row = Import.objects.select_for_update().filter(pk=import_id).first()
        if row is None or row.status in {Import.Status.SUCCEEDED, Import.Status.FAILED}:
            return None
        row.status = Import.Status.RUNNING
        row.started_at = timezone.now()
        row.save(update_fields=["status", "started_at"])

    with ExitStack() as stack:
        try:
            sources = [
                SourceFile(name, stack.enter_context(opener()), size)
                for name, opener, size in _sources_of(row)
            ]
        except OSError as exc:
            outcome = ImportOutcome(
                status=Import.Status.FAILED, errors=[{"record": None, "message": f"cannot read the file: {exc}"}]
            )
        else:
            outcome = _import_or_record_crash(
                row,
                sources=sources,
                requested_format=row.requested_format,
                chat_slug=row.chat_slug or None,
                series_hashtag=row.series_hashtag or None,
                split_sessions=row.split_sessions,
                strict=row.strict,
                dry_run=row.dry_run,
                import_row=row,
                progress=_combine(_row_progress(row), progress),
            )
    _record_outcome(row, outcome)
    return outcome


def import_unfinished(*, import_id: int) -> bool:
    """Whether the import ``import_id`` still waits to be run or to finish."""
    return Import.objects.filter(pk=import_id, status__in=[Import.Status.QUEUED, Import.Status.RUNNING]).exists()


def import_fail(*, import_id: int, message: str, running_too: bool = False) -> None:
    """Fail an import that will never finish, with ``message`` as its one
    error: a queued one whose task could not be sent, or (``running_too``) one
    whose task gave up after its last retry. A row taken by a worker is
    otherwise left to it."""
    unfinished = [Import.Status.QUEUED, Import.Status.RUNNING] if running_too else [Import.Status.QUEUED]
    with transaction.atomic():
        Import.objects.filter(pk=import_id, status__in=unfinished).update(
            status=Import.Status.FAILED, errors=[{"record": None, "message": message}], finished_at=timezone.now())


def transcript_import(*, sources: Sequence[SourceFile], **options) -> ImportOutcome:
    """Parse ``sources`` and merge them into the archive in one transaction.

    A ``.gz`` file, or a ``.zip`` of transcripts, is decompressed lazily as
    it is read (chats/services/sources.py); one that is damaged or grows past
    the limits fails the import, which leaves the archive as it was.
    """
    with ExitStack() as stack:
        try:
            expanded = [
                SourceFile(name, stream, size)
                for source in sources
                for name, stream, size in decompressed(
                    source.name, source.stream, source.size, stack=stack,
                    limit=settings.HCSMCA_MAX_DECOMPRESSED_BYTES, max_ratio=settings.HCSMCA_MAX_DECOMPRESSION_RATIO)
            ]
            return _import_sources(sources=expanded, **options)
        except DecompressionRefused as exc:
            return _failed(ImportOutcome(), {"record": None, "message": str(exc)})


def _import_sources(
    *,
    sources: Sequence[SourceFile],
    requested_format: str = "auto",
    chat_slug: str | None = None,
    series_hashtag: str | None = None,
    split_sessions: bool = False,
    strict: bool = False,
    dry_run: bool = False,
    import_row: Import | None = None,
    progress: ProgressCallback | None = None,
) -> ImportOutcome:
    """Parse ``sources`` and merge them into the archive in one transaction.

    On any error nothing is written and the outcome says failed, with the
    record and the reason. With ``dry_run`` everything is checked and
    counted, then rolled back.
    """
    outcome = ImportOutcome()
    try:
        wordpress = _is_wordpress_export(sources, requested_format)
    except ImportFailed as exc:
        return _failed(outcome, exc.error)
    if wordpress:
        # The old blog's posts, not a transcript: they become summaries.
        # Imported here, not at the top: summaries' service imports this module.
        from summaries.services.wxr_import import wordpress_import

        return wordpress_import(sources=sources, series_hashtag=series_hashtag, strict=strict, dry_run=dry_run,
                                progress=progress)
    try:
        with transaction.atomic():
            load = _Load(outcome, import_row=import_row, progress=progress, strict=strict)
            load.run(sources, requested_format=requested_format, chat_slug=chat_slug,
                     series_hashtag=series_hashtag, split_sessions=split_sessions)
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
    outcome.close_report()
    return outcome


def _is_wordpress_export(sources: Sequence[SourceFile], requested_format: str) -> bool:
    """``--format wxr``, or every file is a WordPress export (WXR) by its head.
    A WXR file among transcripts is refused: each goes its own way."""
    if requested_format == "wxr":
        return True
    if requested_format not in {"", "auto"} or not sources:
        return False
    from summaries.wxr import sniff

    found = [sniff(_head(source)) for source in sources]
    if all(found):
        return True
    if any(found):
        raise ImportFailed("a WordPress export (WXR) cannot be imported together with transcripts: import it alone")
    return False


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
    outcome.close_report()
    # The failure usually quotes the skipped record that caused it.
    earlier = [e for e in outcome.errors if not (e["record"] == error["record"] and e["message"] in error["message"])]
    return ImportOutcome(status=Import.Status.FAILED, format=outcome.format, errors=[*earlier, error])


def _sources_of(row: Import):
    if row.file:
        yield row.original_name or Path(row.file.name).name, lambda: row.file.open("rb"), row.file.size
    for path in row.source_paths or []:
        yield Path(path).name, lambda path=path: open(path, "rb"), Path(path).stat().st_size


def _record_outcome(row: Import, outcome: ImportOutcome) -> None:
    """Write the outcome fields only: the progress columns were written
    during the run through another connection and must not be reset."""
    with transaction.atomic():
        fields = {
            "status": outcome.status, "format": outcome.format, "created_count": outcome.created,
            "updated_count": outcome.updated, "unchanged_count": outcome.unchanged,
            "skipped_count": outcome.skipped, "outside_count": outcome.outside, "errors": outcome.errors,
            "first_post_at": outcome.first_post_at, "last_post_at": outcome.last_post_at,
            "planned_chats": outcome.new_chats if row.dry_run else [], "finished_at": timezone.now(),
        }
        if outcome.status == Import.Status.SUCCEEDED:
            fields["bytes_read"] = F("bytes_total")
        Import.objects.filter(pk=row.pk).update(**fields)
        row.refresh_from_db()
        row.chats.set([] if row.dry_run else Chat.objects.filter(slug__in=outcome.chats))


def _row_progress(row: Import) -> ProgressCallback:
    """Progress written to the row through a connection of its own, so that it
    shows while the import's own transaction is still open."""

    def write(records: int, bytes_read: int, bytes_total: int) -> None:
        try:
            Import.objects.using("progress").filter(pk=row.pk).update(
                progress=records, bytes_read=bytes_read, bytes_total=bytes_total)
        except Exception:  # noqa: BLE001 - progress is a nicety; never fail an import over it
            logger.warning("could not record the progress of import %s", row.pk, exc_info=True)

    return write


def _combine(*callbacks: ProgressCallback | None) -> ProgressCallback:
    active = [callback for callback in callbacks if callback is not None]

    def call(records: int, bytes_read: int, bytes_total: int) -> None:
        for callback in active:
            callback(records, bytes_read, bytes_total)

    return call


# --- Reading -----------------------------------------------------------------

class CountingReader(io.RawIOBase):
    """A binary stream that counts the bytes read through it (for progress)."""

    def __init__(self, stream: BinaryIO):
        self._stream = stream
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)

    def readline(self, size: int = -1) -> bytes:
        line = self._stream.readline(size)
        self.count += len(line)
        return line

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size) if size is not None and size >= 0 else self._stream.read()
        self.count += len(data)
        return data


@dataclass
class _Source:
    file: SourceFile
    format_name: str


# Columns of the staging table, in COPY order.
STAGING_COLUMNS = (
    ("seq", "bigint"), ("record", "integer"), ("source", "text"),
    ("platform", "text"), ("external_id", "text"),
    ("author_platform_id", "text"), ("author_handle", "text"), ("author_display_name", "text"),
    ("author_profile_url", "text"), ("author_avatar_url", "text"),
    ("created_at", "timestamptz"), ("text", "text"), ("url", "text"), ("language", "text"),
    ("urls", "jsonb"), ("hashtags", "jsonb"), ("mentions", "jsonb"), ("media", "jsonb"), ("metrics", "jsonb"),
    ("original", "jsonb"), ("content_hash", "text"), ("richness", "bigint"), ("truncated", "boolean"),
    ("reply_to", "text"), ("repost_of", "text"), ("quote_of", "text"), ("thread_root", "text"),
    ("edit_history", "jsonb"), ("links", "jsonb"),
)


class _Load:
    """One import: the staging table, the merge and what follows it."""

    def __init__(self, outcome: ImportOutcome, *, import_row: Import | None, progress: ProgressCallback | None,
                 strict: bool):
        self.outcome = outcome
        self.import_row = import_row if import_row is not None and import_row.pk else None
        self.progress = progress
        self.strict = strict
        self.records = 0
        self.bytes_done = 0
        self.bytes_total = 0
        self.last_progress = 0.0
        self.seq = 0
        self.created_chats: list[Chat] = []
        self.orphaned_link_ids: set[int] = set()
        self.new_link_ids: list[int] = []
        # Redacted accounts to scrub from each platform's posts, read once.
        self.scrubbers: dict = {}
        # (platform, external id) of posts a stream says were deleted, by file.
        self.deletion_notices: dict[str, list[tuple[str, str]]] = {}

    # -- the steps --

    def run(self, sources, *, requested_format, chat_slug, series_hashtag, split_sessions) -> None:
        if not sources:
            raise ImportFailed("no file to import")
        target = Chat.objects.select_related("series").filter(slug=chat_slug).first() if chat_slug else None
        if chat_slug and target is None and not CHAT_SLUG_RE.match(chat_slug):
            raise ImportFailed(
                f"there is no chat {chat_slug!r}; to create one, name it <series hashtag>-<number>, e.g. hcsmca-116")
        series = target.series if target else _series(
            (CHAT_SLUG_RE.match(chat_slug)["hashtag"] if chat_slug else None)
            or series_hashtag or settings.HCSMCA_DEFAULT_SERIES)
        readable, context = self._classify(sources, requested_format, series)
        self.bytes_total = sum(source.file.size for source in readable)
        self._create_staging()
        for source in readable:
            self._step(f"read {source.file.name}", self._stage, source, context)
        self._report_progress(force=True)
        self._merge(target=target, chat_slug=chat_slug, series=series, split_sessions=split_sessions)

    def _classify(self, sources, requested_format, series) -> tuple[list[_Source], ParseContext]:
        """The format of each file; a personal archive's account.js is read as
        context for its tweets.js, not as posts."""
        readable, account = [], None
        for source in sources:
            format_name = _format_of(source, requested_format)
            archive = PARSERS["twitter-archive"]
            head = _head(source)
            if format_name == "twitter-archive" and archive.is_companion(head):
                found = archive.read_account(source.stream)
                account = found or account
                note = "the archive's account, used as the author of its tweets" if found else "not posts"
                self.outcome.report(None, f"{source.name}: {note}")
                continue
            readable.append(_Source(source, format_name))
        formats = {source.format_name for source in readable}
        self.outcome.format = formats.pop() if len(formats) == 1 else ("mixed" if formats else "")
        if not readable:
            raise ImportFailed("none of the files holds posts")
        return readable, ParseContext(default_timezone=_zone(series.timezone), account=account)

    def _create_staging(self) -> None:
        columns = ", ".join(f"{name} {kind}" for name, kind in STAGING_COLUMNS)
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS import_staging")
            cursor.execute(f"CREATE TEMP TABLE import_staging ({columns}) ON COMMIT DROP")

    def _stage(self, source: _Source, context: ParseContext) -> None:
        parser = get_parser(source.format_name)
        prefix = f"{source.file.name}: " if self.bytes_total != source.file.size else ""
        reader = CountingReader(source.file.stream)
        batch: list[str] = []
        parsed_any = False
        first_invalid: SkippedRecord | None = None
        try:
            for result in parser.parse(reader, context):
                self.records += 1
                if isinstance(result, DeletionNotice):
                    self.deletion_notices.setdefault(source.file.name, []).append(
                        (result.platform, result.external_id))
                    self.outcome.skipped += 1
                    self.outcome.report(
                        result.record, f"{prefix}a deletion notice: post {result.external_id} is marked deleted")
                elif isinstance(result, SkippedRecord):
                    if result.invalid and self.strict:
                        raise ImportFailed(f"{prefix}{result.reason} (--strict)", record=result.record)
                    first_invalid = first_invalid or (result if result.invalid else None)
                    self.outcome.skipped += 1
                    self.outcome.report(result.record, prefix + result.reason)
                else:
                    _check_fits(result, prefix)
                    parsed_any = True
                    batch.append(self._staging_line(result, source.file.name))
                    if len(batch) >= BATCH_SIZE:
                        self._copy(batch)
                        batch = []
                if self.records % 1000 == 0:
                    self._report_progress(current=reader.count)
        except TranscriptFormatError as exc:
            raise ImportFailed(f"{prefix}{exc.message}", record=exc.record) from exc
        if batch:
            self._copy(batch)
        if not parsed_any and first_invalid is not None:
            raise ImportFailed(
                f"{prefix}no record could be read as {parser.label}; the first problem: {first_invalid.reason}",
                record=first_invalid.record)
        self.bytes_done += source.file.size or reader.count

    def _staging_line(self, post: ParsedPost, source_name: str) -> str:
        self.seq += 1
        original = _json(post.raw)
        # Richness is of the copy as captured: scrubbing changes lengths, and
        # the archived copy's richness was taken before its scrub too.
        richness = richness_of(post)
        scrubber = self._scrubber(post.platform)
        if scrubber and scrubber.touches(post.text, original):
            # A redacted person named in someone else's post: the same
            # scrub as at redaction time, so a re-import compares equal.
            post = replace(post, text=scrubber.text(post.text), mentions=tuple(scrubber.mentions(post.mentions)),
                           raw=scrubber.record(post.raw))
            original = _json(post.raw)
        values = [
            post.platform, post.external_id,
            post.author.platform_id, post.author.handle, post.author.display_name,
            post.author.profile_url, post.author.avatar_url,
            post.created_at.astimezone(UTC).isoformat(), post.text, post.url[:500], post.language[:16],
            _json(list(post.urls)), _json(list(post.hashtags)), _json(list(post.mentions)),
            _json([{"kind": m.kind, "url": m.url, "alt_text": m.alt_text} for m in post.media]),
            _json(dict(post.metrics)), original,
        ]
        content = "\t".join(_copy_text(value) for value in values)
        # The hash covers everything the post says, so an unchanged
        # re-import is recognised without comparing documents.
        content_hash = hashlib.sha256(content.encode()).hexdigest()
        links = [[url, domain_of(url)] for url in dict.fromkeys(filter(None, map(normalise_url, post.urls)))]
        rest = [
            content_hash, str(richness), "t" if post.truncated else "f",
            post.reply_to_id, post.repost_of_id, post.quote_of_id, post.thread_root_id[:200],
            _json(list(post.edit_history_ids)), _json(links),
        ]
        head = f"{self.seq}\t{post.record}\t{_copy_text(source_name)}\t"
        return head + content + "\t" + "\t".join(_copy_text(value) for value in rest) + "\n"

    def _scrubber(self, platform: str):
        if platform not in self.scrubbers:
            self.scrubbers[platform] = redaction_scrubber(platform)
        return self.scrubbers[platform]

    def _copy(self, lines: list[str]) -> None:
        columns = ", ".join(name for name, _ in STAGING_COLUMNS)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(f"COPY import_staging ({columns}) FROM STDIN", io.StringIO("".join(lines)))

    def _report_progress(self, *, current: int = 0, force: bool = False) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if force or now - self.last_progress >= 1.0:
            self.last_progress = now
            done = self.bytes_total if force else self.bytes_done + current
            self.progress(self.records, min(done, self.bytes_total), self.bytes_total)

    # -- the merge --

    def _merge(self, *, target: Chat | None, chat_slug: str | None, series: Series, split_sessions: bool) -> None:
        with connection.cursor() as cursor:
            self._step("keep best copies", self._keep_best_copies, cursor)
            span = self._span(cursor)
            if span is None:
                if self.outcome.skipped:
                    return
                raise ImportFailed("the file holds no posts")
            self.outcome.first_post_at, self.outcome.last_post_at = span
            if target is None and chat_slug:
                target = self._create_chat_from_slug(chat_slug, series, *span)
            self._step("earlier versions", self._drop_earlier_versions, cursor)
            self._step("authors", self._upsert_authors, cursor)
            self._step("removals", self._honour_removals, cursor)
            self._step("compare", self._compare_with_archive, cursor)
            # Ids, chats and references of new posts are decided in the
            # staging table, so that each post row is written once.
            self._step("place", self._place_new_posts, cursor, target, series, split_sessions=split_sessions)
            self._step("references", self._resolve_references, cursor)
            self._step("insert", self._insert_new_posts, cursor)
            self._step("update", self._update_richer_posts, cursor, target)
            self._step("edits", self._replace_earlier_versions, cursor)
            self._step("references to new posts", self._point_archived_posts_at_new_ones, cursor)
            link_ids = self._step("links", self._attach_links, cursor) | self.orphaned_link_ids
            self._step("link counts", links_recount, link_ids=link_ids)
            self._step("studies", studies_recognise, link_ids=self.new_link_ids)
            self._step("chats and questions", self._finish_chats, cursor)
            # Dropped now as well as on commit: an import inside a larger
            # transaction (a test, a script) may be followed by another.
            cursor.execute("DROP TABLE import_best; DROP TABLE import_staging")

    def _step(self, name: str, function, *args, **kwargs):
        started = time.monotonic()
        result = function(*args, **kwargs)
        logger.debug("import step %s took %.2fs", name, time.monotonic() - started)
        return result

    def _keep_best_copies(self, cursor) -> None:
        """The same post twice in the files keeps its richest copy (the first of equals)."""
        cursor.execute("DROP TABLE IF EXISTS import_best")
        cursor.execute("""
            CREATE TEMP TABLE import_best ON COMMIT DROP AS
            SELECT DISTINCT ON (platform, external_id) *,
                   NULL::bigint AS post_id, NULL::bigint AS old_chat_id, NULL::bigint AS author_id,
                   NULL::bigint AS chat_id, NULL::bigint AS reply_to_post, NULL::bigint AS repost_of_post,
                   NULL::bigint AS quote_of_post,
                   false AS is_new, false AS is_richer, false AS is_moved, false AS is_updated,
                   ''::text AS removed
            FROM import_staging ORDER BY platform, external_id, richness DESC, seq
        """)
        cursor.execute("CREATE UNIQUE INDEX ON import_best (platform, external_id)")
        cursor.execute("SELECT (SELECT count(*) FROM import_staging) - (SELECT count(*) FROM import_best)")
        duplicates = cursor.fetchone()[0]
        self.outcome.skipped += duplicates
        cursor.execute("""
            SELECT s.record, s.source, b.record, b.source FROM import_staging s
            JOIN import_best b ON b.platform = s.platform AND b.external_id = s.external_id AND b.seq <> s.seq
            ORDER BY s.seq LIMIT %s
        """, [MAX_REPORTED_ERRORS])
        listed = cursor.fetchall()
        for record, source, kept_record, kept_source in listed:
            where = f"record {kept_record}" + (f" of {kept_source}" if kept_source != source else "")
            self.outcome.report(record, f"the same post as {where}, whose copy is kept")
        self.outcome.unreported_errors += duplicates - len(listed)
        cursor.execute("ANALYZE import_best")

    def _drop_earlier_versions(self, cursor) -> None:
        """An edited post is kept in its latest version only: a copy of an
        earlier version, in this file or after the latest was archived, is
        skipped."""
        cursor.execute("""
            DELETE FROM import_best earlier USING import_best later, jsonb_array_elements_text(later.edit_history) AS e(id)
            WHERE jsonb_array_length(later.edit_history) > 0 AND earlier.platform = later.platform
              AND earlier.external_id = e.id AND earlier.seq <> later.seq
            RETURNING earlier.record, later.record
        """)
        for record, later_record in cursor.fetchall()[:MAX_REPORTED_ERRORS]:
            self.outcome.skipped += 1
            self.outcome.report(record, f"an earlier version of the post of record {later_record}, which is kept")
        cursor.execute("""
            DELETE FROM import_best earlier USING chats_post later, jsonb_array_elements_text(later.edit_history) AS e(id)
            WHERE later.edit_history <> '[]'::jsonb AND earlier.platform = later.platform AND earlier.external_id = e.id
            RETURNING earlier.record, later.external_id
        """)
        for record, later_id in cursor.fetchall()[:MAX_REPORTED_ERRORS]:
            self.outcome.skipped += 1
            self.outcome.report(record, f"an earlier version of post {later_id}, whose latest version is archived")

    def _span(self, cursor) -> tuple[datetime, datetime] | None:
        cursor.execute("SELECT min(created_at), max(created_at) FROM import_best")
        first, last = cursor.fetchone()
        return (first, last) if first is not None else None

    def _create_chat_from_slug(self, slug: str, series: Series, start: datetime, end: datetime) -> Chat:
        number = int(CHAT_SLUG_RE.match(slug)["number"])
        if Chat.objects.filter(series=series, number=number).exists():
            raise ImportFailed(f"chat number {number} of #{series.hashtag} already exists under another slug")
        chat = Chat.objects.create(series=series, number=number, slug=slug, start=start, end=end)
        self.created_chats.append(chat)
        return chat

    def _upsert_authors(self, cursor) -> None:
        # The newest profile wins, across imports too (an older capture
        # imported later does not revert it); an export that lacks a display
        # name or avatar does not erase the one we have.
        cursor.execute("""
            INSERT INTO chats_author (platform, platform_id, handle, display_name, profile_url, avatar_url,
                                      profile_seen_at)
            SELECT DISTINCT ON (platform, author_platform_id) platform, author_platform_id, author_handle,
                   author_display_name, author_profile_url, author_avatar_url, created_at
            FROM import_best ORDER BY platform, author_platform_id, created_at DESC, seq DESC
            ON CONFLICT (platform, platform_id) DO UPDATE SET
                handle = EXCLUDED.handle,
                display_name = COALESCE(NULLIF(EXCLUDED.display_name, ''), chats_author.display_name),
                profile_url = COALESCE(NULLIF(EXCLUDED.profile_url, ''), chats_author.profile_url),
                avatar_url = COALESCE(NULLIF(EXCLUDED.avatar_url, ''), chats_author.avatar_url),
                profile_seen_at = EXCLUDED.profile_seen_at
            WHERE chats_author.redacted_at IS NULL AND (
                chats_author.profile_seen_at IS NULL OR EXCLUDED.profile_seen_at >= chats_author.profile_seen_at)
        """)
        cursor.execute("""
            UPDATE import_best b SET author_id = a.id FROM chats_author a
            WHERE a.platform = b.platform AND a.platform_id = b.author_platform_id
        """)

    def _honour_removals(self, cursor) -> None:
        """Removed posts stay removed (chats.services.redactions): a post
        with a tombstone, by a redacted author, or reposting a removed post
        is staged as its placeholder, and never counts as richer than the
        placeholder archived. Deletion notices in the files come first, so
        a post deleted later in the same stream is caught too."""
        for source_name, notices in self.deletion_notices.items():
            for platform in sorted({platform for platform, _ in notices}):
                posts_mark_deleted(platform=platform, source_name=source_name,
                                   external_ids=[external_id for p, external_id in notices if p == platform])
        cursor.execute("""
            INSERT INTO chats_posttombstone (platform, external_id, reason, redaction_id, created_at)
            SELECT b.platform, b.external_id, 'author_request',
                   (SELECT r.id FROM chats_redaction r WHERE r.author_id = a.id ORDER BY r.performed_at DESC LIMIT 1),
                   now()
            FROM import_best b JOIN chats_author a ON a.id = b.author_id WHERE a.redacted_at IS NOT NULL
            ON CONFLICT (platform, external_id) DO NOTHING
        """)
        cursor.execute("""
            INSERT INTO chats_posttombstone (platform, external_id, reason, redaction_id, created_at)
            SELECT b.platform, b.external_id, t.reason, t.redaction_id, now()
            FROM import_best b JOIN chats_posttombstone t ON t.platform = b.platform AND t.external_id = b.repost_of
            WHERE b.repost_of <> ''
            ON CONFLICT (platform, external_id) DO NOTHING
        """)
        cursor.execute(f"""
            UPDATE import_best b SET {BLANK_POST_COLUMNS}, links = '[]'::jsonb, richness = -1, removed = t.reason
            FROM chats_posttombstone t WHERE t.platform = b.platform AND t.external_id = b.external_id
        """)  # nosec B608: a constant column list

    def _compare_with_archive(self, cursor) -> None:
        cursor.execute("""
            UPDATE import_best b SET post_id = p.id, old_chat_id = p.chat_id,
                   is_richer = b.richness > p.richness
            FROM chats_post p WHERE p.platform = b.platform AND p.external_id = b.external_id
        """)
        # New posts take their ids now, from the table's own sequence, so
        # that references between them can be set before they are written.
        cursor.execute("""
            UPDATE import_best SET post_id = nextval(pg_get_serial_sequence('chats_post', 'id')), is_new = true
            WHERE post_id IS NULL
        """)
        self.outcome.created = cursor.rowcount
        # Fresh statistics keep the planner from nested loops over columns it
        # still believes are all NULL.
        cursor.execute("ANALYZE import_best")

    POST_VALUES = """
        b.removed, CASE WHEN b.removed <> '' THEN now() END, b.created_at, b.text, b.url, b.language, b.urls, b.hashtags, b.mentions, b.media, b.metrics, b.original,
        b.content_hash, b.richness, b.truncated, b.reply_to, b.repost_of, b.quote_of, b.thread_root,
        b.edit_history, b.author_id, %(import_id)s, b.reply_to_post, b.repost_of_post, b.quote_of_post
    """
    POST_COLUMNS = """
        removed, removed_at, created_at, text, url, language, urls, hashtags, mentions, media, metrics, original,
        content_hash, richness, truncated, reply_to_external_id, repost_of_external_id, quote_of_external_id,
        thread_root_external_id, edit_history, author_id, last_import_id, reply_to_id, repost_of_id, quote_of_id
    """

    def _insert_new_posts(self, cursor) -> None:
        cursor.execute(f"""
            INSERT INTO chats_post (id, platform, external_id, chat_id, question_source, {self.POST_COLUMNS})
            SELECT b.post_id, b.platform, b.external_id, b.chat_id, '', {self.POST_VALUES}
            FROM import_best b WHERE b.is_new ORDER BY b.seq
        """, {"import_id": self._import_id()})  # nosec B608: column lists are class constants

    def _update_richer_posts(self, cursor, target: Chat | None) -> None:
        """A richer copy replaces the stored one (its references resolved
        afresh), and with a chat named, posts move into it. The question a
        post answers is kept: a moderator may have set it."""
        cursor.execute(f"""
            UPDATE chats_post p SET ({self.POST_COLUMNS}) = ({self.POST_VALUES})
            FROM import_best b WHERE b.is_richer AND p.id = b.post_id
        """, {"import_id": self._import_id()})  # nosec B608: column lists are class constants
        if target is not None:
            cursor.execute("""
                UPDATE import_best SET is_moved = true WHERE NOT is_new AND old_chat_id IS DISTINCT FROM %s
            """, [target.pk])
            cursor.execute("""
                UPDATE chats_post p SET chat_id = %s FROM import_best b WHERE b.is_moved AND p.id = b.post_id
            """, [target.pk])
        cursor.execute("UPDATE import_best SET is_updated = true WHERE is_richer OR is_moved")
        cursor.execute("SELECT count(*) FILTER (WHERE is_updated), "
                       "count(*) FILTER (WHERE NOT is_updated AND NOT is_new) FROM import_best")
        self.outcome.updated, self.outcome.unchanged = cursor.fetchone()

    def _place_new_posts(self, cursor, target: Chat | None, series: Series, *, split_sessions: bool) -> None:
        """The chat of each new post: the chat named, else the chat of the
        earlier version of an edited post, else the sessions cut from the
        capture, else the chat holding the file's other posts, else a new one."""
        if target is not None:
            cursor.execute("UPDATE import_best SET chat_id = %s WHERE is_new", [target.pk])
            return
        cursor.execute("""
            UPDATE import_best b SET chat_id = earlier.chat_id
            FROM (
                SELECT DISTINCT ON (x.seq) x.seq, p.chat_id
                FROM import_best x, jsonb_array_elements_text(x.edit_history) AS version(id), chats_post p
                WHERE x.is_new AND jsonb_array_length(x.edit_history) > 0 AND p.platform = x.platform
                  AND p.external_id = version.id AND p.chat_id IS NOT NULL
            ) AS earlier
            WHERE b.seq = earlier.seq
        """)
        unplaced = "is_new AND chat_id IS NULL"
        cursor.execute(f"SELECT min(created_at), max(created_at) FROM import_best WHERE {unplaced}")  # nosec B608: a constant condition
        start, end = cursor.fetchone()
        if start is None:
            return
        if split_sessions or series.has_schedule:
            self._apply_session_plan(cursor, series, plan_sessions(series=series, table="import_best", where=unplaced))
            return
        cursor.execute("""
            SELECT COALESCE(old_chat_id, chat_id) AS held_by FROM import_best
            WHERE old_chat_id IS NOT NULL OR chat_id IS NOT NULL
            GROUP BY held_by ORDER BY count(*) DESC, held_by LIMIT 1
        """)
        row = cursor.fetchone()
        chat = Chat.objects.get(pk=row[0]) if row is not None else self._new_chat(series, start, end)
        cursor.execute(f"UPDATE import_best SET chat_id = %s WHERE {unplaced}", [chat.pk])  # nosec B608: a constant condition

    def _apply_session_plan(self, cursor, series: Series, plan: SessionPlan) -> None:
        sessions = []
        for session in plan.sessions:
            chat = (
                Chat.objects.filter(series=series, start__lt=session.end, end__gt=session.start).order_by("start").first()
                or self._new_chat(series, session.chat_start, session.chat_end)
            )
            sessions.append((chat.pk, session.start, session.end))
        if sessions:
            # Each new post looks up the last session starting before it (an
            # index lookup, not a join of every post with every session).
            cursor.execute("DROP TABLE IF EXISTS import_sessions")
            cursor.execute("""
                CREATE TEMP TABLE import_sessions ON COMMIT DROP AS
                SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[]) AS s(chat_id, starts, ends)
            """, [[chat_id for chat_id, _, _ in sessions], [start for _, start, _ in sessions],
                  [end for _, _, end in sessions]])
            cursor.execute("CREATE INDEX ON import_sessions (starts)")
            cursor.execute("ANALYZE import_sessions")
            cursor.execute("""
                UPDATE import_best b SET chat_id = placed.chat_id
                FROM (
                    SELECT x.seq, session.chat_id FROM import_best x
                    CROSS JOIN LATERAL (
                        SELECT s.chat_id, s.ends FROM import_sessions s WHERE s.starts <= x.created_at
                        ORDER BY s.starts DESC LIMIT 1
                    ) AS session
                    WHERE x.is_new AND x.chat_id IS NULL AND x.created_at <= session.ends
                ) AS placed
                WHERE b.seq = placed.seq
            """)
        cursor.execute("SELECT count(*) FROM import_best WHERE is_new AND chat_id IS NULL")
        self.outcome.outside = cursor.fetchone()[0]
        if self.outcome.outside:
            self.outcome.report(None, f"{self.outcome.outside} posts fall outside any session of #{series.hashtag}: "
                                      "they are kept, but shown on no chat page")

    def _new_chat(self, series: Series, start: datetime, end: datetime) -> Chat:
        # Lock the series so two imports cannot take the same number.
        Series.objects.select_for_update().get(pk=series.pk)
        number = (series.chats.aggregate(Max("number"))["number__max"] or 0) + 1
        chat = Chat.objects.create(series=series, number=number, slug=f"{series.hashtag}-{number}", start=start, end=end)
        self.created_chats.append(chat)
        return chat

    def _replace_earlier_versions(self, cursor) -> None:
        """An edited post keeps its latest version: stored earlier versions are
        removed, after what pointed at them (replies, the question they
        asked) is moved to the latest, which also takes their chat."""
        cursor.execute("""
            CREATE TEMP TABLE import_edits ON COMMIT DROP AS
            SELECT DISTINCT ON (p.id) p.id AS old_id, b.post_id AS new_id, p.chat_id AS old_chat_id,
                   p.question_id AS old_question_id, p.question_source AS old_question_source
            FROM import_best b, jsonb_array_elements_text(b.edit_history) AS earlier(id), chats_post p
            WHERE jsonb_array_length(b.edit_history) > 0 AND p.platform = b.platform AND p.external_id = earlier.id
              AND p.id <> b.post_id
        """)
        if not cursor.rowcount:
            cursor.execute("DROP TABLE import_edits")
            return
        replaced = cursor.rowcount
        for column in ("reply_to_id", "repost_of_id", "quote_of_id"):
            cursor.execute(f"UPDATE chats_post p SET {column} = e.new_id FROM import_edits e WHERE p.{column} = e.old_id")  # nosec B608: column names from a constant tuple
        cursor.execute("UPDATE chats_question q SET asked_by_id = e.new_id FROM import_edits e WHERE q.asked_by_id = e.old_id")
        cursor.execute("""
            UPDATE chats_post p SET question_id = e.old_question_id, question_source = e.old_question_source
            FROM import_edits e WHERE p.id = e.new_id AND e.old_question_source = %s
        """, [Post.QuestionSource.MODERATOR])
        cursor.execute("UPDATE chats_link l SET first_post_id = NULL FROM import_edits e WHERE l.first_post_id = e.old_id")
        cursor.execute("DELETE FROM chats_postlink pl USING import_edits e WHERE pl.post_id = e.old_id RETURNING pl.link_id")
        self.orphaned_link_ids = {row[0] for row in cursor.fetchall()}
        cursor.execute("DELETE FROM chats_post p USING import_edits e WHERE p.id = e.old_id")
        cursor.execute("DROP TABLE import_edits")
        self.outcome.report(None, f"{replaced} earlier versions of edited posts were replaced by the latest")

    def _resolve_references(self, cursor) -> None:
        """The row each new or richer post replies to, reposts or quotes: in
        this file, or already archived."""
        for column in ("reply_to", "repost_of", "quote_of"):
            cursor.execute(f"""
                UPDATE import_best b SET {column}_post = COALESCE(
                    (SELECT t.post_id FROM import_best t WHERE t.platform = b.platform AND t.external_id = b.{column}),
                    (SELECT p.id FROM chats_post p WHERE p.platform = b.platform AND p.external_id = b.{column}))
                WHERE (b.is_new OR b.is_richer) AND b.{column} <> ''
            """)  # nosec B608: column names from a constant tuple

    def _point_archived_posts_at_new_ones(self, cursor) -> None:
        """Posts archived earlier that answer, repost or quote a post new in
        this file point at it now."""
        for column in ("reply_to", "repost_of", "quote_of"):
            cursor.execute(f"""
                UPDATE chats_post AS source SET {column}_id = b.post_id
                FROM import_best b
                WHERE b.is_new AND source.platform = b.platform AND source.{column}_external_id = b.external_id
                  AND source.{column}_id IS NULL
            """)  # nosec B608: column names from a constant tuple

    def _attach_links(self, cursor) -> set[int]:
        """Links of new and changed posts; returns every link whose count may have changed."""
        cursor.execute("""
            DELETE FROM chats_postlink pl USING import_best b
            WHERE (b.is_new OR b.is_updated) AND pl.post_id = b.post_id RETURNING pl.link_id
        """)
        touched = {row[0] for row in cursor.fetchall()}
        cursor.execute("""
            WITH wanted AS (
                SELECT DISTINCT link->>0 AS url, link->>1 AS domain
                FROM import_best b, jsonb_array_elements(b.links) AS link WHERE b.is_new OR b.is_updated
            ), inserted AS (
                INSERT INTO chats_link (url, domain, title, share_count)
                SELECT url, domain, '', 0 FROM wanted ORDER BY url
                ON CONFLICT (url) DO NOTHING RETURNING id
            )
            SELECT id FROM inserted
        """)
        self.new_link_ids = [row[0] for row in cursor.fetchall()]
        cursor.execute("""
            INSERT INTO chats_postlink (post_id, link_id, position)
            SELECT b.post_id, l.id, link.position - 1
            FROM import_best b, jsonb_array_elements(b.links) WITH ORDINALITY AS link(value, position), chats_link l
            WHERE (b.is_new OR b.is_updated) AND l.url = link.value->>0
            ON CONFLICT DO NOTHING
            RETURNING link_id
        """)
        return touched | {row[0] for row in cursor.fetchall()}

    def _finish_chats(self, cursor) -> None:
        """Every chat this file touched spans its posts and has its questions worked out."""
        cursor.execute("""
            SELECT DISTINCT p.chat_id FROM import_best b JOIN chats_post p ON p.id = b.post_id
            WHERE p.chat_id IS NOT NULL
        """)
        chat_ids = [row[0] for row in cursor.fetchall()]
        cursor.execute("""
            SELECT DISTINCT p.chat_id FROM import_best b JOIN chats_post p ON p.id = b.post_id
            WHERE p.chat_id IS NOT NULL AND (b.is_new OR b.is_updated)
        """)
        changed_ids = [row[0] for row in cursor.fetchall()]
        # A chat spans its posts, unless its series' schedule says when it
        # is (greetings before the hour do not move a 13:00 chat).
        cursor.execute("""
            UPDATE chats_chat c SET start = LEAST(c.start, bounds.first), "end" = GREATEST(c."end", bounds.last)
            FROM (SELECT chat_id, min(created_at) AS first, max(created_at) AS last FROM chats_post
                  WHERE chat_id = ANY(%s) GROUP BY chat_id) AS bounds
            WHERE c.id = bounds.chat_id
              AND NOT EXISTS (SELECT 1 FROM chats_series s WHERE s.id = c.series_id
                              AND s.weekday IS NOT NULL AND s.start_time IS NOT NULL)
        """, [changed_ids])
        questions_assign_many(chats=Chat.objects.filter(pk__in=changed_ids).select_related("series"))
        # Every chat the file touched, and those posts moved out of, shows
        # something new (a richer copy, a profile, a count): their pages' caches go.
        cursor.execute("SELECT DISTINCT old_chat_id FROM import_best WHERE is_moved AND old_chat_id IS NOT NULL")
        chats_content_touch(chat_ids=[*chat_ids, *(row[0] for row in cursor.fetchall())])
        self.outcome.chats = list(Chat.objects.filter(pk__in=chat_ids).order_by("start").values_list("slug", flat=True))
        self.outcome.new_chats = [chat.slug for chat in self.created_chats]

    def _import_id(self) -> int | None:
        return self.import_row.pk if self.import_row is not None else None


# --- Helpers -------------------------------------------------------------------

def richness_of(post: ParsedPost) -> int:
    """How complete a copy is, as one comparable number: a full text beats a
    truncated one, then a longer text, then more engagement counted."""
    metrics_total = sum(value for value in post.metrics.values() if isinstance(value, int) and value > 0)
    return ((0 if post.truncated else 1) << 50) | (min(len(post.text), 2**30 - 1) << 20) | min(metrics_total, 2**20 - 1)


def _check_fits(post: ParsedPost, prefix: str) -> None:
    """Refuse, naming the record, values longer than their columns."""
    for label, value, limit in (
        ("post id", post.external_id, EXTERNAL_ID_MAX),
        ("author id", post.author.platform_id, AUTHOR_ID_MAX),
        ("author handle", post.author.handle, HANDLE_MAX),
        ("reply-to id", post.reply_to_id, EXTERNAL_ID_MAX),
        ("repost-of id", post.repost_of_id, EXTERNAL_ID_MAX),
        ("quote-of id", post.quote_of_id, EXTERNAL_ID_MAX),
    ):
        if len(value) > limit:
            raise ImportFailed(f"{prefix}the {label} is {len(value)} characters long; at most {limit} are kept",
                               record=post.record)


def _json(value) -> str:
    if not value:  # most posts have no media, mentions or edits: skip the encoder
        return "[]" if isinstance(value, list) else "{}"
    # PostgreSQL's jsonb cannot hold U+0000; it is stored as U+FFFD.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("\\u0000", "\\ufffd")


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\x00": ""})


def _copy_text(value: str) -> str:
    """A value in COPY's text format (PostgreSQL text cannot hold NUL)."""
    return value.translate(_COPY_ESCAPES)


def _head(source: SourceFile) -> bytes:
    head = source.stream.read(HEAD_SIZE)
    source.stream.seek(0)
    return head


def _format_of(source: SourceFile, requested_format: str) -> str:
    if requested_format and requested_format != "auto":
        get_parser(requested_format)  # refuses unknown names with the list of known ones
        return requested_format
    head = _head(source)
    if not head.strip():
        raise ImportFailed(f"{source.name} is empty: expected a transcript, one of: {expected_formats()}")
    format_name = detect(head)
    if format_name is None:
        raise ImportFailed(f"{source.name} is not a transcript this archive can read: expected one of: {expected_formats()}")
    return format_name


def _series(hashtag: str) -> Series:
    hashtag = hashtag.lstrip("#").lower()
    series, _ = Series.objects.get_or_create(hashtag=hashtag, defaults={"name": f"#{hashtag}"})
    return series


def _zone(name: str):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC
