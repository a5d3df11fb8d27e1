"""The stored summary body: rendered once, served as stored, rebuilt when the
chat's transcript or questions change (summaries.services.rendering)."""
import re

import pytest
from django.utils import timezone

from chats.models import Question
from chats.services.content import chats_content_touch
from summaries.models import Summary
from summaries.services.drafting import summary_draft
from summaries.services.publishing import summary_publish
from summaries.services.rendering import summary_is_fresh, summary_render, summary_stored_body
from summaries.tasks import render_summary, rerender_for_chats
from tests.factories import SummaryFactory
from tests.summaries.workflow import demo_chat  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

HOSTILE = """# Hello

<script>alert(1)</script> <img src=x onerror=alert(2)>

[click](javascript:alert(3)) ![x](javascript:alert(4)) [ok](https://example.org/a)

<iframe src="https://evil.example"></iframe>
"""


def test_a_hostile_markdown_body_is_sanitised():
    summary = SummaryFactory(body_markdown=HOSTILE, body_html="")
    summary = summary_render(summary_id=summary.pk)
    for html in (summary.body_html, summary.rendered_html, str(summary_stored_body(summary))):
        # Raw HTML is shown as text; no tag, attribute or URL of the attacker's survives.
        assert not re.search(r"<(script|iframe|img)", html) and not re.search(r"<[^>]* on\w+=", html)
        assert 'href="javascript' not in html and 'src="javascript' not in html
        assert '<a href="https://example.org/a" rel="nofollow ugc noopener">ok</a>' in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_stored_copy_is_served_and_rebuilt_when_the_chat_changes(demo_chat, moderator, client,
                                                                    django_capture_on_commit_callbacks):
    summary = summary_draft(chat_id=demo_chat.pk)
    summary_publish(summary_id=summary.pk, by=moderator)
    render_summary(summary.pk)  # what the worker does after commit
    summary = Summary.objects.select_related("chat__series").get()
    assert summary_is_fresh(summary) and summary.rendered_chat_version == demo_chat.content_version
    assert 'class="activity-svg"' in summary.rendered_html and "@survivor_kate" in summary.rendered_html
    assert "<h3>" in summary.rendered_html and "T1a" in summary.rendered_html

    # Served as stored: a marker written into the stored copy shows on the page.
    Summary.objects.filter(pk=summary.pk).update(rendered_html=summary.rendered_html + "<!-- stored copy -->")
    page = client.get(summary.get_absolute_url())
    assert page.status_code == 200 and "<!-- stored copy -->" in page.content.decode()

    # A question edited by a moderator bumps the chat's version: stale, so
    # the page renders live (new text), and a rebuild is queued after commit.
    with django_capture_on_commit_callbacks() as callbacks:
        Question.objects.filter(chat=demo_chat, label="T2").update(text="T2 now reads differently")
        chats_content_touch(chat_ids=[demo_chat.pk])
    assert callbacks, "the rebuild must be queued after commit"
    page = client.get(summary.get_absolute_url()).content.decode()
    assert "<!-- stored copy -->" not in page
    stale = Summary.objects.select_related("chat__series").get()
    assert not summary_is_fresh(stale)

    rerender_for_chats([demo_chat.pk])  # the queued task, run here
    fresh = Summary.objects.select_related("chat__series").get()
    demo_chat.refresh_from_db()
    assert summary_is_fresh(fresh) and fresh.rendered_chat_version == demo_chat.content_version
    assert fresh.rendered_at > summary.rendered_at


def test_an_edited_body_is_stale_until_rendered_again(demo_chat):
    summary = summary_draft(chat_id=demo_chat.pk)
    summary_render(summary_id=summary.pk)
    summary = Summary.objects.select_related("chat__series").get()
    summary.body_markdown = "Edited **now**."
    summary.body_edited_at = timezone.now()
    summary.save()
    assert not summary_is_fresh(summary)
    assert "<strong>now</strong>" in str(summary_stored_body(summary))
    summary_render(summary_id=summary.pk)
    summary = Summary.objects.select_related("chat__series").get()
    assert summary_is_fresh(summary) and "<strong>now</strong>" in summary.rendered_html


def test_a_chat_readers_cannot_see_shows_no_statistics(demo_chat):
    summary = summary_draft(chat_id=demo_chat.pk)
    demo_chat.visibility = demo_chat.Visibility.HIDDEN if hasattr(demo_chat.Visibility, "HIDDEN") else "hidden"
    demo_chat.save()
    rendered = summary_render(summary_id=summary.pk).rendered_html
    assert "activity-svg" not in rendered and "On Tuesday" in rendered


def test_render_tasks_ignore_summaries_that_are_gone():
    assert render_summary(987654) is None
    assert summary_render(summary_id=987654) is None
