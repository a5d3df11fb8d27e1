"""The lists' filters, and 400 (never 500) for a value of the wrong kind."""
from __future__ import annotations

import pytest

from tests.api.conftest import get_json, ids_of

pytestmark = pytest.mark.django_db


def test_posts_by_series_chat_question_and_author(client, archive):
    a = archive
    in_116 = [a.alice_post.pk, a.bob_answer.pk, a.gone_post.pk, a.withdrawn_post.pk]
    assert ids_of(client, "/api/v1/posts/", chat="hcsmca-116") == in_116
    assert ids_of(client, "/api/v1/posts/", series="hcsmca") == in_116
    assert ids_of(client, "/api/v1/posts/", series="hcldr") == [a.deleted_post.pk]
    assert ids_of(client, "/api/v1/posts/", question=a.t1.pk) == [a.alice_post.pk, a.bob_answer.pk]
    assert ids_of(client, "/api/v1/posts/", author=a.bob.pk) == [a.bob_answer.pk, a.withdrawn_post.pk,
                                                                a.deleted_post.pk]
    assert ids_of(client, "/api/v1/posts/", removed="deleted") == [a.deleted_post.pk]
    assert ids_of(client, "/api/v1/posts/", platform="twitter", external_id=a.bob_answer.external_id) == [
        a.bob_answer.pk]
    # A hidden chat named in a filter is as unknown as a chat that does not exist.
    assert ids_of(client, "/api/v1/posts/", chat="hcsmca-900") == []
    assert ids_of(client, "/api/v1/posts/", question=a.hidden_question.pk) == []
    assert ids_of(client, "/api/v1/posts/", chat="no-such-chat") == []


def test_posts_by_date_range(client, archive):
    a = archive
    # 18:02 to 18:03 UTC, given with and without an offset.
    assert ids_of(client, "/api/v1/posts/", **{"from": "2019-01-16T18:02:00Z", "to": "2019-01-16T13:03:00-05:00"}) \
        == [a.bob_answer.pk, a.gone_post.pk]
    assert ids_of(client, "/api/v1/posts/", **{"from": "2019-01-16T18:04:00"}) == [a.withdrawn_post.pk,
                                                                                   a.deleted_post.pk]
    # A date is the whole day (UTC).
    assert ids_of(client, "/api/v1/posts/", **{"from": "2019-01-16", "to": "2019-01-16"}) == [
        a.alice_post.pk, a.bob_answer.pk, a.gone_post.pk, a.withdrawn_post.pk]
    assert ids_of(client, "/api/v1/posts/", to="2019-01-15") == []


def test_posts_search_uses_web_search_syntax(client, archive):
    a = archive
    assert ids_of(client, "/api/v1/posts/", q="pharmacist") == [a.bob_answer.pk]
    assert ids_of(client, "/api/v1/posts/", q='"public health unit"') == [a.alice_post.pk]
    assert ids_of(client, "/api/v1/posts/", q="hcsmca -pharmacist") == [a.alice_post.pk]
    assert ids_of(client, "/api/v1/posts/", q="pharmacist or health") == [a.alice_post.pk, a.bob_answer.pk]
    # The hidden chat's post matches too, but is not public.
    assert ids_of(client, "/api/v1/posts/", q="secret") == []
    assert ids_of(client, "/api/v1/posts/", q="-") == []


def test_chats_questions_participants_links_studies_summaries_comments(client, archive):
    a = archive
    assert ids_of(client, "/api/v1/chats/", series="hcldr") == [a.other_chat.pk]
    assert ids_of(client, "/api/v1/chats/", slug="hcsmca-116") == [a.chat.pk]
    assert ids_of(client, "/api/v1/chats/", tag="trust") == [a.chat.pk]
    assert ids_of(client, "/api/v1/chats/", **{"from": "2019-01-17"}) == [a.other_chat.pk]
    assert ids_of(client, "/api/v1/chats/", to="2019-01-16") == [a.chat.pk]
    assert ids_of(client, "/api/v1/series/", hashtag="hcldr") == [a.other_series.pk]
    assert ids_of(client, "/api/v1/questions/", chat="hcsmca-116") == [a.t1.pk, a.t2.pk]
    assert ids_of(client, "/api/v1/questions/", series="hcldr") == []
    assert ids_of(client, "/api/v1/participants/", chat="hcldr-5") == [a.bob.pk]
    assert ids_of(client, "/api/v1/participants/", series="hcsmca") == [a.alice.pk, a.bob.pk]
    assert ids_of(client, "/api/v1/participants/", handle="ALICE_RN") == [a.alice.pk]
    assert ids_of(client, "/api/v1/links/", chat="hcsmca-116") == [a.study_link.pk]
    assert ids_of(client, "/api/v1/links/", chat="hcldr-5") == []
    assert ids_of(client, "/api/v1/links/", is_study="true") == [a.study_link.pk]
    assert ids_of(client, "/api/v1/links/", is_study="false") == []
    assert ids_of(client, "/api/v1/links/", study=a.study.pk) == [a.study_link.pk]
    assert ids_of(client, "/api/v1/studies/", chat="hcsmca-116") == [a.study.pk]
    assert ids_of(client, "/api/v1/studies/", doi="10.2196/JMIR.4000") == [a.study.pk]
    assert ids_of(client, "/api/v1/studies/", series="hcldr") == []
    assert ids_of(client, "/api/v1/summaries/", chat="hcsmca-116") == [a.summary.pk]
    # The summary of the hidden chat is public, but not found through that chat.
    assert ids_of(client, "/api/v1/summaries/", chat="hcsmca-900") == []
    assert ids_of(client, "/api/v1/summaries/", q="trust") == [a.hidden_chat_summary.pk, a.summary.pk]
    assert ids_of(client, "/api/v1/summaries/", slug=a.summary.slug) == [a.summary.pk]
    assert len(ids_of(client, "/api/v1/comments/", summary=a.summary.pk)) == 2
    assert ids_of(client, "/api/v1/comments/", summary=a.draft.pk) == []


@pytest.mark.parametrize("url, params, name", [
    ("/api/v1/posts/", {"from": "yesterday"}, "from"),
    ("/api/v1/posts/", {"to": "2019-02-30"}, "to"),
    ("/api/v1/posts/", {"to": "0001-01-01T00:00:00+14:00"}, "to"),
    ("/api/v1/posts/", {"question": "T1"}, "question"),
    ("/api/v1/posts/", {"question": "1.5"}, "question"),
    ("/api/v1/posts/", {"author": "99999999999999999999"}, "author"),
    ("/api/v1/posts/", {"author": "0"}, "author"),
    ("/api/v1/posts/", {"platform": "myspace"}, "platform"),
    ("/api/v1/posts/", {"removed": "maybe"}, "removed"),
    ("/api/v1/posts/", {"q": "nul\x00byte"}, "q"),
    ("/api/v1/posts/", {"q": "x" * 301}, "q"),
    ("/api/v1/posts/", {"chat": "bad\x00slug"}, "chat"),
    ("/api/v1/links/", {"is_study": "perhaps"}, "is_study"),
    ("/api/v1/comments/", {"summary": "first"}, "summary"),
    ("/api/v1/chats/", {"from": "2019-13-01"}, "from"),
    ("/api/v1/participants/", {"series": "a\x00"}, "series"),
])
def test_a_bad_value_answers_400_naming_the_filter(client, archive, url, params, name):
    data = get_json(client, url, status=400, **params)
    assert name in data and data[name], data


def test_unknown_parameters_are_ignored(client, archive):
    assert len(ids_of(client, "/api/v1/chats/", colour="blue")) == 2
