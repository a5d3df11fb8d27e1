"""Fixtures of the consent tests."""
from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in Redis (this run's own database): every
    test starts with none."""
    cache.clear()
    yield
    cache.clear()


def request_data(**fields) -> dict:
    data = {"platform": "twitter", "handle": "@nurse_jo", "email": "jo@example.org",
            "message": "I took part in #hcsmca 116 and would like my posts removed."}
    data.update(fields)
    return data
