"""A page of a list costs the same number of queries for 5 rows as for 50:
everything a serializer reads is joined, annotated or prefetched."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from summaries.models import Comment
from tests.factories import (
    AuthorFactory,
    ChatFactory,
    LinkFactory,
    PostFactory,
    PostLinkFactory,
    QuestionFactory,
    SeriesFactory,
    StudyFactory,
    SummaryFactory,
)

pytestmark = pytest.mark.django_db

LISTS = ["series", "chats", "questions", "posts", "participants", "links", "studies", "summaries", "comments"]


def add_rows(first: int, count: int) -> None:
    """``count`` of everything, each with the relations its serializer reads."""
    for n in range(first, first + count):
        host = AuthorFactory()
        series = SeriesFactory(hashtag=f"series{n}", name=f"Series {n}")
        series.hosts.add(host)
        chat = ChatFactory(series=series, number=n, slug=f"series{n}-{n}")
        chat.tags.add(f"tag{n}", "common")
        chat.hosts.add(host)
        question = QuestionFactory(chat=chat, label="T1")
        post = PostFactory(chat=chat, author=host, question=question)
        study = StudyFactory()
        link = LinkFactory(study=study)
        PostLinkFactory(post=post, link=link)
        summary = SummaryFactory(chat=chat, published_at=timezone.now() - timedelta(days=1))
        summary.tags.add("common")
        summary.featured_links.add(link)
        summary.featured_studies.add(study)
        parent = Comment.objects.create(summary=summary, status=Comment.Status.APPROVED, author_name="Dana",
                                        body="Thanks", body_html="<p>Thanks</p>")
        Comment.objects.create(summary=summary, parent=parent, status=Comment.Status.APPROVED, author_name="Eli",
                               body="Agreed", body_html="<p>Agreed</p>")


def queries_for(client, name: str, rows: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/{name}/", {"page_size": 200})
    assert response.status_code == 200
    assert len(response.json()["results"]) >= rows, name
    return len(queries)


def test_list_query_counts_do_not_grow_with_rows(client):
    add_rows(0, 5)
    few = {name: queries_for(client, name, 5) for name in LISTS}
    add_rows(5, 45)
    many = {name: queries_for(client, name, 50) for name in LISTS}
    assert many == few
    # And they are few: one query, plus one per prefetched relation.
    assert max(few.values()) <= 4, few
