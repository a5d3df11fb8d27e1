"""Comments on summaries: submitting, the moderation rules and defences,
moderating, threads and reply subscriptions.

Two kinds of "no": a *rejected* submission (``CommentRejected``: honeypot,
form too fast or too old, rate limit, duplicate, comments closed) is never
saved; a *held* one is saved as pending with the reason moderators see
(``comment_hold_reason``: first comment of this email, too many links, a
listed word, a blocked commenter). Linkbacks (summaries/services/linkbacks.py)
call ``comment_hold_reason`` and ``comment_submit`` too.
"""
from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from redis.exceptions import RedisError

from summaries.models import BlockedCommenter, Comment, CommentSubscription, ModerationWord, Summary
from summaries.sanitise import comment_markdown_to_html

logger = logging.getLogger(__name__)

# Links are counted twice, and the larger count holds: the anchors of the
# rendered HTML (so [x](//host), reference links and autolinks all count) and
# the addresses in the text (bare URLs, not linked but still advertising).
LINK_PATTERN = re.compile(r"(?:https?://|www\.)", re.IGNORECASE)
ANCHOR_PATTERN = re.compile(r"<a\s", re.IGNORECASE)
# An unconfirmed subscription's confirmation mail is sent again only after this long.
CONFIRMATION_RESEND_AFTER = timedelta(days=1)


