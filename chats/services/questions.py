"""Questions of a chat and which posts answer them.

This first step reads the labels people type: a host's "T1:" / "T1a:" asks a
question, a participant's "A1" / "A1a" answers it. Reply chains, time windows
and moderator review build on it.
"""
from __future__ import annotations

import re

from django.db import transaction

from chats.models import Chat, Post, Question

QUESTION_RE = re.compile(r"^\s*(?:RT\s+)?T(?P<number>\d{1,2})(?P<letter>[a-z]?)\s*[:.)\-–]\s*(?P<text>.+)", re.I | re.S)
# "A1", "A1a", "A1:" at the start, possibly after @mentions of a reply.
ANSWER_RE = re.compile(r"^\s*(?:@\w+\s+)*A(?P<number>\d{1,2})(?P<letter>[a-z]?)\b", re.I)


def question_label(number: str, letter: str) -> str:
    return f"T{int(number)}{letter.lower()}"


@transaction.atomic
def questions_from_labels(*, chat: Chat, host_handles: set[str]) -> int:
    """Create the questions the hosts asked and assign labelled answers.

    Questions a moderator already set are kept (their text is not replaced);
    answers a moderator assigned are not touched. Returns the number of
    answers assigned.
    """
    hosts = {handle.lower() for handle in host_handles}
    posts = list(chat.posts.select_related("author").filter(repost_of_external_id="").order_by("created_at", "external_id"))
    questions = {q.label: q for q in chat.questions.all()}
    for post in posts:
        match = QUESTION_RE.match(post.text)
        if match and post.author.handle.lower() in hosts:
            label = question_label(match["number"], match["letter"])
            if label not in questions:
                questions[label] = Question.objects.create(
                    chat=chat, label=label, text=match["text"].strip(), asked_by=post, asked_at=post.created_at,
                )
    _link_sub_questions(questions)
    _number_positions(questions)

    assigned = []
    for post in posts:
        if post.question_source == Post.QuestionSource.MODERATOR:
            continue
        match = ANSWER_RE.match(post.text)
        question = questions.get(question_label(match["number"], match["letter"])) if match else None
        if question is not None and post.question_id != question.pk:
            post.question, post.question_source = question, Post.QuestionSource.LABEL
            assigned.append(post)
    Post.objects.bulk_update(assigned, ["question", "question_source"])
    return len(assigned)


def _link_sub_questions(questions: dict[str, Question]) -> None:
    for label, question in questions.items():
        parent_label = label.rstrip("abcdefghijklmnopqrstuvwxyz")
        parent = questions.get(parent_label) if parent_label != label else None
        if parent is not None and question.parent_id != parent.pk:
            question.parent = parent
            question.save(update_fields=["parent"])


LABEL_ORDER_RE = re.compile(r"^[A-Za-z]*(?P<number>\d+)(?P<rest>.*)$")


def _label_order(question: Question) -> tuple:
    """T2 before T10, T1 before T1a; labels a moderator typed freely go last."""
    match = LABEL_ORDER_RE.match(question.label)
    if match is None:
        return (1, 0, question.label.lower())
    return (0, int(match["number"]), match["rest"].lower())


def _number_positions(questions: dict[str, Question]) -> None:
    for position, question in enumerate(sorted(questions.values(), key=_label_order)):
        if question.position != position:
            question.position = position
            question.save(update_fields=["position"])
