"""The moderators' side: drafting from the Chat admin, editing with a
preview, publishing buttons and actions only for those allowed."""
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from summaries.models import Summary
from summaries.services.drafting import summary_draft
from tests.summaries.workflow import demo_chat, eager_tasks, staff_not_moderator  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def form_data(summary: Summary, **changes) -> dict:
    data = {
        "title": summary.title, "slug": summary.slug, "chat": summary.chat_id or "",
        "author": summary.author_id or "", "body_markdown": summary.body_markdown, "excerpt": summary.excerpt,
        "featured_links": [], "featured_studies": list(summary.featured_studies.values_list("pk", flat=True)),
        "tags": "", "comments_open": "on",
        "published_at_0": "", "published_at_1": "",
    }
    if summary.published_at:
        local = timezone.localtime(summary.published_at)
        data.update(published_at_0=f"{local:%Y-%m-%d}", published_at_1=f"{local:%H:%M:%S}")
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_a_moderator_drafts_from_the_chat_admin(moderator_client, demo_chat, eager_tasks,
                                                django_capture_on_commit_callbacks):
    change = moderator_client.get(f"/admin/chats/chat/{demo_chat.pk}/change/").content.decode()
    assert f'href="/admin/chats/chat/{demo_chat.pk}/draft-summary/"' in change
    page = moderator_client.get(f"/admin/chats/chat/{demo_chat.pk}/draft-summary/").content.decode()
    assert 'value="Draft summary"' in page and "confirm to replace it" not in page

    with django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post(f"/admin/chats/chat/{demo_chat.pk}/draft-summary/")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/summaries/summary/?chat__id__exact={demo_chat.pk}"
    summary = Summary.objects.get()
    assert summary.author.username == "mod" and "## The questions" in summary.body_markdown
    listing = moderator_client.get(response["Location"]).content.decode()
    assert summary.title in listing and "Drafting the summary" in listing


def test_drafting_over_an_edited_body_asks_first(moderator_client, demo_chat, eager_tasks,
                                                 django_capture_on_commit_callbacks):
    summary = summary_draft(chat_id=demo_chat.pk)
    Summary.objects.filter(pk=summary.pk).update(body_markdown="Mine.", body_edited_at=timezone.now())
    url = f"/admin/chats/chat/{demo_chat.pk}/draft-summary/"
    assert "The body was edited; confirm to replace it." in moderator_client.get(url).content.decode()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        refused = moderator_client.post(url)
    assert refused.status_code == 200 and not callbacks
    assert Summary.objects.get().body_markdown == "Mine."

    with django_capture_on_commit_callbacks(execute=True):
        assert moderator_client.post(url, {"overwrite": "1"}).status_code == 302
    assert Summary.objects.get().body_markdown.startswith("On Tuesday")

    # The list action leaves an edited summary alone and says so.
    Summary.objects.update(body_edited_at=timezone.now(), body_markdown="Mine again.")
    with django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post("/admin/chats/chat/", {
            "action": "draft_summaries", "_selected_action": [demo_chat.pk]}, follow=True)
    assert "Not drafted, their summary was edited or published" in response.content.decode()
    assert Summary.objects.get().body_markdown == "Mine again."


