"""`GET /chats/<slug>/transcript.json`: the export contract (architecture.md, section 4)."""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from chats.models import Chat
from tests.factories import ChatFactory, PostFactory, QuestionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("default_series_hcsmca")]

TOP_KEYS = {"chat", "questions", "posts"}
CHAT_KEYS = {"slug", "title", "series", "number", "start", "end"}
QUESTION_KEYS = {"label", "text", "parent", "post_count"}
POST_KEYS = {"id", "platform", "author", "created_at", "text", "question", "reply_to", "repost_of", "quote_of", "urls"}
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def test_document_has_exactly_the_contract_keys(client, imported_chat):
    response = client.get("/chats/hcsmca-116/transcript.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    document = response.json()
    assert set(document) == TOP_KEYS
    assert set(document["chat"]) == CHAT_KEYS
    assert document["questions"] and all(set(q) == QUESTION_KEYS for q in document["questions"])
    assert len(document["posts"]) == 6 and all(set(p) == POST_KEYS for p in document["posts"])


def test_chat_entry(client, imported_chat):
    chat = client.get("/chats/hcsmca-116/transcript.json").json()["chat"]

    assert chat == {
        "slug": "hcsmca-116",
        "title": "Trusting health information online",
        "series": "hcsmca",
        "number": 116,
        "start": "2019-01-16T20:00:00Z",
        "end": "2019-01-16T20:10:00Z",
    }


def test_question_entries(client, imported_chat):
    questions = client.get("/chats/hcsmca-116/transcript.json").json()["questions"]

    # T1 is counted on the post that asks it, the two "A1" answers (label),
    # Kate's reply to Jo's answer (reply chain) and the host's retweet of
    # Amir's answer (a retweet takes its original's question): 5. T2 only on
    # the post that asks it: nothing comes after it.
    assert questions == [
        {"label": "T1", "text": "How do you decide which health information online you can trust? #hcsmca",
         "parent": None, "post_count": 5},
        {"label": "T2", "text": "What would help patients tell good health information from bad? #hcsmca",
         "parent": None, "post_count": 1},
    ]


def test_post_entries(client, imported_chat):
    posts = client.get("/chats/hcsmca-116/transcript.json").json()["posts"]

    assert [p["id"] for p in posts] == [
        "1085624398153904128", "1085624902431494145", "1085625154618208256",
        "1085625406801723392", "1085625658984456193", "1085626917472837632",
    ]
    for post in posts:
        assert isinstance(post["id"], str)
        assert post["platform"] == "twitter"
        assert ISO_UTC.match(post["created_at"]), post["created_at"]
        for key in ("reply_to", "repost_of", "quote_of"):
            assert post[key] is None or isinstance(post[key], str)
    question, jo, amir, reply, retweet, t2 = posts
    assert question == {
        "id": "1085624398153904128", "platform": "twitter", "author": "hcsmca_mod",
        "created_at": "2019-01-16T20:00:00Z",
        "text": "T1: How do you decide which health information online you can trust? #hcsmca",
        "question": "T1", "reply_to": None, "repost_of": None, "quote_of": None, "urls": [],
    }
    assert (jo["author"], jo["question"]) == ("nurse_jo", "T1")
    assert jo["text"] == "A1 I check who wrote it & who paid for it. Sponsorship matters #hcsmca"
    assert amir["question"] == "T1"
    assert amir["urls"] == [
        "https://www.cochranelibrary.com/about/about-cochrane-reviews?utm_source=twitter&utm_medium=social"
    ]
    assert reply["reply_to"] == "1085624902431494145" and reply["repost_of"] is None
    assert reply["question"] == "T1"  # Jo's answer, which it replies to
    assert retweet["repost_of"] == "1085625154618208256"
    assert retweet["question"] == "T1"  # Amir's answer, which it retweets
    assert retweet["created_at"] == "2019-01-16T20:05:00Z"
    assert t2["repost_of"] is None
    assert t2["question"] == "T2"


def test_times_are_utc_whatever_the_stored_zone(client):
    chat = ChatFactory(slug="hcsmca-300", number=300, start=datetime(2019, 7, 3, 17, 0, 30, tzinfo=UTC),
                       end=datetime(2019, 7, 3, 18, 0, tzinfo=UTC))
    PostFactory(chat=chat, external_id="1146465000000000001", created_at=datetime(2019, 7, 3, 17, 5, 0, 250000, tzinfo=UTC))

    document = client.get("/chats/hcsmca-300/transcript.json").json()

    assert (document["chat"]["start"], document["chat"]["end"]) == ("2019-07-03T17:00:30Z", "2019-07-03T18:00:00Z")
    assert document["posts"][0]["created_at"] == "2019-07-03T17:05:00.250000Z"


def test_sub_questions_name_their_parent(client):
    chat = ChatFactory(slug="hcsmca-301", number=301)
    t1 = QuestionFactory(chat=chat, label="T1", text="Where do you look first?", position=0)
    QuestionFactory(chat=chat, label="T1a", text="And for your family?", position=1, parent=t1)

    questions = client.get("/chats/hcsmca-301/transcript.json").json()["questions"]

    assert [(q["label"], q["parent"]) for q in questions] == [("T1", None), ("T1a", "T1")]


def test_hidden_chat_is_not_exported(client):
    chat = ChatFactory(slug="hcsmca-302", number=302, visibility=Chat.Visibility.HIDDEN)
    PostFactory(chat=chat)

    assert client.get("/chats/hcsmca-302/transcript.json").status_code == 404
    assert client.get("/chats/hcsmca-999/transcript.json").status_code == 404
