"""Run a command with DATABASE_URL and REDIS_URL set, starting embedded
servers for whichever is unset, and stop them afterwards.

    python -m tools.with_services -- pytest -q
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys

from tools.dotenv import load_dotenv
from tools.embedded import EmbeddedServerError, start_missing_services, stop_all


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        print("usage: python -m tools.with_services -- COMMAND [ARG ...]", file=sys.stderr)
        return 2
    environ = dict(os.environ)
    load_dotenv(environ)
    try:
        servers = start_missing_services(environ)
    except EmbeddedServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    child = None

    def forward(signum, frame):
        # Pass the signal on and let the command end; the servers are stopped below.
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    try:
        child = subprocess.Popen(argv, env=environ)
        return child.wait()
    finally:
        stop_all(servers)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
