"""Every operation of /api/v1/openapi.json called with generated requests
(schemathesis, through the WSGI app, on the small archive of conftest.py):
no 5xx, every response matches the documented schema and status codes.

With CI set the examples are derandomized (the same every run) and no
example database is written; locally failing examples are kept in
``.hypothesis/`` (gitignored), so a failure found once is tried first next
time.
"""
from __future__ import annotations

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

pytestmark = pytest.mark.django_db

IN_CI = bool(os.environ.get("CI"))
MAX_EXAMPLES = 25
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]


@pytest.fixture
def api_schema(archive):
    from hcsmca.wsgi import application

    # As Django's test client does: a request through the WSGI handler would
    # otherwise close the test's connection (it is inside the test transaction,
    # so not in autocommit) and the next query would fail.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=IN_CI,
    database=None if IN_CI else settings.default.database,
    deadline=None,
    # The archive fixture is made once per operation, not per example, on purpose:
    # examples only read, and the test transaction is rolled back after all of them.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_answers_every_generated_request_as_documented(case):
    case.call_and_validate(checks=CHECKS)
