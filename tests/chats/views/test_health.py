"""`GET /healthz` (architecture.md, section 4)."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_healthy(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_redis_down_is_503_naming_redis(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert set(body) == {"database", "redis"}
    assert body["database"] == "ok"
    assert body["redis"] != "ok"
    assert body["redis"].startswith("error: ")
    assert "ConnectionError" in body["redis"]
