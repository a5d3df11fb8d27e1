"""Model factories (factory_boy) with values like those of a real #hcsmca chat.

Posts carry a v1.1-shaped ``original`` and a ``content_hash`` like the import
service stores, so rows made here look like imported ones.
"""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, time, timedelta

import factory
from factory.django import DjangoModelFactory

from chats.models import Author, Chat, Platform, Post, Question, Series

# The first #hcsmca chat of 2019 started at 13:00 in Toronto (18:00 UTC).
FIRST_CHAT_START = datetime(2019, 1, 16, 18, 0, tzinfo=UTC)

CHAT_TITLES = (
    "Trusting health information online",
    "Patient voices in research",
    "Social media and self-care for cancer survivors",
    "Privacy and patient portals",
    "Caregivers online",
    "Health literacy in a second language",
)


def twitter_created_at(moment: datetime) -> str:
    """``moment`` as Twitter v1.1 writes it: "Wed Jan 16 18:00:00 +0000 2019"."""
    return moment.astimezone(UTC).strftime("%a %b %d %H:%M:%S +0000 %Y")


def v1_status(post: Post) -> dict:
    return {
        "created_at": twitter_created_at(post.created_at),
        "id_str": post.external_id,
        "full_text": post.text,
        "lang": post.language,
        "user": {
            "id_str": post.author.platform_id,
            "screen_name": post.author.handle,
            "name": post.author.display_name,
        },
    }


def hash_of(post: Post) -> str:
    payload = {"id": post.external_id, "text": post.text, "created_at": post.created_at.isoformat()}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


class SeriesFactory(DjangoModelFactory):
    class Meta:
        model = Series
        django_get_or_create = ("hashtag",)

    hashtag = "hcsmca"
    name = "Health Care Social Media Canada"
    description = "A weekly tweet chat about health care and social media in Canada."
    timezone = "America/Toronto"
    weekday = 2  # Wednesday
    start_time = time(13, 0)
    duration = timedelta(hours=1)


class ChatFactory(DjangoModelFactory):
    class Meta:
        model = Chat

    series = factory.SubFactory(SeriesFactory)
    number = factory.Sequence(lambda n: 100 + n)
    slug = factory.LazyAttribute(lambda chat: f"{chat.series.hashtag}-{chat.number}")
    title = factory.Iterator(CHAT_TITLES)
    start = factory.Sequence(lambda n: FIRST_CHAT_START + timedelta(weeks=n))
    end = factory.LazyAttribute(lambda chat: chat.start + timedelta(hours=1))
    status = Chat.Status.ARCHIVED
    visibility = Chat.Visibility.PUBLIC


class AuthorFactory(DjangoModelFactory):
    class Meta:
        model = Author
        django_get_or_create = ("platform", "platform_id")

    platform = Platform.TWITTER
    platform_id = factory.Sequence(lambda n: str(1012000000000100000 + n))
    handle = factory.Sequence(lambda n: f"hcsm_participant{n}")
    display_name = factory.Faker("name", locale="en_CA")
    profile_url = factory.LazyAttribute(lambda author: f"https://twitter.com/{author.handle}")
    avatar_url = factory.LazyAttribute(
        lambda author: f"https://pbs.twimg.com/profile_images/{author.platform_id}/{author.handle}_normal.jpg"
    )


class PostFactory(DjangoModelFactory):
    class Meta:
        model = Post

    platform = Platform.TWITTER
    external_id = factory.Sequence(lambda n: str(1085624398153904128 + 1000 * n))
    chat = factory.SubFactory(ChatFactory)
    author = factory.SubFactory(AuthorFactory)
    # Somewhere inside the chat's hour; tests that care about order set it.
    created_at = factory.LazyAttributeSequence(lambda post, n: post.chat.start + timedelta(seconds=(n % 120) * 30))
    text = factory.LazyAttribute(lambda post: f"{post.sentence} #hcsmca")
    url = factory.LazyAttribute(lambda post: f"https://twitter.com/{post.author.handle}/status/{post.external_id}")
    language = "en"
    hashtags = factory.LazyFunction(lambda: ["hcsmca"])
    original = factory.LazyAttribute(v1_status)
    content_hash = factory.LazyAttribute(hash_of)

    class Params:
        sentence = factory.Faker("sentence", nb_words=10)


class QuestionFactory(DjangoModelFactory):
    class Meta:
        model = Question

    chat = factory.SubFactory(ChatFactory)
    label = factory.Sequence(lambda n: f"T{n + 1}")
    text = factory.Iterator((
        "Where do you look first when a patient asks about a health claim they saw online?",
        "How can clinicians make room for patient voices in research?",
        "What would help patients tell good health information from bad?",
        "Which online communities helped you most as a caregiver?",
    ))
    position = factory.Sequence(lambda n: n)


# --- Links, studies and summaries (reader browsing pages) ---------------------------

class StudyFactory(DjangoModelFactory):
    class Meta:
        model = "chats.Study"

    doi = factory.Sequence(lambda n: f"10.2196/jmir.{4000 + n}")
    title = "Social media use in health care: a systematic review"


class LinkFactory(DjangoModelFactory):
    class Meta:
        model = "chats.Link"
        django_get_or_create = ("url",)

    url = factory.Sequence(lambda n: f"https://www.healthyontario.example/articles/{n}")
    domain = factory.LazyAttribute(lambda link: link.url.split("/")[2])
    title = factory.Sequence(lambda n: f"Finding trustworthy health information online, part {n}")


class PostLinkFactory(DjangoModelFactory):
    class Meta:
        model = "chats.PostLink"

    post = factory.SubFactory(PostFactory)
    link = factory.SubFactory(LinkFactory)
    position = 0


class SummaryFactory(DjangoModelFactory):
    class Meta:
        model = "summaries.Summary"

    title = factory.Sequence(lambda n: f"What we learned in #hcsmca chat {100 + n}")
    slug = factory.Sequence(lambda n: f"what-we-learned-{100 + n}")
    body_markdown = "We talked about **trust**."
    body_html = "<p>We talked about <strong>trust</strong>.</p>"
    excerpt = "We talked about trust in online health information."
    status = "published"
    # A week apart, wrapping after 300 weeks so that however many a test run
    # makes, the default publish time stays in the past (readers see them).
    published_at = factory.Sequence(lambda n: FIRST_CHAT_START + timedelta(days=2, weeks=n % 300))
