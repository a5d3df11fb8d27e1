"""`make run`: the whole archive on one machine.

Starts embedded PostgreSQL and Redis when DATABASE_URL / REDIS_URL are unset,
migrates, loads the demo chat once, makes sure a moderator account exists,
then runs a Celery worker (with beat) and the web server until Ctrl-C, and
stops everything it started.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tools.dotenv import load_dotenv
from tools.embedded import ROOT, VAR_DIR, EmbeddedServerError, start_missing_services, stop_all

PYTHON = sys.executable
HOST = os.environ.get("HCSMCA_HOST", "127.0.0.1")
PORT = os.environ.get("HCSMCA_PORT", "8000")


def log(message: str) -> None:
    print(f"[run] {message}", flush=True)


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def start(name: str, argv: list[str], env: dict[str, str]) -> tuple[str, subprocess.Popen]:
    log(f"starting {name}")
    # A session of its own, so that Ctrl-C reaches only this supervisor and
    # the children are stopped in order.
    return name, subprocess.Popen(argv, cwd=ROOT, env=env, start_new_session=True)


def stop(children: list[tuple[str, subprocess.Popen]]) -> None:
    for name, process in reversed(children):
        if process.poll() is None:
            log(f"stopping {name}")
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    for name, process in children:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log(f"{name} did not stop in time; killing it")
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def main() -> int:
    env = dict(os.environ)
    load_dotenv(env)
    env.setdefault("DJANGO_DEBUG", "true")
    env.setdefault("PYTHONUNBUFFERED", "1")
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    try:
        servers = start_missing_services(env)
    except EmbeddedServerError as exc:
        log(f"error: {exc}")
        return 1

    children: list[tuple[str, subprocess.Popen]] = []
    stopping = False

    def on_signal(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        manage("migrate", "--noinput", env=env)
        if env.get("HCSMCA_LOAD_DEMO", "true").lower() not in {"0", "false", "no", "off"}:
            manage("load_demo", env=env)
        manage("ensure_moderator", env=env)
        # The demo's downloads from the first page view (the beat would build them within a minute).
        manage("build_bundles", env=env)
        if stopping:
            return 130
        children.append(start("Celery worker", [
            PYTHON, "-m", "celery", "-A", "hcsmca", "worker", "--beat", "--loglevel=INFO", "--concurrency=2",
            "--schedule", str(VAR_DIR / "celerybeat-schedule"),
        ], env))
        children.append(start("web server", [PYTHON, "manage.py", "runserver", f"{HOST}:{PORT}", "--noreload"], env))
        log(f"the archive is at http://{HOST}:{PORT}/ (admin: http://{HOST}:{PORT}/admin/); Ctrl-C stops everything")
        while not stopping:
            for name, process in children:
                if process.poll() is not None:
                    log(f"{name} exited with status {process.returncode}; stopping")
                    stopping = True
            time.sleep(0.5)
        return 0
    except subprocess.CalledProcessError as exc:
        log(f"error: {' '.join(exc.cmd[1:])} failed with status {exc.returncode}")
        return 1
    finally:
        stop(children)
        stop_all(servers)
        log("stopped")


if __name__ == "__main__":
    sys.exit(main())
