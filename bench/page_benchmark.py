"""Benchmark: the chat page served by gunicorn, next to a static file of the
same size served by the same server.

    .venv/bin/python -m tools.with_services -- .venv/bin/python bench/page_benchmark.py
    .venv/bin/python bench/page_benchmark.py --sizes 200 2000 20000 --duration 10   # DATABASE_URL, REDIS_URL set

Needs `hey` (Debian: apt-get install hey), an HTTP load generator written in
Go: a Python client on the same two cores would be slower than WhiteNoise and
would flatter the static file's figures.

Steps, in a database of its own (`<DATABASE_URL's name>_pagebench`, created,
migrated and dropped unless --keep):

1. one chat per size, made by bench/generate_chat.py (a host asking T1, T1a,
   T2 ... T5; answers with and without "A1" labels, replies, retweets, links)
   and loaded with `manage.py import_transcript --chat hcsmca-<size>`, the
   real import service;
2. `collectstatic` into a temporary STATIC_ROOT, as the production image does;
   each chat page is fetched once and its bytes written there as
   `bench/chat-<size>.html`, so the static file is the page itself;
3. gunicorn as deployed (`hcsmca.wsgi:application`, sync workers, access log)
   on a free port, and `hey` from another process, for each size:
   - cached: the page again and again (the Redis fragment cache warm);
   - 304: the page with the ETag of step 2 in If-None-Match (when it has one);
   - static: the same bytes from WhiteNoise;
   then gunicorn again with bench/uncached_settings.py (every cache read
   misses, writes still happen) for
   - uncached: every request renders the page.
Each measurement runs for --duration seconds after a short warm-up; the
figures are requests per second and p50/p95 latency over every request.
The log (with hey's per-request figures summarised, the gunicorn log beside
it) goes to bench/results/pages.log; a Markdown table is printed at the end.
--profile adds cProfile's view of one uncached and one cached render of the
largest chat (in-process, Django's test client) to the log.
"""
from __future__ import annotations

import argparse
import cProfile
import csv
import io
import json
import pstats
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    ROOT,
    Summary,
    bench_database,
    drop_database,
    git_head,
    load_average,
    machine_facts,
    markdown_table,
    ms,
    on_database,
    results_file,
    vacuum_analyze,
)
from django.conf import settings  # noqa: E402
from generate_chat import Generator  # noqa: E402

BENCH = ROOT / "bench"


def check_hey() -> str:
    path = shutil.which("hey")
    if path is None:
        raise SystemExit("page_benchmark needs `hey` (an HTTP load generator): apt-get install hey")
    return path


# --- data -------------------------------------------------------------------

def fill(sizes: list[int], env: dict, folder: Path, log: Path) -> dict[int, str]:
    """One chat per size, generated and imported with the real import
    service; returns the slug of each size's chat."""
    generator = Generator(seed=11)
    start = datetime(2025, 1, 7, 18, 0, tzinfo=UTC)
    slugs = {}
    for i, size in enumerate(sizes):
        path = folder / f"chat-{size}.jsonl"
        with path.open("w") as out:
            for status in generator.session(start + timedelta(days=7 * i), size):
                out.write(json.dumps(status, ensure_ascii=False) + "\n")
        slug = f"hcsmca-{size}"
        command = [sys.executable, str(ROOT / "manage.py"), "import_transcript", str(path), "--chat", slug,
                   "--series", "hcsmca", "--json"]
        with log.open("a") as err:
            done = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=err, text=True)
        outcome = json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {}
        if done.returncode != 0 or outcome.get("status") != "succeeded":
            raise SystemExit(f"import of {path.name} failed: {outcome}; see {log}")
        slugs[size] = slug
    return slugs


