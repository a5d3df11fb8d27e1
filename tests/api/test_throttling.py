"""Anonymous clients are rate limited (429 with Retry-After), staff signed in
get a higher rate, and with Redis down the API keeps answering (the limit is
not applied and that is logged), as the reader pages do."""
from __future__ import annotations

import logging
import socket

import pytest
from django.core.cache import cache
from django.test import Client

from tests.faults.test_redis_down import ThrowawayRedis

pytestmark = pytest.mark.django_db

URL = "/api/v1/chats/"


@pytest.fixture
def rates(settings):
    """3 a minute for readers, 6 for staff."""
    def set_rates(anon="3/minute", staff="6/minute"):
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                                   "DEFAULT_THROTTLE_RATES": {"anon": anon, "staff": staff}}
    set_rates()
    return set_rates


def forget(*idents: str) -> None:
    """Counters of an earlier run start again. Only these keys: the Redis
    database may be shared with a running site (and its Celery queue)."""
    cache.delete_many([f"throttle_{ident}" for ident in idents])


def statuses(client, n: int, **extra) -> list[int]:
    return [client.get(URL, **extra).status_code for _ in range(n)]


def test_an_anonymous_client_gets_429_after_the_limit(client, rates):
    forget("anon_203.0.113.7", "anon_203.0.113.8")
    assert statuses(client, 4, REMOTE_ADDR="203.0.113.7") == [200, 200, 200, 429]
    response = client.get(URL, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert "throttled" in response.json()["detail"].lower()
    # Another address has its own count; a forged X-Forwarded-For does not give one.
    assert statuses(client, 1, REMOTE_ADDR="203.0.113.8") == [200]
    assert statuses(client, 1, REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.1") == [429]


def test_staff_signed_in_get_the_higher_rate(moderator_client, moderator, rates):
    forget(f"staff_{moderator.pk}", "anon_203.0.113.9")
    assert statuses(moderator_client, 7, REMOTE_ADDR="203.0.113.9") == [200] * 6 + [429]
    # Their count is theirs, not their address's.
    assert statuses(Client(), 1, REMOTE_ADDR="203.0.113.9") == [200]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_with_the_cache_unreachable_the_api_answers_and_logs(client, rates, settings, caplog):
    rates(anon="1/minute")
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": url}}
    with caplog.at_level(logging.WARNING, logger="hcsmca.api.throttling"):
        assert statuses(client, 3) == [200, 200, 200]
        assert client.get("/api/v1/openapi.json").status_code == 200
    assert "rate limit not applied" in caplog.text


def test_the_limit_comes_back_with_redis(client, rates, settings, tmp_path):
    server = ThrowawayRedis(tmp_path)
    server.start()
    try:
        settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": server.url}}
        rates(anon="2/minute")
        assert statuses(client, 3) == [200, 200, 429]
        server.stop()
        assert statuses(client, 3) == [200, 200, 200]
        server.start()  # empty: the counts start again
        assert statuses(client, 3) == [200, 200, 429]
    finally:
        server.stop()
