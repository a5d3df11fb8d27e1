"""The simulated people of bench/load_benchmark.py (run by it, not by hand):
readers, commenters and one moderator, against a gunicorn it started.

Everything this file needs comes from the plan, a JSON file named by the
LOAD_PLAN environment variable (written by load_benchmark.py): the chats,
participants and summaries of the benchmark's database, the moderator's
login, the file to upload and where to log.

Every request is logged (one CSV line: endpoint, method, status, latency,
bytes, error) to the plan's ``requests`` file, so that the benchmark computes
exact percentiles itself (locust's own statistics round latencies), and
every comment sent and every import is logged to its ``outcomes`` file
(JSON lines), which load_benchmark.py checks against the database.

Identity of commenters: each comment is sent by a new person, with an email
of their own and a source address of their own on loopback (127.x.y.z; Linux
answers for all of 127.0.0.0/8 on ``lo``), because the server's rate limits
(COMMENTS_RATE_LIMIT_IP, COMMENTS_RATE_LIMIT_EMAIL: a few comments per
address and per email in ten minutes) are meant for one person sending many
comments, which is not the load measured here (many readers, each
commenting once). So the server runs with the production settings, limits
included, and still counts every attempt in Redis.
"""
from __future__ import annotations

import csv
import itertools
import json
import os
import random
import re
import time
import uuid
from html import unescape
from pathlib import Path

from locust import HttpUser, between, events, task
from requests.adapters import HTTPAdapter

PLAN = json.loads(Path(os.environ["LOAD_PLAN"]).read_text())
# Seconds before a request counts as failed (the client gives up, as a
# browser or a person would); uploads get longer.
TIMEOUT = PLAN.get("timeout", 60)
UPLOAD_TIMEOUT = 600

_requests_out = open(PLAN["requests"], "a", newline="")  # noqa: SIM115 (open for the run)
_requests_csv = csv.writer(_requests_out)
_outcomes_out = open(PLAN["outcomes"], "a")  # noqa: SIM115


@events.request.add_listener
def log_request(request_type, name, response_time, response_length, response=None, exception=None,
                start_time=None, **kwargs):
    status = getattr(response, "status_code", 0) if response is not None else 0
    _requests_csv.writerow([f"{start_time or time.time():.3f}", request_type, name, status,
                            f"{response_time:.3f}", response_length or 0,
                            "" if exception is None else str(exception)[:300].replace("\n", " ")])


@events.quitting.add_listener
def flush(environment, **kwargs):
    _requests_out.flush()
    _outcomes_out.flush()


def outcome(kind: str, **fields) -> None:
    _outcomes_out.write(json.dumps({"kind": kind, "at": time.time(), **fields}) + "\n")
    _outcomes_out.flush()


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HIDDEN_INPUT = re.compile(r'<input type="hidden" name="([^"]+)"(?: value="([^"]*)")?')
FORM_ERRORS = re.compile(r'<div class="comment-form-errors"[^>]*>(.*?)</div>', re.S)
FIELD_ERRORS = re.compile(r'<span class="field-error"[^>]*>(.*?)</span>', re.S)
PENDING_IDS = re.compile(r'name="comment" value="(\d+)"')


def csrf_token(html: str) -> str | None:
    found = CSRF_INPUT.search(html)
    return found.group(1) if found else None


def refusal(html: str) -> str:
    """What the page says about a refused comment (for the outcome log)."""
    found = FORM_ERRORS.search(html) or FIELD_ERRORS.search(html)
    return unescape(re.sub(r"<[^>]+>", " ", found.group(1))).strip()[:300] if found else ""


