"""`manage.py import_transcript`: the command-line entry to the import service
(contract: architecture.md, section 4)."""
from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from chats.importers import FORMAT_NAMES
from chats.models import Import
from chats.services.imports import ImportOutcome, SourceFile, import_run, transcript_import


class Command(BaseCommand):
    help = "Import one or more transcript files into the archive (all in one transaction)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--chat", metavar="SLUG", help="Put every post in this chat (created if it does not exist).")
        parser.add_argument("--series", metavar="HASHTAG", help="Series of a new chat (default: HCSMCA_DEFAULT_SERIES).")
        parser.add_argument("--format", default="auto", choices=("auto", *FORMAT_NAMES))
        parser.add_argument("--split-sessions", action="store_true",
                            help="Split a file that spans several chats into one chat per session.")
        parser.add_argument("--dry-run", action="store_true", help="Read and check everything, write nothing.")
        parser.add_argument("--json", action="store_true", help="End with one JSON line describing the outcome.")

    def handle(self, *args, **options):
        paths = [Path(p) for p in options["paths"]]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            outcome = ImportOutcome(status=Import.Status.FAILED,
                                    errors=[{"record": None, "message": f"no such file: {p}"} for p in missing])
        elif options["dry_run"]:
            outcome = self._dry_run(paths, options)
        else:
            outcome = self._run(paths, options)
        self._report(outcome, as_json=options["json"])
        if outcome.status != Import.Status.SUCCEEDED:
            raise SystemExit(1)

    def _run(self, paths, options) -> ImportOutcome:
        row = Import.objects.create(
            source_paths=[str(p.resolve()) for p in paths],
            original_name=", ".join(p.name for p in paths)[:255],
            requested_format=options["format"],
            series_hashtag=(options["series"] or "").lstrip("#").lower(),
            chat_slug=options["chat"] or "",
            split_sessions=options["split_sessions"],
        )
        return import_run(import_id=row.pk)

    def _dry_run(self, paths, options) -> ImportOutcome:
        with ExitStack() as stack:
            sources = [SourceFile(p.name, stack.enter_context(p.open("rb"))) for p in paths]
            return transcript_import(sources=sources, requested_format=options["format"], chat_slug=options["chat"],
                                     series_hashtag=options["series"], split_sessions=options["split_sessions"],
                                     dry_run=True)

    def _report(self, outcome: ImportOutcome, *, as_json: bool) -> None:
        for error in outcome.errors:
            where = f"record {error['record']}: " if error["record"] is not None else ""
            self.stderr.write(f"{where}{error['message']}")
        self.stderr.write(
            f"{outcome.status}: format {outcome.format or '?'}, created {outcome.created}, updated {outcome.updated}, "
            f"unchanged {outcome.unchanged}, skipped {outcome.skipped}, chats {', '.join(outcome.chats) or '-'}"
        )
        if as_json:
            self.stdout.write(json.dumps(outcome.as_contract()))
