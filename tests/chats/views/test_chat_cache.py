"""The chat page's conditional GET (ETag, Last-Modified, 304) and its Redis
fragment cache, invalidated by imports, question changes and admin edits."""
from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.test import override_settings
from django.utils.http import http_date

from chats.models import Chat, Post, Question
from chats.services.imports import SourceFile, transcript_import
from chats.services.questions import post_question_set
from tests.chats.test_admin import _post_form

pytestmark = pytest.mark.django_db

URL = "/chats/hcsmca-116/"


def get(client, params=None, **headers):
    return client.get(URL, params or {}, headers=headers)


def test_the_page_has_validators_and_answers_304_to_a_match(client, imported_chat, django_assert_num_queries):
    first = get(client)
    assert first.status_code == 200
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag.startswith('"') and etag.endswith('"')
    assert "no-cache" in first.headers["Cache-Control"]

    # One query (the chat and its summary), then nothing is rendered.
    with django_assert_num_queries(1):
        again = get(client, if_none_match=etag)
    assert again.status_code == 304 and again.content == b""
    with django_assert_num_queries(1):
        assert get(client, if_modified_since=last_modified).status_code == 304
    assert get(client, if_none_match='"something-else"').status_code == 200
    older = http_date(imported_chat.content_changed_at.timestamp() - 3600)
    assert get(client, if_modified_since=older).status_code == 200


def another_answer(tmp_path, small_chat_path, *, text: str):
    """A file of one new answer, shaped like the fixture's statuses."""
    first = json.loads(small_chat_path.read_text().splitlines()[1])
    first.update(id=1085624902431499999, id_str="1085624902431499999", full_text=text,
                 created_at="Wed Jan 16 20:09:00 +0000 2019")
    path = tmp_path / "more.jsonl"
    path.write_text(json.dumps(first) + "\n")
    return path


def test_an_import_changes_the_etag_and_the_page_shows_the_new_post(client, imported_chat, tmp_path, small_chat_path):
    before = get(client)
    get(client, {"order": "time"})  # both orders cached
    assert "A1 Cochrane summaries first" not in before.content.decode()

    path = another_answer(tmp_path, small_chat_path, text="A1 Cochrane summaries first #hcsmca")
    with path.open("rb") as stream:
        assert transcript_import(sources=[SourceFile(path.name, stream)], chat_slug="hcsmca-116").status == "succeeded"

    after = get(client, if_none_match=before.headers["ETag"])
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    assert "A1 Cochrane summaries first" in after.content.decode()
    assert "A1 Cochrane summaries first" in get(client, {"order": "time"}).content.decode()


def test_a_question_reassignment_changes_the_page(client, imported_chat):
    t1, t2 = Question.objects.filter(chat=imported_chat, label__in=["T1", "T2"]).order_by("label")
    post = Post.objects.filter(chat=imported_chat, question=t1, repost_of_external_id="").exclude(asks=t1).first()
    before = get(client)
    assert f'id="post-{post.external_id}"' in section(before, "T1")

    post_question_set(post=post, question=t2)

    after = get(client, if_none_match=before.headers["ETag"])
    assert after.status_code == 200
    assert f'id="post-{post.external_id}"' in section(after, "T2")
    assert f'id="post-{post.external_id}"' not in section(after, "T1")


def test_an_admin_edit_changes_the_page(moderator_client, imported_chat):
    client = moderator_client
    post = Post.objects.filter(chat=imported_chat, repost_of_external_id="").order_by("created_at").last()
    before = get(client)

    form = _post_form(post)
    form["text"] = "Edited by a moderator: spelling"
    response = client.post(f"/admin/chats/post/{post.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]

    after = get(client, if_none_match=before.headers["ETag"])
    assert after.status_code == 200
    assert "Edited by a moderator: spelling" in after.content.decode()


def section(response, anchor: str) -> str:
    import re

    html = response.content.decode()
    match = re.search(rf'<section class="transcript-section[^"]*" id="{anchor}".*?</section>', html, re.S)
    assert match, anchor
    return match.group(0)


@pytest.mark.parametrize("order", ["question", "time"])
def test_a_cached_page_equals_an_uncached_one(client, imported_chat, order, django_assert_max_num_queries):
    cold = get(client, {"order": order})
    with django_assert_max_num_queries(1):  # warm: the chat only
        warm = get(client, {"order": order})
    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}):
        uncached = get(client, {"order": order})

    assert cold.content == warm.content == uncached.content
    assert cold.headers["ETag"] == warm.headers["ETag"] == uncached.headers["ETag"]


