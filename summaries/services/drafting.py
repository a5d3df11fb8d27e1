"""A first draft of a chat's summary, written from our stored transcript.

Two halves: ``read_draft_material`` asks the database what the draft needs
(a fixed number of queries whatever the size of the chat) and returns plain
dataclasses; ``compose_draft`` turns them into Markdown with no database at
all, so the wording can be tested on its own. ``summary_draft`` joins them
and writes the Summary row.

The moderator edits the draft afterwards; a later draft never replaces an
edited (or published) body unless asked to (``overwrite=True``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.text import slugify

from chats import chat_transcript
from chats.models import Author, Chat, Post
from chats.services import chat_stats
from chats.transcript_pages import page_of, position_in_chat
from summaries.models import Summary

# Representative answers quoted under each question.
ANSWERS_PER_QUESTION = 3
# Links that are not studies: the most shared ones (every study is listed).
OTHER_RESOURCES = 10
# Must match the chat page's pages (chats.views.POSTS_PER_PAGE) for post links to land.
TRANSCRIPT_PER_PAGE = chat_transcript.ITEMS_PER_PAGE


class BodyEditedError(Exception):
    """The summary's body was edited by a person (or is published): a new
    draft would replace their words, so it needs ``overwrite=True``."""

    def __init__(self, summary: Summary):
        self.summary = summary
        super().__init__(
            f"The body of summary {summary.pk} ({summary.title!r}) was edited"
            f"{' and is published' if summary.status == Summary.Status.PUBLISHED else ''}; "
            "confirm to replace it."
        )


# --- what a draft is made of (no ORM below this line until summary_draft) -------------

@dataclass(frozen=True)
class Answer:
    handle: str
    text: str
    url: str
    retweets: int
    replies: int


@dataclass(frozen=True)
class QuestionMaterial:
    label: str
    text: str
    depth: int
    url: str
    answers: tuple[Answer, ...] = ()


@dataclass(frozen=True)
class Resource:
    title: str
    url: str
    shared_by: str  # handle of the first to share it in the chat, "" if unknown
    share_count: int
    study_kind: str = ""  # "DOI", "PMID", ... for studies
    study_identifier: str = ""


@dataclass(frozen=True)
class Numbers:
    posts: int
    retweets: int
    participants: int
    new_participants: int
    earlier_chats: int  # chats of the series before this one, in the archive


@dataclass(frozen=True)
class DraftMaterial:
    hashtag: str
    series_name: str
    number: int
    title: str
    start: datetime  # in the series' timezone
    transcript_url: str
    questions: tuple[QuestionMaterial, ...]
    studies: tuple[Resource, ...]
    resources: tuple[Resource, ...]
    numbers: Numbers
    hosts: tuple[str, ...] = field(default=())


# CommonMark: any ASCII punctuation may be backslash-escaped. Escaped here:
# what could start emphasis, code, links, images, HTML, entities or tables
# inside a line. Line-start markers are handled in md_escape.
_INLINE_SPECIALS = re.compile(r"([\\`*_\[\]<>&|~!])")
_BLOCK_START = re.compile(r"^(\s*)([#>+=-]|\d+[.)])")


def md_escape(text: str, *, line_start: bool = False) -> str:
    """``text`` (a post, a title) as Markdown that renders as exactly that
    text: one line, inline syntax escaped and, for text that starts a line,
    no list, heading or quote marker."""
    line = " ".join(text.split())
    line = _INLINE_SPECIALS.sub(r"\\\1", line)
    if not line_start:
        return line
    return _BLOCK_START.sub(lambda m: m.group(1) + "".join("\\" + c if not c.isdigit() else c for c in m.group(2)),
                            line, count=1)


def _plural(count: int, word: str, plural: str = "") -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def _link(text: str, url: str) -> str:
    # Our URLs and normalised http(s) links; parentheses and spaces would end the destination.
    return f"[{text}](<{url.replace('>', '%3E').replace(' ', '%20')}>)"


def compose_draft(material: DraftMaterial) -> str:
    """The draft's Markdown body."""
    m = material
    day = f"{m.start:%A} {m.start.day} {m.start:%B %Y}"
    topic = md_escape(m.title) if m.title else "an open chat"
    lines = [
        f"On {day}, #{md_escape(m.hashtag)} chat {m.number} talked about **{topic}**"
        + (f", hosted by {', '.join('@' + md_escape(h) for h in m.hosts)}." if m.hosts else "."),
        "",
    ]

    if m.questions:
        lines += ["## The questions", ""]
    for question in m.questions:
        heading = "#" * min(3 + question.depth, 6)
        lines += [f"{heading} {_link(md_escape(question.label), question.url)}: {md_escape(question.text)}", ""]
        for answer in question.answers:
            reach = [part for part in (
                _plural(answer.retweets, "retweet") if answer.retweets else "",
                _plural(answer.replies, "reply", "replies") if answer.replies else "",
            ) if part]
            lines += [
                f"> {md_escape(answer.text, line_start=True)}",
                ">",
                f"> — {_link('@' + md_escape(answer.handle), answer.url)}" + (f" ({', '.join(reach)})" if reach else ""),
                "",
            ]

    def resource_line(resource: Resource) -> str:
        title = md_escape(resource.title or resource.url)
        item = f"- {_link(title, resource.url)}" if resource.url.startswith(("http://", "https://")) else f"- {title}"
        if resource.study_kind and resource.study_identifier:
            item += f" ({md_escape(resource.study_kind)} {md_escape(resource.study_identifier)})"
        if resource.shared_by:
            item += f", shared by @{md_escape(resource.shared_by)}"
        if resource.share_count > 1:
            item += f" ({resource.share_count} times)"
        return item

    if m.studies:
        lines += ["## Studies shared", "", *(resource_line(study) for study in m.studies), ""]
    if m.resources:
        lines += ["## Resources shared", "", *(resource_line(resource) for resource in m.resources), ""]

    n = m.numbers
    lines += ["## In numbers", ""]
    posts = _plural(n.posts, "post")
    if n.retweets:
        posts += f" ({_plural(n.retweets, 'retweet')} among them)"
    lines.append(f"- {posts}")
    lines.append(f"- {_plural(n.participants, 'participant')}")
    if n.earlier_chats:
        earlier = "the earlier chat" if n.earlier_chats == 1 else f"the {n.earlier_chats} earlier chats"
        lines.append(f"- {_plural(n.new_participants, 'new participant')}, "
                     f"not seen in {earlier} of the series in the archive")
    else:
        lines.append("- the first chat of the series in the archive, so every participant is new")
    lines += ["", f"The full transcript: {_link(m.transcript_url, m.transcript_url)}", ""]
    return "\n".join(lines)


