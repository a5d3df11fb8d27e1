"""Cutting a capture of many sessions into chats (chats.services.sessions).

tests/fixtures/import_service/sessions_capture.jsonl is a made-up #pxchat
capture, in time order, of:

- three sessions on Fridays 1, 8 and 15 March 2019 at 13:00 in New York
  (18:00 UTC, 18:00 UTC, then 17:00 UTC: daylight saving time began on
  10 March), 20 posts each, three minutes apart: a welcome, T1, T2 and T3
  by @pxchat_host, answers by four participants;
- a stray post on Tuesday 5 March at 10:15 and one on Tuesday 12 March at 16:40;
- an evening follow-up of 12 posts, two minutes apart, from 18:00 on 8 March.
"""
from __future__ import annotations

import io
import re
from datetime import UTC, datetime, time, timedelta

import pytest

from chats.models import Chat, Post
from chats.services.imports import SourceFile, transcript_import
from tests.conftest import IMPORT_FIXTURES
from tests.factories import SeriesFactory

pytestmark = pytest.mark.django_db

CAPTURE = IMPORT_FIXTURES / "sessions_capture.jsonl"
SESSION_STARTS = [datetime(2019, 3, 1, 18, 0, tzinfo=UTC), datetime(2019, 3, 8, 18, 0, tzinfo=UTC),
                  datetime(2019, 3, 15, 17, 0, tzinfo=UTC)]
STRAYS = {"Still thinking about Friday's #pxchat on waiting rooms", "Reminder: #pxchat is on Friday at 1pm ET"}


def run_import(data: bytes, **options):
    return transcript_import(sources=[SourceFile("pxchat.jsonl", io.BytesIO(data), len(data))],
                             series_hashtag="pxchat", **options)


@pytest.fixture
def unscheduled_series():
    return SeriesFactory(hashtag="pxchat", name="Patient experience chat", timezone="America/New_York",
                         weekday=None, start_time=None)


@pytest.fixture
def scheduled_series():
    return SeriesFactory(hashtag="pxchat", name="Patient experience chat", timezone="America/New_York",
                         weekday=4, start_time=time(13, 0), duration=timedelta(hours=1))


def outside_posts():
    return Post.objects.filter(chat__isnull=True)


def assert_three_sessions_and_fourteen_outside(outcome):
    assert outcome.status == "succeeded"
    assert (outcome.created, outcome.skipped) == (74, 0)
    assert outcome.chats == outcome.new_chats == ["pxchat-1", "pxchat-2", "pxchat-3"]
    assert outcome.outside == 14
    assert {"record": None, "message": "14 posts fall outside any session of #pxchat: they are kept, but shown on "
                                       "no chat page"} in outcome.errors
    chats = list(Chat.objects.order_by("start"))
    # Numbered in time order.
    assert [(chat.slug, chat.number) for chat in chats] == [("pxchat-1", 1), ("pxchat-2", 2), ("pxchat-3", 3)]
    for chat, start in zip(chats, SESSION_STARTS, strict=True):
        posts = list(chat.posts.order_by("created_at"))
        assert len(posts) == 20
        assert (posts[0].created_at, posts[-1].created_at) == (start, start + timedelta(minutes=57))
        assert posts[0].text.startswith("Welcome to #pxchat!")
        assert list(chat.questions.values_list("label", flat=True)) == ["T1", "T2", "T3"]
    outside = outside_posts()
    assert outside.count() == 14
    texts = set(outside.values_list("text", flat=True))
    assert STRAYS <= texts
    assert sum(text.startswith("Evening follow-up") for text in texts) == 12
    assert all(post.question_id is None for post in outside)


def test_split_sessions_cuts_a_capture_into_one_chat_per_session(unscheduled_series):
    outcome = run_import(CAPTURE.read_bytes(), split_sessions=True)

    assert_three_sessions_and_fourteen_outside(outcome)
    # Without a schedule a chat spans its posts.
    assert [(c.start, c.end) for c in Chat.objects.order_by("start")] == [
        (start, start + timedelta(minutes=57)) for start in SESSION_STARTS]


def test_posts_outside_any_session_are_on_no_chat_page(client, unscheduled_series):
    run_import(CAPTURE.read_bytes(), split_sessions=True)
    outside_ids = set(outside_posts().values_list("external_id", flat=True))
    assert len(outside_ids) == 14

    for chat in Chat.objects.all():
        response = client.get(f"/chats/{chat.slug}/")
        assert response.status_code == 200
        shown = set(re.findall(r'<li id="post-(\d+)" class="post', response.content.decode()))
        assert shown == set(chat.posts.values_list("external_id", flat=True))
        assert len(shown) == 20
        assert not shown & outside_ids
        document = client.get(f"/chats/{chat.slug}/transcript.json").json()
        assert not {post["id"] for post in document["posts"]} & outside_ids


