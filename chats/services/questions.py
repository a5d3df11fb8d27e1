"""Questions of a chat and which question each post answers.

A host's post starting "T1:", "T1a", "Q2." and the like asks a question (T1a
under T1). Every other post gets a question by, in this order:

1. an explicit label: "A1:", "A1a", "T1a:", "Q1" (after any @mentions);
2. its reply chain: the question of the nearest ancestor that has one;
3. the time window: the question asked last before it.

A retweet takes its original's question. How each was decided is stored in
``Post.question_source``; a moderator's choice is never overwritten.

All of it is SQL over the chat's posts, so a chat of any size is handled
without loading it.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import connection, transaction

from chats.models import Chat, Post, Question
from chats.services.content import chats_content_touch

# A question: T1 / T1a / Q2 / Q2b, then ":" "." ")" "-" or a space, then its text.
QUESTION_RE = re.compile(r"^\s*(?P<prefix>[TQ])(?P<number>\d{1,2})(?P<sub>[a-z]?)\s*(?:[:.)\-–]\s*|\s+)(?P<text>\S.*)",
                         re.I | re.S)
# The same patterns for PostgreSQL (POSIX regular expressions).
SQL_ANSWER_LABEL = r"^\s*(?:@\w+\s+)*[AaTtQq]([0-9]{1,2})([a-z]?)(?:[^a-zA-Z0-9]|$)"
# The most questions a chat is expected to have; more is a sign the "host"
# guess was wrong (someone numbering their own posts).
MAX_QUESTIONS = 40


def question_label(prefix: str, number: str, sub: str) -> str:
    return f"{prefix.upper()}{int(number)}{sub.lower()}"


def questions_assign(*, chat: Chat) -> int:
    """Detect the chat's questions from its hosts' posts and assign every post
    that a moderator has not assigned. Returns the number of posts answering a
    question."""
    return questions_assign_many(chats=[chat])


@transaction.atomic
def questions_assign_many(*, chats: Iterable[Chat]) -> int:
    """``questions_assign`` for many chats at once (an import of a long
    capture touches hundreds): questions are detected chat by chat, and the
    assignment is worked out for all of them in a temporary table, then
    written in one statement to the posts whose question changes (a post
    row rewritten is a search vector recomputed)."""
    chat_ids = []
    for chat in chats:
        _detect_questions(chat)
        chat_ids.append(chat.pk)
    chat_ids = list(Question.objects.filter(chat_id__in=chat_ids).values_list("chat_id", flat=True).distinct())
    if not chat_ids:
        return 0
    with connection.cursor() as cursor:
        params = {"chats": chat_ids, "moderator": Post.QuestionSource.MODERATOR, "label": SQL_ANSWER_LABEL}
        _plan_table(cursor, params)
        _assign_askers(cursor)
        _assign_by_label(cursor)
        _assign_by_reply_chain(cursor)
        _assign_reposts(cursor)
        _assign_by_time_window(cursor)
        _assign_reposts(cursor)  # retweets of posts placed by the window
        cursor.execute("""
            UPDATE chats_post p SET question_id = plan.question_id, question_source = plan.source
            FROM question_plan plan
            WHERE p.id = plan.id AND NOT plan.fixed
              AND (p.question_id, p.question_source) IS DISTINCT FROM (plan.question_id, plan.source)
        """)
        cursor.execute("SELECT count(*) FROM question_plan WHERE question_id IS NOT NULL")
        answered = cursor.fetchone()[0]
        cursor.execute("DROP TABLE question_plan")
    chats_content_touch(chat_ids=chat_ids)
    return answered


def _plan_table(cursor, params) -> None:
    cursor.execute("DROP TABLE IF EXISTS question_plan")
    cursor.execute("""
        CREATE TEMP TABLE question_plan ON COMMIT DROP AS
        SELECT id, chat_id, reply_to_id, repost_of_id, repost_of_external_id <> '' AS is_repost, created_at,
               question_source = %(moderator)s AS fixed,
               CASE WHEN question_source = %(moderator)s THEN question_id END AS question_id,
               CASE WHEN question_source = %(moderator)s THEN question_source ELSE '' END AS source,
               (regexp_match(text, %(label)s))[1]::int AS label_number,
               (regexp_match(text, %(label)s))[2] AS label_sub
        FROM chats_post WHERE chat_id = ANY(%(chats)s)
    """, params)
    cursor.execute("CREATE UNIQUE INDEX ON question_plan (id)")
    cursor.execute("ANALYZE question_plan")


def _hosts(chat: Chat) -> set[int]:
    """Author ids of the chat's hosts: those named on the chat or its series,
    or else the author who asked the most numbered questions."""
    hosts = set(chat.hosts.values_list("pk", flat=True)) | set(chat.series.hosts.values_list("pk", flat=True))
    if hosts:
        return hosts
    askers = {}
    candidates = _original_posts(chat).filter(text__iregex=r"^\s*[TQ][0-9]")
    for author_id, text in candidates.values_list("author_id", "text").iterator(chunk_size=2000):
        match = QUESTION_RE.match(text)
        if match:
            askers.setdefault(author_id, set()).add(question_label(match["prefix"], match["number"], match["sub"]))
    if not askers:
        return set()
    best = max(askers, key=lambda author_id: len(askers[author_id]))
    return {best} if len(askers[best]) >= 2 else set()


def _original_posts(chat: Chat):
    return Post.objects.filter(chat=chat, repost_of_external_id="").order_by("created_at", "external_id")


def _detect_questions(chat: Chat) -> None:
    """Create the questions the hosts asked; questions a moderator already
    set (or an earlier import found) keep their text."""
    hosts = _hosts(chat)
    existing = {q.label.lower(): q for q in chat.questions.all()}
    new = []
    asked = _original_posts(chat).filter(author_id__in=hosts, text__iregex=r"^\s*[TQ][0-9]")
    for post in asked.only("id", "text", "created_at").iterator():
        match = QUESTION_RE.match(post.text)
        if not match or len(new) >= MAX_QUESTIONS:
            continue
        label = question_label(match["prefix"], match["number"], match["sub"])
        if label.lower() in existing:
            continue
        existing[label.lower()] = Question(
            chat=chat, label=label, number=int(match["number"]), sub=match["sub"].lower(),
            text=match["text"].strip(), asked_by=post, asked_at=post.created_at,
        )
        new.append(existing[label.lower()])
    Question.objects.bulk_create(new)
    _complete_questions(list(existing.values()))


def _complete_questions(questions: list[Question]) -> None:
    """Numbers, parents (T1a under T1) and positions in label order, written
    in one statement for the questions that change."""
    changed = set()
    for question in questions:
        match = re.match(r"^[A-Za-z]*(\d+)([a-z]*)$", question.label)
        if match and question.number is None:
            question.number, question.sub = int(match.group(1)), match.group(2).lower()
            changed.add(question)
    by_number = {(q.number, q.sub): q for q in questions if q.number is not None}
    for question in questions:
        parent = by_number.get((question.number, "")) if question.sub else None
        if parent is not None and question.parent_id != parent.pk:
            question.parent = parent
            changed.add(question)
    ordered = sorted(questions, key=lambda q: (q.number is None, q.number or 0, q.sub, q.label.lower()))
    for position, question in enumerate(ordered):
        if question.position != position:
            question.position = position
            changed.add(question)
    Question.objects.bulk_update(list(changed), ["number", "sub", "parent", "position"])


def _assign_askers(cursor) -> None:
    cursor.execute("""
        UPDATE question_plan plan SET question_id = q.id, source = 'label'
        FROM chats_question q WHERE q.chat_id = plan.chat_id AND q.asked_by_id = plan.id AND NOT plan.fixed
    """)


def _assign_by_label(cursor) -> None:
    # A1a answers T1a; if the chat has no T1a, it answers T1.
    cursor.execute("""
        UPDATE question_plan plan SET question_id = chosen.question_id, source = 'label'
        FROM (
            SELECT DISTINCT ON (labelled.id) labelled.id, q.id AS question_id
            FROM question_plan labelled
            JOIN chats_question q ON q.chat_id = labelled.chat_id AND q.number = labelled.label_number
                                 AND (q.sub = labelled.label_sub OR q.sub = '')
            WHERE labelled.question_id IS NULL AND NOT labelled.is_repost AND NOT labelled.fixed
            ORDER BY labelled.id, (q.sub = labelled.label_sub) DESC
        ) AS chosen
        WHERE plan.id = chosen.id
    """)


def _assign_by_reply_chain(cursor) -> None:
    cursor.execute("""
        WITH RECURSIVE chain(post_id, chat_id, ancestor_id, depth) AS (
            SELECT id, chat_id, reply_to_id, 1 FROM question_plan
            WHERE question_id IS NULL AND reply_to_id IS NOT NULL AND NOT is_repost AND NOT fixed
            UNION ALL
            SELECT chain.post_id, chain.chat_id, parent.reply_to_id, chain.depth + 1
            FROM chain JOIN question_plan parent ON parent.id = chain.ancestor_id
            WHERE parent.question_id IS NULL AND parent.reply_to_id IS NOT NULL AND chain.depth < 100
        )
        UPDATE question_plan plan SET question_id = nearest.question_id, source = 'reply'
        FROM (
            SELECT DISTINCT ON (chain.post_id) chain.post_id, ancestor.question_id
            FROM chain JOIN question_plan ancestor ON ancestor.id = chain.ancestor_id
            WHERE ancestor.question_id IS NOT NULL AND ancestor.chat_id = chain.chat_id
            ORDER BY chain.post_id, chain.depth
        ) AS nearest
        WHERE plan.id = nearest.post_id
    """)


def _assign_reposts(cursor) -> None:
    # Only an original in the same chat: a retweet of last week's answer does
    # not answer this week's question.
    cursor.execute("""
        UPDATE question_plan plan SET question_id = original.question_id, source = 'repost'
        FROM question_plan original
        WHERE plan.repost_of_id = original.id AND original.chat_id = plan.chat_id
          AND original.question_id IS NOT NULL AND plan.question_id IS NULL AND NOT plan.fixed
    """)


def _assign_by_time_window(cursor) -> None:
    # Retweets whose original is in the chat wait for it; others (original
    # not archived, or in another chat) are placed by time like any post.
    cursor.execute("""
        UPDATE question_plan plan SET question_id = (
            SELECT q.id FROM chats_question q
            WHERE q.chat_id = plan.chat_id AND q.asked_at IS NOT NULL AND q.asked_at <= plan.created_at
            ORDER BY q.asked_at DESC, q.position DESC LIMIT 1
        ), source = 'window'
        WHERE plan.question_id IS NULL AND NOT plan.fixed
          AND NOT EXISTS (SELECT 1 FROM question_plan original
                          WHERE original.id = plan.repost_of_id AND original.chat_id = plan.chat_id)
          AND plan.created_at >= (SELECT min(asked_at) FROM chats_question WHERE chat_id = plan.chat_id)
    """)
    cursor.execute("UPDATE question_plan SET source = '' WHERE question_id IS NULL AND source = 'window'")


@transaction.atomic
def post_question_set(*, post: Post, question: Question | None) -> Post:
    """A moderator puts ``post`` under ``question`` (or under none): this
    choice is final, later imports and assignments leave it alone."""
    if question is not None and question.chat_id != post.chat_id:
        raise ValueError(f"{question.label} is a question of another chat")
    post.question = question
    post.question_source = Post.QuestionSource.MODERATOR
    post.save(update_fields=["question", "question_source"])
    chats_content_touch(chat_ids=[post.chat_id])
    return post