# --- the server -------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """gunicorn as the Dockerfile runs it (sync workers, access log), on a
    free local port, with the given settings module."""

    def __init__(self, env: dict, *, settings_module: str, workers: int, log: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.command = [sys.executable, "-m", "gunicorn", "hcsmca.wsgi:application", "--bind",
                        f"127.0.0.1:{self.port}", "--workers", str(workers), "--access-logfile", "-",
                        "--pythonpath", str(BENCH)]
        self.env = dict(env, DJANGO_SETTINGS_MODULE=settings_module)
        self.log = log
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        out = self.log.open("a")
        self.process = subprocess.Popen(self.command, env=self.env, cwd=ROOT, stdout=out, stderr=out)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}; see {self.log}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=5):
                    return self
            except urllib.error.HTTPError:
                return self  # it answers; /healthz's verdict is not our business here
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer within 60 s; see {self.log}")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def fetch(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


# --- the client -------------------------------------------------------------

@dataclass
class Measurement:
    label: str
    requests: int
    errors: int
    per_second: float
    latency: Summary


def hey(url: str, *, duration: float, concurrency: int, expect: int, headers: dict | None = None,
        log: Path) -> Measurement:
    """`hey` for ``duration`` seconds; every request's latency from its CSV
    output. Answers other than ``expect`` are counted as errors."""
    command = ["hey", "-z", f"{duration}s", "-c", str(concurrency), "-t", "300", "-disable-compression",
               "-o", "csv"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    latencies, errors, first, last = [], 0, float("inf"), 0.0
    for row in csv.DictReader(io.StringIO(done.stdout)):
        elapsed, offset = float(row["response-time"]), float(row["offset"])
        if int(row["status-code"]) != expect:
            errors += 1
            continue
        latencies.append(elapsed)
        first, last = min(first, offset), max(last, offset + elapsed)
    measurement = Measurement(label=url, requests=len(latencies), errors=errors,
                              per_second=len(latencies) / (last - first) if latencies else 0.0,
                              latency=Summary.of(latencies))
    with log.open("a") as out:
        out.write(f"$ {' '.join(command)}\n  {measurement}\n")
    return measurement


def warm_up(url: str, headers: dict | None = None, times: int = 3) -> None:
    for _ in range(times):
        fetch(url, headers)


# --- profile ----------------------------------------------------------------

def profile_renders(path: str, log: Path) -> None:
    """cProfile of one uncached and one cached render of ``path``, in this
    process (Django's test client, the bench database)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    client = Client(HTTP_HOST="127.0.0.1")
    uncached = {**settings.CACHES, "default": {**settings.CACHES["default"],
                                                "BACKEND": "_cache.AlwaysMissRedisCache"}}
    for label, caches in (("uncached", uncached), ("cached", settings.CACHES)):
        with override_settings(CACHES=caches):
            client.get(path)  # warm: connections, templates, and (cached) the fragments
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(path)
                plain = time.perf_counter() - started
            # Read now: the next request's request_started signal empties the log.
            captured = list(queries.captured_queries)
            profiler = cProfile.Profile()
            started = time.perf_counter()
            profiler.enable()
            client.get(path)
            profiler.disable()
            profiled = time.perf_counter() - started
        sql_time = sum(float(q["time"]) for q in captured)
        slowest = sorted(captured, key=lambda q: -float(q["time"]))[:8]
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        with log.open("a") as handle:
            handle.write(f"\n## {label} render of {path}: {response.status_code}, {len(response.content):,} bytes, "
                         f"{plain * 1000:.0f} ms ({len(captured)} queries, {sql_time * 1000:.0f} ms in SQL); "
                         f"{profiled * 1000:.0f} ms under cProfile\n")
            handle.write("slowest queries:\n" + "".join(f"  {q['time']} s  {q['sql'][:400]}\n" for q in slowest))
            handle.write(out.getvalue())


# --- main -------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 2000, 20000], help="posts per chat")
    parser.add_argument("--duration", type=float, default=10, help="seconds per measurement (default 10)")
    parser.add_argument("--concurrency", type=int, default=4, help="hey's concurrent clients (default 4)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3, as deployed)")
    parser.add_argument("--query", default="", help='query string of the page, e.g. "order=time"')
    parser.add_argument("--profile", action="store_true", help="cProfile the largest chat's renders into the log")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    args = parser.parse_args()
    check_hey()

    log = results_file("pages.log")
    server_log = results_file("pages-gunicorn.log")
    facts = machine_facts()
    with log.open("a") as out:
        out.write(f"{' '.join(sys.argv)}\n{facts}\ncommit {git_head()}\n")
    name, env = bench_database("pagebench")
    rows, sizes_seen = [], {}
    try:
        with tempfile.TemporaryDirectory() as folder:
            folder = Path(folder)
            static_root = folder / "static"
            env = dict(env, DJANGO_STATIC_ROOT=str(static_root), DJANGO_DEBUG="false")
            env.pop("DJANGO_SETTINGS_MODULE", None)
            started = time.perf_counter()
            slugs = fill(args.sizes, env, folder, log)
            vacuum_analyze(name)
            subprocess.run([sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v0"],
                           env=env, cwd=ROOT, check=True)
            (static_root / "bench").mkdir()
            with log.open("a") as out:
                out.write(f"data and collectstatic: {time.perf_counter() - started:.1f} s\n")
            query = f"?{args.query}" if args.query else ""

            # The pages' bytes and ETags, and the static copies of them.
            etags, counts = {}, post_counts(name, slugs)
            with Gunicorn(env, settings_module="hcsmca.settings", workers=args.workers, log=server_log) as server:
                for size, slug in slugs.items():
                    status, headers, body = fetch(f"{server.base}/chats/{slug}/{query}")
                    if status != 200:
                        raise SystemExit(f"/chats/{slug}/{query} answered {status}")
                    (static_root / "bench" / f"chat-{size}.html").write_bytes(body)
                    sizes_seen[size] = len(body)
                    etags[size] = headers.get("ETag")

            measurements: dict[tuple[int, str], Measurement] = {}
            common = dict(duration=args.duration, concurrency=args.concurrency, log=log)
            with Gunicorn(env, settings_module="hcsmca.settings", workers=args.workers, log=server_log) as server:
                for size, slug in slugs.items():
                    page = f"{server.base}/chats/{slug}/{query}"
                    static = f"{server.base}/static/bench/chat-{size}.html"
                    _, headers, body = fetch(static)
                    assert len(body) == sizes_seen[size], (len(body), sizes_seen[size])
                    warm_up(page)
                    measurements[size, "cached"] = hey(page, expect=200, **common)
                    if etags[size]:
                        conditional = {"If-None-Match": etags[size]}
                        status, _, _ = fetch(page, conditional)
                        if status == 304:
                            warm_up(page, conditional)
                            measurements[size, "304"] = hey(page, expect=304, headers=conditional, **common)
                    warm_up(static)
                    measurements[size, "static"] = hey(static, expect=200, **common)
            with Gunicorn(env, settings_module="uncached_settings", workers=args.workers, log=server_log) as server:
                for size, slug in slugs.items():
                    page = f"{server.base}/chats/{slug}/{query}"
                    warm_up(page, times=1)
                    measurements[size, "uncached"] = hey(page, expect=200, **common)

            if args.profile:
                with on_database(name):
                    profile_renders(f"/chats/{slugs[max(slugs)]}/{query}", log)
    finally:
        if not args.keep:
            drop_database(name)

    kinds = [("uncached", "page, uncached"), ("cached", "page, cached"), ("304", "page, 304 (If-None-Match)"),
             ("static", "static file, same bytes")]
    for size in slugs:
        static = measurements[size, "static"]
        for kind, label in kinds:
            m = measurements.get((size, kind))
            if m is None:
                continue
            rows.append([f"{counts[size]:,}", f"{sizes_seen[size]:,}", label, f"{m.per_second:,.0f}",
                         ms(m.latency.p50), ms(m.latency.p95),
                         f"{m.per_second / static.per_second:.2f}" if kind != "static" else "1",
                         f"{m.requests:,}" + (f" ({m.errors} errors)" if m.errors else "")])
    table = markdown_table(["posts", "page bytes", "request", "req/s", "p50", "p95", "req/s ÷ static", "requests"],
                           rows, right=[True, True, False, True, True, True, True, True])
    with log.open("a") as out:
        out.write("\n" + table + "\n")
    print(f"{facts}; at the end {load_average()}")
    print(f"gunicorn {args.workers} sync workers; hey -c {args.concurrency}, {args.duration:g} s per line; "
          f"page /chats/<slug>/{('?' + args.query) if args.query else ''}")
    print(table)


def post_counts(name: str, slugs: dict[int, str]) -> dict[int, int]:
    """Posts of each chat as imported (the generator adds the host's questions)."""
    from django.db import connection

    with on_database(name), connection.cursor() as cursor:
        cursor.execute("SELECT c.slug, count(p.id) FROM chats_chat c LEFT JOIN chats_post p ON p.chat_id = c.id "
                       "GROUP BY c.slug")
        by_slug = dict(cursor.fetchall())
    return {size: by_slug[slug] for size, slug in slugs.items()}


if __name__ == "__main__":
    main()
