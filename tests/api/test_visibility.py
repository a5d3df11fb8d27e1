"""The API shows what the reader pages show and nothing else: public archived
chats and their posts, published summaries, approved comments; it only
answers GET."""
from __future__ import annotations

import pytest

from tests.api.conftest import get_json, ids_of

pytestmark = pytest.mark.django_db

LISTS = ["series", "chats", "questions", "posts", "participants", "links", "studies", "summaries", "comments"]


def test_lists_hold_only_what_readers_see(client, archive):
    a = archive
    assert sorted(ids_of(client, "/api/v1/chats/")) == sorted([a.chat.pk, a.other_chat.pk])
    assert sorted(ids_of(client, "/api/v1/questions/")) == sorted([a.t1.pk, a.t2.pk])
    assert sorted(ids_of(client, "/api/v1/posts/")) == sorted(
        [a.alice_post.pk, a.bob_answer.pk, a.gone_post.pk, a.withdrawn_post.pk, a.deleted_post.pk])
    assert sorted(ids_of(client, "/api/v1/participants/")) == sorted([a.alice.pk, a.bob.pk])
    assert ids_of(client, "/api/v1/links/") == [a.study_link.pk]
    assert ids_of(client, "/api/v1/studies/") == [a.study.pk]
    assert sorted(ids_of(client, "/api/v1/summaries/")) == sorted([a.summary.pk, a.hidden_chat_summary.pk])
    comments = get_json(client, "/api/v1/comments/")["results"]
    assert [c["body_html"] for c in comments] == ["<p>Thank you for hosting</p>", "<p>A reply to a pending comment</p>"]
    # Every series is public (its page is), with only its public chats counted.
    series = {row["hashtag"]: row for row in get_json(client, "/api/v1/series/")["results"]}
    assert series["hcsmca"]["chat_count"] == 1 and series["hcldr"]["chat_count"] == 1


def test_nothing_hidden_leaks_in_any_list(client, archive):
    bodies = "".join(client.get(f"/api/v1/{name}/").content.decode() for name in LISTS)
    for secret in ("hcsmca-900", "hcsmca-901", "secret_person", "Only In Hidden", "A secret post",
                   "A stray post", "secret.example", "stray.example", "A withdrawn question",
                   "A draft never published", "Scheduled for later", "Pending words", "Buy pills", "On a draft",
                   "dana@example.com", "javascript:"):
        assert secret not in bodies, secret


@pytest.mark.parametrize("name, attr", [
    ("chats", "hidden"), ("chats", "scheduled"), ("questions", "hidden_question"), ("posts", "hidden_post"),
    ("posts", "stray_post"), ("participants", "secret"), ("participants", "gone"), ("links", "hidden_link"),
    ("summaries", "draft"), ("summaries", "future"), ("comments", "pending"), ("comments", "spam"),
    ("comments", "draft_comment"),
])
def test_hidden_objects_answer_404(client, archive, name, attr):
    get_json(client, f"/api/v1/{name}/{getattr(archive, attr).pk}/", status=404)


@pytest.mark.parametrize("name, attr", [
    ("series", "series"), ("chats", "chat"), ("questions", "t1"), ("posts", "bob_answer"), ("participants", "alice"),
    ("links", "study_link"), ("studies", "study"), ("summaries", "summary"), ("comments", "approved"),
])
def test_public_objects_have_a_detail(client, archive, name, attr):
    pk = getattr(archive, attr).pk
    assert get_json(client, f"/api/v1/{name}/{pk}/")["id"] == pk


def test_unknown_ids_and_malformed_paths_answer_404(client, archive):
    for url in ("/api/v1/chats/999999/", "/api/v1/chats/hcsmca-116/", "/api/v1/posts/-1/",
                "/api/v1/posts/99999999999999999999999/", "/api/v1/nothing/"):
        assert client.get(url).status_code == 404, url


def test_a_summary_of_a_hidden_chat_does_not_name_it(client, archive):
    data = get_json(client, f"/api/v1/summaries/{archive.hidden_chat_summary.pk}/")
    assert data["chat"] is None
    assert get_json(client, f"/api/v1/summaries/{archive.summary.pk}/")["chat"] == "hcsmca-116"


def test_a_reply_to_a_pending_comment_shows_no_parent(client, archive):
    rows = get_json(client, "/api/v1/comments/")["results"]
    assert [row["parent"] for row in rows] == [None, None]


@pytest.mark.parametrize("name", LISTS)
def test_only_get(client, moderator_client, archive, name):
    detail = f"/api/v1/{name}/{getattr(archive, {'series': 'series', 'chats': 'chat', 'questions': 't1', 'posts': 'alice_post', 'participants': 'alice', 'links': 'study_link', 'studies': 'study', 'summaries': 'summary', 'comments': 'approved'}[name]).pk}/"
    before = client.get(detail).json()
    for method in ("post", "put", "patch", "delete"):
        for url in (f"/api/v1/{name}/", detail):
            response = getattr(client, method)(url, {"title": "changed"}, content_type="application/json")
            assert response.status_code in (403, 405), (method, url, response.status_code)
    # Staff signed in get no more than readers.
    response = moderator_client.delete(detail)
    assert response.status_code in (403, 405)
    assert client.get(detail).json() == before


def test_the_schema_is_served(client, archive):
    schema = get_json(client, "/api/v1/openapi.json")
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/posts/" in schema["paths"]
    assert "removed" in schema["components"]["schemas"]["Post"]["properties"]


def test_a_chat_whose_slug_has_no_page_url_does_not_break_the_list(client, archive):
    archive.other_chat.slug = "hcldr.5"  # a slug no URL pattern takes
    archive.other_chat.save(update_fields=["slug"])
    rows = {row["slug"]: row for row in get_json(client, "/api/v1/chats/")["results"]}
    assert rows["hcldr.5"]["url"] == ""
    assert rows["hcsmca-116"]["url"] == "http://testserver/chats/hcsmca-116/"


def test_a_summary_carries_its_featured_links_and_studies_inline(client, archive):
    archive.summary.featured_links.add(archive.hidden_link)  # featured, though shared only in a hidden chat
    data = get_json(client, f"/api/v1/summaries/{archive.summary.pk}/")
    assert [study["doi"] for study in data["featured_studies"]] == ["10.2196/jmir.4000"]
    assert [link["url"] for link in data["featured_links"]] == ["https://secret.example/900"]
    # The links list stays those shared in public posts.
    assert archive.hidden_link.pk not in ids_of(client, "/api/v1/links/")
