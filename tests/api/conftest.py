"""A small archive for the API tests: what readers may see next to what they
must not (hidden and scheduled chats, a stray post, drafts, pending comments,
a redacted author and a post removed at its author's request)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from chats.models import Chat, Removal
from summaries.models import Comment
from tests.factories import (
    AuthorFactory,
    ChatFactory,
    LinkFactory,
    PostFactory,
    PostLinkFactory,
    QuestionFactory,
    SeriesFactory,
    StudyFactory,
    SummaryFactory,
)

JAN_16 = datetime(2019, 1, 16, 18, tzinfo=UTC)
# High enough that no test but the throttling ones is ever limited.
UNLIMITED = {"anon": "100000/minute", "staff": "100000/minute"}


@pytest.fixture(autouse=True)
def _api_not_throttled(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": UNLIMITED}


@dataclass
class Archive:
    series: object
    other_series: object
    chat: object
    other_chat: object
    hidden: object
    scheduled: object
    t1: object
    t2: object
    hidden_question: object
    alice: object
    bob: object
    gone: object
    secret: object
    alice_post: object
    bob_answer: object
    gone_post: object
    withdrawn_post: object
    deleted_post: object
    hidden_post: object
    stray_post: object
    study: object
    study_link: object
    hidden_link: object
    summary: object
    hidden_chat_summary: object
    draft: object
    future: object
    approved: object
    pending: object
    spam: object
    draft_comment: object


def make_archive() -> Archive:
    series = SeriesFactory()
    other_series = SeriesFactory(hashtag="hcldr", name="Healthcare Leadership")
    alice = AuthorFactory(handle="alice_rn", display_name="Alice Tremblay")
    bob = AuthorFactory(handle="bob_md", display_name="Bob Singh", profile_url="javascript:alert(1)")
    gone = AuthorFactory(handle="", display_name="", profile_url="", avatar_url="")
    gone.redacted_at = JAN_16 + timedelta(days=30)
    gone.save(update_fields=["redacted_at"])
    secret = AuthorFactory(handle="secret_person", display_name="Only In Hidden")
    series.hosts.add(alice, gone)

    chat = ChatFactory(series=series, number=116, slug="hcsmca-116", start=JAN_16, end=JAN_16 + timedelta(hours=1),
                       noindex=True)
    chat.tags.add("trust", "health information")
    chat.hosts.add(alice, gone)
    other_chat = ChatFactory(series=other_series, number=5, slug="hcldr-5", start=JAN_16 + timedelta(days=7),
                             end=JAN_16 + timedelta(days=7, hours=1))
    hidden = ChatFactory(series=series, number=900, slug="hcsmca-900", start=JAN_16 + timedelta(days=1),
                         end=JAN_16 + timedelta(days=1, hours=1), visibility=Chat.Visibility.HIDDEN)
    scheduled = ChatFactory(series=series, number=901, slug="hcsmca-901", start=JAN_16 + timedelta(days=2),
                            end=JAN_16 + timedelta(days=2, hours=1), status=Chat.Status.SCHEDULED)

    t1 = QuestionFactory(chat=chat, label="T1", position=1, text="Where do you look first for health information?")
    t2 = QuestionFactory(chat=chat, label="T2", position=2, text="Who do you trust online?")
    hidden_question = QuestionFactory(chat=hidden, label="T1", position=1, text="A withdrawn question")

    minute = timedelta(minutes=1)
    alice_post = PostFactory(chat=chat, author=alice, created_at=JAN_16 + minute, question=t1,
                             text="T1 I start with my local public health unit #hcsmca",
                             urls=["https://doi.org/10.2196/jmir.4000"])
    bob_answer = PostFactory(chat=chat, author=bob, created_at=JAN_16 + 2 * minute, question=t1,
                             text="A1 my pharmacist, always #hcsmca", reply_to=alice_post,
                             reply_to_external_id=alice_post.external_id)
    # As chats.services.redactions leaves them: content blank, row kept.
    gone_post = PostFactory(chat=chat, author=gone, created_at=JAN_16 + 3 * minute, question=t2, text="", url="",
                            urls=[], hashtags=[], original={}, removed=Removal.AUTHOR_REQUEST,
                            removed_at=gone.redacted_at)
    withdrawn_post = PostFactory(chat=chat, author=bob, created_at=JAN_16 + 4 * minute, question=t2, text="",
                                 url="", urls=[], hashtags=[], original={}, removed=Removal.AUTHOR_REQUEST,
                                 removed_at=JAN_16 + timedelta(days=40))
    deleted_post = PostFactory(chat=other_chat, author=bob, created_at=other_chat.start + minute, text="", url="",
                               urls=[], hashtags=[], original={}, removed=Removal.DELETED,
                               removed_at=JAN_16 + timedelta(days=50))
    hidden_post = PostFactory(chat=hidden, author=secret, created_at=hidden.start + minute, question=hidden_question,
                              text="A secret post about withdrawn things")
    stray_post = PostFactory(chat=None, author=secret, created_at=JAN_16 + timedelta(days=3),
                             text="A stray post outside any chat")

    study = StudyFactory(doi="10.2196/jmir.4000")
    study_link = LinkFactory(url="https://doi.org/10.2196/jmir.4000", domain="doi.org", study=study, share_count=3)
    PostLinkFactory(post=alice_post, link=study_link)
    PostLinkFactory(post=hidden_post, link=study_link)
    hidden_link = LinkFactory(url="https://secret.example/900", domain="secret.example")
    PostLinkFactory(post=hidden_post, link=hidden_link)
    PostLinkFactory(post=stray_post, link=LinkFactory(url="https://stray.example/x", domain="stray.example"))

    yesterday = timezone.now() - timedelta(days=1)
    summary = SummaryFactory(chat=chat, published_at=yesterday, title="What we learned about trust")
    summary.tags.add("trust")
    summary.featured_studies.add(study)
    hidden_chat_summary = SummaryFactory(chat=hidden, published_at=yesterday - timedelta(days=1))
    draft = SummaryFactory(chat=chat, status="draft", published_at=None, title="A draft never published")
    future = SummaryFactory(chat=chat, status="scheduled", published_at=timezone.now() + timedelta(days=3),
                            title="Scheduled for later")

    def comment(on, status, body, **kwargs):
        return Comment.objects.create(summary=on, status=status, author_name="Dana", body=body,
                                      body_html=f"<p>{body}</p>", author_email="dana@example.com",
                                      ip_hash="abc", user_agent="ua", **kwargs)

    approved = comment(summary, Comment.Status.APPROVED, "Thank you for hosting", author_url="https://dana.example/")
    pending = comment(summary, Comment.Status.PENDING, "Pending words", parent=approved)
    spam = comment(summary, Comment.Status.SPAM, "Buy pills")
    comment(summary, Comment.Status.APPROVED, "A reply to a pending comment", parent=pending)
    draft_comment = comment(draft, Comment.Status.APPROVED, "On a draft")

    return Archive(
        series=series, other_series=other_series, chat=chat, other_chat=other_chat, hidden=hidden,
        scheduled=scheduled, t1=t1, t2=t2, hidden_question=hidden_question, alice=alice, bob=bob, gone=gone,
        secret=secret, alice_post=alice_post, bob_answer=bob_answer, gone_post=gone_post,
        withdrawn_post=withdrawn_post, deleted_post=deleted_post, hidden_post=hidden_post, stray_post=stray_post,
        study=study, study_link=study_link, hidden_link=hidden_link, summary=summary,
        hidden_chat_summary=hidden_chat_summary, draft=draft, future=future, approved=approved, pending=pending,
        spam=spam, draft_comment=draft_comment,
    )


@pytest.fixture
def archive(db) -> Archive:
    return make_archive()


def get_json(client, url: str, status: int = 200, **params):
    response = client.get(url, params)
    assert response.status_code == status, (url, params, response.status_code, response.content[:500])
    return response.json()


def ids_of(client, url: str, **params) -> list[int]:
    """Every id the list at ``url`` gives, walking all its pages."""
    ids, page = [], get_json(client, url, **params)
    while True:
        ids += [row["id"] for row in page["results"]]
        if not page["next"]:
            return ids
        page = get_json(client, page["next"])
