"""questions_from_labels: hosts' "T1:" posts become questions, "A1" answers are assigned."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chats.models import Post, Question
from chats.services.questions import questions_from_labels
from tests.factories import AuthorFactory, ChatFactory, PostFactory, QuestionFactory

pytestmark = pytest.mark.django_db

HOSTS = {"HCSMca_mod"}  # handles compare case-insensitively


@pytest.fixture
def chat():
    return ChatFactory(number=116, title="Trusting health information online")


@pytest.fixture
def people():
    return {
        "host": AuthorFactory(handle="hcsmca_mod", display_name="HCSM Canada chat"),
        "jo": AuthorFactory(handle="nurse_jo", display_name="Jo Tremblay, RN"),
        "amir": AuthorFactory(handle="dr_amir", display_name="Dr. Amir Haddad"),
        "kate": AuthorFactory(handle="survivor_kate", display_name="Kate • survivor"),
    }


@pytest.fixture
def posts(chat, people):
    """A chat's posts, keyed by a short name, at one minute apart in this order."""
    script = [
        ("welcome", "host", "Welcome to #hcsmca! Introduce yourselves."),
        ("fake_t1", "kate", "T1: is this where we start? #hcsmca"),
        ("t1", "host", "T1: How do you decide which health information online you can trust? #hcsmca"),
        ("a1", "jo", "A1 I check who wrote it & who paid for it #hcsmca"),
        ("a1_reply", "amir", "@nurse_jo @survivor_kate A1 agreed, and when it was last updated"),
        ("t1a", "host", "T1a: And what about information shared by other patients? #hcsmca"),
        ("a1a", "kate", "@someone A1a peers helped me most after treatment #hcsmca"),
        ("t2", "host", "T2) What would help patients tell good information from bad? #hcsmca"),
        ("a2", "jo", "a2: a checklist on the clinic wall #hcsmca"),
        ("moderated", "amir", "A2 a librarian on every ward"),
        ("chatter", "kate", "Agreed, great chat everyone #hcsmca"),
        ("a3", "amir", "A3 there is no T3 tonight"),
    ]
    made = {}
    for minute, (name, who, text) in enumerate(script):
        made[name] = PostFactory(chat=chat, author=people[who], text=text,
                                 created_at=chat.start + timedelta(minutes=minute))
    return made


def test_questions_are_created_from_host_posts_in_order(chat, posts):
    questions_from_labels(chat=chat, host_handles=HOSTS)

    questions = list(chat.questions.order_by("position"))
    assert [(q.label, q.position) for q in questions] == [("T1", 0), ("T1a", 1), ("T2", 2)]
    t1, t1a, t2 = questions
    assert t1.text == "How do you decide which health information online you can trust? #hcsmca"
    assert t1.asked_by == posts["t1"] and t1.asked_at == posts["t1"].created_at
    assert t1a.parent == t1 and t1a.asked_by == posts["t1a"]
    assert t1.parent is None and t2.parent is None
    assert t2.text == "What would help patients tell good information from bad? #hcsmca"


def test_a_participant_cannot_ask_a_question(chat, people):
    PostFactory(chat=chat, author=people["kate"], text="T1: what do you all think? #hcsmca")

    assert questions_from_labels(chat=chat, host_handles=HOSTS) == 0
    assert not chat.questions.exists()


def test_labelled_answers_are_assigned(chat, posts):
    assigned = questions_from_labels(chat=chat, host_handles=HOSTS)

    labels = {
        name: (post.question.label if post.question else None, post.question_source)
        for name, post in ((name, Post.objects.select_related("question").get(pk=p.pk)) for name, p in posts.items())
    }
    assert labels["a1"] == ("T1", "label")
    assert labels["a1_reply"] == ("T1", "label")
    assert labels["a1a"] == ("T1a", "label")
    assert labels["a2"] == ("T2", "label")
    assert labels["moderated"] == ("T2", "label")
    for name in ("welcome", "fake_t1", "t1", "t1a", "t2", "chatter", "a3"):
        assert labels[name] == (None, ""), name
    assert assigned == 5


def test_a_moderator_assignment_is_left_alone(chat, posts):
    t9 = QuestionFactory(chat=chat, label="T9", text="Set by a moderator", position=9)
    Post.objects.filter(pk=posts["moderated"].pk).update(question=t9, question_source=Post.QuestionSource.MODERATOR)

    questions_from_labels(chat=chat, host_handles=HOSTS)

    moderated = Post.objects.get(pk=posts["moderated"].pk)
    assert (moderated.question_id, moderated.question_source) == (t9.pk, "moderator")
    assert Post.objects.get(pk=posts["a2"].pk).question.label == "T2"


def test_a_question_set_by_a_moderator_keeps_its_text(chat, posts):
    QuestionFactory(chat=chat, label="T1", text="Trust online: how do you decide?", position=5)

    questions_from_labels(chat=chat, host_handles=HOSTS)

    t1 = chat.questions.get(label="T1")
    assert t1.text == "Trust online: how do you decide?"
    assert t1.position == 0
    assert Post.objects.get(pk=posts["a1"].pk).question == t1


def test_retweets_of_questions_and_answers_are_not_read(chat, people, posts):
    t1 = posts["t1"]
    retweet = PostFactory(chat=chat, author=people["host"], text=f"RT @hcsmca_mod: {t1.text}",
                          repost_of=t1, repost_of_external_id=t1.external_id,
                          created_at=chat.start + timedelta(minutes=30))
    rt_answer = PostFactory(chat=chat, author=people["jo"], text="A1 retweeted", repost_of=posts["a1"],
                            repost_of_external_id=posts["a1"].external_id, created_at=chat.start + timedelta(minutes=31))

    questions_from_labels(chat=chat, host_handles=HOSTS)

    assert chat.questions.get(label="T1").asked_by == t1
    assert Post.objects.get(pk=retweet.pk).question is None
    assert Post.objects.get(pk=rt_answer.pk).question is None


def test_running_twice_changes_nothing(chat, posts):
    questions_from_labels(chat=chat, host_handles=HOSTS)
    questions_before = list(chat.questions.order_by("pk").values())
    posts_before = list(chat.posts.order_by("pk").values("pk", "question_id", "question_source"))

    assert questions_from_labels(chat=chat, host_handles=HOSTS) == 0

    assert list(chat.questions.order_by("pk").values()) == questions_before
    assert list(chat.posts.order_by("pk").values("pk", "question_id", "question_source")) == posts_before
    assert Question.objects.count() == 3


def test_other_chats_are_not_touched(chat, posts, people):
    other = ChatFactory(number=117)
    other_answer = PostFactory(chat=other, author=people["jo"], text="A1 in another chat")
    QuestionFactory(chat=other, label="T1")

    questions_from_labels(chat=chat, host_handles=HOSTS)

    assert Post.objects.get(pk=other_answer.pk).question is None
    assert other.questions.count() == 1
