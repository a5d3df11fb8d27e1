"""The public removal request form at /removal/."""
from __future__ import annotations

import socket

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client, override_settings
from django.urls import reverse

from chats.models import RemovalRequest
from chats.services.removal_requests import removal_request_notification_send
from tests.consent.conftest import request_data
from tests.factories import AuthorFactory, PostFactory

pytestmark = pytest.mark.django_db
URL = "/removal/"


def test_the_form_is_at_removal_and_says_what_happens(client):
    assert reverse("consent:removal-request") == URL
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in page
    for name in ("platform", "handle", "email", "message"):
        assert f'name="{name}"' in page
    assert "placeholder" in page and "confirm" in page


def test_a_valid_request_is_saved_pending_and_the_moderators_are_told(
        client, django_capture_on_commit_callbacks, moderator):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(URL, request_data(handle="  @Nurse_Jo "))
    assert response.status_code == 302
    assert response["Location"] == reverse("consent:removal-thanks")
    saved = RemovalRequest.objects.get()
    assert (saved.platform, saved.handle, saved.email, saved.status) == (
        "twitter", "Nurse_Jo", "jo@example.org", RemovalRequest.Status.PENDING)
    assert len(callbacks) == 1  # the notification task, queued after commit
    assert client.get(response["Location"]).status_code == 200


def test_the_notification_names_the_request_and_its_matching_participants(moderator):
    moderator.email = "mod@example.org"
    moderator.save()
    author = AuthorFactory(handle="nurse_jo", display_name="Jo Tremblay")
    PostFactory.create_batch(3, author=author)
    removal = RemovalRequest.objects.create(platform="twitter", handle="NURSE_JO", email="jo@example.org",
                                            message="Please remove me")
    assert removal_request_notification_send(removal_request_id=removal.pk, base_url="https://archive.example/") == 1
    sent = mail.outbox[0]
    assert sent.to == ["mod@example.org"]
    assert "@NURSE_JO" in sent.subject
    assert "@nurse_jo (Jo Tremblay): 3 posts in" in sent.body
    assert "Please remove me" in sent.body
    assert f"https://archive.example/admin/chats/removalrequest/{removal.pk}/change/" in sent.body


def test_no_mail_for_an_answered_request_or_without_moderators(moderator):
    removal = RemovalRequest.objects.create(platform="twitter", handle="x", email="x@example.org")
    assert removal_request_notification_send(removal_request_id=removal.pk) == 0  # moderator has no email
    moderator.email = "mod@example.org"
    moderator.save()
    removal.status = RemovalRequest.Status.REJECTED
    removal.save()
    assert removal_request_notification_send(removal_request_id=removal.pk) == 0
    assert removal_request_notification_send(removal_request_id=removal.pk + 1000) == 0
    assert mail.outbox == []


def test_staff_without_the_permission_get_no_mail(django_user_model):
    django_user_model.objects.create_user("staff", email="staff@example.org", is_staff=True)
    removal = RemovalRequest.objects.create(platform="twitter", handle="x", email="x@example.org")
    assert removal_request_notification_send(removal_request_id=removal.pk) == 0


@pytest.mark.parametrize("handle", [
    "https://twitter.com/nurse_jo", "https://x.com/nurse_jo/status/1", "@nurse_jo", "nurse_jo",
])
def test_pasted_profile_addresses_become_the_handle(client, handle):
    assert client.post(URL, request_data(handle=handle)).status_code == 302
    assert RemovalRequest.objects.get().handle == "nurse_jo"


def test_mastodon_and_bluesky_profile_addresses(client):
    client.post(URL, request_data(platform="mastodon", handle="https://mastodon.social/@jo", email="a@example.org"))
    client.post(URL, request_data(platform="bluesky", handle="https://bsky.app/profile/jo.bsky.social",
                                  email="b@example.org"))
    assert sorted(RemovalRequest.objects.values_list("handle", flat=True)) == ["jo.bsky.social", "jo@mastodon.social"]


