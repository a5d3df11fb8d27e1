"""`make run`'s supervisor against the test database: it migrates, loads the
demo once, prints the moderator login, serves pages with a worker running,
and Ctrl-C stops every process it started."""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import psutil
import pytest
from django.conf import settings

from chats.models import Chat
from hcsmca.celery import app
from tests.integration.worker import url_of_the_test_database, wait_for
from tools.embedded import ROOT

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.worker]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except OSError:
        return 0, ""


def test_run_starts_everything_and_ctrl_c_stops_it(tmp_path):
    port = free_port()
    env = dict(os.environ, DATABASE_URL=url_of_the_test_database(), REDIS_URL=settings.REDIS_URL,
               CELERY_TASK_DEFAULT_QUEUE=app.conf.task_default_queue, HCSMCA_PORT=str(port),
               HCSMCA_VAR_DIR=str(tmp_path), DATABASE_CONN_MAX_AGE="0")
    env.pop("HCSMCA_MODERATOR_PASSWORD", None)  # a random one is made and kept in the var folder
    log = tmp_path / "run.log"
    with log.open("wb") as output:
        supervisor = subprocess.Popen([sys.executable, "-m", "tools.run"], cwd=ROOT, env=env, stdout=output,
                                      stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: fetch(f"http://127.0.0.1:{port}/chats/hcsmca-116/")[0] == 200, timeout=90,
                 what=f"the demo chat to be served:\n{log.read_text()}")
        children = psutil.Process(supervisor.pid).children(recursive=True)
        assert any("celery" in " ".join(child.cmdline()) for child in children)
        status, body = fetch(f"http://127.0.0.1:{port}/")
        assert status == 200 and "Social media and self-care in cancer survivors" in body
        password = (tmp_path / "moderator-password.txt").read_text().strip()
        assert f"Moderator login: moderator / {password}" in log.read_text()
    finally:
        supervisor.send_signal(signal.SIGINT)
        supervisor.wait(timeout=60)
    time.sleep(0.5)
    assert [child.pid for child in children if child.is_running() and child.status() != psutil.STATUS_ZOMBIE] == []
    assert fetch(f"http://127.0.0.1:{port}/")[0] == 0
    assert Chat.objects.filter(slug="hcsmca-116").count() == 1
