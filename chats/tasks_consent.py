"""Celery tasks of removal requests (thin: ids in, one service call).

Registered with the worker through chats/tasks.py, which imports this module
(Celery discovers chats.tasks only)."""
from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

# A lost database connection or a mail server that did not answer (smtplib's
# errors are OSErrors) is worth another try.
TRANSIENT = dict(retry_backoff=5, retry_backoff_max=300, max_retries=5)


@shared_task(name="chats.send_removal_request_notification",
             autoretry_for=(OperationalError, InterfaceError, OSError), **TRANSIENT)
def send_removal_request_notification(removal_request_id: int, base_url: str = "") -> int:
    from chats.services.removal_requests import removal_request_notification_send

    return removal_request_notification_send(removal_request_id=removal_request_id, base_url=base_url)
