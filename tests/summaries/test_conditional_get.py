"""A summary page answers conditional requests: ETag and Last-Modified, and
304 without rendering while nothing it shows has changed for this reader."""
from datetime import timedelta

import pytest
from django.utils import timezone

from summaries.models import Comment
from summaries.services.comments import comments_moderate
from tests.factories import SummaryFactory
from tests.summaries.commenting import _fresh_rate_limits, approved, form_data, open_summary  # noqa: F401

pytestmark = pytest.mark.django_db


def first_visit(client, summary):
    response = client.get(summary.get_absolute_url())
    assert response.status_code == 200
    return response


def revalidate(client, summary, response):
    return client.get(summary.get_absolute_url(), HTTP_IF_NONE_MATCH=response["ETag"])


def test_unchanged_page_is_not_modified_in_two_queries(client, open_summary, django_assert_max_num_queries):
    response = first_visit(client, open_summary)
    assert response["ETag"] and response["Last-Modified"]
    assert "no-cache" in response["Cache-Control"]

    with django_assert_max_num_queries(2):  # the session's messages may be read too
        again = revalidate(client, open_summary, response)

    assert again.status_code == 304
    assert again.content == b""


def test_if_modified_since_alone_also_answers_304(client):
    closed = SummaryFactory(comments_open=False, published_at=timezone.now() - timedelta(days=3))
    response = first_visit(client, closed)

    again = client.get(closed.get_absolute_url(), HTTP_IF_MODIFIED_SINCE=response["Last-Modified"])

    assert again.status_code == 304


def test_an_approved_comment_changes_the_page(client, open_summary, moderator):
    response = first_visit(client, open_summary)
    comment = Comment.objects.create(summary=open_summary, author_name="Ada", author_email="ada@example.org",
                                     body="Held first", body_html="<p>Held first</p>")
    assert revalidate(client, open_summary, response).status_code == 200  # a new (pending) comment

    response = first_visit(client, open_summary)
    comments_moderate(comment_ids=[comment.pk], action="approve", by=moderator)
    fresh = revalidate(client, open_summary, response)

    assert fresh.status_code == 200
    assert "Held first" in fresh.content.decode()


def test_an_edited_summary_and_a_changed_chat_change_the_page(client, open_summary):
    response = first_visit(client, open_summary)
    open_summary.title = "Trust online, revisited"
    open_summary.save()
    assert revalidate(client, open_summary, response).status_code == 200


def test_other_readers_and_other_query_strings_get_their_own_validators(client, open_summary, moderator):
    response = first_visit(client, open_summary)
    reply_form = client.get(f"{open_summary.get_absolute_url()}?replyto=1")
    assert reply_form["ETag"] != response["ETag"]

    client.force_login(moderator)
    assert revalidate(client, open_summary, response).status_code == 200


def test_a_message_after_sending_a_comment_is_always_shown(client, open_summary):
    response = first_visit(client, open_summary)
    sent = client.post(open_summary.get_absolute_url(), form_data(open_summary), follow=False)
    assert sent.status_code == 302

    after = client.get(open_summary.get_absolute_url(), HTTP_IF_NONE_MATCH=response["ETag"])

    assert after.status_code == 200
    assert "held for moderation" in after.content.decode()
