"""Linkbacks: another site tells us it links to a summary (webmention,
pingback or trackback).

The endpoints (summaries/linkback_views.py) only check what they can check
at once (the target is one of our published summaries, open to comments;
the source is an http(s) URL other than the target) and queue
``summaries.verify_linkback``. The worker calls ``linkback_verify``: it
fetches the source safely (summaries/fetch.py) and, when the page really
links to the summary, records it as a pending comment for moderators
(held_reason "linkback"); otherwise nothing is stored. One source keeps one
linkback per summary: a new notification from it refreshes the text, and a
webmention whose source no longer links removes it (Webmention spec, updates
and deletes).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import transaction
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.html import escape

from summaries.fetch import FetchRefused, LinkFound, fetch_html, find_link
from summaries.models import Comment, Summary
from summaries.sanitise import clean_comment_html
from summaries.services.comments import comments_are_open

logger = logging.getLogger(__name__)

LINKBACK_KINDS = (Comment.Kind.PINGBACK, Comment.Kind.TRACKBACK, Comment.Kind.WEBMENTION)
HELD_REASON = "linkback"
AUTHOR_NAME_CHARS = 200  # Comment.author_name max_length
MAX_AUTHOR_URL = 500
MAX_SOURCE_URL = 1000  # Comment.source_url max_length


class LinkbackRejected(Exception):
    """A notification refused at once. ``code`` is the pingback fault code
    (the other protocols only show the message)."""

    SOURCE = 0x0010  # the source URI does not exist (or is not one we fetch)
    NO_LINK = 0x0011
    NO_TARGET = 0x0020
    TARGET_UNUSABLE = 0x0021
    ALREADY = 0x0030
    DENIED = 0x0031

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def summary_at_path(path: str) -> Summary | None:
    """The published summary whose permalink is ``path`` (/YYYY/MM/DD/slug/,
    with or without the last slash), else None."""
    if not path.endswith("/"):
        path += "/"
    try:
        match = resolve(path)
    except Resolver404:
        return None
    if match.view_name != "summaries:detail":
        return None
    summary = Summary.objects.published().filter(slug=match.kwargs["slug"]).first()
    if summary is None:
        return None
    day = timezone.localtime(summary.published_at)
    wanted = (int(match.kwargs["year"]), int(match.kwargs["month"]), int(match.kwargs["day"]))
    return summary if (day.year, day.month, day.day) == wanted else None


def linkback_check(*, source: str, target: str, allowed_host) -> Summary:
    """The summary a notification may be queued for, or LinkbackRejected.
    ``allowed_host(hostname)`` says whether a host name is this site's."""
    source, target = (source or "").strip(), (target or "").strip()
    try:
        target_parts = urlsplit(target)
        source_parts = urlsplit(source)
    except ValueError:
        raise LinkbackRejected(LinkbackRejected.SOURCE, "The source or target is not a URL.") from None
    if len(source) > MAX_SOURCE_URL:
        raise LinkbackRejected(LinkbackRejected.SOURCE, "The source URL is too long.")
    if source_parts.scheme not in ("http", "https") or not source_parts.hostname:
        raise LinkbackRejected(LinkbackRejected.SOURCE, "The source must be an http or https URL.")
    if target_parts.scheme not in ("http", "https") or not target_parts.hostname:
        raise LinkbackRejected(LinkbackRejected.NO_TARGET, "The target must be an http or https URL.")
    if not allowed_host(target_parts.hostname):
        raise LinkbackRejected(LinkbackRejected.NO_TARGET, "The target is not on this site.")
    if source.split("#")[0] == target.split("#")[0]:
        raise LinkbackRejected(LinkbackRejected.SOURCE, "The source and target are the same URL.")
    summary = summary_at_path(target_parts.path)
    if summary is None:
        raise LinkbackRejected(LinkbackRejected.NO_TARGET, "The target is not a published summary.")
    if not comments_are_open(summary):
        raise LinkbackRejected(LinkbackRejected.TARGET_UNUSABLE, "This summary no longer takes comments or links.")
    return summary


