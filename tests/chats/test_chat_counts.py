"""Chat post and participant counts, kept by triggers however posts are written."""
from __future__ import annotations

import pytest

from chats.models import Chat, ChatCounts, Post
from tests.factories import AuthorFactory, ChatFactory, PostFactory

pytestmark = pytest.mark.django_db


def counts(chat: Chat) -> tuple[int, int]:
    stored = ChatCounts.objects.filter(chat=chat).first()
    counted = Chat.objects.with_counts().get(pk=chat.pk)
    assert (counted.post_count, counted.participant_count) == (
        (stored.post_count, stored.participant_count) if stored else (0, 0))
    actual = (chat.posts.count(), chat.posts.values("author").distinct().count())
    assert (counted.post_count, counted.participant_count) == actual
    return actual


def test_counts_follow_inserts_updates_and_deletes():
    chat, other = ChatFactory(), ChatFactory()
    jo, amir = AuthorFactory(), AuthorFactory()
    assert counts(chat) == (0, 0)
    first = PostFactory(chat=chat, author=jo)
    PostFactory(chat=chat, author=jo)
    last = PostFactory(chat=chat, author=amir)
    assert counts(chat) == (3, 2)

    Post.objects.filter(pk=last.pk).update(chat=other)  # moved: both chats change
    assert counts(chat) == (2, 1) and counts(other) == (1, 1)
    Post.objects.filter(pk=first.pk).update(author=amir)  # a new author
    assert counts(chat) == (2, 2)
    Post.objects.filter(chat=chat).update(text="")  # neither chat nor author: nothing to recount
    assert counts(chat) == (2, 2)
    Post.objects.filter(chat=chat).delete()
    assert counts(chat) == (0, 0)


def test_one_statement_of_many_rows_counts_them_all():
    chat = ChatFactory()
    authors = [AuthorFactory() for _ in range(3)]
    PostFactory.create_batch(30, chat=chat, author=authors[0])
    Post.objects.bulk_create([PostFactory.build(chat=chat, author=authors[i % 3]) for i in range(300)])
    assert counts(chat) == (330, 3)