def test_a_reimport_of_the_capture_changes_nothing(unscheduled_series):
    run_import(CAPTURE.read_bytes(), split_sessions=True)
    before = list(Post.objects.order_by("external_id").values_list("external_id", "chat_id", "question_id"))
    chats_before = list(Chat.objects.order_by("pk").values_list("pk", "slug", "start", "end"))

    outcome = run_import(CAPTURE.read_bytes(), split_sessions=True)

    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 0, 74)
    assert outcome.new_chats == []
    assert outcome.chats == ["pxchat-1", "pxchat-2", "pxchat-3"]
    assert list(Chat.objects.order_by("pk").values_list("pk", "slug", "start", "end")) == chats_before
    assert list(Post.objects.order_by("external_id").values_list("external_id", "chat_id", "question_id")) == before
    assert outside_posts().count() == 14


def test_a_later_capture_reuses_the_chats_it_overlaps(unscheduled_series):
    lines = CAPTURE.read_bytes().splitlines(keepends=True)
    first_two_weeks = b"".join(lines[:54])  # sessions 1 and 2, the strays and the evening follow-up
    first = run_import(first_two_weeks, split_sessions=True)
    assert (first.new_chats, first.outside) == (["pxchat-1", "pxchat-2"], 14)

    outcome = run_import(CAPTURE.read_bytes(), split_sessions=True)

    assert (outcome.created, outcome.unchanged) == (20, 54)
    assert outcome.new_chats == ["pxchat-3"]
    assert outcome.outside == 0  # the 14 were outside already; nothing new is
    assert Chat.objects.count() == 3
    assert [chat.posts.count() for chat in Chat.objects.order_by("start")] == [20, 20, 20]
    assert outside_posts().count() == 14


def test_a_dry_run_names_the_chats_it_would_create(unscheduled_series, row_counts):
    before = row_counts()

    outcome = run_import(CAPTURE.read_bytes(), split_sessions=True, dry_run=True)

    assert outcome.new_chats == ["pxchat-1", "pxchat-2", "pxchat-3"]
    assert (outcome.created, outcome.outside) == (74, 14)
    assert (outcome.first_post_at, outcome.last_post_at) == (SESSION_STARTS[0], SESSION_STARTS[2] + timedelta(minutes=57))
    assert row_counts() == before


def test_without_split_sessions_an_unscheduled_capture_is_one_chat(unscheduled_series):
    outcome = run_import(CAPTURE.read_bytes())

    assert (outcome.chats, outcome.outside) == (["pxchat-1"], 0)
    assert Chat.objects.get().posts.count() == 74


# --- a series with a schedule -------------------------------------------------------

def test_a_series_with_a_schedule_is_cut_by_it_without_being_asked(scheduled_series):
    assert scheduled_series.has_schedule

    outcome = run_import(CAPTURE.read_bytes())

    assert_three_sessions_and_fourteen_outside(outcome)


def test_a_reimport_into_a_scheduled_series_changes_nothing(scheduled_series):
    run_import(CAPTURE.read_bytes())
    before = list(Post.objects.order_by("external_id").values_list("external_id", "chat_id"))

    outcome = run_import(CAPTURE.read_bytes(), split_sessions=True)

    assert (outcome.created, outcome.updated, outcome.unchanged, outcome.new_chats) == (0, 0, 74, [])
    assert Chat.objects.count() == 3
    assert list(Post.objects.order_by("external_id").values_list("external_id", "chat_id")) == before


def test_a_capture_outside_the_schedule_makes_no_chat(scheduled_series):
    # The Tuesday strays and the evening follow-up alone: no session in them.
    lines = CAPTURE.read_bytes().splitlines(keepends=True)
    off_schedule = b"".join(line for line in lines if b"Evening follow-up" in line or b"Reminder" in line
                            or b"Still thinking" in line)

    outcome = run_import(off_schedule)

    assert outcome.status == "succeeded"
    assert (outcome.created, outcome.outside, outcome.chats) == (14, 14, [])
    assert not Chat.objects.exists()


def test_a_scheduled_chat_starts_at_its_scheduled_time(scheduled_series):
    run_import(CAPTURE.read_bytes())

    assert [chat.start for chat in Chat.objects.order_by("start")] == SESSION_STARTS
