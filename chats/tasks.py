"""Celery tasks: thin wrappers that take ids and call one service."""
from __future__ import annotations

import logging

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.db import InterfaceError, OperationalError, connection

from chats.services.imports import import_fail, import_run, import_unfinished

logger = logging.getLogger(__name__)

RETRY_BACKOFF_SECONDS = 5
RETRY_BACKOFF_MAX_SECONDS = 120
# An import whose lock another session holds: a worker running it (a task
# delivered twice), or the session of a killed pool process, which PostgreSQL
# ends only once its current statement is done. Look again until it is free.
LOCKED_RETRY_SECONDS = 30
LOCKED_MAX_RETRIES = 40


@shared_task(bind=True, name="chats.import_transcript", max_retries=5)
def import_transcript(self, import_id: int) -> None:
    try:
        outcome = import_run(import_id=import_id)
    except (OperationalError, InterfaceError) as exc:
        # Only a lost database connection is worth another try; a file that
        # cannot be parsed fails the same way every time and is recorded as
        # failed by the service. The import rolled back, so a retry starts
        # from an archive without any of it.
        if self.request.retries >= self.max_retries:
            _give_up(import_id, attempts=self.request.retries + 1, exc=exc)
            raise
        countdown = get_exponential_backoff_interval(
            RETRY_BACKOFF_SECONDS, self.request.retries, RETRY_BACKOFF_MAX_SECONDS, full_jitter=True)
        raise self.retry(exc=exc, countdown=countdown)
    if outcome is None:
        if import_unfinished(import_id=import_id):
            # Locked by another session: without another look the row could
            # say "running" for ever (its session died mid-statement).
            logger.info("import %s is locked by another session; looking again in %ss", import_id,
                        LOCKED_RETRY_SECONDS)
            raise self.retry(countdown=LOCKED_RETRY_SECONDS, max_retries=LOCKED_MAX_RETRIES)
        logger.info("import %s is gone or already finished; nothing to do", import_id)
    else:
        logger.info("import %s %s: %s", import_id, outcome.status, outcome.as_contract())


def _give_up(import_id: int, *, attempts: int, exc: Exception) -> None:
    """Fail the row after the last retry, so that it does not say "running"
    for ever. The connection that failed is dropped first; if the database is
    still unreachable the row cannot be written and the error is logged."""
    if connection.connection is not None and not connection.is_usable():
        connection.close()
    message = f"the database connection was lost {attempts} times; the import was given up: {exc}".strip()
    try:
        import_fail(import_id=import_id, message=message, running_too=True)
    except (OperationalError, InterfaceError):
        logger.exception("import %s: could not record that it was given up", import_id)


# Registered with the worker through this module (Celery discovers chats.tasks).
from chats import tasks_datasets  # noqa: E402,F401
from chats import tasks_consent  # noqa: E402,F401
