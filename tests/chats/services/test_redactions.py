"""Redacting an author and marking posts deleted (chats.services.redactions),
and that imports afterwards bring nothing back."""
from __future__ import annotations

import io
import json

import pytest

from chats.models import Author, Chat, Link, Post, PostTombstone, Question, Redaction, RemovalRequest
from chats.services.imports import SourceFile, transcript_import
from chats.services.redactions import author_redact, posts_mark_deleted
from tests.chats.services.test_imports import (
    A1_AMIR_ID, A1_JO_ID, ALL_IDS, COCHRANE, REPLY_ID, RETWEET_ID, T1_ID, T2_ID, jsonl, statuses,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("default_series_hcsmca")]


def run_import(data: bytes):
    return transcript_import(sources=[SourceFile("chat.jsonl", io.BytesIO(data))])


@pytest.fixture
def archived(small_chat_path) -> bytes:
    data = small_chat_path.read_bytes()
    assert run_import(data).status == "succeeded"
    return data


def author(handle: str) -> Author:
    return Author.objects.get(handle=handle)


def everything_stored_about(post: Post) -> str:
    return json.dumps([post.text, post.url, post.urls, post.mentions, post.hashtags, post.media, post.original]).lower()


def test_redacting_an_author_leaves_placeholders_and_logs_it(archived, moderator):
    amir = author("dr_amir")
    chat = Chat.objects.get()
    version = chat.content_version
    request = RemovalRequest.objects.create(platform="twitter", handle="dr_amir", email="amir@example.org")

    redaction = author_redact(author_id=amir.pk, reason="asked by email", performed_by=moderator,
                              removal_request_id=request.pk)

    amir.refresh_from_db()
    assert (amir.handle, amir.display_name, amir.profile_url, amir.avatar_url) == ("", "", "", "")
    assert amir.redacted_at is not None
    assert amir.platform_id  # kept: it is how later imports recognise them
    answer = Post.objects.get(external_id=A1_AMIR_ID)
    assert answer.removed == "author_request" and answer.removed_at is not None
    assert (answer.text, answer.url, answer.urls, answer.original) == ("", "", [], {})
    # The moderator's retweet of it is his words too.
    retweet = Post.objects.get(external_id=RETWEET_ID)
    assert retweet.removed == "author_request"
    assert "amir" not in everything_stored_about(retweet)
    # Structure and counts stay: same rows, same chat, same authors of the rest.
    assert Post.objects.count() == len(ALL_IDS)
    assert answer.chat_id == chat.pk and answer.author_id == amir.pk
    assert Link.objects.get(url__startswith=COCHRANE).share_count == 0
    assert set(PostTombstone.objects.values_list("external_id", "reason")) == {
        (A1_AMIR_ID, "author_request"), (RETWEET_ID, "author_request")}
    assert (redaction.kind, redaction.handle, redaction.post_count, redaction.performed_by) == (
        "author", "dr_amir", 1, moderator)
    request.refresh_from_db()
    assert (request.status, request.author, request.handled_by) == ("redacted", amir, moderator)
    chat.refresh_from_db()
    assert chat.content_version > version
    # Nothing of theirs is left in any post.
    for post in Post.objects.all():
        assert "dr_amir" not in everything_stored_about(post)


def test_mentions_of_a_redacted_author_are_scrubbed_from_others_posts(archived):
    author_redact(author_id=author("nurse_jo").pk, reason="asked")

    reply = Post.objects.get(external_id=REPLY_ID)
    assert reply.removed == ""  # Kate's own words stay
    assert reply.text.startswith("@[removed] So true")
    assert reply.mentions == ["[removed]"]
    assert "nurse_jo" not in json.dumps(reply.original).lower()
    assert reply.original["in_reply_to_screen_name"] == "[removed]"
    assert reply.original["user"]["screen_name"] == "survivor_kate"


