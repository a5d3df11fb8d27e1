"""The transcript export document (contract: architecture.md, section 4)."""
from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.db.models import Count

from chats.models import Chat, Post, Question


def iso_utc(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def transcript_document(chat: Chat) -> dict:
    questions = chat.questions.select_related("parent").annotate(post_count=Count("posts")).order_by("position", "label")
    posts = (
        Post.objects.filter(chat=chat).in_time_order()
        .select_related("author", "question")
    )
    return {
        "chat": {
            "slug": chat.slug,
            "title": chat.title,
            "series": chat.series.hashtag,
            "number": chat.number,
            "start": iso_utc(chat.start),
            "end": iso_utc(chat.end),
        },
        "questions": [
            {"label": q.label, "text": q.text, "parent": q.parent.label if q.parent else None, "post_count": q.post_count}
            for q in questions
        ],
        "posts": [_post_entry(post) for post in posts],
    }


# What a placeholder says in place of its text (chats.services.redactions).
REMOVED_NOTES = {
    "author_request": "a post removed at its author's request",
    "deleted": "a post deleted on its platform",
}
REDACTED_AUTHOR = "[removed]"


def author_label(author, *, at: str = "") -> str:
    """An author's handle in exports, or ``[removed]`` for one redacted at
    their request."""
    return REDACTED_AUTHOR if author.redacted_at else f"{at}{author.handle}"


def _post_entry(post: Post) -> dict:
    return {
        "id": post.external_id,
        "platform": post.platform,
        "author": author_label(post.author),
        "created_at": iso_utc(post.created_at),
        "text": post.text,
        "question": post.question.label if post.question else None,
        "reply_to": post.reply_to_external_id or None,
        "repost_of": post.repost_of_external_id or None,
        "quote_of": post.quote_of_external_id or None,
        "urls": list(post.urls),
    }


# --- CSV and Markdown exports (architecture.md, section 4: "carry the same posts") ---
#
# Both read the same posts, in the same order, as ``transcript_document``.

CSV_COLUMNS = (
    "id", "platform", "author", "created_at", "text", "question", "reply_to", "repost_of", "quote_of", "urls",
)

# A UTF-8 byte order mark before the header: without it Excel reads a CSV as
# the system code page and mangles accents and emoji. Other readers (Python's
# csv with encoding="utf-8-sig", pandas, LibreOffice) skip it.
CSV_BOM = "\ufeff"

# OWASP "CSV Injection": a cell starting with one of these is read as a
# formula by spreadsheets. Such cells get a leading single quote.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

POSTS_PER_FETCH = 2000


def transcript_posts(chat: Chat):
    """The transcript's posts, as ``transcript_document`` lists them."""
    return Post.objects.filter(chat=chat).in_time_order().select_related("author", "question")


def neutralise_cell(value: str) -> str:
    """``value`` made safe for spreadsheets: a leading formula character is
    prefixed with ``'``. Only for text that came from users."""
    if value and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def csv_row(post: Post) -> list[str]:
    """One CSV row: the JSON entry's fields in ``CSV_COLUMNS`` order.

    Ids stay plain strings exactly as the platform wrote them
    ("1085624398153904128"): no ="..." wrapping or leading apostrophe, which
    would corrupt the value for every program reading the file. A spreadsheet
    user keeps 19-digit ids exact by importing the id columns as Text (the
    documented way in Excel and LibreOffice). Ids, platform, dates and
    question labels are ours, so they are never altered; text, author and
    urls came from users and are neutralised against formula injection.
    """
    entry = _post_entry(post)
    return [
        entry["id"],
        entry["platform"],
        neutralise_cell(entry["author"]),
        entry["created_at"],
        neutralise_cell(entry["text"]),
        entry["question"] or "",
        entry["reply_to"] or "",
        entry["repost_of"] or "",
        entry["quote_of"] or "",
        neutralise_cell(" ".join(str(url) for url in entry["urls"])),
    ]


class _Echo:
    """A file-like object whose ``write`` hands the line back (csv.writer to a generator)."""

    def write(self, value: str) -> str:
        return value


def transcript_csv_chunks(chat: Chat) -> Iterator[str]:
    """The CSV transcript, a line at a time: the BOM, the header, one row per post.

    Posts are read with ``.iterator()``, so a 20,000-post chat is never held
    in memory whole.
    """
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield CSV_BOM + writer.writerow(CSV_COLUMNS)
    for post in transcript_posts(chat).iterator(chunk_size=POSTS_PER_FETCH):
        yield writer.writerow(csv_row(post))


# Markdown

_MD_URL_RE = re.compile(r"https?://[^\s<>\"'`\\]+[^\s<>\"'`\\.,;:!?)\]}]", re.IGNORECASE)
# Characters with a meaning inline in CommonMark / GFM, escaped with a backslash.
_MD_SPECIAL_RE = re.compile(r"([\\`*_\[\]<>#|~!])")
# Block syntax at the start of a line: list items ("-", "+", "1." / "1)"), setext "=".
_MD_LINE_START_RE = re.compile(r"^(\s*)([-+=]|\d+(?=[.)]))")


def markdown_escape(text: str) -> str:
    """``text`` as literal Markdown on one line: no headings, links, images,
    emphasis or HTML can come out of it. http(s) URLs become autolinks."""
    text = " ".join((text or "").split())  # newlines (and runs of spaces) -> one space
    parts, last = [], 0
    for match in _MD_URL_RE.finditer(text):
        parts.append(_md_escape_plain(text[last:match.start()]))
        parts.append(f"<{match.group(0)}>")
        last = match.end()
    parts.append(_md_escape_plain(text[last:]))
    escaped = "".join(parts)
    return _MD_LINE_START_RE.sub(_escape_line_start, escaped)


def _escape_line_start(match: re.Match) -> str:
    space, marker = match.groups()
    # "1." / "1)" -> "1\." / "1\)"; "-", "+", "=" -> "\-", ...
    return f"{space}{marker}\\" if marker.isdigit() else f"{space}\\{marker}"


def _md_escape_plain(text: str) -> str:
    return _MD_SPECIAL_RE.sub(r"\\\1", text)


def _retweet_note(count: int) -> str:
    return f" (retweeted {count} time{'s' if count != 1 else ''})" if count else ""


def transcript_markdown(chat: Chat) -> str:
    """A readable transcript: the posts grouped by question, retweets folded
    into a count on their original, then the posts that answer no question.

    Times are in the series' timezone. Three queries whatever the size.
    """
    zone = ZoneInfo(chat.series.timezone)
    questions = list(chat.questions.order_by("position", "label"))
    posts = list(transcript_posts(chat).iterator(chunk_size=POSTS_PER_FETCH))

    present = {(post.platform, post.external_id) for post in posts}
    retweets: dict[tuple[str, str], int] = {}
    for post in posts:
        key = (post.platform, post.repost_of_external_id)
        if post.repost_of_external_id and key in present:
            retweets[key] = retweets.get(key, 0) + 1

    known = {question.pk for question in questions}
    by_question: dict[int | None, list[Post]] = {}
    for post in posts:
        if post.repost_of_external_id and (post.platform, post.repost_of_external_id) in present:
            continue  # folded into its original's count
        by_question.setdefault(post.question_id if post.question_id in known else None, []).append(post)

    def post_line(post: Post) -> str:
        text = markdown_escape(post.text)
        if post.repost_of_external_id:  # a retweet of a post outside this chat
            text = f"retweet: {text}"
        moment = post.created_at.astimezone(zone).strftime("%H:%M")
        note = _retweet_note(retweets.get((post.platform, post.external_id), 0))
        if post.removed:
            text = f"*{REMOVED_NOTES[post.removed]}*"
        return f"- **{markdown_escape(author_label(post.author, at='@'))}** ({moment}): {text}{note}"

    heading = f"#{chat.series.hashtag} {chat.number}" + (f": {chat.title}" if chat.title else "")
    start, end = chat.start.astimezone(zone), chat.end.astimezone(zone)
    lines = [
        f"# {markdown_escape(heading)}",
        "",
        f"{start:%A} {start.day} {start:%B %Y}, {start:%H:%M}–{end:%H:%M} {end:%Z}"
        f" ({markdown_escape(chat.series.timezone)})",
        "",
    ]

    # Each question is followed by its sub-questions (T1, T1a, T1b, T2, ...).
    children: dict[int, list[Question]] = {}
    for question in questions:
        if question.parent_id in known:
            children.setdefault(question.parent_id, []).append(question)
    ordered: list[Question] = []

    def visit(question: Question) -> None:
        ordered.append(question)
        for child in children.get(question.pk, []):
            visit(child)

    for question in questions:
        if question.parent_id not in known:
            visit(question)

    for question in ordered:
        marker = "###" if question.parent_id else "##"
        lines.append(f"{marker} {markdown_escape(question.label)}: {markdown_escape(question.text)}")
        lines.append("")
        entries = by_question.get(question.pk, [])
        lines.extend(post_line(post) for post in entries)
        if entries:
            lines.append("")

    others = by_question.get(None, [])
    if others:
        lines.append("## Other posts")
        lines.append("")
        lines.extend(post_line(post) for post in others)
        lines.append("")
    return "\n".join(lines)
