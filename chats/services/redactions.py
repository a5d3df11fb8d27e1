"""Taking people's words out of the archive, and keeping them out.

Two ways in:

- ``author_redact``: a participant asked to be removed and a moderator
  confirmed it. Their handle, name, avatar and profile are blanked, every post
  of theirs becomes a placeholder ("a post removed at its author's request"),
  mentions of their handle in other people's posts read ``@[removed]``, and
  a question they asked keeps its label but not its words.
- ``posts_mark_deleted``: a deletion list (or a stream's delete notices)
  says posts were deleted on their platform; those present become
  placeholders, and ids not yet archived are remembered.

A placeholder keeps its row: id, time, chat, question and thread links stay,
so replies still hang where they did and counts do not change. What is
blanked is everything the person wrote or that identifies them, including the
original imported record. A ``PostTombstone`` per post (by platform and
external id) and ``Author.redacted_at`` make later imports bring none of it
back (chats.services.imports honours both, and scrubs redacted accounts out of
what it imports with the same ``Scrubber``). Each action is logged as a ``Redaction``.
"""
from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.utils import timezone

from chats.models import Author, Chat, Post, Question, Redaction, Removal, RemovalRequest
from chats.redaction_scrub import Scrubber
from chats.services.content import chats_content_touch
from chats.services.links import links_recount

# Every column of a post that holds what its author wrote or who they are.
# Ids, time, chat, question, thread and repost links, metrics and language
# stay: they are structure and counts, not words. (The import blanks staged
# copies of removed posts with the same list.)
BLANK_POST_COLUMNS = """
    text = '', url = '', urls = '[]'::jsonb, hashtags = '[]'::jsonb, mentions = '[]'::jsonb,
    media = '[]'::jsonb, original = '{}'::jsonb, truncated = false
"""


@transaction.atomic
def author_redact(*, author_id: int, reason: str, performed_by=None,
                  removal_request_id: int | None = None) -> Redaction:
    """Redact the author ``author_id`` across the whole archive, in one
    transaction, and log it. Running it again for a redacted author removes
    only what a later change may have added (normally nothing)."""
    author = Author.objects.select_for_update().get(pk=author_id)
    previous = author.redactions.filter(kind=Redaction.Kind.AUTHOR).order_by("performed_at").first()
    handle = author.handle or (previous.handle if previous else "")
    redaction = Redaction.objects.create(
        kind=Redaction.Kind.AUTHOR, author=author, platform=author.platform, handle=handle,
        removal_request_id=removal_request_id, reason=reason, performed_by=performed_by)

    posts = Post.objects.filter(author=author)
    chat_ids = set(posts.values_list("chat_id", flat=True).distinct())
    _tombstone(posts, reason=Removal.AUTHOR_REQUEST, redaction=redaction)
    redaction.post_count = _blank(posts, reason=Removal.AUTHOR_REQUEST)

    # Their questions keep their label and place; the words go.
    Question.objects.filter(asked_by__author=author).update(text="")
    scrubbed_chats, _reposts = _scrub_others(author, handle, redaction)
    chat_ids |= scrubbed_chats
    author.handle = author.display_name = author.profile_url = author.avatar_url = ""
    author.redacted_at = timezone.now()
    author.save(update_fields=["handle", "display_name", "profile_url", "avatar_url", "redacted_at"])
    # Named as a host of a series or chat: no longer.
    author.hosted_series.clear()
    author.hosted_chats.clear()

    redaction.save(update_fields=["post_count"])
    _withdraw_bundles(chat_ids)
    if removal_request_id is not None:
        RemovalRequest.objects.filter(pk=removal_request_id).update(
            status=RemovalRequest.Status.REDACTED, author=author, handled_by=performed_by,
            handled_at=timezone.now())
    chats_content_touch(chat_ids=chat_ids)
    return redaction


