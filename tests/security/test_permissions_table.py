"""Who may do what: every kind of URL against every role, in one table.

Roles: an anonymous reader; a commenter (logged in, not staff); staff with no
permission; an editor (staff who may write summaries, not in Moderators);
a moderator (staff in the Moderators group); a superuser. A row gives the
status each role gets; anything a role may not do must answer a refusal
(302 to the login page, 403, 404 or 405), never the page.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.utils import timezone

from chats.models import Chat, Import, RemovalRequest
from summaries.models import Summary
from tests.factories import ChatFactory, PostFactory, SummaryFactory

pytestmark = pytest.mark.django_db

ROLES = ("reader", "commenter", "staff", "editor", "moderator", "superuser")


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def by_role(reader, commenter, staff, editor, moderator, superuser) -> dict[str, int]:
    return dict(zip(ROLES, (reader, commenter, staff, editor, moderator, superuser), strict=True))


# Admin pages: readers and commenters are sent to the login page; staff need the permission.
MODERATORS_ONLY_ADMIN = by_role(302, 302, 403, 403, 200, 200)
SUMMARY_WRITERS_ADMIN = by_role(302, 302, 403, 200, 200, 200)

# (what, method, URL (formatted with the world's names), POST data, status by role)
TABLE = [
    ("public chat page", "get", "/chats/{public}/", None, everyone(200)),
    ("public chat JSON", "get", "/chats/{public}/transcript.json", None, everyone(200)),
    ("public chat CSV", "get", "/chats/{public}/transcript.csv", None, everyone(200)),
    ("public chat Markdown", "get", "/chats/{public}/transcript.md", None, everyone(200)),
    # A hidden chat is invisible on the public site to everyone, staff too: it is seen in the admin.
    ("hidden chat page", "get", "/chats/{hidden}/", None, everyone(404)),
    ("hidden chat JSON", "get", "/chats/{hidden}/transcript.json", None, everyone(404)),
    ("hidden chat CSV", "get", "/chats/{hidden}/transcript.csv", None, everyone(404)),
    ("hidden chat Markdown", "get", "/chats/{hidden}/transcript.md", None, everyone(404)),
    ("participant of a public chat", "get", "/people/{public_author}/", None, everyone(200)),
    ("participant only of a hidden chat", "get", "/people/{hidden_author}/", None, everyone(404)),
    ("published summary", "get", "{published_url}", None, everyone(200)),
    # Drafts and scheduled summaries are read in the admin, never on their permalink.
    ("draft summary permalink", "get", "{draft_url}", None, everyone(404)),
    ("scheduled summary permalink", "get", "{scheduled_url}", None, everyone(404)),
    ("comment on a draft", "post", "{draft_url}", {"author_name": "A", "body": "Hello"}, everyone(404)),
    ("comment on a scheduled summary", "post", "{scheduled_url}", {"author_name": "A", "body": "Hello"},
     everyone(404)),
    ("trackback to a draft", "post", "{draft_url}trackback/", {"url": "https://example.org/post"}, everyone(404)),
    ("admin index", "get", "/admin/", None, by_role(302, 302, 200, 200, 200, 200)),
    ("import list", "get", "/admin/chats/import/", None, MODERATORS_ONLY_ADMIN),
    ("import upload form", "get", "/admin/chats/import/add/", None, MODERATORS_ONLY_ADMIN),
    ("import page", "get", "/admin/chats/import/{import_pk}/change/", None, MODERATORS_ONLY_ADMIN),
    ("import progress", "get", "/admin/chats/import/{import_pk}/progress/", None, MODERATORS_ONLY_ADMIN),
    ("chat list", "get", "/admin/chats/chat/", None, MODERATORS_ONLY_ADMIN),
    ("hidden chat in the admin", "get", "/admin/chats/chat/{hidden_pk}/change/", None, MODERATORS_ONLY_ADMIN),
    ("post list", "get", "/admin/chats/post/", None, MODERATORS_ONLY_ADMIN),
    # Drafting needs the summary permissions only (summaries/admin_views.py: can_draft).
    ("draft a chat's summary", "get", "/admin/chats/chat/{public_pk}/draft-summary/", None, SUMMARY_WRITERS_ADMIN),
    ("summary list", "get", "/admin/summaries/summary/", None, SUMMARY_WRITERS_ADMIN),
    ("draft summary in the admin", "get", "/admin/summaries/summary/{draft_pk}/change/", None, SUMMARY_WRITERS_ADMIN),
    ("summary preview", "post", "/admin/summaries/summary/preview/", {"body_markdown": "*hi*"},
     SUMMARY_WRITERS_ADMIN),
    ("summary preview by GET", "get", "/admin/summaries/summary/preview/", None, by_role(302, 302, 405, 405, 405, 405)),
    ("comment list", "get", "/admin/summaries/comment/", None, MODERATORS_ONLY_ADMIN),
    ("moderation queue", "get", "/moderation/comments/", None, by_role(302, 403, 403, 403, 200, 200)),
    # Users and groups are the superuser's alone.
    ("user list", "get", "/admin/auth/user/", None, by_role(302, 302, 403, 403, 403, 200)),
    ("group list", "get", "/admin/auth/group/", None, by_role(302, 302, 403, 403, 403, 200)),
    # Consent and takedown: anyone may ask; only moderators see requests and redact.
    ("removal request form", "get", "/removal/", None, everyone(200)),
    ("removal requests in the admin", "get", "/admin/chats/removalrequest/", None, MODERATORS_ONLY_ADMIN),
    ("a removal request", "get", "/admin/chats/removalrequest/{request_pk}/change/", None, MODERATORS_ONLY_ADMIN),
    ("redact confirmation of a request", "get", "/admin/chats/removalrequest/{request_pk}/redact/{public_author_pk}/",
     None, MODERATORS_ONLY_ADMIN),
    ("reject a request", "get", "/admin/chats/removalrequest/{request_pk}/reject/", None, MODERATORS_ONLY_ADMIN),
    ("redaction log", "get", "/admin/chats/redaction/", None, MODERATORS_ONLY_ADMIN),
    # The log is written by the redaction services only.
    ("redaction log: add by hand", "get", "/admin/chats/redaction/add/", None, by_role(302, 302, 403, 403, 403, 403)),
    ("redact an author (search)", "get", "/admin/chats/redaction/redact/", None, MODERATORS_ONLY_ADMIN),
    ("deletion list upload", "get", "/admin/chats/redaction/deletion-list/", None, MODERATORS_ONLY_ADMIN),
    ("dataset bundles in the admin", "get", "/admin/chats/datasetbundle/", None, MODERATORS_ONLY_ADMIN),
    # Open data: the API and the bundles show what the pages show, to everyone alike.
    ("API: chats", "get", "/api/v1/chats/", None, everyone(200)),
    ("API: OpenAPI document", "get", "/api/v1/openapi.json", None, everyone(200)),
    ("API: a hidden chat", "get", "/api/v1/chats/{hidden_pk}/", None, everyone(404)),
    ("API: a hidden chat's posts", "get", "/api/v1/posts/{hidden_post_pk}/", None, everyone(404)),
    ("API: writing", "post", "/api/v1/chats/", {"slug": "new"}, everyone(405)),
    ("hidden chat dataset", "get", "/chats/{hidden}/dataset.zip", None, everyone(404)),
    ("hidden chat pseudonymised dataset", "get", "/chats/{hidden}/dataset-pseudonymised.zip", None, everyone(404)),
    ("hidden chat dataset list", "get", "/chats/{hidden}/datasets.json", None, everyone(404)),
    # Linkback endpoints are for other sites' POSTs only.
    ("webmention by GET", "get", "/webmention/", None, everyone(405)),
    ("xmlrpc by GET", "get", "/xmlrpc/", None, everyone(405)),
    ("trackback by GET", "get", "{published_url}trackback/", None, everyone(405)),
]


@pytest.fixture
def world(default_series_hcsmca):
    public = ChatFactory()
    hidden = ChatFactory(series=public.series, visibility=Chat.Visibility.HIDDEN)
    public_post = PostFactory(chat=public, text="The public chat says quokkaword too.")
    PostFactory(chat=public)
    # Someone who spoke only in the hidden chat, saying what the public chat says too.
    hidden_post = PostFactory(chat=hidden, text="Only the hidden chat says quokkaword.")
    published = SummaryFactory(chat=public)
    draft = SummaryFactory(chat=public, status=Summary.Status.DRAFT, published_at=None)
    scheduled = SummaryFactory(chat=public, status=Summary.Status.SCHEDULED,
                               published_at=timezone.now() + timedelta(days=3))
    row = Import.objects.create(original_name="chat.jsonl", status=Import.Status.SUCCEEDED)
    request = RemovalRequest.objects.create(
        platform=public_post.author.platform, handle=public_post.author.handle, email="someone@example.org")
    return {
        "request_pk": request.pk, "public_author_pk": public_post.author.pk, "hidden_post_pk": hidden_post.pk,
        "public": public.slug, "hidden": hidden.slug, "public_pk": public.pk, "hidden_pk": hidden.pk,
        "published_url": published.get_absolute_url(), "draft_url": draft.get_absolute_url(),
        "scheduled_url": scheduled.get_absolute_url(), "draft_pk": draft.pk, "import_pk": row.pk,
        "public_author": f"{public_post.author.platform}/{public_post.author.handle}",
        "hidden_author": f"{hidden_post.author.platform}/{hidden_post.author.handle}",
    }


@pytest.fixture
def clients(django_user_model):
    """A logged-in client per role (the reader's is anonymous)."""
    model = django_user_model
    # No passwords: the clients log in with force_login, and hashing five
    # passwords per test would be most of this module's time.
    users = {
        "commenter": model.objects.create_user("commenter"),
        "staff": model.objects.create_user("staff", is_staff=True),
        "editor": model.objects.create_user("editor", is_staff=True),
        "moderator": model.objects.create_user("moderator", is_staff=True),
        "superuser": model.objects.create_superuser("root", password=None),
    }
    users["editor"].user_permissions.add(*Permission.objects.filter(
        content_type__app_label="summaries", codename__in=["view_summary", "change_summary", "add_summary"]))
    users["moderator"].groups.add(Group.objects.get(name="Moderators"))
    result = {"reader": Client()}
    for role, user in users.items():
        result[role] = Client()
        result[role].force_login(user)
    return result


@pytest.mark.parametrize(("what", "method", "url", "data", "expected"), TABLE, ids=[row[0] for row in TABLE])
def test_each_role_gets_what_the_table_says(world, clients, what, method, url, data, expected):
    url = url.format(**world)
    got = {}
    for role in ROLES:
        response = getattr(clients[role], method)(url, data) if data else getattr(clients[role], method)(url)
        got[role] = response.status_code
        if response.status_code == 302:
            # A refusal by redirect only ever goes to the login page.
            assert response["Location"].startswith("/admin/login/"), (what, role, response["Location"])
    assert got == expected


def test_hidden_chats_are_in_no_feed_sitemap_search_or_listing_for_anyone(world, clients):
    for role in ROLES:
        for url in ("/", "/archive/", "/feeds/chats.atom", "/feeds/chats.rss", "/sitemap.xml",
                    "/search/?q=quokkaword", f"/series/{default_hashtag()}/"):
            response = clients[role].get(url)
            assert response.status_code == 200, (role, url)
            body = b"".join(response) if response.streaming else response.content
            assert f"/chats/{world['hidden']}/".encode() not in body, (role, url)
            assert f"/chats/{world['public']}/".encode() in body, (role, url)  # the page does list chats


def default_hashtag() -> str:
    return Chat.objects.values_list("series__hashtag", flat=True).first()


@pytest.mark.parametrize(("role", "may"), [("staff", False), ("editor", False), ("moderator", True),
                                           ("superuser", True)])
def test_only_moderators_publish_with_the_list_action(world, clients, role, may):
    draft = Summary.objects.get(pk=world["draft_pk"])
    clients[role].post("/admin/summaries/summary/", {"action": "publish_now", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert (draft.status == Summary.Status.PUBLISHED) is may


@pytest.mark.parametrize("role", ROLES)
def test_only_moderators_upload_imports(world, clients, role, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = Import.objects.count()
    with django_capture_on_commit_callbacks():  # the task is not sent
        clients[role].post("/admin/chats/import/add/", {
            "file": SimpleUploadedFile("chat.jsonl", b'{"id_str": "1"}\n'), "requested_format": "auto",
            "series_hashtag": "", "chat_slug": ""})
    assert Import.objects.count() - before == (1 if role in {"moderator", "superuser"} else 0)
