"""Build the dataset bundles that are missing or older than their data, now,
in this process: what the beat task ``chats.rebuild_stale_bundles`` queues
for the worker. For an operator who wants them at once, and for `make run`,
whose demo chat then offers its downloads from the first page view."""
from __future__ import annotations

from django.core.management.base import BaseCommand

from chats.services.bundles import bundle_build, bundles_stale


class Command(BaseCommand):
    help = "Build every dataset bundle that is missing or stale, in this process."

    def handle(self, *args, **options):
        built = removed = 0
        for job in bundles_stale():
            row = bundle_build(chat_id=job.chat_id, series_id=job.series_id, variant=job.variant)
            if row is None:
                removed += 1
            else:
                built += 1
                self.stdout.write(f"{row}: {row.status}, {row.size} bytes")
        self.stdout.write(f"{built} bundles built or confirmed, {removed} with nothing public to hold.")
