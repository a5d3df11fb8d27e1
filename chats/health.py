"""`GET /healthz` (contract: architecture.md, section 4)."""
from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "not ok"
        logger.warning("health: database check failed: %s", exc)
        return f"error: {type(exc).__name__}"


def _redis_status() -> str:
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
        return "ok"
    except Exception as exc:  # noqa: BLE001
        logger.warning("health: redis check failed: %s", exc)
        return f"error: {type(exc).__name__}"


@never_cache
def healthz(request):
    body = {"database": _database_status(), "redis": _redis_status()}
    status = 200 if all(value == "ok" for value in body.values()) else 503
    return JsonResponse(body, status=status)
