"""Reading a chat's page: its outline (questions in reading order, how many
items each holds, hosts, tags), one page of its transcript in either order,
and the cache around them.

Two orders:

* **by question** (the default): sections in question order (the posts tied
  to no question first, then T1, T1a, T2, ...), each in time order, replies
  nested under the post they answer when that post is on the same page and in
  the same section, retweets of a post of the same chat folded into it
  ("retweeted by N"). Pages cut the sequence of *items* (posts less folded
  retweets) ordered by (section, time), so a page may hold several questions
  and a large one runs over pages ("T2 (continued)").
* **by time**: every post, retweets included, ``created_at`` then
  ``external_id``.

Every page costs a fixed number of queries whatever the chat's size: the
outline (questions, then one GROUP BY per question), the page's posts, the
retweeters of the page's posts, and the posts answered that are not on the
page. Nesting is pure Python over the page's rows (``build_threads``).

The outline and rendered fragments are cached under keys made of the chat's
``content_version`` and ``content_changed_at`` (bumped by chats.services.content),
so a change shows at once; if the cache fails the page is read from the
database.
"""
from __future__ import annotations

import functools
import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from redis.exceptions import RedisError

from chats.models import Author, Chat, Post, Question

logger = logging.getLogger(__name__)

ITEMS_PER_PAGE = 500
# Deeper replies are shown at this level (the last), after their parent.
MAX_DEPTH = 4
QUESTION_ORDER = "question"
TIME_ORDER = "time"
# Anchor of the section of posts tied to no question.
UNASSIGNED_ANCHOR = "other-posts"
# Changes when the markup of the page changes, so that browsers and the cache
# do not keep an older page after a release.
PAGE_FORMAT = "2"


# --- the outline ------------------------------------------------------------------

@dataclass
class Outline:
    """What every page of a chat shows whatever its number: small, cached whole."""

    questions: list[Question]  # reading order; each with item_count, start, depth, anchor
    unassigned_count: int
    item_total: int  # posts less folded retweets: what the question order pages through
    post_total: int  # every post, retweets included: what the time order pages through
    participant_total: int
    hosts: list[Author]
    tags: list[Any]
    section_starts: dict[int, int] = field(default_factory=dict)  # question id (0: none) -> first index

    @property
    def question_count(self) -> int:
        return len(self.questions)


def reading_order(questions: list[Question]) -> list[Question]:
    """Questions by (position, label), each followed by its sub-questions
    (in the same order); a question whose parent is not among them counts as
    a top-level one. Sets ``depth`` (0 or more) on each."""
    by_id = {question.pk: question for question in questions}
    children: dict[int | None, list[Question]] = defaultdict(list)
    for question in questions:
        parent = question.parent_id if question.parent_id in by_id and question.parent_id != question.pk else None
        children[parent].append(question)
    ordered: list[Question] = []
    seen: set[int] = set()

    def walk(parent: int | None, depth: int) -> None:
        for question in sorted(children[parent], key=lambda q: (q.position, q.label)):
            if question.pk in seen:  # a cycle of parents entered by hand
                continue
            seen.add(question.pk)
            question.depth = depth
            ordered.append(question)
            walk(question.pk, depth + 1)

    walk(None, 0)
    # Questions caught in a cycle (T1 under T1a under T1) are listed anyway.
    for question in sorted(questions, key=lambda q: (q.position, q.label)):
        if question.pk not in seen:
            question.depth = 0
            ordered.append(question)
    return ordered


