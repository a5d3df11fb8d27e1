"""Benchmark: search over an archive of N posts (1,000,000 by default), next to
the bare SQL of the same search.

    .venv/bin/python -m tools.with_services -- .venv/bin/python bench/search_benchmark.py
    .venv/bin/python bench/search_benchmark.py --posts 1000000 --runs 30 --keep   # DATABASE_URL, REDIS_URL set
    .venv/bin/python bench/search_benchmark.py --reuse --runs 50                  # the kept database again

The archive, in a database of its own (`<DATABASE_URL's name>_searchbench`):
one series, --chats chats (every 25th hidden from readers) of equal size,
seven questions each (T1, T1a, T2, T2a, T3, T4, T5), 20,000 authors, and the
posts. Their texts are made in Python, 8 to 30 words drawn from a vocabulary
of 30,000 words with Zipf frequencies (weight 1/rank: English stop words
first, then words of health chats, then made-up words), COPYed into a
temporary table; the posts are then written by one INSERT ... SELECT over
generate_series, with a retweet ("RT @person: ", 20 %) or reply ("@person ",
15 %) prefix, the series hashtag (#hcsmca, 95 %), a DOI link (10 %) and the
rare word (in exactly --rare posts). The post table's indexes are dropped
for the load and built again afterwards, then VACUUM ANALYZE.

For each query (a rare word, a common word, the hashtag and a phrase) the
benchmark runs, --runs times each after --warmup runs, in rotating order:
- page: GET /search/?q=... in this process (Django's test client: form,
  run_search, template, middleware; no HTTP server);
- run_search: chats.search.run_search on the form's cleaned data;
- bare SQL: the statements the page issued (captured once with
  CaptureQueriesContext), executed as they are through a psycopg2 cursor and
  fetched.
It reports p50/p95 of each, the ratio of the page's p95 to the bare SQL's,
and writes EXPLAIN (ANALYZE, BUFFERS) of every statement of every query to
bench/results/search.log.
"""
from __future__ import annotations

import argparse
import inspect
import io
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    Summary,
    bench_database,
    database_exists,
    drop_database,
    git_head,
    load_average,
    machine_facts,
    markdown_table,
    ms,
    results_file,
    use_database,
)
from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

RARE_WORD = "zygomycosis"
COMMON_WORD = "patients"
HASHTAG = "hcsmca"
QUERIES = [("rare word", RARE_WORD), ("common word", COMMON_WORD), ("hashtag", f"#{HASHTAG}"),
           ("phrase", '"patient care"')]
AUTHORS = 20_000
VOCABULARY = 30_000
QUESTIONS = ["T1", "T1a", "T2", "T2a", "T3", "T4", "T5"]

# The most frequent words first (rank 1 = "the"); stop words have no lexeme
# in the tsvector, as in real posts.
TOP_WORDS = (
    "the to and of a in for is i that it you we with be on are this our as can have not "
    "patients care health what how they more about do your so people when help at but my from "
    "all one think need like support just who or there was by time data patient their will "
    "if would important family good information doctors know also work research make social media "
    "online community get great thanks share experience nurses evidence caregivers trust privacy "
    "question access system learn better hospital physicians youth mental cancer chronic pain "
    "clinic study studies wellbeing listen peer survivor engagement digital tools apps record"
).split()
SYLLABLES = ("ka ri mo te lu sa ne vi po da fe gi ho ja ko le mi nu pa qui ro si tu va we xo ya zu "
             "bel dor fin gar hol jun kel lam mor nar pel ris sol tam ven").split()


# --- the archive ------------------------------------------------------------

def vocabulary(rng: random.Random) -> list[str]:
    words, seen = list(TOP_WORDS), set(TOP_WORDS) | {RARE_WORD}
    while len(words) < VOCABULARY:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def texts(n: int, rng: random.Random):
    """``n`` bodies of 8 to 30 words with Zipf frequencies."""
    words = vocabulary(rng)
    cumulative, total = [], 0.0
    for rank in range(1, len(words) + 1):
        total += 1 / rank
        cumulative.append(total)
    for _ in range(n):
        yield " ".join(rng.choices(words, cum_weights=cumulative, k=rng.randint(8, 30)))


