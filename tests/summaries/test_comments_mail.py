"""Mail about comments, sent by Celery tasks (run eagerly here; pytest-django
puts Django's locmem outbox in place): moderators hear of pending comments,
subscribers confirm by a link, hear of new comments and leave in one click."""
from __future__ import annotations

import re

import pytest

from summaries.models import CommentSubscription
from summaries.services.comments import comments_moderate
from tests.summaries.commenting import _fresh_rate_limits, approved, form_data, open_summary  # noqa: F401
from tests.summaries.workflow import eager_tasks  # noqa: F401

pytestmark = pytest.mark.django_db


def link(mail, path_part):
    return re.search(rf"http://testserver(/\S*{path_part}\S*)", mail.body).group(1)


def test_a_pending_comment_notifies_the_moderators(client, moderator, django_user_model, open_summary, eager_tasks,
                                                   mailoutbox, django_capture_on_commit_callbacks):
    moderator.email = "mod@example.org"
    moderator.save()
    django_user_model.objects.create_user("reader", email="reader@example.org")  # not a moderator
    with django_capture_on_commit_callbacks(execute=True):
        client.post(open_summary.get_absolute_url(), form_data(open_summary, body="Please approve me"))
    assert [mail.to for mail in mailoutbox] == [["mod@example.org"]]
    mail = mailoutbox[0]
    assert "waiting for moderation" in mail.subject and "Please approve me" in mail.body
    assert "Held because: first comment from this email" in mail.body
    assert "http://testserver/moderation/comments/" in mail.body


def test_subscribe_confirm_notify_and_unsubscribe(client, moderator, open_summary, eager_tasks, mailoutbox,
                                                  django_capture_on_commit_callbacks):
    approved(open_summary, email="ada@example.org")  # Ada is known: her comments appear at once
    with django_capture_on_commit_callbacks(execute=True):
        client.post(open_summary.get_absolute_url(), form_data(open_summary, subscribe="on", body="Tell me more"))
    assert "mailed you a link to confirm" in client.get(open_summary.get_absolute_url()).content.decode()
    [confirmation] = mailoutbox
    assert confirmation.to == ["ada@example.org"] and "Confirm" in confirmation.subject
    subscription = CommentSubscription.objects.get()
    assert subscription.confirmed_at is None

    # Unconfirmed: a new comment mails nobody.
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        approved_reply = approved(open_summary, email="bob@example.org", body="Bob was here")
        from summaries import tasks

        tasks.send_comment_notifications.delay(approved_reply.pk, "http://testserver/")
    assert mailoutbox == []

    page = client.get(link(confirmation, "/confirm/"))
    assert page.status_code == 200 and "Confirmed" in page.content.decode()
    subscription.refresh_from_db()
    assert subscription.confirmed_at

    # Confirmed: Bob's reply, approved by a moderator, is mailed to Ada, with a way out.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(open_summary.get_absolute_url(),
                               form_data(open_summary, name="Bob", email="bob2@example.org", body="A new voice"))
    assert response.status_code == 302 and mailoutbox == []  # pending: subscribers hear nothing yet
    from summaries.models import Comment

    pending = Comment.objects.get(body="A new voice")
    with django_capture_on_commit_callbacks(execute=True):
        comments_moderate(comment_ids=[pending.pk], action="approve", by=moderator, base_url="http://testserver/")
    [notification] = mailoutbox
    assert notification.to == ["ada@example.org"] and "A new voice" in notification.body
    assert f"http://testserver{open_summary.get_absolute_url()}#comment-{pending.pk}" in notification.body
    unsubscribe = link(notification, "/unsubscribe/")
    assert notification.extra_headers["List-Unsubscribe"] == f"<http://testserver{unsubscribe}>"

    # Her own comments are not mailed back to her.
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(open_summary.get_absolute_url(), form_data(open_summary, body="My own follow-up"))
    assert mailoutbox == []

    # One click (a GET from the mail) unsubscribes.
    assert "no longer receive" in client.get(unsubscribe).content.decode()
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at
    with django_capture_on_commit_callbacks(execute=True):
        client.post(open_summary.get_absolute_url(), form_data(open_summary, email="carl@example.org", body="Later"))
        comments_moderate(comment_ids=[Comment.objects.get(body="Later").pk], action="approve", by=moderator)
    assert [mail.to for mail in mailoutbox] == []


def test_mail_clients_one_click_unsubscribe_posts_without_csrf(open_summary):
    from django.test import Client

    subscription = CommentSubscription.objects.create(summary=open_summary, email="a@example.org", token="t0ken")
    response = Client(enforce_csrf_checks=True).post("/comments/subscription/t0ken/unsubscribe/",
                                                     {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at


def test_unknown_tokens_change_nothing(client):
    assert client.get("/comments/subscription/nope/confirm/").status_code == 404
    assert client.get("/comments/subscription/nope/unsubscribe/").status_code == 404


def test_subscribing_again_after_leaving_needs_a_new_confirmation(client, open_summary, eager_tasks, mailoutbox,
                                                                  django_capture_on_commit_callbacks):
    CommentSubscription.objects.create(summary=open_summary, email="ada@example.org", token="old",
                                       confirmed_at="2026-01-01T00:00Z", unsubscribed_at="2026-02-01T00:00Z")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(open_summary.get_absolute_url(), form_data(open_summary, subscribe="on"))
    subscription = CommentSubscription.objects.get()
    assert subscription.token != "old" and subscription.confirmed_at is None and subscription.unsubscribed_at is None
    assert len(mailoutbox) == 1 and subscription.token in mailoutbox[0].body


def test_a_confirmation_is_mailed_once_a_day_at_most(client, open_summary, eager_tasks, mailoutbox,
                                                     django_capture_on_commit_callbacks):
    """Subscribing someone else's address again and again does not flood it."""
    from datetime import timedelta

    for body in ("one", "two"):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(open_summary.get_absolute_url(), form_data(open_summary, subscribe="on", body=body))
    assert len(mailoutbox) == 1
    CommentSubscription.objects.update(created_at=CommentSubscription.objects.get().created_at - timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(open_summary.get_absolute_url(), form_data(open_summary, subscribe="on", body="three"))
    assert len(mailoutbox) == 2 and mailoutbox[0].body != mailoutbox[1].body  # a new link
