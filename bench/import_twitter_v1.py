"""Benchmark: import a generated Twitter v1.1 transcript of N posts, twice.

    .venv/bin/python -m tools.with_services -- .venv/bin/python bench/import_twitter_v1.py 20000

Uses the database in DATABASE_URL (the embedded one under the wrapper) and a
series of its own ("benchmark"), which it deletes afterwards. Prints wall time
and peak memory (max RSS) of the first import and of the re-import.
"""
from __future__ import annotations

import json
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hcsmca.settings")

import django  # noqa: E402

django.setup()

from chats.models import Chat, Series  # noqa: E402
from chats.services.imports import SourceFile, transcript_import  # noqa: E402

WORDS = "care patient survivor nurse study evidence support online community question answer health".split()


def generate(path: Path, count: int) -> None:
    start = datetime(2025, 1, 7, 1, 0, tzinfo=UTC)
    rng = random.Random(7)
    with path.open("w") as out:
        for n in range(count):
            user = rng.randrange(500)
            text = f"A{rng.randrange(1, 6)} " + " ".join(rng.choice(WORDS) for _ in range(20)) + " #benchmark"
            record = {
                "id_str": str(1_800_000_000_000_000_000 + n),
                "created_at": (start + timedelta(seconds=n * 3600 / count)).strftime("%a %b %d %H:%M:%S +0000 %Y"),
                "full_text": text + (" https://t.co/abc" if n % 10 == 0 else ""),
                "entities": {"hashtags": [{"text": "benchmark"}], "user_mentions": [],
                             "urls": [{"url": "https://t.co/abc", "expanded_url": f"https://example.org/{n % 50}"}]
                             if n % 10 == 0 else []},
                "lang": "en",
                "in_reply_to_status_id_str": str(1_800_000_000_000_000_000 + n - 1) if n and n % 4 == 0 else None,
                "user": {"id_str": str(user), "screen_name": f"user{user}", "name": f"User {user}"},
            }
            out.write(json.dumps(record) + "\n")


def timed_import(path: Path):
    started = time.perf_counter()
    with path.open("rb") as stream:
        outcome = transcript_import(sources=[SourceFile(path.name, stream)], series_hashtag="benchmark")
    return time.perf_counter() - started, outcome


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.jsonl"
        generate(path, count)
        size = path.stat().st_size
        first, outcome = timed_import(path)
        assert outcome.status == "succeeded" and outcome.created == count, outcome.as_contract()
        second, again = timed_import(path)
        assert again.unchanged == count, again.as_contract()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{count} posts ({size / 1e6:.1f} MB): first import {first:.1f}s ({count / first:,.0f} posts/s), "
          f"re-import {second:.1f}s; peak RSS {peak_mib:.0f} MiB")
    Chat.objects.filter(series__hashtag="benchmark").delete()
    Series.objects.filter(hashtag="benchmark").delete()


if __name__ == "__main__":
    main()
