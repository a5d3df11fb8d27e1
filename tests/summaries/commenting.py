"""Fixtures and helpers of the comment tests (tests/summaries/test_comments*.py,
test_moderation*.py, tests/browser/test_comment_thread.py)."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core import signing
from django.core.cache import cache
from django.utils import timezone

from summaries.comment_forms import TIMESTAMP_SALT
from summaries.models import Comment
from summaries.services.comments import content_hash
from tests.factories import SummaryFactory


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in Redis (this run's own database): every
    test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def open_summary(db):
    """A summary published yesterday, comments open."""
    return SummaryFactory(title="Trust online", slug="trust-online", published_at=timezone.now() - timedelta(days=1))


def shown_at(summary, seconds_ago: float = 30) -> str:
    """The signed timestamp of a form shown ``seconds_ago``."""
    return signing.dumps([summary.pk, time.time() - seconds_ago], salt=TIMESTAMP_SALT)


def form_data(summary, **fields) -> dict:
    data = {
        "name": "Ada Reader", "email": "ada@example.org", "website": "", "body": "A thoughtful comment.",
        "parent": "", "fax_number": "", "timestamp": shown_at(summary),
    }
    data.update(fields)
    return data


def approved(summary, *, email="known@example.org", name="Known Reader", body=None, parent=None, **extra) -> Comment:
    """An approved comment written straight to the database (the state a
    moderator's approval leaves)."""
    body = body or f"Comment {Comment.objects.count() + 1}"
    return Comment.objects.create(
        summary=summary, parent=parent, author_name=name, author_email=email, body=body, body_html=f"<p>{body}</p>",
        status=Comment.Status.APPROVED, content_hash=content_hash(summary_id=summary.pk, email=email, body=body),
        **extra,
    )
