"""Fixtures for the summary workflow tests (drafting, publishing, rendering,
admin, command): the demo chat #hcsmca 116 imported from its transcript, an
earlier chat of the series, a moderator and a staff member who is not one.
Imported by the test modules that use them."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group

from chats.models import Chat
from chats.services.imports import SourceFile, transcript_import
from tests.factories import AuthorFactory, ChatFactory, PostFactory


def import_demo_chat(demo_transcript_path) -> Chat:
    with demo_transcript_path.open("rb") as stream:
        outcome = transcript_import(sources=[SourceFile(demo_transcript_path.name, stream)], chat_slug="hcsmca-116")
    assert outcome.status == "succeeded", outcome
    chat = Chat.objects.select_related("series").get(slug="hcsmca-116")
    chat.title = "Social media and self-care in cancer survivors"
    chat.save(update_fields=["title"])
    return chat


@pytest.fixture
def demo_chat(demo_transcript_path, default_series_hcsmca) -> Chat:
    """#hcsmca 116 (26 posts, 3 retweets, T1, T1a, T2, T3, two studies) and,
    a week before it, chat 115 where two of its participants already posted."""
    chat = import_demo_chat(demo_transcript_path)
    earlier = ChatFactory(series=chat.series, number=115, slug="hcsmca-115", start=chat.start - timedelta(weeks=1),
                          end=chat.end - timedelta(weeks=1))
    for handle in ("nurse_jo", "dr_amir"):
        author = chat.posts.filter(author__handle=handle).first().author
        PostFactory(chat=earlier, author=author)
    PostFactory(chat=earlier, author=AuthorFactory(handle="only_in_115"))
    return chat


@pytest.fixture
def staff_not_moderator(django_user_model):
    """Staff who may edit summaries (given the model permissions) but is not
    in the Moderators group, so may not publish."""
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("staffer", password="a long enough password", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="summaries", codename__in=["view_summary", "change_summary", "add_summary"]))
    return user


def moderators_group() -> Group:
    return Group.objects.get(name="Moderators")


@pytest.fixture
def eager_tasks():
    """Tasks queued by the code under test run at once, in this process (the
    real-worker path is tests/integration/test_draft_worker.py)."""
    from hcsmca.celery import app

    # The CELERY_ namespace of the Django settings applies to these keys too.
    app.conf.CELERY_TASK_ALWAYS_EAGER = True
    try:
        yield
    finally:
        app.conf.CELERY_TASK_ALWAYS_EAGER = False
