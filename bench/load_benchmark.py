"""Benchmark: readers, commenters and a moderator at once, for a bounded time,
against gunicorn and a real Celery worker on loopback.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/hcsmca_load REDIS_URL=redis://127.0.0.1:6379/9 \
      .venv/bin/python bench/load_benchmark.py --users 10 20 40 80 --duration 150 --spawn-rate 4

Needs locust (`make install-bench`: the `bench` extra). DATABASE_URL's
database must exist (it is only connected to, to create the benchmark's).
For each --users count, in a fresh database of its own (`<DATABASE_URL's
name>_loadbench`, created, migrated and dropped; --keep keeps the last one)
and with fresh servers, so that one count's upload and comments do not
weigh on the next:

1. the archive: --chats weekly chats of 1,000 posts made by
   bench/generate_chat.py and loaded with `manage.py import_transcript
   --split-sessions`, the demo chat (`manage.py load_demo`), a moderator (a
   staff user in the Moderators group) and three published summaries with
   comments open (`summary_draft`, `summary_publish`, the product services);
2. `collectstatic` into a temporary STATIC_ROOT, as the production image
   does; a Celery worker (`celery -A hcsmca worker --concurrency 2`, as
   docker-compose runs it) on a queue of this run's own, and gunicorn
   (`hcsmca.wsgi:application`, --workers sync workers, access log), with the
   project's settings unchanged (DEBUG off); each reader page is timed
   alone (one URL of each, five requests);
3. locust headless (bench/locustfile.py) for
   --duration seconds: one moderator who logs in to the admin and uploads a
   generated transcript of --import-posts posts through the import form, then
   polls its progress and works the comment queue; --commenters commenters
   who read a summary, wait, and post a comment (each a new person: see
   bench/locustfile.py for why); the other users are readers (home, archive,
   chat pages by question and by time, participants, resources, summaries,
   feeds, search, transcript.json);
4. afterwards it checks every comment that was answered with a redirect is
   in the database (by a unique marker in its text), that no request got a
   5xx, that the import succeeded with as many posts as the file has, and
   that the server and worker logs have no traceback; times each reader page
   alone again (the archive now holds the upload); and reports, per
   endpoint, requests, requests per second, p50/p95/p99, gunicorn's own
   time (its access log) and errors.

The report (Markdown) is printed and written to bench/results/load.md; each
step's request log, outcomes, locust's CSVs and the gunicorn and worker logs
are beside it in bench/results/. Exit status 1 when a check failed.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

# A Celery queue of this run's own, set before Django reads the settings: the
# tasks this process queues (summary renders) and the server's go to the
# worker started here, and no other worker on the same Redis takes them.
RUN = uuid.uuid4().hex[:8]
QUEUE = f"hcsmca-loadbench-{RUN}"
os.environ["CELERY_TASK_DEFAULT_QUEUE"] = QUEUE

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psutil  # noqa: E402  (a dependency of locust)
from _common import (  # noqa: E402
    ROOT,
    RESULTS,
    bench_database,
    drop_database,
    git_head,
    load_average,
    machine_facts,
    markdown_table,
    ms,
    on_database,
    percentile,
    results_file,
    vacuum_analyze,
)
from generate_chat import POSTS_PER_SESSION, Generator  # noqa: E402
from page_benchmark import Gunicorn, fetch  # noqa: E402

BENCH = ROOT / "bench"
QUERIES = ["caregiver", "patient privacy", '"online community"', "#hcsmca", "nurse research evidence",
           "zygomycosis", "trust", "peer support"]
MODERATOR = {"username": "loadbench-moderator", "password": f"load bench {RUN} password"}


# --- the archive --------------------------------------------------------------

def write_capture(path: Path, posts: int, *, seed: int, first_id: int, start: datetime) -> int:
    """A capture of ``posts`` posts in weekly sessions from ``start``, with
    status ids from ``first_id`` (so that captures of one run never share a
    post); returns the number of lines."""
    generator = Generator(seed=seed)
    generator.next_id = first_id
    written = 0
    with path.open("w") as out:
        moment = start
        while written < posts:
            for status in generator.session(moment, min(POSTS_PER_SESSION, posts - written)):
                out.write(json.dumps(status, ensure_ascii=False) + "\n")
                written += 1
            moment += timedelta(days=7)
    return written


def manage(env: dict, *arguments: str, log: Path) -> str:
    with log.open("a") as err:
        done = subprocess.run([sys.executable, str(ROOT / "manage.py"), *arguments], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=err, text=True)
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(arguments)} failed ({done.returncode}); see {log}")
    return done.stdout


def fill(name: str, env: dict, folder: Path, *, chats: int, log: Path) -> None:
    """The readers' archive: generated chats through the real import, the demo
    chat, a moderator and three published summaries with comments open."""
    capture = folder / "archive.jsonl"
    write_capture(capture, chats * POSTS_PER_SESSION, seed=21, first_id=1_500_000_000_000_000_000,
                  start=datetime(2025, 1, 7, 18, 0, tzinfo=UTC))
    out = manage(env, "import_transcript", str(capture), "--series", "hcsmca", "--split-sessions", "--json", log=log)
    outcome = json.loads(out.strip().splitlines()[-1])
    if outcome.get("status") != "succeeded":
        raise SystemExit(f"the archive did not import: {outcome}")
    manage(env, "load_demo", log=log)

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from chats.models import Chat
    from summaries.services.drafting import summary_draft
    from summaries.services.publishing import summary_publish

    with on_database(name):
        user = get_user_model().objects.create_user(MODERATOR["username"], password=MODERATOR["password"],
                                                    email="moderator@example.org", is_staff=True)
        user.groups.add(Group.objects.get(name="Moderators"))
        # The demo chat (a title, tags) and the two newest generated chats.
        for chat in [Chat.objects.get(slug="hcsmca-116"), *Chat.objects.exclude(slug="hcsmca-116")
                     .order_by("-start")[:2]]:
            summary = summary_draft(chat_id=chat.pk, requested_by=user)
            summary_publish(summary_id=summary.pk, by=user)
    vacuum_analyze(name)


def reader_plan(name: str) -> dict:
    """What readers ask for: the archive's chats, years, participants and
    summaries as the pages link to them."""
    from django.db.models import Count

    from chats.models import Author, Chat
    from summaries.models import Summary

    with on_database(name):
        # Largest first: the one-at-a-time latencies ("alone") are taken on
        # the first, a 1,000-post chat rather than the demo's 26 posts.
        chats = list(Chat.objects.archived().with_counts().order_by("-post_count", "slug")
                     .values_list("slug", flat=True))
        years = sorted({start.year for start in Chat.objects.archived().values_list("start", flat=True)})
        participants = list(Author.objects.filter(platform="twitter").annotate(n=Count("posts"))
                            .order_by("-n", "handle").values_list("handle", flat=True)[:200])
        summaries = [s.get_absolute_url() for s in Summary.objects.published()]
    return {"chats": chats, "years": years, "participants": participants, "summaries": summaries,
            "queries": QUERIES}


# --- the worker -----------------------------------------------------------------

class Worker:
    """`celery -A hcsmca worker` as docker-compose runs it (prefork, two
    processes), on this run's queue."""

    def __init__(self, env: dict, *, concurrency: int, log: Path):
        self.command = [sys.executable, "-m", "celery", "-A", "hcsmca", "worker", "--queues", QUEUE,
                        f"--concurrency={concurrency}", "--loglevel=INFO", "--without-gossip", "--without-mingle",
                        "--hostname", f"loadbench-{RUN}@%h"]
        self.env, self.log = env, log
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Worker:
        out = self.log.open("a")
        self.process = subprocess.Popen(self.command, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the Celery worker exited with {self.process.returncode}; see {self.log}")
            if " ready." in self.log.read_text(errors="replace"):
                return self
            time.sleep(0.3)
        raise SystemExit(f"the Celery worker was not ready within 90 s; see {self.log}")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # The run's queue goes with its worker: what is left in it (a
        # notification queued as the run ended) and kombu's binding key.
        import redis
        from django.conf import settings

        redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(QUEUE, f"_kombu.binding.{QUEUE}")


def alone(base: str, plan: dict, *, times: int = 5) -> dict[str, float]:
    """Each reader endpoint once at a time, before any load: one URL of each,
    fetched once to warm it and then ``times`` times; the median latency (s),
    keyed as the endpoint table names them."""
    chat, query = plan["chats"][0], urllib.parse.urlencode({"q": plan["queries"][0]})
    urls = {"home": "/", "archive": "/archive/", "chat page, by question": f"/chats/{chat}/",
            "chat page, by time": f"/chats/{chat}/?order=time", "participant": f"/people/twitter/{plan['participants'][0]}/",
            "resources": "/resources/", "summaries list": "/summaries/", "summary page": plan["summaries"][0],
            "feed": "/feeds/chats.atom", "search": f"/search/?{query}", "transcript.json": f"/chats/{chat}/transcript.json"}
    medians = {}
    for label, path in urls.items():
        fetch(base + path)
        latencies = []
        for _ in range(times):
            started = time.perf_counter()
            fetch(base + path)
            latencies.append(time.perf_counter() - started)
        medians[f"GET {label}"] = percentile(latencies, 50)
    return medians


class TimedGunicorn(Gunicorn):
    """bench/page_benchmark.py's gunicorn, its access log giving each request's
    own time in the worker (what the client waited beyond it was the queue)."""

    FORMAT = '"%(m)s" "%(U)s" "%(q)s" %(s)s %(L)s'

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.command += ["--access-logformat", self.FORMAT]


ACCESS_LINE = re.compile(r'^"(\w+)" "([^"]*)" "([^"]*)" (\d{3}) (\d+\.\d+)$')
ENDPOINTS = [  # (method, path pattern, query test, name as the locustfile names it)
    ("GET", r"/", None, "home"),
    ("GET", r"/archive/(\d+/)?", None, "archive"),
    ("GET", r"/chats/[^/]+/transcript\.json", None, "transcript.json"),
    ("GET", r"/chats/[^/]+/", "order=time", "chat page, by time"),
    ("GET", r"/chats/[^/]+/", None, "chat page, by question"),
    ("GET", r"/people/[^/]+/[^/]+/", None, "participant"),
    ("GET", r"/resources/", None, "resources"),
    ("GET", r"/summaries/", None, "summaries list"),
    ("GET", r"/\d{4}/\d{2}/\d{2}/[^/]+/", None, "summary page"),
    ("POST", r"/\d{4}/\d{2}/\d{2}/[^/]+/", None, "comment (POST)"),
    ("GET", r"/feeds/.*", None, "feed"),
    ("GET", r"/search/", None, "search"),
    ("GET", r"/admin/login/", None, "admin: login page"),
    ("POST", r"/admin/login/", None, "admin: log in"),
    ("GET", r"/admin/chats/import/add/", None, "admin: import form"),
    ("POST", r"/admin/chats/import/add/", None, "admin: import upload"),
    ("GET", r"/admin/chats/import/\d+/progress/", None, "admin: import progress"),
    ("GET", r"/admin/chats/import/\d+/change/", None, "admin: import page"),
    ("GET", r"/moderation/comments/", None, "moderation queue"),
    ("POST", r"/moderation/comments/", None, "moderation: approve"),
]


def served_times(log: Path, offset: int) -> dict[str, list[float]]:
    """Seconds each request spent in a gunicorn worker, by endpoint (as the
    locustfile names them; the summary page after a comment counts as the
    summary page), from the access log after ``offset``."""
    times: dict[str, list[float]] = defaultdict(list)
    with log.open(errors="replace") as handle:
        handle.seek(offset)
        for line in handle:
            found = ACCESS_LINE.match(line.strip())
            if not found:
                continue
            method, path, query, _, seconds = found.groups()
            for want, pattern, query_has, label in ENDPOINTS:
                if method == want and re.fullmatch(pattern, path) and (query_has is None or query_has in query):
                    times[f"{method} {label}"].append(float(seconds))
                    break
    return times


def wait_until(predicate, *, timeout: float, what: str, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")


def summaries_rendered(name: str) -> bool:
    from summaries.models import Summary

    with on_database(name):
        return not Summary.objects.published().filter(rendered_at__isnull=True).exists()


# --- one step: locust for a number of users -----------------------------------

class Sampler(threading.Thread):
    """Load average and CPU (machine, gunicorn, worker, locust) every few
    seconds while a step runs: the figures depend on what else ran."""

    def __init__(self, pids: dict[str, int], *, database: str, interval: float = 2):
        super().__init__(daemon=True)
        self.pids, self.interval, self.database = pids, interval, database
        self.loads: list[float] = []
        self.stop = threading.Event()
        self.cpu_start = self._cpu()
        # Backends alive now are read for their starting figure; later ones start at zero.
        self.backends: dict[int, tuple[float, float]] = {}
        self.counting = False
        self._backends()
        self.counting = True
        self.machine_start = psutil.cpu_times()
        self.started = time.monotonic()

    def _cpu(self) -> dict[str, float]:
        """CPU seconds of each process and its children; a process that has
        exited keeps the last figure read (so sample before it exits)."""
        seconds = dict(getattr(self, "last", {}))
        for label, pid in self.pids.items():
            try:
                root = psutil.Process(pid)
                total = 0.0
                for process in [root, *root.children(recursive=True)]:
                    times = process.cpu_times()
                    total += times.user + times.system
                seconds[label] = total
            except psutil.Error:
                pass
        self.last = seconds
        return seconds

    def _backends(self) -> None:
        """CPU seconds of the PostgreSQL backends serving this database (their
        process titles name it); a backend that starts during the run counts
        from zero."""
        for process in psutil.process_iter(["name", "cmdline"]):
            try:
                if process.info["name"] != "postgres" or not any(
                        f" {self.database} " in part for part in process.info["cmdline"] or []):
                    continue
                times = process.cpu_times()
                first, _ = self.backends.get(process.pid, (None, 0.0))
                now = times.user + times.system
                self.backends[process.pid] = (now if first is None and self.counting is False else first or 0.0, now)
            except psutil.Error:
                continue

    def run(self) -> None:
        while not self.stop.wait(self.interval):
            self.loads.append(os.getloadavg()[0])
            self._cpu()
            self._backends()

    def finish(self) -> dict:
        self.stop.set()
        self.join()
        wall = time.monotonic() - self.started
        end = self._cpu()
        machine_end = psutil.cpu_times()
        busy = lambda t: t.user + t.nice + t.system + t.irq + t.softirq + getattr(t, "steal", 0)  # noqa: E731
        cores = {label: (end[label] - self.cpu_start.get(label, 0.0)) / wall for label in end}
        self._backends()
        cores["PostgreSQL"] = sum(last - first for first, last in self.backends.values()) / wall
        cores["machine"] = (busy(machine_end) - busy(self.machine_start)) / wall
        return {"loads": self.loads, "cores": cores, "wall": wall}


@dataclass
class Step:
    users: int
    commenters: int
    span: float = 0.0
    requests: list[tuple] = field(default_factory=list)
    outcomes: list[dict] = field(default_factory=list)
    sampled: dict = field(default_factory=dict)
    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    load_before: str = ""
    load_after: str = ""
    baseline: dict[str, float] = field(default_factory=dict)
    after: dict[str, float] = field(default_factory=dict)
    served: dict[str, list[float]] = field(default_factory=dict)


def run_step(args, *, users: int, index: int, server: Gunicorn, worker: Worker, base_plan: dict, folder: Path,
             name: str) -> Step:
    commenters = min(args.commenters, max(users - 2, 0))
    step = Step(users=users, commenters=commenters)
    upload = folder / f"upload-{index}.jsonl"
    posts = write_capture(upload, args.import_posts, seed=100 + index, first_id=1_700_000_000_000_000_000 + index * 10**15,
                          start=datetime(2026, 1, 6, 18, 0, tzinfo=UTC) + timedelta(weeks=60 * index))
    series = f"loadbench{index}"
    label = f"load-{users}"
    plan = {**base_plan, "run": f"{RUN}u{users}", "commenters": commenters,
            "requests": str(results_file(f"{label}-requests.csv")), "outcomes": str(results_file(f"{label}-outcomes.jsonl")),
            "upload": {"path": str(upload), "series": series, "posts": posts, "bytes": upload.stat().st_size}}
    plan_path = folder / f"plan-{index}.json"
    plan_path.write_text(json.dumps(plan))

    command = [sys.executable, "-m", "locust", "-f", str(BENCH / "locustfile.py"), "--headless", "-u", str(users),
               "-r", str(args.spawn_rate), "-t", f"{args.duration:g}s", "--host", server.base, "--csv",
               str(RESULTS / label), "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "5"]
    step.load_before = load_average()
    log_offset = server.log.stat().st_size
    sampler = Sampler({"gunicorn": server.process.pid, "worker": worker.process.pid}, database=name)
    locust_log = results_file(f"{label}-locust.log")
    with locust_log.open("a") as out:
        out.write(" ".join(command) + "\n")
        out.flush()
        locust = subprocess.Popen(command, env=dict(os.environ, LOAD_PLAN=str(plan_path)), cwd=ROOT, stdout=out,
                                  stderr=subprocess.STDOUT)
        sampler.pids["locust"] = locust.pid
        sampler.cpu_start["locust"] = 0.0
        sampler.start()
        try:
            locust.wait(timeout=args.duration + 120)
        except subprocess.TimeoutExpired:
            pass
        finally:
            if locust.poll() is None:
                locust.kill()
                locust.wait()
    step.sampled = sampler.finish()
    step.load_after = load_average()
    step.served = served_times(server.log, log_offset)

    step.requests = read_requests(Path(plan["requests"]))
    if step.requests:
        step.span = max(r[0] + r[4] / 1000 for r in step.requests) - min(r[0] for r in step.requests)
    step.outcomes = [json.loads(line) for line in Path(plan["outcomes"]).read_text().splitlines() if line.strip()]
    check(step, name=name, plan=plan, server_log=server.log, worker_log=worker.log, timeout=args.import_timeout)
    # The same one-at-a-time latencies now that the upload is in (the archive
    # six times larger with the default sizes): what a page costs at this size
    # without the load, next to what it cost under it.
    step.after = alone(server.base, base_plan)
    return step


def read_requests(path: Path) -> list[tuple]:
    import csv

    rows = []
    with path.open() as handle:
        for start, method, name, status, latency, length, error in csv.reader(handle):
            rows.append((float(start), method, name, int(status), float(latency), int(length), error))
    return rows


# --- checks -----------------------------------------------------------------------

MARKER = re.compile(r"\[([0-9a-f]{8}u\d+-[0-9a-f]{12})\]")


def check(step: Step, *, name: str, plan: dict, server_log: Path, worker_log: Path, timeout: float) -> None:
    from chats.models import Import, Post
    from summaries.models import Comment

    checks = step.checks
    server_errors = sum(1 for r in step.requests if r[3] >= 500)
    checks.append(("no 5xx answer", server_errors == 0, f"{server_errors} answers 5xx"))
    failed = [r for r in step.requests if not (200 <= r[3] < 400)]
    checks.append(("no failed request (4xx, 5xx, timeouts, resets)", not failed, f"{len(failed)} failed"))

    comments = [o for o in step.outcomes if o["kind"] == "comment"]
    accepted = {o["marker"] for o in comments if o["status"] == 302}
    with on_database(name):
        bodies = Comment.objects.filter(body__contains=f"[{plan['run']}-").values_list("body", flat=True)
        stored = defaultdict(int)
        for body in bodies:
            for marker in MARKER.findall(body):
                stored[marker] += 1
    lost = accepted - set(stored)
    doubled = [m for m, n in stored.items() if n > 1]
    unanswered = set(stored) - accepted  # stored, but the client saw no redirect (e.g. a timeout)
    checks.append(("every accepted comment is stored, once", not lost and not doubled,
                   f"{len(accepted)} accepted (302), {len(stored)} stored, {len(lost)} lost, {len(doubled)} twice"))
    refused = [o for o in comments if o["status"] != 302]
    checks.append(("no comment refused", not refused,
                   f"{len(refused)} refused: " + "; ".join(sorted({f"{o['status']} {o.get('reason', '')}" for o in refused}))
                   if refused else f"{len(comments)} sent"))
    if unanswered:
        checks.append(("no comment stored without an answer", False, f"{len(unanswered)} stored but not answered 302"))
    step.comment_counts = {"sent": len(comments), "accepted": len(accepted), "held": sum(1 for o in comments if o.get("held")),
                           "stored": len(stored)}

    imports = [o for o in step.outcomes if o["kind"] == "import"]
    detail, ok = "the moderator never uploaded", False
    step.import_outcome = imports[0] if imports else {}
    if not imports:
        # The run ended while the moderator waited for the upload's answer or
        # watched its progress: the row tells what became of it.
        with on_database(name):
            row = Import.objects.filter(series_hashtag=plan["upload"]["series"]).order_by("pk").first()
        if row is not None:
            imports = [{"kind": "import", "pk": row.pk, "status": "not seen by the moderator"}]
            step.import_outcome = imports[0]
    if imports and imports[0].get("pk"):
        pk = imports[0]["pk"]

        def finished():
            with on_database(name):
                row = Import.objects.get(pk=pk)
            return row if row.status in {Import.Status.SUCCEEDED, Import.Status.FAILED} else None

        row = finished() or wait_until(finished, timeout=timeout, what=f"import {pk} to finish", interval=2)
        with on_database(name):
            in_db = Post.objects.filter(chat__series__hashtag=plan["upload"]["series"]).count()
        seconds = (row.finished_at - row.created_at).total_seconds() if row.finished_at else float("nan")
        step.import_row = {"status": row.status, "created": row.created_count, "posts": in_db, "seconds": seconds,
                           "queued_to_started": (row.started_at - row.created_at).total_seconds() if row.started_at else None,
                           "errors": row.errors[:3]}
        ok = row.status == Import.Status.SUCCEEDED and row.created_count == in_db == plan["upload"]["posts"]
        detail = (f"{row.status}; {plan['upload']['posts']:,} posts in the file, {row.created_count:,} created, "
                  f"{in_db:,} in the database; upload to finished {seconds:.0f} s")
    elif imports:
        detail = f"upload refused: {imports[0]}"
    checks.append(("the import succeeded with every post of the file", ok, detail))

    for label, log in (("gunicorn", server_log), ("worker", worker_log)):
        text = log.read_text(errors="replace")
        found = [line for line in text.splitlines()
                 if "Traceback" in line or "WORKER TIMEOUT" in line or "[ERROR]" in line or " ERROR/" in line]
        checks.append((f"no traceback or error in the {label} log", not found,
                       f"{len(found)} lines, first: {found[0][:200]}" if found else "clean"))


# --- report -------------------------------------------------------------------------

def endpoint_table(step: Step) -> str:
    baseline, served = step.baseline, step.served
    by_name: dict[str, list[tuple]] = defaultdict(list)
    for row in step.requests:
        by_name[f"{row[1]} {row[2]}"].append(row)
    rows = []
    span = step.span or 1
    for key in sorted(by_name, key=lambda k: -len(by_name[k])):
        group = by_name[key]
        latencies = [r[4] / 1000 for r in group]
        errors = [r for r in group if not (200 <= r[3] < 400)]
        five = sum(1 for r in errors if r[3] >= 500)
        rows.append([key, f"{len(group):,}", f"{len(group) / span:.2f}", ms(percentile(latencies, 50)),
                     ms(percentile(latencies, 95)), ms(percentile(latencies, 99)),
                     ms(percentile(served[key], 50)) if served.get(key) else "",
                     ms(baseline[key]) if key in baseline else "",
                     ms(step.after[key]) if key in step.after else "",
                     f"{len(errors)}" + (f" ({five} 5xx)" if five else "")])
    everything = [r[4] / 1000 for r in step.requests]
    errors = sum(1 for r in step.requests if not (200 <= r[3] < 400))
    rows.append(["**all**", f"{len(step.requests):,}", f"{len(step.requests) / span:.1f}", ms(percentile(everything, 50)),
                 ms(percentile(everything, 95)), ms(percentile(everything, 99)),
                 ms(percentile([t for times in served.values() for t in times], 50)) if served else "", "", "",
                 str(errors)])
    return markdown_table(["endpoint", "requests", "req/s", "p50", "p95", "p99", "server p50", "alone before",
                           "alone after", "errors"], rows)


def step_report(step: Step, args) -> str:
    sampled = step.sampled
    loads = sampled.get("loads") or [float("nan")]
    cores = sampled.get("cores", {})
    readers = step.users - step.commenters - 1
    lines = [f"### {step.users} users: {readers} readers, {step.commenters} commenters, 1 moderator", "",
             f"{args.duration:g} s (requests over {step.span:.0f} s); load average {step.load_before} before, "
             f"{max(loads):.2f} at most during the run (1-minute, sampled every 5 s), {step.load_after} after; "
             "cores busy on average: " + ", ".join(f"{label} {value:.2f}" for label, value in cores.items()) + ".", "",
             endpoint_table(step), ""]
    counts = getattr(step, "comment_counts", {})
    if counts:
        lines.append(f"Comments: {counts['sent']} sent, {counts['accepted']} accepted (302; {counts['held']} held "
                     f"for moderation as first comments), {counts['stored']} found in the database.")
    row = getattr(step, "import_row", None)
    if row:
        upload = step.import_outcome
        request = (f"upload request {upload['upload_seconds']:.1f} s" if "upload_seconds" in upload
                   else "the run ended before the moderator saw the upload's answer or the end")
        started = row["queued_to_started"]
        seen = upload.get("status") in {"succeeded", "failed"}
        lines.append(f"Import: {row['posts']:,} posts in the database of {row['created']:,} created ({row['status']}); "
                     f"{request}; queued to started {started if started is not None else float('nan'):.1f} s, "
                     f"queued to finished {row['seconds']:.0f} s"
                     + (" (the moderator saw it finish)." if seen else " (finished after the run's end)."))
    lines += ["", markdown_table(["check", "ok", "detail"],
                                 [[label, "yes" if ok else "**NO**", detail] for label, ok, detail in step.checks],
                                 right=[False, False, False]), ""]
    return "\n".join(lines)


# --- main -------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.split("\n")[2:]))
    parser.add_argument("--users", type=int, nargs="+", default=[10], help="simulated users, one run each (default 10)")
    parser.add_argument("--spawn-rate", type=float, default=2, help="users started per second (default 2)")
    parser.add_argument("--duration", type=float, default=180, help="seconds of each run (default 180)")
    parser.add_argument("--commenters", type=int, default=3, help="commenters among the users (default 3)")
    parser.add_argument("--import-posts", type=int, default=50_000,
                        help="posts of the file the moderator uploads (default 50,000: about 39 MB)")
    parser.add_argument("--chats", type=int, default=8, help="chats of 1,000 posts in the readers' archive (default 8)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers (default 3, as deployed)")
    parser.add_argument("--worker-concurrency", type=int, default=2, help="Celery worker processes (default 2, as deployed)")
    parser.add_argument("--reader-wait", type=float, nargs=2, default=[1, 3], metavar=("MIN", "MAX"),
                        help="seconds a reader waits between pages (default 1 3)")
    parser.add_argument("--timeout", type=float, default=60, help="seconds before a request counts as failed (default 60)")
    parser.add_argument("--import-timeout", type=float, default=1200, help="seconds to wait for the import (default 1200)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    args = parser.parse_args()
    # Stopped with SIGTERM (kill, timeout): unwind, so that gunicorn, the
    # worker and locust are stopped and the database dropped.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    report_path = results_file("load.md")
    facts = machine_facts()
    head = git_head()
    steps: list[Step] = []
    name = ""
    try:
        with tempfile.TemporaryDirectory() as folder:
            folder = Path(folder)
            for index, users in enumerate(args.users, start=1):
                # Each count of users gets the same fresh archive and fresh
                # servers: the previous step's upload and comments would make
                # the pages and searches of the next one heavier.
                name, env = bench_database("loadbench")
                env = dict(env, DJANGO_STATIC_ROOT=str(folder / "static"), DJANGO_MEDIA_ROOT=str(folder / "media"),
                           DJANGO_DEBUG="false", CELERY_TASK_DEFAULT_QUEUE=QUEUE)
                env.pop("DJANGO_SETTINGS_MODULE", None)
                label = f"load-{users}"
                setup_log = results_file(f"{label}-setup.log")
                started = time.perf_counter()
                fill(name, env, folder, chats=args.chats, log=setup_log)
                if not (folder / "static").exists():
                    manage(env, "collectstatic", "--noinput", "-v0", log=setup_log)
                base_plan = {**reader_plan(name), "moderator": MODERATOR, "timeout": args.timeout,
                             "reader_wait": args.reader_wait, "commenter_wait": [5, 15], "typing_seconds": [4, 12],
                             "moderator_wait": [10, 20], "poll_seconds": 2, "import_timeout": args.import_timeout}
                print(f"archive ready in {time.perf_counter() - started:.0f} s: {len(base_plan['chats'])} chats, "
                      f"{len(base_plan['summaries'])} summaries", flush=True)
                server_log, worker_log = results_file(f"{label}-gunicorn.log"), results_file(f"{label}-worker.log")
                with Worker(env, concurrency=args.worker_concurrency, log=worker_log) as worker, \
                        TimedGunicorn(env, settings_module="hcsmca.settings", workers=args.workers,
                                      log=server_log) as server:
                    wait_until(lambda: summaries_rendered(name), timeout=120, what="the summaries to be rendered")
                    for path in [base_plan["summaries"][0], f"/chats/{base_plan['chats'][0]}/"]:
                        status, _, _ = fetch(server.base + path)
                        if status != 200:
                            raise SystemExit(f"{path} answered {status}; see {server_log}")
                    baseline = alone(server.base, base_plan)
                    print(f"{users} users for {args.duration:g} s ...", flush=True)
                    step = run_step(args, users=users, index=index, server=server, worker=worker,
                                    base_plan=base_plan, folder=folder, name=name)
                step.baseline = baseline
                steps.append(step)
                print(step_report(step, args), flush=True)
                if not args.keep or index < len(args.users):
                    drop_database(name)
                    name = ""
    finally:
        if name and not args.keep:
            drop_database(name)

    report = ["# Load: readers, commenters and a moderator at once", "",
              f"{' '.join(sys.argv)}", "", f"{facts}; commit {head}; at the end {load_average()}.",
              f"gunicorn {args.workers} sync workers, Celery worker --concurrency {args.worker_concurrency}; "
              f"archive of {args.chats} generated chats of 1,000 posts and the demo chat; upload of "
              f"{args.import_posts:,} posts; readers wait {args.reader_wait[0]:g}-{args.reader_wait[1]:g} s "
              "between pages.", ""]
    report.append("Each count of users on a fresh archive and fresh servers. \"alone before\": the endpoint's median "
                  "latency one request at a time just before the load (one URL of each, warm, 5 requests), and "
                  "\"alone after\" the same once the upload is imported and the load is over; "
                  "\"server p50\": gunicorn's own time for the request (from its access log), so the rest of the "
                  "client's latency is the wait for a free worker.\n")
    report += [step_report(step, args) for step in steps]
    text = "\n".join(report)
    report_path.write_text(text)
    print(f"\nreport: {report_path}")
    if any(not ok for step in steps for _, ok, _ in step.checks):
        sys.exit(1)


if __name__ == "__main__":
    main()
