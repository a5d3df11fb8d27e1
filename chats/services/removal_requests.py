"""Participants' requests to be removed from the archive (the public form at
``/removal/``), and the moderators' answers short of redacting.

The archive cannot check who owns an account on a platform, so a request is
only a request: it waits (pending) until a moderator confirms it with the
person and redacts the author (``chats.services.redactions.author_redact``,
which marks the request redacted) or rejects it with a note
(``removal_request_reject``).

The public form has the comment form's defences: a honeypot (in the form)
and the same Redis rate limiter (``summaries.services.comments.rate_limited``)
per client IP hash and per email. Without Redis nothing would stop a flood,
so a request is then refused (the form comes back with the text), never
taken unthrottled or answered with a server error.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from redis.exceptions import RedisError

from chats.models import Author, RemovalRequest
from summaries.services.comments import ip_hash, normalise_email, rate_limited

logger = logging.getLogger(__name__)

# (attempts, seconds) per client IP hash and per email. A person needs one
# request; a few more allow for typos. Settings may override them.
DEFAULT_RATE_LIMIT_IP = (5, 3600)
DEFAULT_RATE_LIMIT_EMAIL = (3, 3600)
# What a moderator must be allowed to do to be told about a new request.
MODERATOR_PERMISSION = ("chats", "change_removalrequest")


class RemovalRequestRefused(Exception):
    """A request refused outright (nothing saved). ``code`` names the
    defence ("rate_limited", "unavailable"), ``message`` is what the person
    reads."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class RemovalRequestNotPending(Exception):
    """The request was already answered (by another moderator, say)."""


def _check_rate(*, ip: str | None, email: str) -> None:
    ip_limit, ip_window = getattr(settings, "REMOVAL_REQUEST_RATE_LIMIT_IP", DEFAULT_RATE_LIMIT_IP)
    email_limit, email_window = getattr(settings, "REMOVAL_REQUEST_RATE_LIMIT_EMAIL", DEFAULT_RATE_LIMIT_EMAIL)
    try:
        # Both counters move on every attempt: changing email does not reset the IP's.
        over_ip = rate_limited(scope="removal-ip", key=ip_hash(ip), limit=ip_limit, window=ip_window)
        over_email = rate_limited(scope="removal-email", key=email, limit=email_limit, window=email_window)
    except RedisError as exc:
        logger.warning("removal request refused: the rate-limit cache is unavailable: %s", exc)
        raise RemovalRequestRefused(
            "unavailable",
            "Requests cannot be taken just now; please keep your text and send it again in a few minutes.",
        ) from exc
    if over_ip or over_email:
        raise RemovalRequestRefused(
            "rate_limited", "You have sent several requests in a short time; please wait an hour and send again."
        )


@transaction.atomic
def removal_request_create(*, platform: str, handle: str, email: str, message: str = "",
                           ip: str | None = None, base_url: str = "") -> RemovalRequest:
    """Save a pending request and, after commit, mail the moderators.
    Raises ``RemovalRequestRefused``. The same handle and email asking again
    while a request is pending get that request back (no second mail)."""
    email = normalise_email(email)
    handle = handle.strip().lstrip("@")
    _check_rate(ip=ip, email=email)
    pending = RemovalRequest.objects.filter(
        platform=platform, handle__iexact=handle, email__iexact=email, status=RemovalRequest.Status.PENDING
    ).first()
    if pending is not None:
        if message and message not in pending.message:
            pending.message = f"{pending.message}\n\n{message}".strip()
            pending.save(update_fields=["message"])
        return pending
    removal_request = RemovalRequest(platform=platform, handle=handle, email=email, message=message)
    removal_request.full_clean()
    removal_request.save()

    from chats import tasks_consent  # tasks import services, not the other way round at import time

    # robust: the request is saved whatever happens to the queue; a mail that
    # could not be queued is logged, and the moderators' list shows it anyway.
    transaction.on_commit(
        lambda: tasks_consent.send_removal_request_notification.delay(removal_request.pk, base_url), robust=True)
    return removal_request


@transaction.atomic
def removal_request_reject(*, removal_request_id: int, note: str, performed_by=None) -> RemovalRequest:
    """Close a pending request without redacting anyone, with the
    moderator's note (why: no matching posts, identity not confirmed...).
    Raises ``RemovalRequestNotPending`` when it was already answered."""
    removal_request = RemovalRequest.objects.select_for_update().get(pk=removal_request_id)
    if removal_request.status != RemovalRequest.Status.PENDING:
        raise RemovalRequestNotPending(f"the request is already {removal_request.get_status_display().lower()}")
    removal_request.status = RemovalRequest.Status.REJECTED
    removal_request.moderator_note = note.strip()
    removal_request.handled_by = performed_by
    removal_request.handled_at = timezone.now()
    removal_request.save(update_fields=["status", "moderator_note", "handled_by", "handled_at"])
    return removal_request


# --- reads ---------------------------------------------------------------------------------


def removal_request_authors(removal_request: RemovalRequest) -> QuerySet[Author]:
    """The archive's authors a request may be about: its platform and handle
    (case-insensitive; a handle can have several rows, an account renamed and
    the name reused), and the author it was resolved to. Annotated with
    ``post_count`` and ``chat_count``."""
    match = Q(platform=removal_request.platform, handle__iexact=removal_request.handle.lstrip("@"))
    if removal_request.author_id:
        match |= Q(pk=removal_request.author_id)
    return (
        Author.objects.filter(match)
        .annotate(post_count=Count("posts", distinct=True), chat_count=Count("posts__chat", distinct=True))
        .order_by("-post_count", "pk")
    )


def moderator_emails() -> list[str]:
    """Active users who may answer removal requests and have an email."""
    app_label, codename = MODERATOR_PERMISSION
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    return [user.email for user in users.filter(
        Q(is_superuser=True)
        | Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label)
        | Q(user_permissions__codename=codename, user_permissions__content_type__app_label=app_label)
    ).distinct()]


# --- mail (called by chats/tasks_consent.py) -----------------------------------------------


def removal_request_notification_send(*, removal_request_id: int, base_url: str = "") -> int:
    """Tell the moderators about a new request: who, which platform, the
    message and the admin page to answer it. Returns the number of mails
    sent; 0 when the request is gone or already answered."""
    from django.core.mail import send_mass_mail
    from django.template.loader import render_to_string
    from django.urls import reverse

    removal_request = RemovalRequest.objects.filter(
        pk=removal_request_id, status=RemovalRequest.Status.PENDING).first()
    if removal_request is None:
        return 0
    recipients = moderator_emails()
    if not recipients:
        logger.warning("removal request %s: no moderator with an email to tell", removal_request_id)
        return 0
    path = reverse("admin:chats_removalrequest_change", args=[removal_request.pk])
    body = render_to_string("chats/consent/email/removal_request.txt", {
        "removal_request": removal_request,
        "matches": list(removal_request_authors(removal_request)),
        "admin_url": f"{base_url.rstrip('/')}{path}" if base_url else path,
    })
    subject = f"Removal request: @{removal_request.handle} on {removal_request.get_platform_display()}"
    return send_mass_mail([(subject, body, None, [email]) for email in recipients])