@transaction.atomic
def posts_mark_deleted(*, platform: str, external_ids: Iterable[str], source_name: str,
                       performed_by=None) -> Redaction:
    """Mark the posts ``external_ids`` of ``platform`` deleted on their
    platform: placeholders for those archived, tombstones for all (a later
    import of one arrives as its placeholder). ``post_count`` in the log is
    the number of archived posts newly blanked."""
    ids = sorted({str(external_id).strip() for external_id in external_ids if str(external_id).strip()})
    redaction = Redaction.objects.create(
        kind=Redaction.Kind.DELETION_LIST, platform=platform,
        reason=f"deleted on {platform}, from {source_name}: {len(ids)} ids", performed_by=performed_by)
    # One statement (bulk_create took 12 s for 100,000 ids; this 2.5 s).
    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO chats_posttombstone (platform, external_id, reason, redaction_id, created_at)
            SELECT %s, external_id, %s, %s, now() FROM unnest(%s::text[]) AS ids(external_id)
            ON CONFLICT (platform, external_id) DO NOTHING
        """, [platform, Removal.DELETED.value, redaction.pk, ids])
    posts = Post.objects.filter(platform=platform, external_id__in=ids, removed="")
    chat_ids = set(posts.values_list("chat_id", flat=True).distinct())
    # A question is a copy of the post that asked it.
    Question.objects.filter(asked_by__in=posts).update(text="")
    redaction.post_count = _blank(posts, reason=Removal.DELETED)
    redaction.save(update_fields=["post_count"])
    _withdraw_bundles(chat_ids)
    chats_content_touch(chat_ids=chat_ids)
    return redaction


def redaction_scrubber(platform: str) -> Scrubber:
    """What imports of ``platform`` scrub from every post: the handles (from
    the moderators' log) and account ids of the redacted authors."""
    handles = Redaction.objects.filter(kind=Redaction.Kind.AUTHOR, platform=platform).exclude(handle="")
    account_ids = Author.objects.filter(platform=platform, redacted_at__isnull=False)
    return Scrubber(handles.values_list("handle", flat=True), account_ids.values_list("platform_id", flat=True))


def _withdraw_bundles(chat_ids: set[int | None]) -> None:
    """Dataset bundles of the chats touched (and of their series) stop being
    served at once, files and all: they hold what was just removed. The
    beat task rebuilds them within minutes (chats.tasks_datasets)."""
    # Imported here: the bundles read this module's scrubber.
    from chats.services.bundles import bundles_delete

    chat_ids = {chat_id for chat_id in chat_ids if chat_id is not None}
    for chat_id in chat_ids:
        bundles_delete(chat_id=chat_id)
    for series_id in set(Chat.objects.filter(pk__in=chat_ids).values_list("series_id", flat=True)):
        bundles_delete(series_id=series_id)


def _tombstone(posts, *, reason: str, redaction: Redaction) -> None:
    """A tombstone for each of ``posts``; an author's request overrides a
    deletion notice (it also blanks the author)."""
    try:
        sql, params = posts.values("platform", "external_id").query.sql_with_params()
    except EmptyResultSet:  # e.g. pk__in=[]: nothing to tombstone
        return
    with connection.cursor() as cursor:
        cursor.execute(f"""
            INSERT INTO chats_posttombstone (platform, external_id, reason, redaction_id, created_at)
            SELECT p.platform, p.external_id, %s, %s, now() FROM ({sql}) AS p
            ON CONFLICT (platform, external_id) DO UPDATE
            SET reason = EXCLUDED.reason, redaction_id = EXCLUDED.redaction_id
        """, [reason, redaction.pk, *params])  # nosec B608: the subquery is the ORM's, with parameters


def _blank(posts, *, reason: str) -> int:
    """Blank ``posts`` that are not yet removed, drop the links they shared
    (re-counting those links) and return how many were blanked."""
    post_ids = list(posts.filter(removed="").values_list("pk", flat=True))
    if not post_ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM chats_postlink WHERE post_id = ANY(%s) RETURNING link_id", [post_ids])
        link_ids = {row[0] for row in cursor.fetchall()}
        cursor.execute(f"""
            UPDATE chats_post SET {BLANK_POST_COLUMNS}, removed = %s, removed_at = now()
            WHERE id = ANY(%s)
        """, [reason, post_ids])  # nosec B608: a constant column list
    links_recount(link_ids=link_ids)
    return len(post_ids)


def _scrub_others(author: Author, handle: str, redaction: Redaction) -> tuple[set[int], int]:
    """Take the author out of other people's posts: mentions in texts and
    mention lists, and their account and posts embedded in records. A repost
    of theirs is their words: it becomes a placeholder too. Returns the
    chats touched and the number of reposts blanked."""
    scrubber = Scrubber([handle] if handle else [], [author.platform_id])
    needles = [f"%{handle}%"] if handle else []
    with connection.cursor() as cursor:
        # A cheap superset by substring; the scrubber decides.
        cursor.execute("""
            SELECT id FROM chats_post WHERE platform = %s AND removed = '' AND author_id <> %s
              AND (text ILIKE ANY(%s) OR original::text ILIKE ANY(%s))
        """, [author.platform, author.pk, needles, [*needles, f"%{author.platform_id}%"]])
        candidate_ids = [row[0] for row in cursor.fetchall()]
    chat_ids, reposts, changed = set(), [], []
    for start in range(0, len(candidate_ids), 500):
        for post in Post.objects.filter(pk__in=candidate_ids[start:start + 500]).only(
                "id", "chat_id", "text", "mentions", "original", "repost_of_external_id"):
            text, mentions, original = scrubber.text(post.text), scrubber.mentions(post.mentions), scrubber.record(
                post.original)
            if (text, mentions, original) == (post.text, post.mentions, post.original):
                continue
            chat_ids.add(post.chat_id)
            if post.repost_of_external_id:
                reposts.append(post.pk)
            else:
                post.text, post.mentions, post.original = text, mentions, original
                changed.append(post)
    Post.objects.bulk_update(changed, ["text", "mentions", "original"], batch_size=200)
    repost_rows = Post.objects.filter(pk__in=reposts)
    _tombstone(repost_rows, reason=Removal.AUTHOR_REQUEST, redaction=redaction)
    return chat_ids, _blank(repost_rows, reason=Removal.AUTHOR_REQUEST)