def compose_excerpt(material: DraftMaterial) -> str:
    """Plain text for lists and feeds (escaped by their templates)."""
    m = material
    topic = f": {m.title}" if m.title else ""
    return (f"#{m.hashtag} chat {m.number}{topic}, {m.start.day} {m.start:%B %Y}. "
            f"{_plural(len(m.questions), 'question')}, {_plural(m.numbers.participants, 'participant')}.")


# --- the queries ---------------------------------------------------------------------

def _series_zone(chat: Chat) -> ZoneInfo:
    try:
        return ZoneInfo(chat.series.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def read_draft_material(chat: Chat) -> DraftMaterial:
    """Everything the draft says about ``chat``, read in a bounded number of
    queries: the outline (questions and totals), the answers, their pages,
    the shared links, the numbers."""
    base = chat.get_absolute_url()
    outline = chat_transcript.read_outline(chat, per_page=TRANSCRIPT_PER_PAGE)

    # Candidate answers: every original post tied to a question, except the
    # posts that asked. "Reach" is counted in our stored copy (retweets and
    # replies we hold), not in platform metrics that differ by source.
    asking = {question.asked_by_id for question in outline.questions if question.asked_by_id}
    candidates = (
        Post.objects.filter(chat=chat, question__isnull=False, repost_of__isnull=True, repost_of_external_id="", removed="")
        .exclude(pk__in=asking)
        .annotate(
            retweet_count=Count("reposts", filter=Q(reposts__chat=chat), distinct=True),
            reply_count=Count("replies", filter=Q(replies__chat=chat), distinct=True),
        )
        .annotate(reach=F("retweet_count") + F("reply_count"))
        .order_by("question_id", "-reach", "-retweet_count", "created_at", "external_id")
        .values("pk", "question_id", "author_id", "author__handle", "text", "external_id",
                "retweet_count", "reply_count")
    )
    chosen: dict[int, list[dict]] = {}
    for row in candidates:
        picked = chosen.setdefault(row["question_id"], [])
        if len(picked) < ANSWERS_PER_QUESTION and all(p["author_id"] != row["author_id"] for p in picked):
            picked.append(row)
    positions = dict(
        Post.objects.filter(pk__in=[row["pk"] for rows in chosen.values() for row in rows])
        .annotate(position=position_in_chat())
        .values_list("pk", "position")
    )

    def answer(row: dict) -> Answer:
        page = page_of(positions.get(row["pk"], 0), TRANSCRIPT_PER_PAGE)
        return Answer(
            handle=row["author__handle"], text=row["text"],
            url=f"{base}?order=time&page={page}#post-{row['external_id']}",
            retweets=row["retweet_count"], replies=row["reply_count"],
        )

    questions = tuple(
        QuestionMaterial(
            label=question.label, text=question.text, depth=question.depth,
            url=f"{base}{'' if question.page == 1 else f'?page={question.page}'}#{question.label}",
            answers=tuple(answer(row) for row in chosen.get(question.pk, [])),
        )
        for question in outline.questions
    )

    studies, others = [], []
    for link in chat_stats.shared_resources(chat, limit=None):
        resource = Resource(
            title=link.title or (link.study.title if link.study else "") or link.url,
            url=link.safe_url or link.url,
            shared_by=link.first_sharer.handle if link.first_sharer else "",
            share_count=link.chat_share_count,
            study_kind=link.study_kind, study_identifier=link.study_identifier,
        )
        (studies if link.study_kind else others).append(resource)

    earlier = Chat.objects.filter(series_id=chat.series_id, start__lt=chat.start)
    seen_before = Post.objects.filter(author=OuterRef("pk"), chat__in=earlier)
    counts = (
        Author.objects.filter(pk__in=Post.objects.filter(chat=chat).values("author_id"))
        .annotate(seen_before=Exists(seen_before))
        .aggregate(total=Count("pk"), new=Count("pk", filter=Q(seen_before=False)))
    )
    numbers = Numbers(
        posts=outline.post_total,
        retweets=Post.objects.filter(chat=chat).exclude(repost_of_external_id="").count(),
        participants=counts["total"],
        new_participants=counts["new"],
        earlier_chats=earlier.count(),
    )
    return DraftMaterial(
        hashtag=chat.series.hashtag,
        series_name=chat.series.name,
        number=chat.number,
        title=chat.title,
        start=chat.start.astimezone(_series_zone(chat)),
        transcript_url=base,
        questions=questions,
        studies=tuple(studies),
        resources=tuple(others[:OTHER_RESOURCES]),
        numbers=numbers,
        hosts=tuple(host.handle for host in outline.hosts),
    )


# --- the write -----------------------------------------------------------------------

def _free_slug(base: str, exclude_pk: int | None = None) -> str:
    base = base[:190].strip("-") or "summary"
    taken = set(Summary.objects.filter(slug__startswith=base).exclude(pk=exclude_pk).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def summary_to_draft(chat_id: int) -> Summary | None:
    """The summary a new draft of the chat would write into: its latest."""
    return Summary.objects.filter(chat_id=chat_id).order_by("-created_at", "-pk").first()


def draft_needs_confirmation(summary: Summary | None) -> bool:
    """Drafting into ``summary`` would replace words a person wrote (or a
    published text): ask first."""
    return summary is not None and (summary.body_edited_at is not None or summary.status == Summary.Status.PUBLISHED)


def summary_draft(*, chat_id: int, overwrite: bool = False, requested_by=None) -> Summary:
    """Write a draft of the chat's summary: a new Summary when the chat has
    none, else a refresh of its latest one's body.

    Raises BodyEditedError, changing nothing, when that body was edited by a
    person or is published, unless ``overwrite``. Raises Chat.DoesNotExist
    for an unknown chat. The stored page body is rendered after commit."""
    from summaries.services.rendering import summary_render_later

    with transaction.atomic():
        chat = Chat.objects.select_related("series").get(pk=chat_id)
        summary = Summary.objects.select_for_update().filter(chat=chat).order_by("-created_at", "-pk").first()
        if not overwrite and draft_needs_confirmation(summary):
            raise BodyEditedError(summary)

        material = read_draft_material(chat)
        body = compose_draft(material)
        now = timezone.now()
        if summary is None:
            title = f"#{chat.series.hashtag} {chat.number}: {chat.title}" if chat.title else f"#{chat.series.hashtag} chat {chat.number}"
            summary = Summary(
                chat=chat, title=title, slug=_free_slug(slugify(f"{chat.slug} {chat.title}")),
                author=requested_by if requested_by is not None and requested_by.is_authenticated else None,
                status=Summary.Status.DRAFT,
            )
        summary.body_markdown = body
        summary.body_edited_at = None
        summary.drafted_at = now
        if not summary.excerpt:
            summary.excerpt = compose_excerpt(material)
        summary.save()
        # A new draft features the chat's studies; the moderator trims the list.
        if not summary.featured_studies.exists():
            from chats.models import Study

            summary.featured_studies.set(Study.objects.filter(links__posts__chat=chat).distinct())
        summary_render_later(summary.pk)
    return summary
