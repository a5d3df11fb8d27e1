"""Benchmark: import generated chats of N posts, next to a plain COPY.

    .venv/bin/python -m tools.with_services -- .venv/bin/python bench/import_benchmark.py 100000 1000000

For each size it generates a capture (bench/generate_chat.py), then:
- COPY baseline: the same rows (id, author, time, text, the original record
  as jsonb) COPYed from a prepared file into a bare table, timed on the
  database side only;
- import: `manage.py import_transcript --split-sessions` in a child process,
  timed from the outside, with its peak memory (max RSS) from the kernel;
- re-import: the same file again (every post unchanged).
It prints a Markdown table row per size. It works in a database of its own
(`<name>_bench` beside DATABASE_URL's), created, migrated and dropped, so
the archive you develop on is not touched. Each import's step timings and
memory samples go to bench/results/import-<size>.log.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import RESULTS, ROOT, bench_database, drop_database  # noqa: E402
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


def timed_import(jsonl: Path, log: Path, env: dict) -> tuple[float, float, dict]:
    """Seconds, peak MiB (sampled every 0.2 s) and the JSON outcome of one
    import in a child process."""
    command = [sys.executable, str(ROOT / "manage.py"), "import_transcript", str(jsonl), "--series", "benchmark",
               "--split-sessions", "--json"]
    started = time.perf_counter()
    peak = 0
    with log.open("a") as err:
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True, cwd=ROOT, env=env)
        watched = psutil.Process(child.pid)
        while child.poll() is None:
            try:
                rss = watched.memory_info().rss
            except psutil.NoSuchProcess:
                break
            if rss > peak:
                peak = rss
                err.write(f"[bench] peak RSS {rss / 2**20:.0f} MiB at {time.perf_counter() - started:.1f}s\n")
                err.flush()
            time.sleep(0.2)
        output = child.stdout.read()
    elapsed = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"import failed; see {log}")
    return elapsed, peak / 2**20, json.loads(output.strip().splitlines()[-1])


def main(sizes: list[int]) -> None:
    RESULTS.mkdir(exist_ok=True)
    print("| posts | file | COPY baseline | import | posts/s | import ÷ COPY | peak memory | re-import |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in sizes:
        name, env = bench_database("bench")
        env["DJANGO_LOG_LEVEL"] = "DEBUG"
        log = RESULTS / f"import-{size}.log"
        log.write_text("")
        try:
            with tempfile.TemporaryDirectory() as folder:
                jsonl = Path(folder) / f"chats-{size}.jsonl"
                write(str(jsonl), size)
                megabytes = jsonl.stat().st_size / 1e6
                baseline = copy_baseline(jsonl, Path(folder))
                first, peak, outcome = timed_import(jsonl, log, env)
                assert outcome["status"] == "succeeded" and outcome["created"] == size, outcome
                again, peak_again, outcome_again = timed_import(jsonl, log, env)
                assert outcome_again["unchanged"] == size, outcome_again
        finally:
            drop_database(name)
        print(f"| {size:,} | {megabytes:.0f} MB | {baseline:.1f} s | {first:.1f} s | {size / first:,.0f} | "
              f"{first / baseline:.1f}× | {max(peak, peak_again):.0f} MiB | {again:.1f} s |", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", type=int, nargs="*", default=[100_000], help="posts per capture (default 100000)")
    main(parser.parse_args().sizes)
