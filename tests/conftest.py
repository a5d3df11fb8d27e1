"""Suite-wide set-up. Tests talk to the real PostgreSQL and Redis named by
DATABASE_URL / REDIS_URL (`make test` starts embedded ones when unset)."""
import os
import uuid
from pathlib import Path

import pytest


def pytest_configure(config):
    # A queue of this run's own: a worker of `make run` sharing the same Redis
    # must never take a test's task (it would look the row up in another
    # database). Set before anything sends a task, when Celery builds its routes.
    from hcsmca.celery import app

    # The app reads Django settings with the CELERY_ namespace: only the
    # namespaced key takes (setting `task_default_queue` is silently ignored).
    app.conf.CELERY_TASK_DEFAULT_QUEUE = f"hcsmca-test-{os.getpid()}-{uuid.uuid4().hex[:6]}"


MODERATOR_PASSWORD = "a long enough password"


@pytest.fixture
def moderator(django_user_model):
    """A staff member in the Moderators group (not a superuser)."""
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("mod", password=MODERATOR_PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


@pytest.fixture
def moderator_client(client, moderator):
    client.force_login(moderator)
    return client


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


# --- Import service and reader pages (tests/chats/services, tests/chats/views) ---

IMPORT_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import_service"
DEMO_TRANSCRIPT = Path(__file__).resolve().parent.parent / "chats" / "demo" / "hcsmca-116.jsonl"


def _row_counts() -> dict[str, int]:
    from django.apps import apps

    counts = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            counts[model._meta.db_table] = model._base_manager.count()
    return counts


@pytest.fixture
def row_counts():
    """A function returning {table: number of rows} for every table of the project."""
    return _row_counts


@pytest.fixture
def small_chat_path() -> Path:
    """Six v1.1 statuses of one chat: T1, two answers (one with a t.co link and
    one with "&amp;"), a reply, a retweet of the linked answer, and T2."""
    return IMPORT_FIXTURES / "chat_small.jsonl"


@pytest.fixture
def demo_transcript_path() -> Path:
    return DEMO_TRANSCRIPT


@pytest.fixture
def default_series_hcsmca(settings):
    """New chats go to #hcsmca whatever HCSMCA_DEFAULT_SERIES the shell has."""
    settings.HCSMCA_DEFAULT_SERIES = "hcsmca"
    return "hcsmca"
