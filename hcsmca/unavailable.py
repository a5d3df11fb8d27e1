"""The database out of reach: a 503 page that says so, not a 500.

With PostgreSQL restarting or down, a view's first query raises
OperationalError (or InterfaceError on a connection that went away). That is
the service being unavailable, not a bug in the page: readers get 503 with
``Retry-After`` and a page that needs no database; the error is logged.
Connections recover by themselves on the next request (CONN_HEALTH_CHECKS).
"""
from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.error("database unavailable for %s %s: %s", request.method, request.path, exception)
        # Rendered without the request: context processors (the user, the
        # session) would query the database again.
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
