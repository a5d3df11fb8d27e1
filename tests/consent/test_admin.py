"""The moderators' side: removal requests, redacting from the confirmation
page, rejecting, the redaction log and deletion list uploads."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from chats.models import Author, Post, PostTombstone, Redaction, RemovalRequest
from tests.factories import AuthorFactory, ChatFactory, PostFactory

pytestmark = pytest.mark.django_db
XSS = '<script>alert("x")</script>'


@pytest.fixture
def jo():
    author = AuthorFactory(handle="nurse_jo", display_name="Jo Tremblay")
    chats = ChatFactory.create_batch(2)
    PostFactory.create_batch(2, author=author, chat=chats[0])
    PostFactory(author=author, chat=chats[1])
    return author


@pytest.fixture
def pending(jo):
    return RemovalRequest.objects.create(platform="twitter", handle="Nurse_Jo", email="jo@example.org",
                                         message="Please remove me.")


def redact_url(removal, author):
    return reverse("admin:chats_removalrequest_redact", args=[removal.pk, author.pk])


def change_url(removal):
    return reverse("admin:chats_removalrequest_change", args=[removal.pk])


def test_the_list_filters_by_status_and_searches_handle_and_email(moderator_client, pending):
    RemovalRequest.objects.create(platform="twitter", handle="someone", email="else@example.org",
                                  status=RemovalRequest.Status.REJECTED)
    url = reverse("admin:chats_removalrequest_changelist")
    page = moderator_client.get(url + "?status__exact=pending").content.decode()
    assert "@Nurse_Jo" in page and "@someone" not in page
    assert "1 participant, 3 posts" in page
    assert "@someone" in moderator_client.get(url + "?q=else@example").content.decode()
    assert "@Nurse_Jo" in moderator_client.get(url + "?q=nurse").content.decode()


def test_the_request_shows_its_matching_authors_case_insensitively_with_counts(moderator_client, pending, jo):
    AuthorFactory(handle="nurse_jo", platform="mastodon", platform_id="m1")  # another platform: not a match
    page = moderator_client.get(change_url(pending)).content.decode()
    assert reverse("admin:chats_author_change", args=[jo.pk]) in page
    assert "<td>3</td><td>2</td>" in page  # posts, chats
    assert redact_url(pending, jo) in page
    assert reverse("admin:chats_removalrequest_reject", args=[pending.pk]) in page
    assert "m1" not in page


def test_what_people_typed_is_shown_escaped(moderator_client, jo):
    removal = RemovalRequest.objects.create(platform="twitter", handle=XSS, email="x@example.org", message=XSS)
    for url in (reverse("admin:chats_removalrequest_changelist"), change_url(removal)):
        page = moderator_client.get(url).content.decode()
        assert XSS not in page
        assert "&lt;script&gt;" in page


def test_the_confirmation_page_shows_the_author_posts_and_chats(moderator_client, pending, jo):
    response = moderator_client.get(redact_url(pending, jo))
    assert response.status_code == 200
    page = response.content.decode()
    assert "@nurse_jo" in page and "Jo Tremblay" in page
    assert '<strong class="redact-post-count">3</strong>, in 2 chats' in page
    for chat in {post.chat for post in jo.posts.all()}:
        assert chat.get_absolute_url() in page
    assert Author.objects.get(pk=jo.pk).redacted_at is None  # GET changes nothing


def test_redacting_from_the_confirmation_page(moderator_client, moderator, pending, jo):
    other = PostFactory(text="Great point @nurse_jo!")
    response = moderator_client.post(redact_url(pending, jo), {"reason": "Confirmed by a DM from the account"})
    assert response.status_code == 302 and response["Location"] == change_url(pending)
    pending.refresh_from_db()
    assert pending.status == RemovalRequest.Status.REDACTED
    assert (pending.handled_by, pending.author) == (moderator, Author.objects.get(pk=jo.pk))
    assert pending.handled_at is not None
    redaction = Redaction.objects.get()
    assert (redaction.kind, redaction.handle, redaction.post_count, redaction.performed_by) == (
        Redaction.Kind.AUTHOR, "nurse_jo", 3, moderator)
    assert redaction.reason == "Confirmed by a DM from the account"
    assert redaction.removal_request == pending
    assert set(Post.objects.filter(author=jo).values_list("removed", "text")) == {("author_request", "")}
    assert "nurse_jo" not in Post.objects.get(pk=other.pk).text
    # The request page now says what was done and offers no more answers.
    page = moderator_client.get(change_url(pending)).content.decode()
    assert reverse("admin:chats_redaction_change", args=[redaction.pk]) in page
    assert "Reject this request" not in page


def test_a_reason_is_required(moderator_client, pending, jo):
    response = moderator_client.post(redact_url(pending, jo), {"reason": " "})
    assert response.status_code == 200
    assert "errornote" in response.content.decode()
    assert not Redaction.objects.exists()
    assert RemovalRequest.objects.get(pk=pending.pk).status == RemovalRequest.Status.PENDING


def test_an_answered_request_cannot_be_redacted_again(moderator_client, pending, jo):
    pending.status = RemovalRequest.Status.REJECTED
    pending.save()
    response = moderator_client.post(redact_url(pending, jo), {"reason": "Confirmed by a DM"})
    assert response.status_code == 302
    assert not Redaction.objects.exists()


def test_rejecting_with_a_note(moderator_client, moderator, pending):
    url = reverse("admin:chats_removalrequest_reject", args=[pending.pk])
    assert moderator_client.get(url).status_code == 200
    assert moderator_client.post(url, {"note": ""}).status_code == 200  # a note is required
    response = moderator_client.post(url, {"note": "No reply to our email after two weeks."})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.moderator_note, pending.handled_by) == (
        RemovalRequest.Status.REJECTED, "No reply to our email after two weeks.", moderator)
    assert not Redaction.objects.exists()
    # Rejecting twice is refused, not a 500.
    assert moderator_client.post(url, {"note": "again"}).status_code == 302
    assert RemovalRequest.objects.get(pk=pending.pk).moderator_note == "No reply to our email after two weeks."


def test_requests_come_only_from_the_public_form(moderator_client):
    assert moderator_client.get(reverse("admin:chats_removalrequest_add")).status_code == 403


# --- the redaction log -------------------------------------------------------------------------


def test_the_log_lists_who_when_why_what_and_how_many(moderator_client, moderator, jo):
    Redaction.objects.create(kind=Redaction.Kind.AUTHOR, platform="twitter", handle=XSS, reason="At their request",
                             post_count=12, performed_by=moderator)
    page = moderator_client.get(reverse("admin:chats_redaction_changelist")).content.decode()
    assert "At their request" in page and ">12<" in page and "mod" in page
    assert XSS not in page
    assert reverse("admin:chats_redaction_deletion_list") in page


def test_the_log_is_read_only(moderator_client, moderator):
    redaction = Redaction.objects.create(kind=Redaction.Kind.AUTHOR, handle="x", reason="r", performed_by=moderator)
    assert moderator_client.get(reverse("admin:chats_redaction_add")).status_code == 403
    assert moderator_client.get(reverse("admin:chats_redaction_change", args=[redaction.pk])).status_code == 200
    response = moderator_client.post(reverse("admin:chats_redaction_change", args=[redaction.pk]),
                                     {"reason": "changed"})
    assert response.status_code == 403
    assert moderator_client.post(reverse("admin:chats_redaction_delete", args=[redaction.pk]),
                                 {"post": "yes"}).status_code == 403
    assert Redaction.objects.get(pk=redaction.pk).reason == "r"


# --- deletion lists ----------------------------------------------------------------------------


def upload(client, content: bytes, platform: str = "twitter", name: str = "deleted.txt"):
    return client.post(reverse("admin:chats_redaction_deletion_list"),
                       {"file": SimpleUploadedFile(name, content), "platform": platform})


def test_uploading_a_deletion_list(moderator_client, moderator):
    gone, kept = PostFactory(), PostFactory()
    response = upload(moderator_client, f"{gone.external_id}\nhttps://x.com/a/status/55\nnope\n".encode())
    redaction = Redaction.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:chats_redaction_change", args=[redaction.pk])
    assert (redaction.kind, redaction.post_count, redaction.performed_by) == (
        Redaction.Kind.DELETION_LIST, 1, moderator)
    assert Post.objects.get(pk=gone.pk).removed == "deleted"
    assert Post.objects.get(pk=kept.pk).removed == ""
    assert set(PostTombstone.objects.values_list("external_id", flat=True)) == {gone.external_id, "55"}
    page = moderator_client.get(response["Location"]).content.decode()
    assert "2 ids marked deleted" in page and "1 archived post removed" in page
    assert "line 3: not a tweet id" in page


def test_a_binary_or_all_bad_list_writes_nothing_and_says_why(moderator_client):
    response = upload(moderator_client, b"PK\x03\x04\x00\x00")
    assert response.status_code == 200 and "not text" in response.content.decode()
    response = upload(moderator_client, b"<b>x</b>\n" + XSS.encode() + b"\n")
    page = response.content.decode()
    assert response.status_code == 200
    assert "line 1:" in page and "line 2:" in page and XSS not in page
    assert not Redaction.objects.exists() and not PostTombstone.objects.exists()


def test_the_upload_form_needs_a_file(moderator_client):
    response = moderator_client.post(reverse("admin:chats_redaction_deletion_list"), {"platform": "twitter"})
    assert response.status_code == 200
    assert not Redaction.objects.exists()


# --- permissions -------------------------------------------------------------------------------


@pytest.fixture
def plain_staff_client(client, django_user_model):
    user = django_user_model.objects.create_user("staff", password="x" * 20, is_staff=True)
    client.force_login(user)
    return client


def every_url(removal, author):
    return [
        reverse("admin:chats_removalrequest_changelist"),
        change_url(removal),
        redact_url(removal, author),
        reverse("admin:chats_removalrequest_reject", args=[removal.pk]),
        reverse("admin:chats_redaction_changelist"),
        reverse("admin:chats_redaction_deletion_list"),
    ]


def test_staff_without_the_moderators_permissions_are_refused(plain_staff_client, pending, jo):
    for url in every_url(pending, jo):
        assert plain_staff_client.get(url).status_code == 403, url
    assert plain_staff_client.post(redact_url(pending, jo), {"reason": "Confirmed by a DM"}).status_code == 403
    assert upload(plain_staff_client, b"1\n").status_code == 403
    assert plain_staff_client.post(reverse("admin:chats_removalrequest_reject", args=[pending.pk]),
                                   {"note": "no"}).status_code == 403
    assert not Redaction.objects.exists()
    assert RemovalRequest.objects.get(pk=pending.pk).status == RemovalRequest.Status.PENDING


def test_staff_who_may_view_requests_but_not_redact_are_refused_the_answers(client, django_user_model, pending, jo):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("viewer", password="x" * 20, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="chats", codename__in=["view_removalrequest", "view_redaction"]))
    client.force_login(user)
    assert client.get(change_url(pending)).status_code == 200
    assert client.get(reverse("admin:chats_redaction_changelist")).status_code == 200
    assert client.post(redact_url(pending, jo), {"reason": "Confirmed by a DM"}).status_code == 403
    assert client.post(reverse("admin:chats_removalrequest_reject", args=[pending.pk]),
                       {"note": "no"}).status_code == 403
    assert upload(client, b"1\n").status_code == 403
    page = client.get(reverse("admin:chats_redaction_changelist")).content.decode()
    assert reverse("admin:chats_redaction_deletion_list") not in page


def test_anonymous_visitors_are_sent_to_the_login(client, pending, jo):
    for url in every_url(pending, jo):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url


# --- redacting without a request through the form -----------------------------------------------


def test_redact_an_author_from_the_log(moderator_client, moderator, jo):
    log = moderator_client.get(reverse("admin:chats_redaction_changelist")).content.decode()
    find = reverse("admin:chats_redaction_find_author")
    assert find in log
    page = moderator_client.get(find + "?platform=twitter&handle=@NURSE_JO").content.decode()
    confirm = reverse("admin:chats_redaction_redact", args=[jo.pk])
    assert confirm in page and "Jo Tremblay" in page
    assert "No participant" in moderator_client.get(find + "?platform=mastodon&handle=nurse_jo").content.decode()
    assert moderator_client.get(confirm).status_code == 200
    response = moderator_client.post(confirm, {"reason": "At their request, received by email and confirmed"})
    redaction = Redaction.objects.get()
    assert response["Location"] == reverse("admin:chats_redaction_change", args=[redaction.pk])
    assert (redaction.post_count, redaction.removal_request, redaction.performed_by) == (3, None, moderator)
    assert Author.objects.get(pk=jo.pk).redacted_at is not None


def test_staff_without_permission_cannot_redact_from_the_log(plain_staff_client, jo):
    assert plain_staff_client.get(reverse("admin:chats_redaction_find_author")).status_code == 403
    response = plain_staff_client.post(reverse("admin:chats_redaction_redact", args=[jo.pk]),
                                       {"reason": "At their request, by email"})
    assert response.status_code == 403
    assert not Redaction.objects.exists()


def test_the_list_costs_the_same_queries_for_many_requests(moderator_client, django_assert_max_num_queries, jo):
    url = reverse("admin:chats_removalrequest_changelist")
    RemovalRequest.objects.create(platform="twitter", handle="nurse_jo", email="a@example.org")
    moderator_client.get(url)
    with django_assert_max_num_queries(12) as few:
        moderator_client.get(url)
    RemovalRequest.objects.bulk_create([
        RemovalRequest(platform="twitter", handle=f"someone{n}", email=f"{n}@example.org") for n in range(30)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = moderator_client.get(url).content.decode()
    assert "1 participant, 3 posts" in page and page.count("no participant") == 30


def test_a_list_longer_than_an_upload_takes_is_sent_to_the_command(moderator_client, monkeypatch):
    from chats import admin_consent

    monkeypatch.setattr(admin_consent, "ADMIN_MAX_DELETION_IDS", 3)
    response = upload(moderator_client, b"1\n2\n3\n4\n")
    assert response.status_code == 200
    assert "manage.py import_deletions FILE --platform twitter" in response.content.decode()
    assert not Redaction.objects.exists()
    assert upload(moderator_client, b"1\n2\n3\n").status_code == 302
