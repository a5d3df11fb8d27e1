"""Cursor pagination: a walk through every page sees each row once, in a
stable order, even when rows share the ordering's first field."""
from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest

from chats.models import Post
from tests.api.conftest import get_json, ids_of
from tests.factories import ChatFactory, PostFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def many_posts(db):
    chat = ChatFactory(slug="hcsmca-200", number=200)
    # Seven posts per second for 9 seconds: ties in created_at, which the cursor's offset must get through.
    for n in range(63):
        PostFactory(chat=chat, created_at=chat.start + timedelta(seconds=n // 7))
    return chat


def test_walking_every_page_sees_each_post_once_in_order(client, many_posts):
    expected = list(Post.objects.filter(chat=many_posts).order_by("created_at", "id").values_list("pk", flat=True))
    for page_size in (1, 5, 7, 10, 50, 200):
        walked = ids_of(client, "/api/v1/posts/", chat="hcsmca-200", page_size=page_size)
        assert walked == expected, page_size


@pytest.mark.parametrize("page_size", [3, 7, 10, 13])
def test_walking_back_with_previous_gives_the_same_pages(client, many_posts, page_size):
    pages = [get_json(client, "/api/v1/posts/", chat="hcsmca-200", page_size=page_size)]
    while pages[-1]["next"]:
        pages.append(get_json(client, pages[-1]["next"]))
    assert len(pages) == -(-63 // page_size)
    back = pages[-1]
    for page in reversed(pages[:-1]):
        back = get_json(client, back["previous"])
        assert [row["id"] for row in back["results"]] == [row["id"] for row in page["results"]]
    assert back["previous"] is None
    # And forward again from a page reached backwards.
    assert get_json(client, back["next"])["results"] == pages[1]["results"]


def test_page_size_default_and_maximum(client, many_posts):
    assert len(get_json(client, "/api/v1/posts/")["results"]) == 50
    assert len(get_json(client, "/api/v1/posts/", page_size=5)["results"]) == 5
    # More than the maximum gives the maximum (200); nonsense gives the default.
    assert len(get_json(client, "/api/v1/posts/", page_size=100000)["results"]) == 63
    assert len(get_json(client, "/api/v1/posts/", page_size="lots")["results"]) == 50


def test_a_post_imported_during_a_walk_does_not_shift_it(client, many_posts):
    first = get_json(client, "/api/v1/posts/", chat="hcsmca-200", page_size=10)
    seen = [row["id"] for row in first["results"]]
    PostFactory(chat=many_posts, created_at=many_posts.start - timedelta(minutes=5))  # before everything
    page = get_json(client, first["next"])
    seen += [row["id"] for row in page["results"]]
    assert len(seen) == len(set(seen)) == 20


def _cursor(payload) -> str:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("payload", [
    "not json", "[]", {"k": "2019-01-16T18:00:00+00:00"}, {"k": []}, {"k": ["yesterday", 1]},
    {"k": ["9999-12-31T23:59:59-14:00", 1]}, {"k": ["0001-01-01T00:00:00+14:00", 1]},
    {"k": ["2019-01-16T18:00:00", 1]}, {"k": ["2019-01-16T18:00:00+00:00", 2**64]},
    {"k": ["2019-01-16T18:00:00+00:00", True]}, {"k": ["2019-01-16T18:00:00+00:00", [1]]},
    {"k": ["2019-01-16T18:00:00+00:00", 1], "r": 5}, {"k": ["2019-01-16T18:00:00+00:00", "\u0000"]},
])
def test_a_forged_cursor_answers_404_not_500(client, many_posts, payload):
    get_json(client, "/api/v1/posts/", status=404, cursor=_cursor(payload))
    get_json(client, "/api/v1/chats/", status=404, cursor=_cursor(payload))


def test_a_cursor_that_is_not_base64_answers_404(client, many_posts):
    for text in ("not base64 at all", "%%%", "x" * 5000):
        get_json(client, "/api/v1/posts/", status=404, cursor=text)


@pytest.mark.parametrize("payload", [{"k": ["abc"]}, {"k": [99999999999999999999999]}, {"k": [1.5]}, {"k": [1, 2]}])
def test_a_forged_cursor_on_an_id_ordering_answers_404(client, archive, payload):
    get_json(client, "/api/v1/participants/", status=404, cursor=_cursor(payload))


def test_a_well_formed_cursor_past_the_end_gives_an_empty_page_with_a_way_back(client, many_posts):
    # Far past any post: the factories' dates grow with every post made in the run.
    page = get_json(client, "/api/v1/posts/", cursor=_cursor({"k": ["9000-01-01T00:00:00+00:00", 1]}))
    assert page["results"] == [] and page["next"] is None
    back = get_json(client, page["previous"], page_size=5)
    assert len(back["results"]) == 5
