"""Benchmark: import generated chats of N posts, next to a plain COPY.

    .venv/bin/python -m tools.with_services -- .venv/bin/python bench/import_benchmark.py 100000 1000000

For each size it generates a capture (bench/generate_chat.py), then:
- COPY baseline: the same rows (id, author, time, text, the original record
  as jsonb) COPYed from a prepared file into a bare table, timed on the
  database side only;
- import: `manage.py import_transcript --split-sessions` in a child process,
  timed from the outside, with its peak memory (max RSS) from the kernel;
- re-import: the same file again (every post unchanged).
It prints a Markdown table row per size. Everything it creates is in a
series of its own ("benchmark"), deleted at the end.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hcsmca.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from generate_chat import write  # noqa: E402


def copy_baseline(jsonl: Path, folder: Path) -> float:
    """Seconds to COPY the capture's rows into a bare table (the rows are
    prepared beforehand: this measures the database, not Python)."""
    rows = folder / "rows.copy"
    with jsonl.open() as source, rows.open("w") as out:
        for line in source:
            status = json.loads(line)
            fields = [status["id_str"], status["user"]["id_str"], status["created_at"], status["full_text"],
                      json.dumps(status, ensure_ascii=False)]
            out.write("\t".join(f.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n") for f in fields) + "\n")
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
        cursor.execute("CREATE TABLE bench_copy (external_id text, author_id text, created_at text, text text, original jsonb)")
        started = time.perf_counter()
        with rows.open() as data:
            cursor.cursor.copy_expert("COPY bench_copy FROM STDIN", data)
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_copy")
    return elapsed


def timed_import(jsonl: Path) -> tuple[float, float, dict]:
    """Seconds, peak MiB and the JSON outcome of one import in a child process."""
    command = [sys.executable, str(ROOT / "manage.py"), "import_transcript", str(jsonl), "--series", "benchmark",
               "--split-sessions", "--json"]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if result.returncode != 0:
        raise SystemExit(f"import failed:\n{result.stderr[-3000:]}")
    return elapsed, peak_mib, json.loads(result.stdout.strip().splitlines()[-1])


def clean_up() -> None:
    from chats.models import Chat, Import, Post, Series

    Post.objects.filter(author__handle__startswith="person").delete()
    Post.objects.filter(chat__series__hashtag="benchmark").delete()
    Chat.objects.filter(series__hashtag="benchmark").delete()
    Series.objects.filter(hashtag="benchmark").delete()
    Import.objects.filter(series_hashtag="benchmark").delete()


def main(sizes: list[int]) -> None:
    print("| posts | file | COPY baseline | import | posts/s | import ÷ COPY | peak memory | re-import |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in sizes:
        clean_up()
        with tempfile.TemporaryDirectory() as folder:
            jsonl = Path(folder) / f"chats-{size}.jsonl"
            write(str(jsonl), size)
            megabytes = jsonl.stat().st_size / 1e6
            baseline = copy_baseline(jsonl, Path(folder))
            first, peak, outcome = timed_import(jsonl)
            assert outcome["status"] == "succeeded" and outcome["created"] == size, outcome
            again, peak_again, outcome_again = timed_import(jsonl)
            assert outcome_again["unchanged"] == size, outcome_again
        print(f"| {size:,} | {megabytes:.0f} MB | {baseline:.1f} s | {first:.1f} s | {size / first:,.0f} | "
              f"{first / baseline:.1f}× | {max(peak, peak_again):.0f} MiB | {again:.1f} s |", flush=True)
    clean_up()


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [100_000])
