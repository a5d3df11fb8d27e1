"""A page whose database is out of reach answers 503 with Retry-After."""
from __future__ import annotations

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client
from django.urls import path

pytestmark = pytest.mark.urls(__name__)


def _lost(request):
    raise OperationalError("server closed the connection unexpectedly")


def _gone(request):
    raise InterfaceError("connection already closed")


def _bug(request):
    raise ValueError("a bug, not an outage")


urlpatterns = [path("lost/", _lost), path("gone/", _gone), path("bug/", _bug)]


@pytest.mark.parametrize("url", ["/lost/", "/gone/"])
def test_a_lost_database_is_a_503_with_retry_after(url):
    response = Client(raise_request_exception=False).get(url)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.content.decode()
    assert "cannot reach its database" in body
    assert "server closed" not in body and "connection already closed" not in body  # nothing leaks


def test_other_errors_stay_500_with_our_page():
    response = Client(raise_request_exception=False).get("/bug/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    assert "a bug" not in response.content.decode()