def test_the_page_renders_from_the_database_when_redis_is_down(client, imported_chat, caplog):
    healthy = get(client).content
    # Port 9 (discard) has no Redis here: every cache call fails to connect.
    down = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                        "LOCATION": "redis://127.0.0.1:9/0", "KEY_PREFIX": "hcsmca"}}
    with override_settings(CACHES=down), caplog.at_level(logging.WARNING, logger="chats.chat_transcript"):
        assert caches["default"]._cache._servers == ["redis://127.0.0.1:9/0"]  # the reset cache is the closed one
        response = get(client)
        time_order = get(client, {"order": "time"})

    assert response.status_code == 200 and time_order.status_code == 200
    assert response.content == healthy
    assert any("chat page cache: get" in message for message in caplog.messages)
    assert any("chat page cache: set" in message for message in caplog.messages)


def test_a_summary_published_changes_the_etag(client, imported_chat):
    from django.utils import timezone

    from summaries.models import Summary

    before = get(client)
    summary = Summary.objects.create(chat=imported_chat, title="What we learned", slug="learned-116",
                                     status=Summary.Status.PUBLISHED, published_at=timezone.now() - timedelta(minutes=1))

    after = get(client, if_none_match=before.headers["ETag"])
    assert after.status_code == 200
    assert f'href="{summary.get_absolute_url()}"' in after.content.decode()
    assert Chat.objects.get(pk=imported_chat.pk).content_version == imported_chat.content_version


def test_a_cached_page_renders_no_template_and_keeps_each_requests_own_uri(client, imported_chat, settings):
    """The finished page is cached whole, but the absolute URI base.html
    shows (canonical link, og:url) is the request's: its host and query
    string are never served to another request."""
    settings.ALLOWED_HOSTS = ["archive.example.org", "mirror.example.net"]
    cold = client.get(URL, {"order": "time"}, headers={"host": "archive.example.org"})
    assert cold.templates  # rendered
    warm = client.get(URL, {"order": "time", "utm_source": "<x>"}, headers={"host": "mirror.example.net"})

    assert warm.status_code == 200
    assert not warm.templates  # served from the cache
    html = warm.content.decode()
    own = 'http://mirror.example.net/chats/hcsmca-116/?order=time&amp;utm_source=%3Cx%3E'
    assert f'<link rel="canonical" href="{own}">' in html
    assert f'<meta property="og:url" content="{own}">' in html
    assert "archive.example.org" not in html and "\ue010" not in html
    # Apart from the URI, the very page rendered for the first request.
    assert html.replace("mirror.example.net", "archive.example.org").replace(
        "&amp;utm_source=%3Cx%3E", "") == cold.content.decode()
    assert warm.headers["ETag"] == cold.headers["ETag"]
    assert warm.headers["Content-Type"] == cold.headers["Content-Type"]


def test_a_release_with_other_static_files_renders_the_page_again(client, imported_chat, settings, tmp_path):
    """The cached page holds the hashed names of the static files: pages
    cached before a release must not be served by the one after it."""
    from chats import chat_transcript

    settings.STATIC_ROOT = tmp_path
    (tmp_path / "staticfiles.json").write_text('{"paths": {"css/site.css": "css/site.1111.css"}}')
    chat_transcript.release_fingerprint.cache_clear()
    try:
        assert get(client).templates
        assert not get(client).templates  # cached
        (tmp_path / "staticfiles.json").write_text('{"paths": {"css/site.css": "css/site.2222.css"}}')
        chat_transcript.release_fingerprint.cache_clear()  # a new process
        assert get(client).templates  # rendered again
    finally:
        chat_transcript.release_fingerprint.cache_clear()
