"""Bringing the old WordPress blog home: a WXR export becomes summaries and
their comments, in one transaction (issue 5).

``manage.py import_transcript --format wxr FILE`` (or a WXR file given with
``--format auto``, or uploaded in the admin) comes here through
``chats.services.imports.transcript_import``; the outcome has the import
contract's shape (architecture.md, section 4), with the WordPress details
besides.

What becomes what, and why:

- Items of type ``post`` become summaries; pages, attachments, menu items
  and other types are skipped and counted by type (the archive has no pages).
  ``publish`` is published, ``future`` scheduled, ``draft``, ``pending`` and
  ``private`` are drafts (readers never see them); a password-protected post
  becomes a draft too, since its text was not public. Posts in the trash and
  auto-drafts are skipped.
- Counts are per post: ``created`` and ``updated`` summaries (a summary is
  updated when it or one of its comments changed), ``unchanged`` and
  ``skipped`` items. Comments are counted apart (``comments_*``).
- Comments keep their threads (wp:comment_parent), statuses (1 approved,
  0 pending, spam, trash removed) and kinds (comment, pingback, trackback);
  their body is Markdown like those written here, their body_html the
  cleaned WordPress HTML. Old IP addresses are not carried over.
- A re-import finds its summaries by ``wp_post_id`` and its comments by
  (summary, ``wp_comment_id``): it updates, never duplicates. A body edited
  here since (``body_edited_at``) is kept.
- The body is kept three ways: ``body_html`` is WordPress's HTML with its
  paragraphs (wpautop) and without shortcodes, cleaned by
  ``clean_summary_html``; ``body_markdown`` is that HTML as Markdown, because
  the summary renderer rebuilds ``body_html`` from ``body_markdown`` (raw
  HTML off) and moderators edit Markdown; the original text survives in a
  re-import from the file.
- Authors are users matched by login, or created inactive with an unusable
  password (they sign in only if someone gives them a password) and their
  display name as the name shown.
- A chat named in the title or the body ("Chat 116", "#hcsmca 116") that
  exists links the summary to it.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import DataError, IntegrityError, transaction
from django.utils.text import slugify

from chats.models import Chat, Import
from chats.services.imports import CountingReader, ImportOutcome, ProgressCallback, SourceFile
from summaries.models import Comment, Summary
from summaries.sanitise import clean_comment_html, clean_summary_html
from summaries.wordpress_html import html_to_markdown, plain_text, wordpress_to_html
from summaries.wxr import WxrAuthor, WxrComment, WxrFormatError, WxrItem, WxrSite, WxrSkipped, parse

SUMMARY_STATUS = {
    "publish": Summary.Status.PUBLISHED,
    "future": Summary.Status.SCHEDULED,
    "draft": Summary.Status.DRAFT,
    "pending": Summary.Status.DRAFT,
    "private": Summary.Status.DRAFT,
}
# Not content of the old blog any more.
SKIPPED_STATUSES = {"trash": "in the trash", "auto-draft": "an automatic draft", "inherit": "a revision"}
COMMENT_STATUS = {
    "1": Comment.Status.APPROVED,
    "approve": Comment.Status.APPROVED,
    "0": Comment.Status.PENDING,
    "hold": Comment.Status.PENDING,
    "spam": Comment.Status.SPAM,
    "trash": Comment.Status.REMOVED,
    "post-trashed": Comment.Status.REMOVED,
}
COMMENT_KIND = {
    "": Comment.Kind.COMMENT,
    "comment": Comment.Kind.COMMENT,
    "pingback": Comment.Kind.PINGBACK,
    "trackback": Comment.Kind.TRACKBACK,
    "webmention": Comment.Kind.WEBMENTION,
}
SUPPORTED_VERSIONS = {"1.0", "1.1", "1.2"}
UNTITLED = "(no title)"
TITLE_MAX = Summary._meta.get_field("title").max_length
SLUG_MAX = Summary._meta.get_field("slug").max_length
PATH_MAX = Summary._meta.get_field("legacy_path").max_length
TAG_MAX = 100  # taggit's Tag.name
# "#hcsmca 116", "#hcsmca chat 116", "#hcsmca #116": that series' chat.
SERIES_CHAT = re.compile(r"#(?P<hashtag>[a-z][a-z0-9_]*)\s+(?:chat\s*)?#?(?P<number>\d{1,6})\b", re.IGNORECASE)
# "Chat 116", "chat #116": the default series' chat.
PLAIN_CHAT = re.compile(r"\bchat\s*#?\s*(?P<number>\d{1,6})\b", re.IGNORECASE)
_http_url = URLValidator(schemes=["http", "https"])


@dataclass
class WordPressOutcome(ImportOutcome):
    wxr_versions: list[str] = field(default_factory=list)
    comments_created: int = 0
    comments_updated: int = 0
    comments_unchanged: int = 0
    comments_skipped: int = 0
    users_created: int = 0
    skipped_types: Counter = field(default_factory=Counter)

    def comment_line(self) -> str:
        return (f"comments: created {self.comments_created}, updated {self.comments_updated}, "
                f"unchanged {self.comments_unchanged}, skipped {self.comments_skipped}; "
                f"authors created {self.users_created}")


class _Failed(Exception):
    def __init__(self, message: str, *, record: int | None = None):
        super().__init__(message)
        self.error = {"record": record, "message": message}


def wordpress_import(
    *,
    sources: Sequence[SourceFile],
    series_hashtag: str | None = None,
    strict: bool = False,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
) -> WordPressOutcome:
    """Import WordPress exports (WXR 1.0-1.2) as summaries and comments.

    One transaction: on any error nothing is written and the outcome says
    failed, with the item number and the reason. ``series_hashtag`` is the
    series a bare "Chat 116" refers to (default: HCSMCA_DEFAULT_SERIES).
    """
    outcome = WordPressOutcome(format="wxr")
    try:
        with transaction.atomic():
            _Load(outcome, series_hashtag=series_hashtag, strict=strict, progress=progress).run(sources)
            if dry_run:
                transaction.set_rollback(True)
    except _Failed as exc:
        return _failed(outcome, exc.error)
    except (DataError, IntegrityError) as exc:
        return _failed(outcome, {"record": None, "message": f"the database refused the data: {exc}".strip()})
    outcome.close_report()
    return outcome


def _failed(outcome: WordPressOutcome, error: dict) -> WordPressOutcome:
    outcome.close_report()
    return WordPressOutcome(status=Import.Status.FAILED, format="wxr", errors=[*outcome.errors, error])


class _Load:
    def __init__(self, outcome: WordPressOutcome, *, series_hashtag: str | None, strict: bool,
                 progress: ProgressCallback | None):
        self.outcome = outcome
        self.strict = strict
        self.progress = progress
        self.default_series = (series_hashtag or settings.HCSMCA_DEFAULT_SERIES).lstrip("#").lower()
        self.zone = ZoneInfo(settings.TIME_ZONE)
        self.authors: dict[str, WxrAuthor] = {}
        self.users: dict[str, object] = {}
        self.chat_ids: set[int] = set()
        # Every chat by (series hashtag, number), read once: posts name
        # chats often, and an archive holds a few thousand at most.
        self.chat_numbers: dict[tuple[str, int], int] = {
            (hashtag.lower(), number): pk
            for hashtag, number, pk in Chat.objects.values_list("series__hashtag", "number", "pk")
        }
        self.items = 0
        self.bytes_total = 0
        self.bytes_done = 0

    def run(self, sources: Sequence[SourceFile]) -> None:
        if not sources:
            raise _Failed("no file to import")
        self.bytes_total = sum(source.size for source in sources)
        for source in sources:
            prefix = f"{source.name}: " if len(sources) > 1 else ""
            self._file(source, prefix)
        slugs = Chat.objects.filter(pk__in=self.chat_ids).order_by("start").values_list("slug", flat=True)
        self.outcome.chats = list(slugs)

    def _file(self, source: SourceFile, prefix: str) -> None:
        reader = CountingReader(source.stream)
        skipped_types: Counter = Counter()
        try:
            for record in parse(reader, default_timezone=self.zone):
                if isinstance(record, WxrAuthor):
                    self.authors[record.login] = record
                elif isinstance(record, WxrSite):
                    self._site(record, prefix)
                elif isinstance(record, WxrSkipped):
                    if self.strict:
                        raise _Failed(f"{prefix}{record.reason} (--strict)", record=record.record)
                    self.outcome.skipped += 1
                    self.outcome.report(record.record, prefix + record.reason)
                else:
                    self.items += 1
                    kind = self._item(record, prefix)
                    if kind:
                        skipped_types[kind] += 1
                    if self.progress is not None and self.items % 50 == 0:
                        self.progress(self.items, self.bytes_done + reader.count, self.bytes_total)
        except WxrFormatError as exc:
            raise _Failed(f"{prefix}{exc.message}", record=exc.record) from exc
        self.bytes_done += source.size or reader.count
        if self.progress is not None:
            self.progress(self.items, self.bytes_done, self.bytes_total)
        if skipped_types:
            self.outcome.skipped_types.update(skipped_types)
            ordered = sorted(skipped_types.items(), key=lambda kind_count: (-kind_count[1], kind_count[0]))
            listed = ", ".join(f"{count} {kind}" for kind, count in ordered)
            total = sum(skipped_types.values())
            self.outcome.report(None, f"{prefix}skipped {total} items that are not posts: {listed}")

    def _site(self, site: WxrSite, prefix: str) -> None:
        self.outcome.wxr_versions.append(site.wxr_version)
        if site.wxr_version not in SUPPORTED_VERSIONS:
            self.outcome.report(None, f"{prefix}WXR version {site.wxr_version}: read like 1.2")

    # -- one item --

    def _item(self, item: WxrItem, prefix: str) -> str | None:
        """Import one item; returns its type when it is skipped for not being a post."""
        if item.post_type != "post":
            self.outcome.skipped += 1
            self.outcome.comments_skipped += len(item.comments)
            return item.post_type
        if item.status in SKIPPED_STATUSES:
            self.outcome.skipped += 1
            self.outcome.report(item.record, f"{prefix}post {item.wp_id} is {SKIPPED_STATUSES[item.status]}: skipped")
            return None
        status = SUMMARY_STATUS.get(item.status, Summary.Status.DRAFT)
        if item.status not in SUMMARY_STATUS:
            self.outcome.report(item.record, f"{prefix}post {item.wp_id} has status {item.status!r}: kept as a draft")
        if item.password and status != Summary.Status.DRAFT:
            status = Summary.Status.DRAFT
            self.outcome.report(item.record, f"{prefix}post {item.wp_id} was password-protected: kept as a draft")
        summary = Summary.objects.filter(wp_post_id=item.wp_id).first()
        created = summary is None
        if created:
            summary = Summary(wp_post_id=item.wp_id)
        changed = self._fill(summary, item, status, prefix)
        if created or changed:
            summary.save()
        changed |= self._tags(summary, item, created)
        changed |= self._comments(summary, item, prefix)
        if created:
            self.outcome.created += 1
        elif changed:
            self.outcome.updated += 1
        else:
            self.outcome.unchanged += 1
        if summary.chat_id:
            self.chat_ids.add(summary.chat_id)
        if summary.published_at is not None and status != Summary.Status.DRAFT:
            first, last = self.outcome.first_post_at, self.outcome.last_post_at
            self.outcome.first_post_at = min(first, summary.published_at) if first else summary.published_at
            self.outcome.last_post_at = max(last, summary.published_at) if last else summary.published_at
        return None

    def _fill(self, summary: Summary, item: WxrItem, status: str, prefix: str) -> bool:
        title = plain_text(item.title)[:TITLE_MAX] or UNTITLED
        html = wordpress_to_html(item.content)
        values = {
            "title": title,
            "slug": self._slug(item, title, summary.pk),
            "author_id": self._user(item.creator),
            "excerpt": plain_text(item.excerpt),
            "status": status,
            "published_at": None if status == Summary.Status.DRAFT else item.published_at,
            "comments_open": item.comment_status == "open",
            "legacy_path": legacy_path(item.link),
        }
        if summary.body_edited_at is None:
            values["body_html"] = str(clean_summary_html(html))
            values["body_markdown"] = html_to_markdown(values["body_html"])
        elif summary.body_markdown != html_to_markdown(str(clean_summary_html(html))):
            self.outcome.report(item.record, f"{prefix}post {item.wp_id}: its body was edited here; kept")
        if summary.chat_id is None:
            chat_id = self._chat_named(title, plain_text(html))
            if chat_id is not None:
                values["chat_id"] = chat_id
        changed = False
        for name, value in values.items():
            if getattr(summary, name) != value:
                setattr(summary, name, value)
                changed = True
        return changed

    def _slug(self, item: WxrItem, title: str, own_pk: int | None) -> str:
        """The old slug made URL-safe (ASCII letters, digits, hyphens, as the
        permalink pattern takes), else one from the title, else post-<id>.
        A slug another summary holds gets the post's id appended: the same
        file gives the same slugs every time."""
        base = (slugify(unquote(item.slug)) or slugify(title) or f"post-{item.wp_id}")[:SLUG_MAX].strip("-")
        base = base or f"post-{item.wp_id}"
        suffix = f"-{item.wp_id}"
        candidates = [base, base[: SLUG_MAX - len(suffix)] + suffix]
        candidates += [base[: SLUG_MAX - len(suffix) - 6] + f"{suffix}-{n}" for n in range(2, 100)]
        for candidate in candidates:
            if not Summary.objects.filter(slug=candidate).exclude(pk=own_pk).exists():
                return candidate
        raise _Failed(f"no free slug for post {item.wp_id}", record=item.record)

    def _user(self, login: str) -> int | None:
        username = re.sub(r"[^\w.@+-]", "", login or "")[:150]
        if not username:
            return None
        if username not in self.users:
            User = get_user_model()
            user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
            if user is None:
                author = self.authors.get(login) or self.authors.get(username) or WxrAuthor(login=username)
                name = plain_text(author.display_name) or " ".join(
                    filter(None, [plain_text(author.first_name), plain_text(author.last_name)]))
                user = User(**{User.USERNAME_FIELD: username}, first_name=name[:150], is_active=False,
                            email=_email(author.email))
                user.set_unusable_password()
                user.save()
                self.outcome.users_created += 1
            self.users[username] = user.pk
        return self.users[username]

    def _chat_named(self, title: str, body: str) -> int | None:
        """The first existing chat the title, then the body, names."""
        for text in (title, body):
            candidates = [(m["hashtag"].lower(), int(m["number"])) for m in SERIES_CHAT.finditer(text)]
            candidates += [(self.default_series, int(m["number"])) for m in PLAIN_CHAT.finditer(text)]
            for candidate in candidates:
                if candidate in self.chat_numbers:
                    return self.chat_numbers[candidate]
        return None

    def _tags(self, summary: Summary, item: WxrItem, created: bool) -> bool:
        """Categories and tags as tags (WordPress's default "Uncategorized"
        left out: it says nothing). Returns whether they changed."""
        names: dict[str, str] = {}
        for term in item.terms:
            if term.domain not in {"category", "post_tag", "tag", ""}:
                continue  # post formats, menus, custom taxonomies
            name = plain_text(term.name)[:TAG_MAX].strip()
            if not name or (term.domain in {"category", ""} and name.lower() == "uncategorized"):
                continue
            names.setdefault(name.lower(), name)
        wanted = sorted(names.values())
        current = [] if created else sorted(summary.tags.names())
        if wanted == current:
            return False
        summary.tags.set(wanted)
        return True

    # -- comments --

    def _comments(self, summary: Summary, item: WxrItem, prefix: str) -> bool:
        if item.broken_comments:
            self.outcome.comments_skipped += item.broken_comments
            self.outcome.report(
                item.record, f"{prefix}post {item.wp_id}: {item.broken_comments} comments without an id skipped")
        if not item.comments:
            return False
        stored = {c.wp_comment_id: c for c in summary.comments.filter(wp_comment_id__isnull=False)}
        by_id: dict[int, Comment] = {}
        changed = False
        for raw in item.comments:
            kind = COMMENT_KIND.get(raw.kind.lower())
            if kind is None:
                self.outcome.comments_skipped += 1
                self.outcome.report(item.record, f"{prefix}post {item.wp_id}: comment {raw.wp_id} is a {raw.kind!r}, "
                                                 "not a comment, pingback or trackback: skipped")
                continue
            comment = stored.get(raw.wp_id)
            is_new = comment is None
            if is_new:
                comment = Comment(summary=summary, wp_comment_id=raw.wp_id)
            # Replies usually follow what they answer: their parent is known now.
            parent = by_id.get(raw.parent_id) if raw.parent_id else None
            if is_new and parent is not None:
                comment.parent = parent
            if self._fill_comment(comment, raw, kind, summary) or is_new:
                comment.save()
                changed = True
                if is_new:
                    self.outcome.comments_created += 1
                else:
                    self.outcome.comments_updated += 1
            else:
                self.outcome.comments_unchanged += 1
            by_id[raw.wp_id] = comment
        # Threads, once every comment of the post has a row.
        for raw in item.comments:
            comment = by_id.get(raw.wp_id)
            if comment is None:
                continue
            parent = by_id.get(raw.parent_id) if raw.parent_id else None
            if raw.parent_id and parent is None:
                self.outcome.report(item.record, f"{prefix}post {item.wp_id}: comment {raw.wp_id} answers comment "
                                                 f"{raw.parent_id}, which is not in the file: shown at the top level")
            if comment.parent_id != (parent.pk if parent else None):
                comment.parent = parent
                comment.save(update_fields=["parent"])
                changed = True
        return changed

    def _fill_comment(self, comment: Comment, raw: WxrComment, kind: str, summary: Summary) -> bool:
        status = COMMENT_STATUS.get(raw.approved.lower(), Comment.Status.PENDING)
        body_html = str(clean_comment_html(wordpress_to_html(raw.content)))
        values = {
            "kind": kind,
            "status": status,
            "author_name": plain_text(raw.author_name)[:200] or "Anonymous",
            "author_email": _email(raw.author_email),
            "author_url": _url(raw.author_url),
            # Like a summary's: the source as Markdown, since comments written
            # here are Markdown and would be re-rendered from it.
            "body": html_to_markdown(body_html),
            "body_html": body_html,
            "created_at": raw.created_at or summary.published_at or datetime.now(UTC),
        }
        changed = False
        for name, value in values.items():
            if getattr(comment, name) != value:
                setattr(comment, name, value)
                changed = True
        return changed


def legacy_path(link: str) -> str:
    """The path of the old permalink (decoded, as Django's request.path is),
    or "" for the plain ``/?p=123`` kind, which the ?p= redirect answers."""
    try:
        parts = urlsplit((link or "").strip())
    except ValueError:
        return ""
    path = unquote(parts.path)
    if not path or path == "/" or not path.startswith("/") or path.startswith("//") or len(path) > PATH_MAX:
        return ""
    return path


def _email(value: str) -> str:
    value = (value or "").strip()[:254]
    try:
        validate_email(value)
    except ValidationError:
        return ""
    return value


def _url(value: str) -> str:
    value = (value or "").strip()
    if not value or len(value) > 500:
        return ""
    try:
        _http_url(value)
    except ValidationError:
        return ""
    return value
