"""Publishing, scheduling and unpublishing summaries (summaries.services.publishing)."""
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from summaries.models import Summary
from summaries.services.publishing import summaries_publish_due, summary_publish, summary_unpublish
from summaries.tasks import publish_due
from tests.factories import ChatFactory, SummaryFactory
from tests.summaries.workflow import staff_not_moderator  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft():
    return SummaryFactory(chat=ChatFactory(), status=Summary.Status.DRAFT, published_at=None, slug="what-we-heard")


def permalink_status(client, summary) -> int:
    summary.refresh_from_db()
    return client.get(summary.get_absolute_url()).status_code


def test_publish_now_makes_it_visible(client, draft, moderator, django_capture_on_commit_callbacks):
    assert permalink_status(client, draft) == 404
    before = timezone.now()
    with django_capture_on_commit_callbacks() as callbacks:
        summary = summary_publish(summary_id=draft.pk, by=moderator)
    assert summary.status == Summary.Status.PUBLISHED and before <= summary.published_at <= timezone.now()
    assert len(callbacks) == 1  # the stored page is rendered after commit
    assert permalink_status(client, draft) == 200
    assert list(Summary.objects.published()) == [summary]


def test_scheduled_is_hidden_until_the_beat_task_publishes_it(client, draft, moderator):
    at = timezone.now() + timedelta(hours=2)
    summary = summary_publish(summary_id=draft.pk, at=at, by=moderator)
    assert (summary.status, summary.published_at) == (Summary.Status.SCHEDULED, at)
    assert permalink_status(client, draft) == 404
    assert not Summary.objects.published().exists()

    assert summaries_publish_due(timezone.now()) == []  # not yet
    assert summaries_publish_due(at - timedelta(seconds=1)) == []
    updated_before = Summary.objects.get().updated_at
    # The task beat runs, called directly, once the time has passed.
    Summary.objects.filter(pk=draft.pk).update(published_at=timezone.now() - timedelta(seconds=5))
    assert publish_due() == [draft.pk]
    summary.refresh_from_db()
    assert summary.status == Summary.Status.PUBLISHED and summary.updated_at > updated_before
    assert permalink_status(client, draft) == 200
    assert publish_due() == []  # nothing left due


def test_unpublish_returns_it_to_draft(client, draft, moderator):
    summary_publish(summary_id=draft.pk, by=moderator)
    summary = summary_unpublish(summary_id=draft.pk, by=moderator)
    assert (summary.status, summary.published_at) == (Summary.Status.DRAFT, None)
    assert not Summary.objects.published().exists()
    # The old permalink (dated today) answers 404.
    assert client.get(f"/{timezone.localdate():%Y/%m/%d}/what-we-heard/").status_code == 404


def test_staff_who_are_not_moderators_cannot_publish(draft, staff_not_moderator, django_user_model):
    for user in (staff_not_moderator, django_user_model.objects.create_user("reader"), None):
        with pytest.raises(PermissionDenied):
            summary_publish(summary_id=draft.pk, by=user)
        with pytest.raises(PermissionDenied):
            summary_unpublish(summary_id=draft.pk, by=user)
    assert Summary.objects.get().status == Summary.Status.DRAFT


def test_publishing_needs_a_slug(moderator):
    summary = SummaryFactory(status=Summary.Status.DRAFT, published_at=None, slug="", title="!!!")
    with pytest.raises(ValidationError):
        summary_publish(summary_id=summary.pk, by=moderator)
    assert Summary.objects.get().status == Summary.Status.DRAFT
    # A blank slug is made from the title, unless another summary has it (the permalink would clash).
    Summary.objects.filter(pk=summary.pk).update(title="Chat 9: Trust")
    other = SummaryFactory(slug="chat-9-trust")
    with pytest.raises(ValidationError, match="already uses the slug"):
        summary_publish(summary_id=summary.pk, by=moderator)
    other.delete()
    assert summary_publish(summary_id=summary.pk, by=moderator).slug == "chat-9-trust"


def test_readers_never_see_drafts_or_scheduled_summaries_anywhere(client, moderator):
    chat = ChatFactory()
    shown = SummaryFactory(chat=chat, title="Shown summary", slug="shown-summary", published_at=timezone.now()
                           - timedelta(days=1))
    draft = SummaryFactory(chat=chat, title="Draft summary", slug="draft-summary", status=Summary.Status.DRAFT,
                           published_at=None)
    scheduled = SummaryFactory(chat=chat, title="Scheduled summary", slug="scheduled-summary",
                               status=Summary.Status.DRAFT, published_at=None)
    summary_publish(summary_id=scheduled.pk, at=timezone.now() + timedelta(days=1), by=moderator)
    scheduled.refresh_from_db()

    for url in ("/", "/summaries/", "/feeds/summaries.atom", "/feeds/summaries.rss", "/sitemap.xml"):
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        assert shown.slug in text or "Shown summary" in text, url
        assert "draft-summary" not in text and "Draft summary" not in text, url
        assert "scheduled-summary" not in text and "Scheduled summary" not in text, url
    for summary in (draft, scheduled):
        day = timezone.localtime(summary.published_at or timezone.now())
        assert client.get(f"/{day:%Y/%m/%d}/{summary.slug}/").status_code == 404


def test_beat_runs_the_publishing_task_every_minute(settings):
    from hcsmca.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["summaries-publish-due"]
    assert entry["schedule"] == 60.0
    app.loader.import_default_modules()
    assert entry["task"] == publish_due.name and entry["task"] in app.tasks