def read_outline(chat: Chat, *, per_page: int) -> Outline:
    """Four queries: the questions, the items and posts per question (with
    the number of participants), the hosts, the tags."""
    questions = reading_order(list(chat.questions.all()))
    folded = Exists(Post.objects.filter(pk=OuterRef("repost_of_id"), chat=chat))
    participants = (
        Post.objects.filter(chat=chat).order_by().values("chat").annotate(n=Count("author_id", distinct=True)).values("n")
    )
    rows = (
        Post.objects.filter(chat=chat)
        .order_by()
        .values("question_id")
        .annotate(
            items=Count("pk", filter=~Q(folded)),
            posts=Count("pk"),
            participants=Subquery(participants, output_field=IntegerField()),
        )
    )
    known = {question.pk for question in questions}
    items_by_question: dict[int, int] = defaultdict(int)
    post_total = participant_total = 0
    for row in rows:
        # A post under a question of another chat (entered by hand) counts as tied to none.
        key = row["question_id"] if row["question_id"] in known else 0
        items_by_question[key] += row["items"]
        post_total += row["posts"]
        participant_total = row["participants"] or 0
    starts = {}
    position = 0
    for key in [0, *(question.pk for question in questions)]:
        starts[key] = position
        position += items_by_question[key]
    for question in questions:
        question.item_count = items_by_question[question.pk]
        question.start = starts[question.pk]
        question.page = page_of(question.start, per_page, position)
    return Outline(
        questions=questions,
        unassigned_count=items_by_question[0],
        item_total=position,
        post_total=post_total,
        participant_total=participant_total,
        hosts=read_hosts(chat),
        tags=list(chat.tags.all()),
        section_starts=starts,
    )


def read_hosts(chat: Chat) -> list[Author]:
    """The chat's hosts, else its series' hosts: one query."""
    chat_hosts = Chat.hosts.through.objects.filter(chat_id=chat.pk, author_id=OuterRef("pk"))
    series_hosts = chat.series.hosts.through.objects.filter(series_id=chat.series_id, author_id=OuterRef("pk"))
    hosts = list(
        Author.objects.annotate(of_chat=Exists(chat_hosts), of_series=Exists(series_hosts))
        .filter(Q(of_chat=True) | Q(of_series=True))
        .order_by("handle", "pk")
    )
    of_chat = [host for host in hosts if host.of_chat]
    return of_chat or hosts