@pytest.mark.parametrize("fields", [
    {"email": ""},
    {"email": "not an email"},
    {"handle": ""},
    {"handle": "@"},
    {"handle": "two words"},
    {"handle": "<script>alert(1)</script>"},
    {"handle": "x" * 251},
    {"platform": "myspace"},
    {"message": "m" * 5001},
])
def test_invalid_requests_are_refused_with_the_text_kept(client, fields):
    data = request_data(**{"message": "Kept text", **fields})
    response = client.post(URL, data)
    assert response.status_code == 400
    assert not RemovalRequest.objects.exists()
    page = response.content.decode()
    assert 'class="field-error"' in page
    if "message" not in fields:
        assert "Kept text" in page
    assert "<script>alert(1)</script>" not in page


def test_garbage_posts_never_500(client):
    for data in ({}, {"platform": ["twitter", "x"], "handle": ["a", "b"]}, {"handle": "\x00"},
                 {"email": "a@b.c\r\nBcc: x@y.z", "handle": "ok"}, {"handle": "é" * 100}):
        assert client.post(URL, data).status_code == 400


def test_the_honeypot_refuses_robots(client):
    response = client.post(URL, request_data(phone_extension="123"))
    assert response.status_code == 400
    assert "looks automated" in response.content.decode()
    assert not RemovalRequest.objects.exists()


def test_csrf_is_enforced():
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(URL, request_data()).status_code == 403
    assert not RemovalRequest.objects.exists()
    browser.get(URL)
    token = browser.cookies["csrftoken"].value
    assert browser.post(URL, {**request_data(), "csrfmiddlewaretoken": token}).status_code == 302
    assert RemovalRequest.objects.count() == 1


def test_the_same_request_again_while_pending_is_one_request(client):
    client.post(URL, request_data(message="first"))
    client.post(URL, request_data(handle="NURSE_JO", message="second"))
    saved = RemovalRequest.objects.get()
    assert "first" in saved.message and "second" in saved.message


def test_the_rate_limit_refuses_with_429_and_keeps_the_text(client, settings):
    settings.REMOVAL_REQUEST_RATE_LIMIT_IP = (2, 600)
    for n in range(2):
        assert client.post(URL, request_data(email=f"p{n}@example.org")).status_code == 302
    response = client.post(URL, request_data(email="p3@example.org", message="Please keep this"))
    assert response.status_code == 429
    page = response.content.decode()
    assert "several requests in a short time" in page and "Please keep this" in page
    assert RemovalRequest.objects.count() == 2


def test_the_rate_limit_counts_per_email_too(client, settings):
    settings.REMOVAL_REQUEST_RATE_LIMIT_EMAIL = (1, 600)
    assert client.post(URL, request_data(), REMOTE_ADDR="10.0.0.1").status_code == 302
    assert client.post(URL, request_data(), REMOTE_ADDR="10.0.0.2").status_code == 429


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_redis_down_is_a_503_page_with_the_text_kept(client):
    # A real Redis client pointed at a port nothing listens on (restored
    # before the fixtures' own cache.clear()).
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    with override_settings(CACHES={"default": {**django_settings.CACHES["default"], "LOCATION": url}}):
        response = client.post(URL, request_data(message="Keep my words"))
    assert response.status_code == 503
    page = response.content.decode()
    assert "cannot be taken just now" in page and "Keep my words" in page
    assert not RemovalRequest.objects.exists()


def test_the_notification_task_is_registered_with_the_worker():
    # A fresh process loading what a worker loads (Django, then Celery's
    # autodiscovery of chats.tasks): this test process has imported the task
    # module itself already, which proves nothing.
    import subprocess
    import sys

    script = ("import django; django.setup(); from hcsmca.celery import app; "
              "app.loader.import_default_modules(); "
              "print('chats.send_removal_request_notification' in app.tasks)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=django_settings.BASE_DIR)
    assert done.stdout.strip().splitlines()[-1] == "True", done.stderr[-2000:]
