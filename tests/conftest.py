"""Suite-wide set-up. Tests talk to the real PostgreSQL and Redis named by
DATABASE_URL / REDIS_URL (`make test` starts embedded ones when unset)."""
import os
import uuid

import pytest


def pytest_configure(config):
    # A queue of this run's own: a worker of `make run` sharing the same Redis
    # must never take a test's task (it would look the row up in another
    # database). Set before anything sends a task, when Celery builds its routes.
    from hcsmca.celery import app

    app.conf.task_default_queue = f"hcsmca-test-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