class SourceAddressAdapter(HTTPAdapter):
    """Connections from one loopback address (a commenter of its own)."""

    def __init__(self, source: str, **kwargs):
        self.source = source
        super().__init__(**kwargs)

    def init_poolmanager(self, connections, maxsize, block=False, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(connections, maxsize, block, **kwargs)


# Each comment's source address: random in 127.16.0.0-127.255.255.255 for
# this run (a counter in Redis from an earlier run on the same address would
# refuse it), never twice within the run.
_addresses = itertools.count(random.randrange(1, 2**20))


def next_address() -> str:
    n = next(_addresses) % (240 * 2**16)
    return f"127.{16 + n // 2**16}.{(n // 256) % 256}.{n % 256 or 1}"


WORDS = ("care patient survivor nurse study evidence support online community trust privacy family clinic "
         "doctor research data caregiver health wellbeing peer listen learn share experience").split()


class Reader(HttpUser):
    """Browses and searches the way readers of the archive do: the front
    page, the archive, chat pages (by question and by time, a second page),
    a participant, resources, summaries, feeds, search, an export."""

    weight = 1
    wait_time = between(*PLAN["reader_wait"])

    def get(self, path: str, name: str):
        return self.client.get(path, name=name, timeout=TIMEOUT)

    @task(4)
    def home(self):
        self.get("/", "home")

    @task(2)
    def archive(self):
        self.get(random.choice(["/archive/", f"/archive/{random.choice(PLAN['years'])}/"]), "archive")

    @task(8)
    def chat_by_question(self):
        self.get(f"/chats/{random.choice(PLAN['chats'])}/", "chat page, by question")

    @task(4)
    def chat_by_time(self):
        page = random.choice(["", "&page=2"])
        self.get(f"/chats/{random.choice(PLAN['chats'])}/?order=time{page}", "chat page, by time")

    @task(3)
    def participant(self):
        self.get(f"/people/twitter/{random.choice(PLAN['participants'])}/", "participant")

    @task(2)
    def resources(self):
        self.get(random.choice(["/resources/", "/resources/?kind=study", "/resources/?sort=newest"]), "resources")

    @task(2)
    def summaries(self):
        self.get("/summaries/", "summaries list")

    @task(4)
    def summary(self):
        self.get(random.choice(PLAN["summaries"]), "summary page")

    @task(2)
    def feeds(self):
        self.get(random.choice(["/feeds/chats.atom", "/feeds/chats.rss", "/feeds/summaries.atom",
                                "/feeds/summaries.rss", "/feeds/comments.atom"]), "feed")

    @task(6)
    def search(self):
        self.client.get("/search/", params={"q": random.choice(PLAN["queries"])}, name="search", timeout=TIMEOUT)

    @task(1)
    def transcript(self):
        self.get(f"/chats/{random.choice(PLAN['chats'])}/transcript.json", "transcript.json")


class Commenter(HttpUser):
    """Reads a summary, takes some seconds to write (the form refuses what is
    sent within COMMENTS_MIN_SECONDS), and posts a comment; then reads the
    page it is sent back to. Each comment is a new person (see the module's
    docstring)."""

    fixed_count = PLAN["commenters"]
    wait_time = between(*PLAN["commenter_wait"])

    def on_start(self):
        self.sent = 0

    @task
    def comment(self):
        # A new person: a new address, no cookies from the previous one.
        address = next_address()
        self.client.mount("http://", SourceAddressAdapter(address))
        self.client.cookies.clear()
        target = random.choice(PLAN["summaries"])
        page = self.client.get(target, name="summary page", timeout=TIMEOUT)
        token = csrf_token(page.text) if page.status_code == 200 else None
        if token is None:
            return  # the failed GET is already in the statistics
        fields = {name: value or "" for name, value in HIDDEN_INPUT.findall(page.text)}
        time.sleep(random.uniform(*PLAN["typing_seconds"]))

        marker = f"{PLAN['run']}-{uuid.uuid4().hex[:12]}"
        self.sent += 1
        person = f"{PLAN['run']}-{marker[-12:]}"
        data = {
            **fields,
            "csrfmiddlewaretoken": token,
            "name": f"Reader {person}",
            "email": f"{person}@example.org",
            "website": "",
            "body": f"Thank you for this summary: {' '.join(random.choices(WORDS, k=random.randrange(8, 40)))}. "
                    f"[{marker}]",
            "fax_number": "",  # the honeypot stays empty, as a person leaves it
            "parent": "",
        }
        started = time.time()
        with self.client.post(target, data=data, name="comment (POST)", allow_redirects=False, timeout=TIMEOUT,
                              catch_response=True) as response:
            location = response.headers.get("Location", "")
            if response.status_code == 302:
                response.success()
                outcome("comment", marker=marker, summary=target, address=address, status=302, location=location,
                        held="#comments" in location, sent_at=started)
            else:
                reason = refusal(response.text)
                response.failure(f"{response.status_code}: {reason or 'no reason shown'}")
                outcome("comment", marker=marker, summary=target, address=address, status=response.status_code,
                        reason=reason, sent_at=started)
                return
        # The browser follows the redirect (the "thank you" message shows there).
        self.client.get(location, name="summary page (after comment)", timeout=TIMEOUT)


class Moderator(HttpUser):
    """One moderator: logs in to the admin, uploads a large transcript through
    the import form, watches its progress until the worker finishes it, then
    keeps an eye on the comment queue and approves what waits there."""

    fixed_count = 1
    wait_time = between(*PLAN["moderator_wait"])

    def on_start(self):
        self.imported = False
        login = self.client.get("/admin/login/?next=/admin/", name="admin: login page", timeout=TIMEOUT)
        response = self.client.post(
            "/admin/login/?next=/admin/", name="admin: log in", timeout=TIMEOUT, allow_redirects=False,
            data={"csrfmiddlewaretoken": csrf_token(login.text) or "", "username": PLAN["moderator"]["username"],
                  "password": PLAN["moderator"]["password"], "next": "/admin/"},
        )
        self.logged_in = response.status_code == 302
        if not self.logged_in:
            outcome("login", status=response.status_code)

    @task
    def work(self):
        if not self.logged_in:
            return
        if not self.imported:
            self.imported = True
            self.upload()
        else:
            self.moderate()

    def upload(self):
        form = self.client.get("/admin/chats/import/add/", name="admin: import form", timeout=TIMEOUT)
        path = Path(PLAN["upload"]["path"])
        started = time.time()
        with path.open("rb") as handle:
            response = self.client.post(
                "/admin/chats/import/add/", name="admin: import upload", timeout=UPLOAD_TIMEOUT, allow_redirects=False,
                data={"csrfmiddlewaretoken": csrf_token(form.text) or "", "requested_format": "auto",
                      "series_hashtag": PLAN["upload"]["series"], "chat_slug": "", "split_sessions": "on"},
                files={"file": (path.name, handle, "application/x-ndjson")},
            )
        uploaded = time.time()
        found = re.search(r"/admin/chats/import/(\d+)/change/", response.headers.get("Location", ""))
        if response.status_code != 302 or not found:
            outcome("import", status="upload refused", http=response.status_code, upload_seconds=uploaded - started)
            return
        pk = int(found.group(1))
        state = {}
        while time.time() - started < PLAN["import_timeout"]:
            time.sleep(PLAN["poll_seconds"])
            progress = self.client.get(f"/admin/chats/import/{pk}/progress/", name="admin: import progress",
                                       timeout=TIMEOUT)
            if progress.status_code == 200:
                state = progress.json()
                if state.get("finished"):
                    break
        finished = time.time()
        self.client.get(f"/admin/chats/import/{pk}/change/", name="admin: import page", timeout=TIMEOUT)
        outcome("import", pk=pk, status=state.get("status", "unknown"), state=state, started_at=started,
                upload_seconds=uploaded - started, finished_seconds=finished - started)

    def moderate(self):
        queue = self.client.get("/moderation/comments/?status=pending", name="moderation queue", timeout=TIMEOUT)
        ids = PENDING_IDS.findall(queue.text)[:20] if queue.status_code == 200 else []
        token = csrf_token(queue.text)
        if ids and token:
            response = self.client.post("/moderation/comments/?status=pending", name="moderation: approve",
                                        data={"csrfmiddlewaretoken": token, "action": "approve", "comment": ids},
                                        allow_redirects=False, timeout=TIMEOUT)
            outcome("approve", ids=ids, status=response.status_code)