def page_of(position: int, per_page: int, total: int) -> int:
    """The 1-based page holding the item at ``position`` (an empty section
    at the very end is on the last page)."""
    last = max(1, -(-total // per_page))
    return min(position // per_page + 1, last)


# --- a page of the transcript -------------------------------------------------------

@dataclass
class Node:
    post: Post
    depth: int = 0
    children: list[Node] = field(default_factory=list)
    # Shown for a reply not nested under the post it answers: where that post is.
    parent_url: str = ""
    show_reply_to: bool = False


@dataclass
class Section:
    anchor: str
    question: Question | None
    starts_here: bool  # False: "(continued)" from an earlier page
    item_count: int
    threads: list[Node]


@dataclass
class TranscriptPage:
    order: str
    page: Page
    sections: list[Section] = field(default_factory=list)  # by question
    nodes: list[Node] = field(default_factory=list)  # by time (flat)


def build_threads(posts: list[Post], *, section_of: dict[int, Any], max_depth: int = MAX_DEPTH) -> list[Node]:
    """Pure: the roots of the reply trees of ``posts`` (given in display
    order). A post is nested under the post it answers when that post is among
    ``posts`` and in the same section (``section_of``: post id -> section), and
    came before it; nesting stops at ``max_depth``: deeper replies are put
    after their parent at that depth, and say whom they answer."""
    nodes = {post.pk: Node(post=post) for post in posts}
    index = {post.pk: n for n, post in enumerate(posts)}
    containers: dict[int, list[Node]] = {}  # post id -> the list its node is in
    roots: list[Node] = []
    for post in posts:
        node = nodes[post.pk]
        parent_id = post.reply_to_id
        parent = nodes.get(parent_id) if parent_id is not None else None
        if (
            parent is None
            or section_of.get(parent_id) != section_of.get(post.pk)
            or index[parent_id] > index[post.pk]
        ):
            roots.append(node)
            containers[post.pk] = roots
            node.show_reply_to = bool(post.reply_to_external_id)
            continue
        if parent.depth < max_depth:
            node.depth = parent.depth + 1
            parent.children.append(node)
            containers[post.pk] = parent.children
        else:
            # At the last level: beside its parent, saying whom it answers.
            node.depth = parent.depth
            node.show_reply_to = True
            containers[parent_id].append(node)
            containers[post.pk] = containers[parent_id]
    return roots


def _walk(nodes: list[Node]):
    for node in nodes:
        yield node
        yield from _walk(node.children)


def read_transcript_page(chat: Chat, outline: Outline, *, order: str, page_number, per_page: int) -> TranscriptPage:
    if order == TIME_ORDER:
        return _time_page(chat, outline, page_number, per_page)
    return _question_page(chat, outline, page_number, per_page)


def _paginate(queryset, total: int, page_number, per_page: int) -> Page:
    paginator = Paginator(queryset, per_page)
    paginator.count = total  # known from the outline: no COUNT query
    page = paginator.get_page(page_number)
    page.object_list = list(page.object_list)
    return page


def _question_page(chat: Chat, outline: Outline, page_number, per_page: int) -> TranscriptPage:
    rank = Case(
        *(When(question_id=question.pk, then=Value(n)) for n, question in enumerate(outline.questions, start=1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    items = (
        Post.objects.transcript_items(chat)
        .with_transcript_context()
        .annotate(section_rank=rank)
        .order_by("section_rank", "created_at", "external_id")
    )
    page = _paginate(items, outline.item_total, page_number, per_page)
    posts = page.object_list
    _attach_retweeters(chat, posts)
    section_of = {post.pk: post.section_rank for post in posts}
    roots = build_threads(posts, section_of=section_of)
    _link_parents(chat, outline, roots, posts, per_page, order=QUESTION_ORDER)

    first, last = page.start_index() - 1, page.end_index()  # [first, last) of the item sequence
    by_rank: dict[int, list[Node]] = defaultdict(list)
    for root in roots:
        by_rank[root.post.section_rank].append(root)
    sections = []
    entries = [(0, None, UNASSIGNED_ANCHOR, outline.unassigned_count, outline.section_starts.get(0, 0))]
    entries += [(n, q, q.label, q.item_count, q.start) for n, q in enumerate(outline.questions, start=1)]
    for rank_number, question, anchor, count, start in entries:
        if count:
            shown = start < last and start + count > first
        else:
            # A question nobody answered: its heading goes where it would start.
            shown = question is not None and page_of(start, per_page, outline.item_total) == page.number
        if shown:
            sections.append(Section(anchor=anchor, question=question, starts_here=start >= first,
                                    item_count=count, threads=by_rank.get(rank_number, [])))
    return TranscriptPage(order=QUESTION_ORDER, page=page, sections=sections)


def _time_page(chat: Chat, outline: Outline, page_number, per_page: int) -> TranscriptPage:
    posts = (
        Post.objects.filter(chat=chat)
        .with_transcript_context()
        .select_related("repost_of__author")
        .in_time_order()
    )
    page = _paginate(posts, outline.post_total, page_number, per_page)
    # A post's question badge goes to the question's section (by question, on its page).
    question_pages = {question.label: question.page for question in outline.questions}
    for post in page.object_list:
        if post.question_label in question_pages:
            post.question_url = f"?page={question_pages[post.question_label]}#{post.question_label}"
    nodes = [Node(post=post, show_reply_to=bool(post.reply_to_external_id)) for post in page.object_list]
    _link_parents(chat, outline, nodes, page.object_list, per_page, order=TIME_ORDER)
    return TranscriptPage(order=TIME_ORDER, page=page, nodes=nodes)


def _attach_retweeters(chat: Chat, posts: list[Post]) -> None:
    """``retweeters`` on each post: the retweets of it in this chat, oldest
    first, with their authors (one query for the page)."""
    by_original: dict[int, list[Post]] = defaultdict(list)
    if posts:
        retweets = (
            Post.objects.filter(chat=chat, repost_of_id__in=[post.pk for post in posts])
            .select_related("author")
            .only("repost_of_id", "created_at", "external_id", "author__platform", "author__handle",
                  "author__display_name", "author__redacted_at")
            .order_by("created_at", "external_id")
        )
        for retweet in retweets:
            by_original[retweet.repost_of_id].append(retweet)
    for post in posts:
        post.retweeters = by_original.get(post.pk, [])


def _link_parents(chat: Chat, outline: Outline, roots: list[Node], posts: list[Post], per_page: int, *,
                  order: str) -> None:
    """``parent_url`` of every reply shown apart from the post it answers:
    ``#post-<id>`` when that post is on this page, else the page of this or
    its own chat where it is (one query for all of them)."""
    on_page = {post.pk for post in posts}
    detached = [node for node in _walk(roots) if node.show_reply_to and node.post.reply_to_id is not None]
    for node in detached:
        if node.post.reply_to_id in on_page:
            node.parent_url = f"#post-{node.post.reply_to_external_id}"
    elsewhere = {node.post.reply_to_id for node in detached if node.post.reply_to_id not in on_page}
    if not elsewhere:
        return
    places = {row["pk"]: row for row in _parent_places(chat, elsewhere)}
    for node in detached:
        row = places.get(node.post.reply_to_id)
        if row is None or node.post.reply_to_id in on_page:
            continue
        anchor = f"#post-{row['external_id']}"
        if row["chat_id"] is None:
            continue  # outside any chat: on no page
        in_question_order = (
            order == QUESTION_ORDER and row["chat_id"] == chat.pk and row["repost_chat_id"] != chat.pk
        )
        if in_question_order:
            key = row["question_id"] if row["question_id"] in outline.section_starts else 0
            position = outline.section_starts[key] + row["before_in_section"]
            number = page_of(position, per_page, outline.item_total)
            node.parent_url = f"?page={number}{anchor}"
        else:
            number = row["time_position"] // per_page + 1
            base = "" if row["chat_id"] == chat.pk else chat_url_for_slug(row["chat__slug"])
            node.parent_url = f"{base}?order=time&page={number}{anchor}"


def chat_url_for_slug(slug: str) -> str:
    return Chat(slug=slug).get_absolute_url()


def _parent_places(chat: Chat, post_ids: set[int]):
    """Where each post of ``post_ids`` is: its chat, its place in its chat's
    time order, and (for this chat's items) its place in its question's section."""
    question_key = Coalesce("question_id", Value(0))
    earlier = Q(created_at__lt=OuterRef("created_at")) | Q(
        created_at=OuterRef("created_at"), external_id__lt=OuterRef("external_id")
    )
    before_in_section = (
        Post.objects.transcript_items(chat)
        .annotate(question_key=question_key)
        .filter(earlier, question_key=Coalesce(OuterRef("question_id"), Value(0)))
        .order_by()
        .values("chat")
        .annotate(n=Count("*"))
        .values("n")
    )
    before_in_chat = (
        Post.objects.filter(chat=OuterRef("chat")).filter(earlier).order_by().values("chat").annotate(n=Count("*")).values("n")
    )
    return (
        Post.objects.filter(pk__in=post_ids)
        .annotate(
            before_in_section=Coalesce(Subquery(before_in_section, output_field=IntegerField()), 0),
            time_position=Coalesce(Subquery(before_in_chat, output_field=IntegerField()), 0),
        )
        .values("pk", "external_id", "chat_id", "chat__slug", "question_id", "before_in_section", "time_position",
                repost_chat_id=Coalesce("repost_of__chat_id", Value(0)))
    )


# --- the cache --------------------------------------------------------------------

# What a cache that cannot be reached raises (redis-py's errors; sockets' OSError).
CACHE_ERRORS = (RedisError, OSError)


def cache_stamp(chat: Chat) -> str:
    """Names this state of the chat's content: the version, and the time it
    was set (microseconds), so that a database rebuilt with the same ids and
    versions never reads an older database's entries."""
    return f"{chat.pk}.{chat.content_version}.{int(chat.content_changed_at.timestamp() * 1_000_000)}.{PAGE_FORMAT}"


def cache_key(chat: Chat, *parts) -> str:
    return ":".join(["chat-page", cache_stamp(chat), *map(str, parts)])


def cache_get(key: str):
    try:
        return cache.get(key)
    except CACHE_ERRORS as error:
        logger.warning("chat page cache: get %s failed (%s); reading from the database", key, error)
        return None


def cache_set(key: str, value) -> None:
    try:
        cache.set(key, value, timeout=CACHE_TIMEOUT)
    except CACHE_ERRORS as error:
        logger.warning("chat page cache: set %s failed (%s)", key, error)


# A day: keys of older versions are never read again and go in their time.
CACHE_TIMEOUT = 24 * 60 * 60


def cached(key: str, compute):
    """The value cached under ``key``, else ``compute()`` (then cached)."""
    value = cache_get(key)
    if value is None:
        value = compute()
        cache_set(key, value)
    return value


# --- the chat and its conditional GET ------------------------------------------------

def chat_for_page(slug: str) -> Chat | None:
    """The public chat ``slug`` with its series and its latest published
    summary (``summary_data``: pk, slug, title, published_at, updated_at): the
    one query a conditional GET costs."""
    from django.db.models.functions import JSONObject

    from summaries.models import Summary

    latest_summary = (
        Summary.objects.published()
        .filter(chat=OuterRef("pk"))
        .order_by("-published_at", "-pk")
        .values(data=JSONObject(pk="pk", slug="slug", title="title", published_at="published_at",
                                updated_at="updated_at"))[:1]
    )
    return (
        Chat.objects.visible().select_related("series").annotate(summary_data=Subquery(latest_summary))
        .filter(slug=slug).first()
    )


def published_summary(chat: Chat):
    """The chat's latest published summary, built from ``summary_data`` (no
    query), or None."""
    from django.utils.dateparse import parse_datetime

    from summaries.models import Summary

    data = getattr(chat, "summary_data", None)
    if not data:
        return None
    return Summary(pk=data["pk"], chat=chat, slug=data["slug"], title=data["title"],
                   published_at=parse_datetime(data["published_at"]), updated_at=parse_datetime(data["updated_at"]),
                   status=Summary.Status.PUBLISHED)


def validators(chat: Chat, summary) -> tuple[str, Any]:
    """(ETag, Last-Modified) of the chat's page: its content stamp and its
    summary's (a summary published, scheduled past its time or edited changes
    the page's header)."""
    etag = cache_stamp(chat)
    last_modified = chat.content_changed_at
    if summary is not None:
        etag += f".s{summary.pk}.{int(summary.updated_at.timestamp())}"
        last_modified = max(last_modified, summary.updated_at, summary.published_at)
    return f'"{etag}"', last_modified


# --- the finished page ------------------------------------------------------------

@functools.cache
def release_fingerprint() -> str:
    """Names what renders the page around its content, once per process: the
    project's templates and the static files' manifest. The finished page
    holds both (its markup, the hashed names of site.css and the scripts), so
    a release that changes either must not serve pages cached by the one
    before (whose hashed files a new image no longer has); the fragments
    below hold no static URL and follow PAGE_FORMAT."""
    digest = hashlib.blake2b(digest_size=8)
    paths = sorted(Path(directory) for directory in settings.TEMPLATES[0]["DIRS"])
    files = sorted(path for directory in paths for path in directory.rglob("*.html"))
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if manifest.exists():
        files.append(manifest)
    for path in files:
        digest.update(str(path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


# Stands in the cached page for what base.html renders per request: the
# page's absolute URI (canonical link, og:url: host and query string are the
# request's). Private-use characters, which escaping leaves alone; the
# cached body is stored split on it and joined with the request's URI.
URI_PLACEHOLDER = "\ue010chat-page-uri\ue011"


class PlaceholderRequest:
    """The request as the cached page's template sees it: everything the
    request's, except ``build_absolute_uri()``, which gives the placeholder."""

    def __init__(self, request):
        self._request = request

    def __getattr__(self, name):
        return getattr(self._request, name)

    def build_absolute_uri(self, location=None):
        if location is None:
            return URI_PLACEHOLDER
        return self._request.build_absolute_uri(location)


def split_body(html: str) -> list[bytes]:
    """The rendered page as cached: UTF-8 parts around the placeholders."""
    return [part.encode() for part in html.split(URI_PLACEHOLDER)]


def join_body(parts: list[bytes], request) -> bytes:
    """The cached page for ``request``: its absolute URI, escaped as the
    template would, put back in the placeholders' places."""
    from django.utils.html import escape

    return escape(request.build_absolute_uri()).encode().join(parts)
