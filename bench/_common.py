"""What the benchmarks share: Django set up from the environment, a database
of the benchmark's own (created beside DATABASE_URL's, migrated, dropped),
latency statistics, the results folder and Markdown tables.

The benchmarks are scripts, not tests: run them by hand (see
docs/benchmarks.md), never from the test suite.
"""
from __future__ import annotations

import math
import os
import platform
import subprocess
import sys
import warnings
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hcsmca.settings")
# The benchmarks' own requests (Django's test client) need no static files.
warnings.filterwarnings("ignore", message="No directory at")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, connections  # noqa: E402


# --- databases -----------------------------------------------------------

def database_url(name: str) -> str:
    """DATABASE_URL's server and user, with another database name."""
    default = settings.DATABASES["default"]
    user = default["USER"] or ""
    password = f":{default['PASSWORD']}" if default.get("PASSWORD") else ""
    return f"postgresql://{user}{password}@{default['HOST'] or '127.0.0.1'}:{default['PORT'] or 5432}/{name}"


def bench_database(suffix: str = "bench", *, migrate: bool = True) -> tuple[str, dict]:
    """A fresh database ``<DATABASE_URL's name>_<suffix>``, migrated; returns
    its name and an environment for child processes that points at it (so the
    archive you develop on is never touched)."""
    name = f"{settings.DATABASES['default']['NAME']}_{suffix}"
    drop_database(name)
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    env = database_env(name)
    if migrate:
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    return name, env


def database_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


def database_env(name: str) -> dict:
    return dict(os.environ, DATABASE_URL=database_url(name))


def drop_database(name: str) -> None:
    """Drops ``name`` through the default connection (which must not be
    connected to it: see ``use_database``)."""
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def on_database(name: str):
    """This process's connections on database ``name`` for the block."""
    previous = use_database(name)
    try:
        yield
    finally:
        use_database(previous)


def vacuum_analyze(name: str) -> None:
    """VACUUM ANALYZE database ``name``: the statistics and visibility map
    autovacuum gives an archive soon after its writes (a benchmark database
    is queried seconds after it was filled, before autovacuum came by)."""
    with on_database(name), connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def use_database(name: str) -> str:
    """Point this process's connections at database ``name``, as Django's test
    runner does with its test database; returns the name they used before."""
    previous = settings.DATABASES["default"]["NAME"]
    for alias in connections:
        connections[alias].close()
        connections[alias].settings_dict["NAME"] = name
    return previous


# --- statistics ----------------------------------------------------------

def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile, nearest-rank (no interpolation: a reported p95 is
    a latency one of the requests actually had)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Summary:
    n: int
    p50: float
    p95: float
    mean: float
    maximum: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary:
        return cls(n=len(values), p50=percentile(values, 50), p95=percentile(values, 95),
                   mean=sum(values) / len(values) if values else math.nan, maximum=max(values, default=math.nan))


def ms(seconds: float) -> str:
    """Seconds as milliseconds for a table: 3 significant figures or so."""
    value = seconds * 1000
    if value >= 100:
        return f"{value:,.0f} ms"
    if value >= 10:
        return f"{value:.1f} ms"
    return f"{value:.2f} ms"


# --- output ----------------------------------------------------------------

def results_file(name: str) -> Path:
    """bench/results/<name> (gitignored), emptied."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / name
    path.write_text("")
    return path


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]], *, right: Sequence[bool] | None = None) -> str:
    right = right or [i > 0 for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |",
             "|" + "|".join("---:" if r else "---" for r in right) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def machine_facts() -> str:
    """Cores, memory, PostgreSQL and Python: the line a figure needs beside it."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0].split()[0]
        cursor.execute("SHOW shared_buffers")
        shared_buffers = cursor.fetchone()[0]
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        memory = math.nan
    return (f"{os.cpu_count()} cores, {memory:.0f} GiB, PostgreSQL {server} (shared_buffers {shared_buffers}), "
            f"Python {platform.python_version()}, load average at start {load_average()}")


def git_head() -> str:
    """The commit the figures belong to (``+`` when the tree has changes)."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True)
    return (head.stdout.strip() or "?") + ("+" if dirty.stdout.strip() else "")


def load_average() -> str:
    """1, 5 and 15 minutes: other work on the machine shows in the figures."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())
