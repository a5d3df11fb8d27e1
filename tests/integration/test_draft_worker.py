"""End to end with a real Celery worker: a moderator asks for a draft in the
admin, the worker writes it from the transcript in PostgreSQL, the moderator
publishes it, the worker renders the stored page, and a change to the chat's
questions has the worker rebuild it."""
import pytest

from chats.services.content import chats_content_touch
from summaries.models import Summary
from tests.integration.worker import running_worker, wait_for
from tests.summaries.workflow import demo_chat  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.worker]


def test_a_real_worker_drafts_renders_and_rebuilds_a_summary(moderator_client, demo_chat, client, tmp_path):
    with running_worker(tmp_path / "worker.log"):
        response = moderator_client.post(f"/admin/chats/chat/{demo_chat.pk}/draft-summary/")
        assert response.status_code == 302
        summary = wait_for(lambda: Summary.objects.filter(chat=demo_chat).first(), timeout=60, what="the draft")
        assert summary.author.username == "mod" and "#### [T1a]" in summary.body_markdown
        assert "(PMID 31234567), shared by @researcher\\_li" in summary.body_markdown
        # The draft is rendered too (not visible to readers yet).
        wait_for(lambda: Summary.objects.get(pk=summary.pk).rendered_at, timeout=60, what="the first render")
        assert client.get(summary.get_absolute_url()).status_code == 404

        data = {"title": summary.title, "slug": summary.slug, "chat": demo_chat.pk, "author": summary.author_id,
                "body_markdown": summary.body_markdown + "\nModerator's note.", "excerpt": summary.excerpt,
                "featured_studies": list(summary.featured_studies.values_list("pk", flat=True)),
                "tags": "", "comments_open": "on", "published_at_0": "", "published_at_1": "", "_publish": "1"}
        assert moderator_client.post(f"/admin/summaries/summary/{summary.pk}/change/", data).status_code == 302
        published = Summary.objects.get(pk=summary.pk)
        assert published.status == Summary.Status.PUBLISHED
        fresh = wait_for(
            lambda: (s := Summary.objects.get(pk=summary.pk)).rendered_at and s.rendered_at > s.updated_at and s,
            timeout=60, what="the render after publishing")
        assert "<p>Moderator’s note.</p>" in fresh.rendered_html or "<p>Moderator's note.</p>" in fresh.rendered_html
        assert "activity-svg" in fresh.rendered_html

        # The chat's content changes: the worker rebuilds the stored copy.
        version_before = fresh.rendered_chat_version
        chats_content_touch(chat_ids=[demo_chat.pk])
        rebuilt = wait_for(
            lambda: (s := Summary.objects.get(pk=summary.pk)).rendered_chat_version > version_before and s,
            timeout=60, what="the rebuild after the chat changed")
        demo_chat.refresh_from_db()
        assert rebuilt.rendered_chat_version == demo_chat.content_version

    page = client.get(published.get_absolute_url())
    assert page.status_code == 200 and "Moderator" in page.content.decode()