def linkback_exists(*, summary: Summary, source: str) -> bool:
    return Comment.objects.filter(summary=summary, source_url=source, kind__in=LINKBACK_KINDS).exists()


@dataclass(frozen=True)
class LinkbackOutcome:
    status: str  # "created", "updated", "unchanged", "deleted", "dropped"
    comment_id: int | None = None


def linkback_record(*, summary: Summary, kind: str, source_url: str, found: LinkFound,
                    blog_name: str = "") -> LinkbackOutcome:
    """Store a verified linkback as a pending comment, or refresh the one
    this source already has on this summary (one transaction). A refreshed
    linkback a moderator had approved waits again if its text changed; one
    marked spam or removed stays so."""
    author_name = (blog_name.strip() or found.title or urlsplit(source_url).hostname or source_url)
    author_name = author_name[:AUTHOR_NAME_CHARS]
    body = found.excerpt or found.title or source_url
    # Plain text from someone else's page: escaped, then through the same
    # cleaner as every comment.
    body_html = str(clean_comment_html(f"<p>{escape(body)}</p>"))
    with transaction.atomic():
        # The summary's row lock serialises two notifications from one source.
        Summary.objects.select_for_update().filter(pk=summary.pk).first()
        existing = (
            Comment.objects.select_for_update()
            .filter(summary=summary, source_url=source_url, kind__in=LINKBACK_KINDS)
            .order_by("pk")
            .first()
        )
        if existing is None:
            comment = Comment(
                summary=summary, kind=kind, author_name=author_name,
                author_url=source_url if len(source_url) <= MAX_AUTHOR_URL else "",
                source_url=source_url, body=body, body_html=body_html, status=Comment.Status.PENDING,
                held_reason=HELD_REASON,
            )
            comment.full_clean()
            comment.save()
            return LinkbackOutcome("created", comment.pk)
        if existing.status in (Comment.Status.SPAM, Comment.Status.REMOVED):
            return LinkbackOutcome("unchanged", existing.pk)
        if (existing.author_name, existing.body) == (author_name, body):
            return LinkbackOutcome("unchanged", existing.pk)
        existing.author_name, existing.body, existing.body_html = author_name, body, body_html
        existing.status, existing.held_reason = Comment.Status.PENDING, HELD_REASON
        existing.full_clean()
        existing.save(update_fields=["author_name", "body", "body_html", "status", "held_reason"])
        return LinkbackOutcome("updated", existing.pk)


def linkback_verify(*, summary_id: int, kind: str, source_url: str, blog_name: str = "") -> LinkbackOutcome:
    """Fetch the source and record the linkback if it links to the summary.
    A source that cannot be fetched or has no link is dropped (logged); for a
    webmention, a linkback already stored from it is then deleted."""
    summary = Summary.objects.published().filter(pk=summary_id).first()
    if summary is None:
        logger.info("linkback from %s: summary %s is gone or unpublished", source_url, summary_id)
        return LinkbackOutcome("dropped")
    target_path = summary.get_absolute_url()
    found = None
    # Only a page read without our link, or one gone (404, 410), withdraws a
    # webmention; a fetch that merely failed (timeout, refused) does not.
    withdrawn = True
    try:
        page = fetch_html(source_url)
        found = find_link(page, target_path)
        why = "it does not link to the summary"
    except FetchRefused as refused:
        why, withdrawn = str(refused), refused.gone
    if found is None:
        logger.info("%s from %s to %s dropped: %s", kind, source_url, target_path, why)
        if kind == Comment.Kind.WEBMENTION and withdrawn:
            deleted, _ = Comment.objects.filter(
                summary=summary, source_url=source_url, kind=Comment.Kind.WEBMENTION
            ).delete()
            if deleted:
                return LinkbackOutcome("deleted")
        return LinkbackOutcome("dropped")
    outcome = linkback_record(summary=summary, kind=kind, source_url=source_url, found=found, blog_name=blog_name)
    logger.info("%s from %s to %s: %s", kind, source_url, target_path, outcome.status)
    return outcome
