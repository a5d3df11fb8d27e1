"""Hypothesis settings for the fuzz tests.

``ci`` (chosen when the CI environment variable is set) is reproducible and
writes nothing: a fixed seed derived from each test, no example database.
``dev`` keeps failing examples in ``.hypothesis/`` (gitignored) so a failure
found locally is replayed first on the next run.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")