class CommentRejected(Exception):
    """A submission refused outright (nothing saved). ``code`` names the
    defence, ``message`` is what the commenter reads."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


MODERATION_ACTIONS = {
    "approve": Comment.Status.APPROVED,
    "spam": Comment.Status.SPAM,
    "remove": Comment.Status.REMOVED,
    "pending": Comment.Status.PENDING,
}


# --- small pure helpers ------------------------------------------------------------------


def ip_hash(ip: str | None) -> str:
    """Salted sha256 of a client IP: enough to rate-limit and block without
    storing addresses. The salt is the secret key, so hashes are not
    comparable across installations."""
    if not ip:
        return ""
    return hashlib.sha256(f"{settings.SECRET_KEY}:comment-ip:{ip}".encode()).hexdigest()


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def content_hash(*, summary_id: int, email: str, body: str) -> str:
    """The same text from the same email on the same summary, whatever the
    spacing or case: a duplicate."""
    text = " ".join((body or "").split()).casefold()
    return hashlib.sha256(f"{summary_id}\n{normalise_email(email)}\n{text}".encode()).hexdigest()


def comments_are_open(summary: Summary, *, now=None) -> bool:
    """Open unless a moderator closed them or the set number of days after
    publication has passed (COMMENTS_CLOSE_AFTER_DAYS, 0 = never)."""
    if not summary.comments_open or summary.published_at is None:
        return False
    days = settings.COMMENTS_CLOSE_AFTER_DAYS
    if days and (now or timezone.now()) > summary.published_at + timedelta(days=days):
        return False
    return True


def rate_limited(*, scope: str, key: str, limit: int, window: int) -> bool:
    """Count one attempt for ``key`` in a fixed window kept in the cache
    (Redis): ``add`` creates the counter with its expiry only if absent and
    ``incr`` is atomic, so every web process shares the same count. True
    when this attempt goes over ``limit``."""
    if not key:
        return False
    cache_key = f"comments:rate:{scope}:{hashlib.sha256(key.encode()).hexdigest()}"
    cache.add(cache_key, 0, timeout=window)
    try:
        count = cache.incr(cache_key)
    except ValueError:
        # Expired between add and incr: this attempt starts a new window.
        cache.add(cache_key, 1, timeout=window)
        count = 1
    return count > limit


def comment_hold_reason(*, summary: Summary, email: str, ip_hash_value: str, body: str,
                        kind: str = Comment.Kind.COMMENT, trusted: bool = False, body_html: str | None = None) -> str:
    """Why a new comment (or linkback) should wait for a moderator, or "".

    Rules, first match wins: a blocked commenter (email or IP hash), more
    links than COMMENTS_MAX_LINKS, a word from the moderators' list, and a
    commenter (by email) with no approved comment yet. Linkbacks have no
    email, so they always wait ("linkback"). ``trusted`` (moderators) skips
    only the first-comment rule."""
    email = normalise_email(email)
    blocked = Q()
    if email:
        blocked |= Q(email__iexact=email)
    if ip_hash_value:
        blocked |= Q(ip_hash=ip_hash_value)
    if blocked and BlockedCommenter.objects.filter(blocked).exists():
        return "blocked commenter"
    if body_html is None:
        body_html = comment_markdown_to_html(body)
    links = max(len(ANCHOR_PATTERN.findall(body_html)), len(LINK_PATTERN.findall(body or "")))
    if links > settings.COMMENTS_MAX_LINKS:
        return f"{links} links (more than {settings.COMMENTS_MAX_LINKS})"
    folded = (body or "").casefold()
    for word in ModerationWord.objects.values_list("word", flat=True):
        if word and re.search(rf"(?<!\w){re.escape(word.casefold())}(?!\w)", folded):
            return f"contains “{word}”"
    if kind != Comment.Kind.COMMENT:
        return "linkback"
    if trusted:
        return ""
    if not email or not Comment.objects.filter(author_email__iexact=email, status=Comment.Status.APPROVED).exists():
        return "first comment from this email"
    return ""


def _attach_parent(*, summary: Summary, parent_id: int | None) -> Comment | None:
    """The comment a reply attaches to: an approved comment of the same
    summary; a reply deeper than COMMENTS_MAX_DEPTH attaches to the ancestor
    at the deepest allowed level minus one (it becomes a sibling there, as
    WordPress does)."""
    if not parent_id:
        return None
    parent = Comment.objects.filter(pk=parent_id, summary=summary, status=Comment.Status.APPROVED).first()
    if parent is None:
        raise CommentRejected(
            "parent", "The comment you are replying to is not available; reply to the summary instead."
        )
    chain = [parent]
    while chain[-1].parent_id is not None:
        chain.append(Comment.objects.only("pk", "parent_id").get(pk=chain[-1].parent_id))
    # chain[0] is at depth len(chain); the reply would be one deeper.
    max_depth = max(1, settings.COMMENTS_MAX_DEPTH)
    if max_depth == 1:
        return None
    while len(chain) + 1 > max_depth:
        chain.pop(0)
    return chain[0]


def can_moderate(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm("summaries.change_comment"))


# --- writes ------------------------------------------------------------------------------


@transaction.atomic
def comment_submit(*, summary: Summary, body: str, author_name: str = "", author_email: str = "",
                   author_url: str = "", parent_id: int | None = None, user=None, ip: str | None = None,
                   user_agent: str = "", subscribe: bool = False, base_url: str = "",
                   kind: str = Comment.Kind.COMMENT, source_url: str = "") -> Comment:
    """Save a reader's comment (or a linkback) as approved or pending, after
    the defences that refuse outright. Raises ``CommentRejected``.

    A logged-in user comments as themselves (name and email from the
    account). Notifications (moderators for a pending comment, subscribers
    for an approved one) and the subscription confirmation go out after
    commit, by Celery; ``base_url`` (``https://host/``) makes their links
    absolute."""
    summary = Summary.objects.select_for_update().get(pk=summary.pk)
    if not comments_are_open(summary):
        raise CommentRejected("closed", "Comments on this summary are closed.")
    if user is not None and user.is_authenticated:
        author_name = user.get_full_name() or user.get_username()
        author_email = user.email or author_email
    else:
        user = None
    email = normalise_email(author_email)
    hashed_ip = ip_hash(ip)

    ip_limit, ip_window = settings.COMMENTS_RATE_LIMIT_IP
    email_limit, email_window = settings.COMMENTS_RATE_LIMIT_EMAIL
    # Both counters move on every attempt, so changing email does not reset the IP's.
    try:
        over_ip = rate_limited(scope="ip", key=hashed_ip, limit=ip_limit, window=ip_window)
        over_email = rate_limited(scope="email", key=email, limit=email_limit, window=email_window)
    except RedisError as exc:
        # Without the counters nothing stops a flood, so the comment is
        # refused (not lost: the form comes back with the text) rather than
        # taken unthrottled or answered with a server error.
        logger.warning("comment refused: the rate-limit cache is unavailable: %s", exc)
        raise CommentRejected(
            "unavailable", "Comments cannot be taken just now; please keep your text and send it again in a few minutes."
        ) from exc
    if over_ip or over_email:
        raise CommentRejected(
            "rate_limited", "You have sent several comments in a short time; please wait a few minutes and send again."
        )

    digest = content_hash(summary_id=summary.pk, email=email or source_url, body=body)
    if Comment.objects.filter(summary=summary, content_hash=digest).exists():
        raise CommentRejected("duplicate", "You have already sent this comment.")

    parent = _attach_parent(summary=summary, parent_id=parent_id)
    body_html = str(comment_markdown_to_html(body))
    reason = comment_hold_reason(
        summary=summary, email=email, ip_hash_value=hashed_ip, body=body, kind=kind, trusted=can_moderate(user),
        body_html=body_html,
    )
    comment = Comment(
        summary=summary, parent=parent, kind=kind, user=user, author_name=author_name.strip()[:200],
        author_email=email, author_url=author_url, body=body, body_html=body_html,
        status=Comment.Status.PENDING if reason else Comment.Status.APPROVED, held_reason=reason,
        ip_hash=hashed_ip, user_agent=(user_agent or "")[:500], content_hash=digest, source_url=source_url,
    )
    comment.full_clean(exclude=["author_email"] if not email else None)
    comment.save()

    from summaries import tasks  # tasks import this module

    transaction.on_commit(lambda: tasks.send_comment_notifications.delay(comment.pk, base_url))
    if subscribe and email:
        subscription = subscription_request(summary=summary, email=email)
        if subscription is not None:
            transaction.on_commit(lambda: tasks.send_subscription_confirmation.delay(subscription.pk, base_url))
    return comment


@transaction.atomic
def comments_moderate(*, comment_ids, action: str, by, base_url: str = "") -> int:
    """Set the status of the given comments ("approve", "spam", "remove",
    "pending"), recording who and when. Subscribers hear of comments that
    become approved. Returns how many changed."""
    status = MODERATION_ACTIONS[action]
    now = timezone.now()
    changed = []
    for comment in Comment.objects.select_for_update().filter(pk__in=list(comment_ids)).exclude(status=status):
        comment.status = status
        comment.moderated_by = by
        comment.moderated_at = now
        comment.save(update_fields=["status", "moderated_by", "moderated_at"])
        changed.append(comment.pk)
    if status == Comment.Status.APPROVED and changed:
        from summaries import tasks

        for pk in changed:
            transaction.on_commit(lambda pk=pk: tasks.send_comment_notifications.delay(pk, base_url))
    return len(changed)


@transaction.atomic
def comments_spam_and_block(*, comment_ids, by, note: str = "") -> int:
    """Mark the comments as spam and block their commenters (email and IP
    hash), so that whatever they send next waits for a moderator. Returns
    how many commenters were newly blocked."""
    comment_ids = list(comment_ids)
    comments_moderate(comment_ids=comment_ids, action="spam", by=by)
    blocked = 0
    pairs = Comment.objects.filter(pk__in=comment_ids).values_list("author_email", "ip_hash").distinct()
    for email, hashed_ip in pairs:
        email = normalise_email(email)
        if not email and not hashed_ip:
            continue
        _, created = BlockedCommenter.objects.get_or_create(
            email=email, ip_hash=hashed_ip,
            defaults={"note": note or "blocked from the moderation queue", "created_by": by},
        )
        blocked += created
    return blocked


def subscription_request(*, summary: Summary, email: str) -> CommentSubscription | None:
    """An unconfirmed subscription to mail a confirmation link to, or None
    when there is nothing to mail: already subscribed, or asked less than
    CONFIRMATION_RESEND_AFTER ago (someone subscribing another person's
    address cannot flood it). A new request after unsubscribing starts over
    (and needs confirming again)."""
    email = normalise_email(email)
    subscription, created = CommentSubscription.objects.get_or_create(
        summary=summary, email=email, defaults={"token": secrets.token_urlsafe(32)}
    )
    if created:
        return subscription
    if subscription.confirmed_at and not subscription.unsubscribed_at:
        return None
    now = timezone.now()
    pending = subscription.confirmed_at is None and subscription.unsubscribed_at is None
    if pending and now - subscription.created_at < CONFIRMATION_RESEND_AFTER:
        return None
    subscription.token = secrets.token_urlsafe(32)
    subscription.created_at = now
    subscription.confirmed_at = None
    subscription.unsubscribed_at = None
    subscription.save(update_fields=["token", "created_at", "confirmed_at", "unsubscribed_at"])
    return subscription


@transaction.atomic
def subscription_confirm(*, token: str) -> CommentSubscription | None:
    subscription = CommentSubscription.objects.select_for_update().filter(token=token).first()
    if subscription is None or subscription.unsubscribed_at:
        return None
    if subscription.confirmed_at is None:
        subscription.confirmed_at = timezone.now()
        subscription.save(update_fields=["confirmed_at"])
    return subscription


@transaction.atomic
def subscription_unsubscribe(*, token: str) -> CommentSubscription | None:
    subscription = CommentSubscription.objects.select_for_update().filter(token=token).first()
    if subscription is None:
        return None
    if subscription.unsubscribed_at is None:
        subscription.unsubscribed_at = timezone.now()
        subscription.save(update_fields=["unsubscribed_at"])
    return subscription


# --- reads -------------------------------------------------------------------------------


@dataclass
class ThreadNode:
    comment: Comment
    depth: int
    children: list[ThreadNode] = field(default_factory=list)


def comment_thread(*, summary: Summary) -> list[ThreadNode]:
    """The approved comments of ``summary`` as a tree (one query), oldest
    first at each level. A reply whose parent is no longer approved moves
    up to its nearest approved ancestor (or the top), so removing a comment
    never hides the replies to it; depth never exceeds COMMENTS_MAX_DEPTH."""
    every = list(
        Comment.objects.filter(summary=summary)
        .only("pk", "parent_id", "status", "author_name", "author_url", "body_html", "created_at", "kind",
              "source_url", "summary_id")
        .order_by("created_at", "pk")
    )
    by_id = {comment.pk: comment for comment in every}
    nodes: dict[int, ThreadNode] = {}
    roots: list[ThreadNode] = []
    max_depth = max(1, settings.COMMENTS_MAX_DEPTH)
    for comment in every:
        if comment.status != Comment.Status.APPROVED:
            continue
        parent_id = comment.parent_id
        while parent_id is not None and parent_id in by_id and by_id[parent_id].status != Comment.Status.APPROVED:
            parent_id = by_id[parent_id].parent_id
        parent = nodes.get(parent_id) if parent_id is not None else None
        while parent is not None and parent.depth >= max_depth:
            parent = nodes.get(parent.comment.parent_id)  # climb: the tree already holds every ancestor
        node = ThreadNode(comment=comment, depth=parent.depth + 1 if parent else 1)
        nodes[comment.pk] = node
        (parent.children if parent else roots).append(node)
    return roots


def approved_comment_count():
    """An expression for annotating summaries with their approved comment
    count (a correlated subquery: no GROUP BY over the joined rows)."""
    counts = (
        Comment.objects.filter(summary=OuterRef("pk"), status=Comment.Status.APPROVED)
        .order_by().values("summary").annotate(n=Count("pk")).values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def comment_history(*, emails) -> dict[str, dict[str, int]]:
    """{email: {status: count}} for the given commenter emails (one query)."""
    history: dict[str, dict[str, int]] = {}
    rows = (
        Comment.objects.filter(author_email__in=[e for e in emails if e])
        .values("author_email", "status").annotate(n=Count("pk"))
    )
    for row in rows:
        history.setdefault(row["author_email"], {})[row["status"]] = row["n"]
    return history


def moderation_queue():
    """Everything moderators have to look at: pending and spam comments, and
    those removed in the last COMMENTS_RECENTLY_REMOVED_DAYS, newest first."""
    since = timezone.now() - timedelta(days=settings.COMMENTS_RECENTLY_REMOVED_DAYS)
    return (
        Comment.objects.filter(
            Q(status__in=[Comment.Status.PENDING, Comment.Status.SPAM])
            | Q(status=Comment.Status.REMOVED, moderated_at__gte=since)
        )
        .select_related("summary", "parent", "moderated_by")
        .order_by("-created_at", "-pk")
    )


def moderator_emails() -> list[str]:
    """Active staff who may moderate comments and have an email."""
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    return [user.email for user in users.filter(
        Q(is_superuser=True)
        | Q(groups__permissions__codename="change_comment", groups__permissions__content_type__app_label="summaries")
        | Q(user_permissions__codename="change_comment", user_permissions__content_type__app_label="summaries")
    ).distinct()]


# --- mail (called by the Celery tasks in summaries/tasks.py) -----------------------------


def _absolute(base_url: str, path: str) -> str:
    return f"{base_url.rstrip('/')}{path}" if base_url else path


def comment_notifications_send(*, comment_id: int, base_url: str = "") -> int:
    """Mail about a new comment: the moderators when it is pending, the
    confirmed subscribers of its summary (except its author) when it is
    approved. Every subscriber mail carries its one-click unsubscribe link.
    Returns the number of mails sent; 0 when the comment is gone."""
    from django.core.mail import EmailMessage, send_mass_mail
    from django.template.loader import render_to_string
    from django.urls import reverse

    comment = Comment.objects.select_related("summary").filter(pk=comment_id).first()
    if comment is None:
        return 0
    summary = comment.summary
    context = {"comment": comment, "summary": summary,
               "summary_url": _absolute(base_url, summary.get_absolute_url()) + f"#comment-{comment.pk}"}
    if comment.status == Comment.Status.PENDING:
        recipients = moderator_emails()
        if not recipients:
            return 0
        context["queue_url"] = _absolute(base_url, reverse("summaries:moderation"))
        body = render_to_string("summaries/email/comment_pending.txt", context)
        subject = f"Comment waiting for moderation on “{summary.title}”"
        return send_mass_mail([(subject, body, None, [email]) for email in recipients])
    if comment.status != Comment.Status.APPROVED:
        return 0
    subscriptions = CommentSubscription.objects.filter(
        summary=summary, confirmed_at__isnull=False, unsubscribed_at__isnull=True
    ).exclude(email__iexact=comment.author_email or "\x00")
    sent = 0
    for subscription in subscriptions:
        unsubscribe = _absolute(base_url, reverse("summaries:comment-unsubscribe", args=[subscription.token]))
        body = render_to_string("summaries/email/comment_reply.txt", {**context, "unsubscribe_url": unsubscribe})
        message = EmailMessage(
            f"New comment on “{summary.title}”", body, to=[subscription.email],
            headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        )
        sent += message.send()
    return sent


def subscription_confirmation_send(*, subscription_id: int, base_url: str = "") -> int:
    from django.core.mail import EmailMessage
    from django.template.loader import render_to_string
    from django.urls import reverse

    subscription = CommentSubscription.objects.select_related("summary").filter(pk=subscription_id).first()
    if subscription is None or subscription.confirmed_at or subscription.unsubscribed_at:
        return 0
    unsubscribe = _absolute(base_url, reverse("summaries:comment-unsubscribe", args=[subscription.token]))
    body = render_to_string("summaries/email/subscription_confirm.txt", {
        "summary": subscription.summary,
        "confirm_url": _absolute(base_url, reverse("summaries:comment-subscribe-confirm", args=[subscription.token])),
        "unsubscribe_url": unsubscribe,
    })
    message = EmailMessage(
        f"Confirm: replies to comments on “{subscription.summary.title}”", body, to=[subscription.email],
        headers={"List-Unsubscribe": f"<{unsubscribe}>"},
    )
    return message.send()
