"""questions_assign: the hosts' "T1:" posts become questions; every other post
is placed by its label, its reply chain, the post it retweets, or the time
window, and how is stored in Post.question_source."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chats.models import Post, Question
from chats.services.questions import questions_assign
from tests.factories import AuthorFactory, ChatFactory, PostFactory, QuestionFactory, SeriesFactory

pytestmark = pytest.mark.django_db


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


# (name, author, text, reply to / retweet of): one minute apart, in this order.
SCRIPT = [
    ("welcome", "host", "Welcome to #hcsmca! Introduce yourselves.", None),
    ("intro", "kate", "Hi all, Kate from Halifax #hcsmca", None),
    ("t1", "host", "T1: How do you decide which health information online you can trust? #hcsmca", None),
    ("a1", "jo", "A1 I check who wrote it & who paid for it #hcsmca", None),
    ("a1_mentions", "amir", "@nurse_jo @survivor_kate A1 agreed, and when it was last updated", None),
    ("reply_to_a1", "kate", "@nurse_jo so true, funding matters", ("reply", "a1")),
    ("t1a", "host", "T1a: And what about information shared by other patients? #hcsmca", None),
    ("a1a", "kate", "@someone A1a peers helped me most after treatment #hcsmca", None),
    # Asked after T1a, but it answers Jo's A1: the reply chain wins over the time.
    ("late_reply", "amir", "@nurse_jo also check the date on the page", ("reply", "a1")),
    ("nested_reply", "jo", "@dr_amir yes, dates! so many undated pages", ("reply", "late_reply")),
    ("q2", "host", "Q2. What would help patients tell good information from bad? #hcsmca", None),
    ("a2", "jo", "a2: a checklist on the clinic wall #hcsmca", None),
    # A retweet takes its original's question (T1a), not the one of its time (Q2).
    ("rt_a1a", "host", "RT @survivor_kate: @someone A1a peers helped me most after treatment #hcsmca", ("repost", "a1a")),
    ("chatter", "kate", "Agreed, great chat everyone #hcsmca", None),
    ("a1b", "amir", "A1b also my pharmacist, always", None),  # no T1b: it answers T1
    ("also_a2", "amir", "A2 a librarian on every ward", None),
    ("a3", "amir", "A3 there is no T3 tonight", None),  # no question 3: placed by time
    ("fake_t3", "kate", "T3: can I ask one too? #hcsmca", None),  # not a host: asks nothing
]

# What each post gets: (question label, source).
EXPECTED = {
    "welcome": (None, ""),  # before the first question
    "intro": (None, ""),
    "t1": ("T1", "label"),
    "a1": ("T1", "label"),
    "a1_mentions": ("T1", "label"),
    "reply_to_a1": ("T1", "reply"),
    "t1a": ("T1a", "label"),
    "a1a": ("T1a", "label"),
    "late_reply": ("T1", "reply"),
    "nested_reply": ("T1", "reply"),
    "q2": ("Q2", "label"),
    "a2": ("Q2", "label"),
    "rt_a1a": ("T1a", "repost"),
    "chatter": ("Q2", "window"),
    "a1b": ("T1", "label"),
    "also_a2": ("Q2", "label"),
    "a3": ("Q2", "window"),
    "fake_t3": ("Q2", "window"),
}


def make_posts(chat, people) -> dict[str, Post]:
    made = {}
    for minute, (name, who, text, reference) in enumerate(SCRIPT):
        extra = {}
        if reference is not None:
            kind, target = reference
            extra = {f"{kind}_of" if kind == "repost" else "reply_to": made[target],
                     f"{kind}_of_external_id" if kind == "repost" else "reply_to_external_id": made[target].external_id}
        made[name] = PostFactory(chat=chat, author=people[who], text=text,
                                 created_at=chat.start + timedelta(minutes=minute), **extra)
    return made


@pytest.fixture
def posts(chat, people):
    chat.hosts.add(people["host"])
    return make_posts(chat, people)


def assignments(posts: dict[str, Post]) -> dict[str, tuple[str | None, str]]:
    rows = Post.objects.select_related("question").in_bulk([post.pk for post in posts.values()])
    return {
        name: (rows[post.pk].question.label if rows[post.pk].question else None, rows[post.pk].question_source)
        for name, post in posts.items()
    }


# --- questions -----------------------------------------------------------------

def test_questions_are_created_from_host_posts_in_order(chat, posts):
    questions_assign(chat=chat)

    questions = list(chat.questions.order_by("position"))
    assert [(q.label, q.number, q.sub, q.position) for q in questions] == [
        ("T1", 1, "", 0), ("T1a", 1, "a", 1), ("Q2", 2, "", 2)]
    t1, t1a, q2 = questions
    assert t1.text == "How do you decide which health information online you can trust? #hcsmca"
    assert (t1.asked_by, t1.asked_at) == (posts["t1"], posts["t1"].created_at)
    assert t1a.parent == t1 and t1a.asked_by == posts["t1a"]
    assert t1.parent is None and q2.parent is None
    assert q2.text == "What would help patients tell good information from bad? #hcsmca"
    assert q2.asked_by == posts["q2"]


def test_hosts_named_on_the_series_ask_the_questions(chat, people):
    chat.series.hosts.add(people["host"])
    made = make_posts(chat, people)

    questions_assign(chat=chat)

    assert list(chat.questions.order_by("position").values_list("label", flat=True)) == ["T1", "T1a", "Q2"]
    assert assignments(made) == EXPECTED


def test_without_named_hosts_the_most_prolific_asker_is_the_host(chat, people):
    # The host numbers three questions; Kate's one "T3:" does not make her one.
    made = make_posts(chat, people)

    questions_assign(chat=chat)

    assert list(chat.questions.order_by("position").values_list("label", flat=True)) == ["T1", "T1a", "Q2"]
    assert set(chat.questions.values_list("asked_by__author__handle", flat=True)) == {"hcsmca_mod"}
    assert assignments(made) == EXPECTED


def test_named_hosts_exclude_everyone_else(chat, people):
    # Kate numbers more questions than anyone, but the chat names its host.
    chat.hosts.add(people["host"])
    PostFactory(chat=chat, author=people["kate"], text="T1: what do you all think? #hcsmca", created_at=chat.start)
    PostFactory(chat=chat, author=people["kate"], text="T2: and then? #hcsmca",
                created_at=chat.start + timedelta(minutes=1))
    PostFactory(chat=chat, author=people["host"], text="T5: The host's only question #hcsmca",
                created_at=chat.start + timedelta(minutes=2))

    questions_assign(chat=chat)

    assert list(chat.questions.values_list("label", "asked_by__author__handle")) == [("T5", "hcsmca_mod")]


def test_a_single_numbered_post_by_an_unnamed_host_asks_nothing(chat, people):
    # Without named hosts, one "T1:" is not enough to tell a host from a participant.
    post = PostFactory(chat=chat, author=people["kate"], text="T1: what do you all think? #hcsmca")

    assert questions_assign(chat=chat) == 0

    assert not chat.questions.exists()
    post.refresh_from_db()
    assert (post.question, post.question_source) == (None, "")


# --- assignment ----------------------------------------------------------------

def test_every_post_is_placed_by_label_reply_repost_or_time(chat, posts):
    assigned = questions_assign(chat=chat)

    assert assignments(posts) == EXPECTED
    assert assigned == sum(1 for label, _ in EXPECTED.values() if label is not None) == 16


def test_a_retweet_of_a_question_takes_that_question_and_asks_nothing(chat, people, posts):
    retweet = PostFactory(chat=chat, author=people["jo"], text=f"RT @hcsmca_mod: {posts['t1'].text}",
                          repost_of=posts["t1"], repost_of_external_id=posts["t1"].external_id,
                          created_at=chat.start + timedelta(minutes=30))

    questions_assign(chat=chat)

    assert chat.questions.get(label="T1").asked_by == posts["t1"]
    assert chat.questions.count() == 3
    retweet.refresh_from_db()
    assert (retweet.question.label, retweet.question_source) == ("T1", "repost")


def test_a_retweet_of_an_unassigned_post_in_the_chat_waits_for_it(chat, people, posts):
    # The welcome comes before any question; retweeting it later does not
    # place the retweet by its own time.
    retweet = PostFactory(chat=chat, author=people["kate"], text=f"RT @hcsmca_mod: {posts['welcome'].text}",
                          repost_of=posts["welcome"], repost_of_external_id=posts["welcome"].external_id,
                          created_at=chat.start + timedelta(minutes=40))

    questions_assign(chat=chat)

    retweet.refresh_from_db()
    assert (retweet.question, retweet.question_source) == (None, "")


def test_a_retweet_of_a_post_not_archived_is_placed_by_time(chat, people, posts):
    retweet = PostFactory(chat=chat, author=people["kate"], text="RT @someone: a post we never captured",
                          repost_of_external_id="999", created_at=chat.start + timedelta(minutes=7, seconds=30))

    questions_assign(chat=chat)

    retweet.refresh_from_db()
    assert (retweet.question.label, retweet.question_source) == ("T1a", "window")


def test_a_retweet_of_a_post_of_another_chat_does_not_take_that_chats_question(chat, people, posts):
    last_week = ChatFactory(series=chat.series, number=115, start=chat.start - timedelta(weeks=1),
                            end=chat.end - timedelta(weeks=1))
    last_week.hosts.add(people["host"])
    old_t1 = PostFactory(chat=last_week, author=people["host"], text="T1: Last week's question #hcsmca",
                         created_at=last_week.start)
    old_answer = PostFactory(chat=last_week, author=people["jo"], text="A1 last week's answer #hcsmca",
                             created_at=last_week.start + timedelta(minutes=1))
    questions_assign(chat=last_week)
    assert Post.objects.get(pk=old_t1.pk).question.chat == last_week
    retweet = PostFactory(chat=chat, author=people["kate"], text=f"RT @nurse_jo: {old_answer.text}",
                          repost_of=old_answer, repost_of_external_id=old_answer.external_id,
                          created_at=chat.start + timedelta(minutes=13, seconds=30))

    questions_assign(chat=chat)

    retweet.refresh_from_db()
    assert retweet.question is None or retweet.question.chat_id == chat.pk


def test_a_moderator_assignment_is_left_alone(chat, posts):
    t9 = QuestionFactory(chat=chat, label="T9", text="Set by a moderator", position=9)
    Post.objects.filter(pk=posts["a2"].pk).update(question=t9, question_source=Post.QuestionSource.MODERATOR)
    Post.objects.filter(pk=posts["welcome"].pk).update(question=None, question_source=Post.QuestionSource.MODERATOR)

    questions_assign(chat=chat)

    a2 = Post.objects.get(pk=posts["a2"].pk)
    assert (a2.question_id, a2.question_source) == (t9.pk, "moderator")
    welcome = Post.objects.get(pk=posts["welcome"].pk)
    assert (welcome.question_id, welcome.question_source) == (None, "moderator")
    assert Post.objects.get(pk=posts["also_a2"].pk).question.label == "Q2"


def test_an_earlier_assignment_is_redone_but_not_a_moderators(chat, posts):
    questions_assign(chat=chat)
    q2 = chat.questions.get(label="Q2")
    # Stale assignments, as an earlier run with other posts may have left them.
    Post.objects.filter(pk=posts["a1"].pk).update(question=q2, question_source=Post.QuestionSource.WINDOW)
    Post.objects.filter(pk=posts["intro"].pk).update(question=q2, question_source=Post.QuestionSource.LABEL)

    questions_assign(chat=chat)

    assert assignments(posts) == EXPECTED


def test_a_question_set_by_a_moderator_keeps_its_text(chat, posts):
    QuestionFactory(chat=chat, label="T1", text="Trust online: how do you decide?", position=5)

    questions_assign(chat=chat)

    t1 = chat.questions.get(label="T1")
    assert t1.text == "Trust online: how do you decide?"
    assert (t1.number, t1.position) == (1, 0)
    assert chat.questions.get(label="T1a").parent == t1
    assert Post.objects.get(pk=posts["a1"].pk).question == t1


def test_running_twice_changes_nothing(chat, posts):
    first = questions_assign(chat=chat)
    questions_before = list(chat.questions.order_by("pk").values())
    posts_before = list(chat.posts.order_by("pk").values("pk", "question_id", "question_source"))

    assert questions_assign(chat=chat) == first

    assert list(chat.questions.order_by("pk").values()) == questions_before
    assert list(chat.posts.order_by("pk").values("pk", "question_id", "question_source")) == posts_before
    assert Question.objects.count() == 3


def test_a_chat_without_questions_assigns_nothing(chat, people):
    chat.hosts.add(people["host"])
    made = [
        PostFactory(chat=chat, author=people["host"], text="Welcome to #hcsmca, an open chat tonight",
                    created_at=chat.start),
        PostFactory(chat=chat, author=people["jo"], text="A1 hello from Montreal", created_at=chat.start),
    ]

    assert questions_assign(chat=chat) == 0

    assert not chat.questions.exists()
    assert list(Post.objects.filter(pk__in=[p.pk for p in made]).values_list("question", "question_source")) == [
        (None, ""), (None, "")]


def test_other_chats_are_not_touched(chat, posts, people):
    other = ChatFactory(series=SeriesFactory(hashtag="hcldr", name="#hcldr"), number=117)
    other_answer = PostFactory(chat=other, author=people["jo"], text="A1 in another chat")
    QuestionFactory(chat=other, label="T1")

    questions_assign(chat=chat)

    assert Post.objects.get(pk=other_answer.pk).question is None
    assert other.questions.count() == 1