def test_a_reimport_brings_nothing_back_and_changes_nothing(archived):
    author_redact(author_id=author("dr_amir").pk, reason="asked")
    author_redact(author_id=author("nurse_jo").pk, reason="asked")
    before = {post.external_id: everything_stored_about(post) for post in Post.objects.all()}

    outcome = run_import(archived)

    assert outcome.status == "succeeded"
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 0, len(ALL_IDS))
    assert {post.external_id: everything_stored_about(post) for post in Post.objects.all()} == before
    assert not Author.objects.filter(handle__in=["dr_amir", "nurse_jo"]).exists()
    assert Author.objects.filter(redacted_at__isnull=False, handle="").count() == 2
    assert Link.objects.get(url__startswith=COCHRANE).share_count == 0


def test_new_posts_of_a_redacted_author_arrive_as_placeholders(archived, small_chat_path):
    author_redact(author_id=author("nurse_jo").pk, reason="asked")
    later = statuses(small_chat_path)
    jo = next(value for value in later if value["id_str"] == A1_JO_ID)
    jo.update(id=1085699999999999999, id_str="1085699999999999999", full_text="A2 another answer, from Jo")

    outcome = run_import(jsonl([jo]))

    assert outcome.created == 1
    new = Post.objects.get(external_id="1085699999999999999")
    assert (new.removed, new.text, new.original) == ("author_request", "", {})
    assert new.author.redacted_at is not None and new.author.handle == ""
    assert PostTombstone.objects.filter(external_id="1085699999999999999", reason="author_request").exists()


def test_a_question_asked_by_a_redacted_author_keeps_its_label_not_its_words(archived):
    question = Question.objects.get(label="T1")
    assert question.text

    author_redact(author_id=author("hcsmca_mod").pk, reason="asked")

    question.refresh_from_db()
    assert (question.label, question.text) == ("T1", "")
    assert Post.objects.get(external_id=T1_ID).removed == "author_request"


def test_posts_deleted_on_their_platform_stay_deleted(archived, small_chat_path):
    unknown = "1085627000000000000"

    redaction = posts_mark_deleted(platform="twitter", external_ids=[T2_ID, unknown, " "], source_name="deleted.txt")

    assert (redaction.kind, redaction.post_count) == ("deletion_list", 1)
    t2 = Post.objects.get(external_id=T2_ID)
    assert (t2.removed, t2.text, t2.original) == ("deleted", "", {})
    assert t2.author.handle == "hcsmca_mod"  # a deleted post's author is not redacted
    assert set(PostTombstone.objects.values_list("external_id", flat=True)) == {T2_ID, unknown}

    # A later file holds both: the deleted one stays blank, the unknown one arrives blank.
    values = statuses(small_chat_path)
    extra = dict(next(value for value in values if value["id_str"] == T2_ID), id=int(unknown), id_str=unknown)
    outcome = run_import(jsonl([*values, extra]))

    assert (outcome.created, outcome.updated) == (1, 0)
    assert Post.objects.get(external_id=T2_ID).text == ""
    arrived = Post.objects.get(external_id=unknown)
    assert (arrived.removed, arrived.text) == ("deleted", "")


def test_bundles_holding_removed_posts_stop_being_served_at_once(archived, django_capture_on_commit_callbacks):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from chats.models import DatasetBundle

    chat = Chat.objects.get()
    chat_bundle = DatasetBundle.objects.create(chat=chat, status=DatasetBundle.Status.READY)
    chat_bundle.file.save("redaction-test-chat.zip", ContentFile(b"old words"))
    series_bundle = DatasetBundle.objects.create(series=chat.series, status=DatasetBundle.Status.READY)
    series_bundle.file.save("redaction-test-series.zip", ContentFile(b"old words"))
    names = [chat_bundle.file.name, series_bundle.file.name]

    with django_capture_on_commit_callbacks(execute=True):
        author_redact(author_id=author("dr_amir").pk, reason="asked")

    assert not DatasetBundle.objects.exists()
    assert not any(default_storage.exists(name) for name in names)