def test_saving_a_body_marks_it_edited_and_renders_it(moderator_client, demo_chat, eager_tasks,
                                                      django_capture_on_commit_callbacks):
    summary = summary_draft(chat_id=demo_chat.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post(f"/admin/summaries/summary/{summary.pk}/change/",
                                         form_data(summary, body_markdown="New **words**."))
    assert response.status_code == 302, response.content.decode()[:3000]
    summary.refresh_from_db()
    assert summary.body_edited_at is not None
    assert summary.body_html == "<p>New <strong>words</strong>.</p>\n"
    assert summary.rendered_at is not None and "activity-svg" in summary.rendered_html

    # Saving without touching the body does not mark it edited again.
    edited_at = summary.body_edited_at
    with django_capture_on_commit_callbacks(execute=True):
        moderator_client.post(f"/admin/summaries/summary/{summary.pk}/change/", form_data(summary, title="Retitled"))
    summary.refresh_from_db()
    assert summary.title == "Retitled" and summary.body_edited_at == edited_at


def test_preview_is_sanitised_and_csrf_protected(moderator, demo_chat):
    summary = summary_draft(chat_id=demo_chat.pk)
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    form = client.get(f"/admin/summaries/summary/{summary.pk}/change/").content.decode()
    assert 'id="summary-preview-button"' in form and "summaries/preview.js" in form
    hostile = "Hi <script>alert(1)</script> [x](javascript:alert(2)) **b**"
    assert client.post("/admin/summaries/summary/preview/", {"body_markdown": hostile}).status_code == 403

    token = client.cookies["csrftoken"].value
    fragment = client.post("/admin/summaries/summary/preview/", {"body_markdown": hostile, "csrfmiddlewaretoken": token},
                           HTTP_X_REQUESTED_WITH="preview")
    assert fragment.status_code == 200
    assert fragment.content.decode() == "<p>Hi &lt;script&gt;alert(1)&lt;/script&gt; [x](javascript:alert(2)) <strong>b</strong></p>\n"
    page = client.post("/admin/summaries/summary/preview/", {"body_markdown": "**b**", "csrfmiddlewaretoken": token})
    assert '<div id="summary-preview" class="summary-preview"><p><strong>b</strong></p>' in page.content.decode()
    assert client.get("/admin/summaries/summary/preview/").status_code == 405


def test_moderators_publish_schedule_and_unpublish_with_the_buttons(moderator_client, demo_chat, client,
                                                                    django_capture_on_commit_callbacks, eager_tasks):
    summary = summary_draft(chat_id=demo_chat.pk)
    url = f"/admin/summaries/summary/{summary.pk}/change/"
    form = moderator_client.get(url).content.decode()
    assert 'name="_publish"' in form and 'name="_schedule"' in form and 'name="_unpublish"' not in form

    with django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post(url, {**form_data(summary), "_publish": "1"}, follow=True)
    summary.refresh_from_db()
    assert summary.status == Summary.Status.PUBLISHED and "was saved and published" in response.content.decode()
    assert client.get(summary.get_absolute_url()).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        moderator_client.post(url, {**form_data(summary), "_unpublish": "1"})
    summary.refresh_from_db()
    assert summary.status == Summary.Status.DRAFT

    # Scheduling needs a time in the future.
    response = moderator_client.post(url, {**form_data(summary), "_schedule": "1"}, follow=True)
    assert "set a publish time in the future" in response.content.decode()
    summary.refresh_from_db()
    assert summary.status == Summary.Status.DRAFT

    later = timezone.localtime(timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        moderator_client.post(url, {**form_data(summary, published_at_0=f"{later:%Y-%m-%d}",
                                                published_at_1=f"{later:%H:%M:%S}"), "_schedule": "1"})
    summary.refresh_from_db()
    assert (summary.status, summary.published_at) == (Summary.Status.SCHEDULED, later)
    assert client.get(summary.get_absolute_url()).status_code == 404



def test_staff_who_are_not_moderators_cannot_publish(client, staff_not_moderator, demo_chat,
                                                     django_capture_on_commit_callbacks, eager_tasks):
    summary = summary_draft(chat_id=demo_chat.pk)
    client.force_login(staff_not_moderator)
    url = f"/admin/summaries/summary/{summary.pk}/change/"
    form = client.get(url).content.decode()
    assert 'name="_publish"' not in form and 'name="published_at_0"' not in form
    changelist = client.get("/admin/summaries/summary/").content.decode()
    assert 'value="publish_now"' not in changelist and 'value="unpublish"' not in changelist

    # Posting the button anyway saves the edit but does not publish.
    data = form_data(summary, body_markdown="Edited by staff.")
    del data["published_at_0"], data["published_at_1"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**data, "_publish": "1"}, follow=True)
    summary.refresh_from_db()
    assert summary.status == Summary.Status.DRAFT and summary.body_markdown == "Edited by staff."
    assert "not published: Only moderators may publish" in response.content.decode()

    # And the list action is refused.
    client.post("/admin/summaries/summary/", {"action": "publish_now", "_selected_action": [summary.pk]})
    summary.refresh_from_db()
    assert summary.status == Summary.Status.DRAFT


def test_featured_links_and_studies_are_picked_from_the_chat(moderator_client, demo_chat):
    from tests.factories import LinkFactory, StudyFactory

    elsewhere_study, elsewhere_link = StudyFactory(doi="10.9999/elsewhere"), LinkFactory(url="https://elsewhere.example/")
    summary = summary_draft(chat_id=demo_chat.pk)
    form = moderator_client.get(f"/admin/summaries/summary/{summary.pk}/change/").context["adminform"].form
    studies = set(form.fields["featured_studies"].queryset.values_list("pk", flat=True))
    links = set(form.fields["featured_links"].queryset.values_list("url", flat=True))
    assert studies == set(summary.featured_studies.values_list("pk", flat=True)) and len(studies) == 2
    assert elsewhere_study.pk not in studies and elsewhere_link.url not in links
    assert "https://www.cancer.ca/en/support-and-services" in links and len(links) == 4