def build_archive(*, posts: int, chats: int, rare: int, log: Path) -> None:
    """Series, chats, questions, authors and ``posts`` posts in the current
    database (just migrated, empty)."""
    from chats.models import Chat, Question, Series

    rng = random.Random(20261127)
    started = time.perf_counter()
    steps = []

    def step(label: str) -> None:
        steps.append((label, time.perf_counter() - started - sum(s for _, s in steps)))

    series = Series.objects.create(hashtag=HASHTAG, name="Health care social media Canada", timezone="America/Toronto")
    first = datetime(2012, 1, 10, 23, 0, tzinfo=UTC)
    chat_rows = Chat.objects.bulk_create(
        Chat(series=series, number=n, title=f"Chat {n}", slug=f"{HASHTAG}-{n}",
             start=first + timedelta(weeks=n), end=first + timedelta(weeks=n, hours=1),
             status=Chat.Status.ARCHIVED,
             visibility=Chat.Visibility.HIDDEN if n % 25 == 0 else Chat.Visibility.PUBLIC)
        for n in range(1, chats + 1)
    )
    question_rows = Question.objects.bulk_create(
        Question(chat=chat, label=label, number=int(label[1]), sub=label[2:], position=k,
                 text=f"{label}: what do you think about question {k}?",
                 asked_at=chat.start + timedelta(minutes=5 + 7 * k))
        for chat in chat_rows for k, label in enumerate(QUESTIONS)
    )
    questions_of: dict[int, list[int]] = {}
    for question in question_rows:
        questions_of.setdefault(question.chat_id, []).append(question.id)
    step("series, chats, questions")

    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO chats_author (platform, platform_id, handle, display_name, profile_url, avatar_url)
            SELECT 'twitter', (10000 + n)::text, 'person' || n, 'Person ' || n, 'https://twitter.com/person' || n,
                   'https://pbs.twimg.com/profile_images/' || n || '/a_normal.png'
            FROM generate_series(0, %s - 1) AS n""", [AUTHORS])
        cursor.execute("CREATE TEMP TABLE bench_author AS "
                       "SELECT (platform_id::int - 10000) AS n, id, handle FROM chats_author")
        cursor.execute("CREATE TEMP TABLE bench_chat (n int PRIMARY KEY, id bigint, start timestamptz, "
                       "questions bigint[])")
        cursor.executemany("INSERT INTO bench_chat VALUES (%s, %s, %s, %s)",
                           [(n, chat.id, chat.start, questions_of[chat.id]) for n, chat in enumerate(chat_rows)])
        step("authors")

        # The texts: made in Python, COPYed in batches.
        cursor.execute("CREATE TEMP TABLE bench_text (n int PRIMARY KEY, body text)")
        batch, buffer = 100_000, io.StringIO()
        for n, body in enumerate(texts(posts, rng), start=1):
            buffer.write(f"{n}\t{body}\n")
            if n % batch == 0 or n == posts:
                buffer.seek(0)
                cursor.cursor.copy_expert("COPY bench_text FROM STDIN", buffer)
                buffer = io.StringIO()
        step("texts (Python, COPY)")

        # The indexes of the post table, dropped for the load and built again.
        cursor.execute("""
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.tablename = 'chats_post'
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""")
        indexes = cursor.fetchall()
        for index_name, _ in indexes:
            cursor.execute(f'DROP INDEX "{index_name}"')

    per_chat = -(-posts // chats)
    with transaction.atomic(), connection.cursor() as cursor:
        # Every reference is made here from rows just written: skip the
        # deferred foreign-key triggers of a million rows (superuser only).
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            cursor.execute("SET LOCAL session_replication_role = replica")
        # Rows in time order, as an import writes them (a chat's posts are
        # neighbours on disk); the sort of a million rows in memory.
        cursor.execute("SET LOCAL work_mem = '1GB'")
        cursor.execute("""
            INSERT INTO chats_post (
                platform, external_id, created_at, text, url, language, urls, hashtags, mentions, media,
                metrics, original, content_hash, reply_to_external_id, repost_of_external_id,
                quote_of_external_id, question_source, author_id, chat_id, question_id, edit_history,
                richness, thread_root_external_id, truncated)
            SELECT 'twitter', s.external_id, s.created_at, s.body,
                   'https://twitter.com/' || s.handle || '/status/' || s.external_id, 'en',
                   CASE WHEN s.link THEN jsonb_build_array('https://doi.org/10.2196/' || s.n %% 3000)
                        ELSE '[]'::jsonb END,
                   CASE WHEN s.tagged THEN '["hcsmca"]'::jsonb ELSE '[]'::jsonb END, '[]'::jsonb, '[]'::jsonb,
                   jsonb_build_object('favorite_count', s.n %% 20, 'retweet_count', s.n %% 7),
                   jsonb_build_object(
                       'id_str', s.external_id, 'created_at', s.created_at, 'full_text', s.body, 'lang', 'en',
                       'truncated', false, 'favorite_count', s.n %% 20,
                       'user', jsonb_build_object('id_str', (10000 + s.author_n)::text, 'screen_name', s.handle,
                                                  'name', 'Person ' || s.author_n),
                       'entities', jsonb_build_object('hashtags', jsonb_build_array(jsonb_build_object(
                           'text', 'hcsmca')), 'urls', '[]'::jsonb, 'user_mentions', '[]'::jsonb)),
                   md5(s.body), '', CASE WHEN s.kind = 'rt' THEN (1500000000000000000 + s.n - 1)::text ELSE '' END,
                   '', 'window', s.author_id, s.chat_id, s.question_id, '[]'::jsonb, length(s.body), '', false
            FROM (
                SELECT i AS n, (1500000000000000000 + i)::text AS external_id,
                       c.start + make_interval(secs => 3600.0 * ((i - 1) %% %(per)s) / %(per)s) AS created_at,
                       c.id AS chat_id, c.questions[(1 + 7 * ((i - 1) %% %(per)s) / %(per)s)::int] AS question_id,
                       a.id AS author_id, a.n AS author_n, a.handle, k.kind, k.tagged, k.link,
                       CASE k.kind WHEN 'rt' THEN 'RT @person' || ((i * 7919) %% %(authors)s) || ': '
                                   WHEN 'reply' THEN '@person' || ((i * 104729) %% %(authors)s) || ' '
                                   ELSE '' END
                       || t.body
                       || CASE WHEN k.tagged THEN ' #hcsmca' ELSE '' END
                       || CASE WHEN k.link THEN ' https://doi.org/10.2196/' || i %% 3000 ELSE '' END
                       -- exactly %(rare)s posts, anywhere in their chats (i -> i * prime mod N is one to one)
                       || CASE WHEN (i * 2654435761) %% %(posts)s < %(rare)s
                               THEN ' %(rare_word)s' ELSE '' END AS body
                FROM generate_series(1::bigint, %(posts)s::bigint) AS i
                CROSS JOIN LATERAL (
                    SELECT CASE WHEN r < 0.20 THEN 'rt' WHEN r < 0.35 THEN 'reply' ELSE 'post' END AS kind,
                           random() < 0.95 AS tagged, random() < 0.10 AS link
                    FROM (SELECT random() + 0 * i AS r) x
                ) k
                JOIN bench_text t ON t.n = i
                JOIN bench_chat c ON c.n = (i - 1) / %(per)s
                JOIN bench_author a ON a.n = (i * 31) %% %(authors)s
            ) s
            ORDER BY s.n
            """.replace("%(rare_word)s", RARE_WORD),
            {"per": per_chat, "posts": posts, "authors": AUTHORS, "rare": rare})
    step("posts (INSERT ... SELECT, tsvector)")

    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for _, definition in indexes:
            cursor.execute(definition)
        step("indexes (GIN included)")
        cursor.execute("VACUUM ANALYZE")
        step("VACUUM ANALYZE")
    with log.open("a") as out:
        out.write("building the archive:\n" + "".join(f"  {label}: {seconds:.1f} s\n" for label, seconds in steps))


def archive_facts() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM chats_post")
        posts = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM chats_chat")
        chats = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('chats_post')), "
                       "pg_size_pretty(pg_relation_size('post_search_vector_gin'))")
        table_size, gin_size = cursor.fetchone()
    return {"posts": posts, "chats": chats, "table": table_size, "gin": gin_size}


def matches(q: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM chats_post WHERE search_vector @@ websearch_to_tsquery('english', %s)",
                       [q])
        return cursor.fetchone()[0]


# --- timing -----------------------------------------------------------------

def search_callable(q: str):
    """run_search for ``q`` as the search view calls it."""
    from chats import views
    from chats.search import SearchForm, run_search

    form = SearchForm({"q": q})
    if not form.is_valid():
        raise SystemExit(f"the search form refuses {q!r}: {form.errors.as_text()}")
    data = form.cleaned_data
    if "chat_page_size" in inspect.signature(run_search).parameters:
        size = getattr(views, "POSTS_PER_PAGE", None) or 500
        return lambda: run_search(data, None, chat_page_size=size)
    return lambda: run_search(data, None)


def bare_sql(statements: list[str]):
    """The statements as they were sent, through psycopg2 (no ORM), fetched."""
    def run() -> None:
        connection.ensure_connection()
        with connection.connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                if cursor.description is not None:
                    cursor.fetchall()
    return run


def timed(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def explain(statements: list[str]) -> str:
    out = []
    with connection.cursor() as cursor:
        for sql in statements:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql.replace("%", "%%"))
            out.append(sql + "\n" + "\n".join(row[0] for row in cursor.fetchall()))
    return "\n\n".join(out)


# --- main -------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--chats", type=int, default=400)
    parser.add_argument("--rare", type=int, default=20, help="posts with the rare word (default 20)")
    parser.add_argument("--runs", type=int, default=30, help="timed runs of each query (default 30)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    parser.add_argument("--reuse", action="store_true", help="use the database kept by an earlier --keep run")
    args = parser.parse_args()

    log = results_file("search.log")
    facts = machine_facts()
    with log.open("a") as out:
        out.write(f"{' '.join(sys.argv)}\n{facts}\ncommit {git_head()}\n")
    home = settings.DATABASES["default"]["NAME"]
    name = f"{home}_searchbench"
    reused = args.reuse and database_exists(name)
    if not reused:
        name, _ = bench_database("searchbench")
    try:
        use_database(name)
        # One connection for the whole run (a worker under load keeps its
        # own; CONN_MAX_AGE would reconnect in the middle of the timings).
        connection.settings_dict["CONN_MAX_AGE"] = None
        if not reused:
            build_archive(posts=args.posts, chats=args.chats, rare=args.rare, log=log)
        archive = archive_facts()
        with log.open("a") as out:
            out.write(f"archive: {archive}\n")
        client = Client(HTTP_HOST="127.0.0.1")
        rows = []
        for label, q in QUERIES:
            path = "/search/?" + urlencode({"q": q})
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")
            statements = [query["sql"] for query in captured.captured_queries]
            runs = {"page": lambda path=path: client.get(path), "run_search": search_callable(q),
                    "bare SQL": bare_sql(statements)}
            for _ in range(args.warmup):
                for run in runs.values():
                    run()
            times: dict[str, list[float]] = {kind: [] for kind in runs}
            kinds = list(runs)
            for i in range(args.runs):
                for kind in kinds[i % 3:] + kinds[: i % 3]:
                    times[kind].append(timed(runs[kind]))
            summary = {kind: Summary.of(values) for kind, values in times.items()}
            count = matches(q)
            with log.open("a") as out:
                out.write(f"\n## {label}: q={q!r}, {count:,} matching posts, {len(statements)} statements\n")
                for kind, s in summary.items():
                    out.write(f"  {kind}: {s}\n")
                out.write(explain(statements) + "\n")
            page, search, bare = summary["page"], summary["run_search"], summary["bare SQL"]
            rows.append([label, f"`{q}`", f"{count:,}", ms(page.p50), ms(page.p95), ms(search.p50), ms(search.p95),
                         ms(bare.p50), ms(bare.p95), f"{page.p95 / bare.p95:.2f}", f"{search.p95 / bare.p95:.2f}"])
    finally:
        use_database(home)
        if not args.keep:
            drop_database(name)
    table = markdown_table(
        ["query", "q", "matches", "page p50", "page p95", "run_search p50", "run_search p95", "bare SQL p50",
         "bare SQL p95", "page p95 ÷ SQL p95", "run_search p95 ÷ SQL p95"],
        rows, right=[False, False] + [True] * 9)
    with log.open("a") as out:
        out.write("\n" + table + "\n")
    print(f"{facts}; at the end {load_average()}")
    print(f"{archive['posts']:,} posts in {archive['chats']} chats; chats_post {archive['table']} "
          f"(GIN index {archive['gin']}); {args.runs} runs of each after {args.warmup} warm-up runs")
    print(table)


if __name__ == "__main__":
    main()
