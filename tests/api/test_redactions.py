"""Redactions in the API: a post removed at its author's request stays (thread
structure and counts) without text or author; a redacted author is named
nowhere; a post deleted on its platform keeps its author but not its text."""
from __future__ import annotations

import pytest

from chats.models import Removal
from tests.api.conftest import get_json, ids_of

pytestmark = pytest.mark.django_db


def test_removed_at_authors_request_keeps_the_row_without_author_or_content(client, archive):
    for post in (archive.gone_post, archive.withdrawn_post):
        data = get_json(client, f"/api/v1/posts/{post.pk}/")
        assert data["removed"] == "author_request"
        assert data["author"] is None
        assert data["text"] == "" and data["url"] == "" and data["urls"] == [] and data["media"] == []
        assert data["removed_at"] is not None
        assert "original" not in data
        # Its place in the chat stays.
        assert data["chat"] == "hcsmca-116" and data["question"] == post.question_id


def test_a_half_done_redaction_never_shows_through(client, archive):
    """Content still in the row (the service had not blanked it yet) is not served."""
    post = archive.bob_answer
    post.removed, post.removed_at = Removal.AUTHOR_REQUEST, post.created_at
    post.save(update_fields=["removed", "removed_at"])
    data = get_json(client, f"/api/v1/posts/{post.pk}/")
    assert data["text"] == "" and data["author"] is None and data["url"] == "" and data["hashtags"] == []
    assert "pharmacist" not in client.get("/api/v1/posts/").content.decode()


def test_deleted_on_platform_keeps_the_author_but_not_the_text(client, archive):
    data = get_json(client, f"/api/v1/posts/{archive.deleted_post.pk}/")
    assert data["removed"] == "deleted" and data["text"] == ""
    assert data["author"]["handle"] == "bob_md"


def test_a_redacted_author_is_named_nowhere(client, archive):
    gone = archive.gone
    get_json(client, f"/api/v1/participants/{gone.pk}/", status=404)
    assert gone.pk not in ids_of(client, "/api/v1/participants/")
    assert gone.pk not in ids_of(client, "/api/v1/participants/", chat="hcsmca-116")
    # Not as a host of the chat or the series.
    chat = get_json(client, f"/api/v1/chats/{archive.chat.pk}/")
    assert [host["id"] for host in chat["hosts"]] == [archive.alice.pk]
    series = get_json(client, f"/api/v1/series/{archive.series.pk}/")
    assert [host["id"] for host in series["hosts"]] == [archive.alice.pk]
    # Their post is a placeholder even if the row still had a name (author null, not the redacted row).
    get_json(client, "/api/v1/posts/", status=400, author=-1)
    assert get_json(client, "/api/v1/posts/", author=gone.pk)["results"][0]["author"] is None


def test_a_redacted_authors_post_not_yet_marked_removed_has_no_author(client, archive):
    """Author redacted, one post not (yet) marked removed: still no name on it."""
    post = archive.alice_post
    alice = archive.alice
    alice.redacted_at = post.created_at
    alice.save(update_fields=["redacted_at"])
    assert get_json(client, f"/api/v1/posts/{post.pk}/")["author"] is None
    get_json(client, f"/api/v1/participants/{alice.pk}/", status=404)
    assert all(host["id"] != alice.pk for host in get_json(client, f"/api/v1/chats/{archive.chat.pk}/")["hosts"])


def test_counts_keep_removed_posts(client, archive):
    chat = get_json(client, f"/api/v1/chats/{archive.chat.pk}/")
    assert chat["post_count"] == 4  # alice, bob, and the two placeholders
    t2 = get_json(client, f"/api/v1/questions/{archive.t2.pk}/")
    assert t2["post_count"] == 2
    # A participant's count is of the posts that carry their name.
    assert get_json(client, f"/api/v1/participants/{archive.bob.pk}/")["post_count"] == 2


def test_an_author_whose_only_posts_were_withdrawn_is_not_listed(client, archive):
    post = archive.alice_post
    post.removed = Removal.AUTHOR_REQUEST
    post.save(update_fields=["removed"])
    assert archive.alice.pk not in ids_of(client, "/api/v1/participants/")
