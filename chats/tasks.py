"""Celery tasks: thin wrappers that take ids and call one service."""
from __future__ import annotations

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from chats.services.imports import import_run

logger = logging.getLogger(__name__)


@shared_task(
    name="chats.import_transcript",
    # Only a lost database connection is worth another try; a file that cannot
    # be parsed fails the same way every time and is recorded as failed.
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=120,
    max_retries=5,
)
def import_transcript(import_id: int) -> None:
    outcome = import_run(import_id=import_id)
    if outcome is None:
        logger.info("import %s is gone or already finished; nothing to do", import_id)
    else:
        logger.info("import %s %s: %s", import_id, outcome.status, outcome.as_contract())
