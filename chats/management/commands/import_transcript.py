"""`manage.py import_transcript`: the command-line entry to the import service
(contract: architecture.md, section 4)."""
from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from pathlib import Path

from django.core.management.base import BaseCommand

from chats.importers import FORMAT_NAMES
from chats.models import Import
from chats.services.imports import ImportOutcome, SourceFile, import_run, transcript_import


class Command(BaseCommand):
    help = "Import one or more transcript files into the archive (all in one transaction)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--chat", metavar="SLUG", help="Put every post in this chat (created if it does not exist).")
        parser.add_argument("--series", metavar="HASHTAG", help="Series of new chats (default: HCSMCA_DEFAULT_SERIES).")
        parser.add_argument("--format", default="auto", choices=("auto", *FORMAT_NAMES))
        parser.add_argument("--split-sessions", action="store_true",
                            help="Cut a capture of many sessions into one chat per session.")
        parser.add_argument("--strict", action="store_true", help="Fail on the first bad record instead of skipping it.")
        parser.add_argument("--dry-run", action="store_true", help="Read and check everything, write nothing.")
        parser.add_argument("--json", action="store_true", help="End with one JSON line describing the outcome.")

    def handle(self, *args, **options):
        paths = [Path(p) for p in options["paths"]]
        missing = [str(p) for p in paths if not p.is_file()]
        progress = TerminalProgress(self.stderr) if sys.stderr.isatty() else None
        if missing:
            outcome = ImportOutcome(status=Import.Status.FAILED,
                                    errors=[{"record": None, "message": f"no such file: {p}"} for p in missing])
        elif options["dry_run"]:
            outcome = self._dry_run(paths, options, progress)
        else:
            outcome = self._run(paths, options, progress)
        if progress is not None:
            progress.finish()
        self._report(outcome, as_json=options["json"], dry_run=options["dry_run"])
        if outcome.status != Import.Status.SUCCEEDED:
            raise SystemExit(1)

    def _run(self, paths, options, progress) -> ImportOutcome:
        # The row records the import for the admin's list; the posts are
        # read in place, not copied into storage.
        row = Import.objects.create(
            source_paths=[str(p.resolve()) for p in paths],
            original_name=", ".join(p.name for p in paths)[:255],
            requested_format=options["format"],
            series_hashtag=(options["series"] or "").lstrip("#").lower(),
            chat_slug=options["chat"] or "",
            split_sessions=options["split_sessions"],
            strict=options["strict"],
            bytes_total=sum(p.stat().st_size for p in paths),
        )
        return import_run(import_id=row.pk, progress=progress)

    def _dry_run(self, paths, options, progress) -> ImportOutcome:
        with ExitStack() as stack:
            sources = [SourceFile(p.name, stack.enter_context(p.open("rb")), p.stat().st_size) for p in paths]
            return transcript_import(
                sources=sources, requested_format=options["format"], chat_slug=options["chat"],
                series_hashtag=options["series"], split_sessions=options["split_sessions"], strict=options["strict"],
                dry_run=True, progress=progress,
            )

    def _report(self, outcome: ImportOutcome, *, as_json: bool, dry_run: bool) -> None:
        for error in outcome.errors:
            where = f"record {error['record']}: " if error["record"] is not None else ""
            self.stderr.write(f"{where}{error['message']}")
        verb = "would be" if dry_run else "were"
        self.stderr.write(
            f"{outcome.status}{' (dry run: nothing written)' if dry_run else ''}: format {outcome.format or '?'}, "
            f"created {outcome.created}, updated {outcome.updated}, unchanged {outcome.unchanged}, "
            f"skipped {outcome.skipped}, chats {', '.join(outcome.chats) or '-'}"
        )
        if hasattr(outcome, "comment_line"):  # a WordPress export: its comments and authors too
            self.stderr.write(outcome.comment_line())
        if outcome.first_post_at:
            self.stderr.write(f"posts from {outcome.first_post_at:%Y-%m-%d %H:%M} to {outcome.last_post_at:%Y-%m-%d %H:%M} UTC")
        if outcome.new_chats:
            self.stderr.write(f"new chats {verb} created: {', '.join(outcome.new_chats)}")
        if as_json:
            self.stdout.write(json.dumps(outcome.as_contract()))


class TerminalProgress:
    """A one-line progress bar on a terminal."""

    WIDTH = 30

    def __init__(self, stream):
        self.stream = stream
        self.shown = False

    def __call__(self, records: int, bytes_read: int, bytes_total: int) -> None:
        fraction = bytes_read / bytes_total if bytes_total else 0
        filled = int(self.WIDTH * fraction)
        self.stream.write(f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {fraction:4.0%} {records:,} records",
                          ending="")
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            self.stream.write("")
