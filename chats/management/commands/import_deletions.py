"""`manage.py import_deletions FILE --platform twitter [--json]`: mark the
posts a deletion list names as deleted on their platform (the same parser
and service as the admin's upload)."""
from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand

from chats.importers.deletions import PLATFORMS, DeletionListError, read_list
from chats.services.redactions import posts_mark_deleted


class Command(BaseCommand):
    help = ("Mark posts deleted on their platform from a deletion list: ids or status URLs one a line, "
            "or a Twitter v1.1 stream's delete notices. Ids not yet archived stay removed when imported later.")

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="FILE")
        parser.add_argument("--platform", required=True, choices=PLATFORMS)
        parser.add_argument("--json", action="store_true", help="End with one JSON line describing the outcome.")

    def handle(self, *args, **options):
        path = Path(options["path"])
        outcome = {"status": "failed", "platform": options["platform"], "ids": 0, "posts_removed": 0,
                   "skipped": 0, "redaction": None, "errors": []}
        try:
            with path.open("rb") as stream:
                read = read_list(stream, platform=options["platform"])
        except OSError as error:
            outcome["errors"].append({"line": None, "message": f"cannot read {path}: {error.strerror or error}"})
        except DeletionListError as error:
            outcome["errors"].append({"line": None, "message": error.message})
        else:
            outcome["errors"] = [{"line": bad.line, "message": bad.reason} for bad in read.errors]
            outcome.update(ids=len(read.ids), skipped=read.skipped, error_count=read.error_count)
            # A file of nothing but bad lines is a mistake (wrong file, wrong
            # platform) to be told as a failure, not an empty success.
            if read.ids or not read.error_count:
                redaction = posts_mark_deleted(platform=options["platform"], external_ids=read.ids,
                                               source_name=path.name)
                outcome.update(status="succeeded", posts_removed=redaction.post_count, redaction=redaction.pk)
        self._report(outcome, as_json=options["json"])
        if outcome["status"] != "succeeded":
            raise SystemExit(1)

    def _report(self, outcome: dict, *, as_json: bool) -> None:
        for error in outcome["errors"]:
            where = f"line {error['line']}: " if error["line"] is not None else ""
            self.stderr.write(f"{where}{error['message']}")
        more = outcome.get("error_count", 0) - len(outcome["errors"])
        if more > 0:
            self.stderr.write(f"... and {more} more bad lines")
        self.stderr.write(
            f"{outcome['status']}: {outcome['ids']} ids on {outcome['platform']}, {outcome['posts_removed']} archived "
            f"posts removed, {outcome['skipped']} lines that are not deletions, "
            f"{outcome.get('error_count', len(outcome['errors']))} bad lines")
        if as_json:
            self.stdout.write(json.dumps(outcome, ensure_ascii=False))
