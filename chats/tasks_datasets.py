"""Celery tasks that build dataset bundles (thin: ids in, one service call)."""
from __future__ import annotations

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from chats.services.bundles import FULL, bundle_build, bundles_prune_files, bundles_stale

logger = logging.getLogger(__name__)


@shared_task(bind=True, name="chats.build_bundle", max_retries=3)
def build_bundle(self, chat_id: int | None = None, series_id: int | None = None, variant: str = FULL) -> None:
    try:
        row = bundle_build(chat_id=chat_id, series_id=series_id, variant=variant)
    except (OperationalError, InterfaceError) as exc:
        # A lost connection is worth another try; anything else fails the
        # same way again and is recorded on the row by the service.
        raise self.retry(exc=exc, countdown=30 * (self.request.retries + 1))
    if row is None:
        logger.info("bundle of chat %s / series %s (%s): nothing to build", chat_id, series_id, variant)
    else:
        logger.info("bundle %s ready: %s bytes, sha256 %s", row.pk, row.size, row.sha256)


@shared_task(name="chats.rebuild_stale_bundles")
def rebuild_stale_bundles() -> int:
    """Beat, every minute: a build for every bundle missing or older than
    its data (an import, an edit, a redaction bumps the chats' versions), and
    for bundles of chats no longer public (their build deletes them); and
    deletes files no bundle points at."""
    jobs = bundles_stale()
    for job in jobs:
        build_bundle.delay(chat_id=job.chat_id, series_id=job.series_id, variant=job.variant)
    if jobs:
        logger.info("enqueued %s bundle builds", len(jobs))
    pruned = bundles_prune_files()
    if pruned:
        logger.info("deleted %s bundle files no bundle points at", pruned)
    return len(jobs)
