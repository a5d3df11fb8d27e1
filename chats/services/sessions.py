"""Cutting a capture that spans many sessions into chats.

With a schedule (the series' weekday, start time and duration in its
timezone), a session is a scheduled occurrence that has posts, widened by a
margin either side. Without one, sessions are runs of activity separated by
quiet gaps; runs too small to be a chat, or starting far from the hour most
sessions start at (stray mentions days later, a follow-up in the evening),
are left outside any chat.

The posts never leave the database: the clustering is done by SQL window
functions over the staging table, and only the sessions come back.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection

from chats.models import Series

# A quiet gap longer than this ends a session.
SESSION_GAP = timedelta(minutes=30)
# Fewer posts than this are not a chat.
MIN_SESSION_POSTS = 10
# Posts this long before the scheduled start or after the scheduled end
# still belong to the session (greetings, late answers).
SCHEDULE_MARGIN = timedelta(minutes=30)
# Without a schedule, a run that starts further than this from the usual
# start time of the series' sessions is not a session.
USUAL_START_TOLERANCE_MINUTES = 120


@dataclass(frozen=True)
class Session:
    start: datetime  # the posts from here...
    end: datetime  # ...to here belong to the session
    posts: int
    chat_start: datetime | None = None  # when the chat itself starts and ends,
    chat_end: datetime | None = None  # if not with its first and last post

    def __post_init__(self):
        if self.chat_start is None:
            object.__setattr__(self, "chat_start", self.start)
        if self.chat_end is None:
            object.__setattr__(self, "chat_end", self.end)


@dataclass(frozen=True)
class SessionPlan:
    sessions: list[Session]


def plan_sessions(*, series: Series, table: str, where: str = "true") -> SessionPlan:
    """Sessions among the rows of ``table`` (with a ``created_at``) matching ``where``."""
    if series.has_schedule:
        return SessionPlan(_scheduled_sessions(series, table, where))
    return SessionPlan(_activity_sessions(series, table, where))


def _activity_sessions(series: Series, table: str, where: str) -> list[Session]:
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT min(created_at), max(created_at), count(*) FROM (
                SELECT created_at, sum(starts_run) OVER (ORDER BY created_at ROWS UNBOUNDED PRECEDING) AS run
                FROM (
                    SELECT created_at,
                           CASE WHEN created_at - lag(created_at) OVER (ORDER BY created_at) > %s
                                THEN 1 ELSE 0 END AS starts_run
                    FROM {table} WHERE {where}
                ) AS gaps
            ) AS runs
            GROUP BY run ORDER BY 1
        """, [SESSION_GAP])  # nosec B608: table and condition are the import's constants
        runs = [Session(start, end, posts) for start, end, posts in cursor.fetchall()]
    candidates = [run for run in runs if run.posts >= MIN_SESSION_POSTS]
    return _usual_sessions(candidates, ZoneInfo(series.timezone))


def _usual_sessions(candidates: list[Session], zone: ZoneInfo) -> list[Session]:
    """Keep the runs that look like the series' sessions: one a day (the
    busiest), starting near the hour most of them start at."""
    busiest_by_day: dict[date, Session] = {}
    for run in candidates:
        day = run.start.astimezone(zone).date()
        if day not in busiest_by_day or run.posts > busiest_by_day[day].posts:
            busiest_by_day[day] = run
    kept = sorted(busiest_by_day.values(), key=lambda run: run.start)
    if len(kept) < 3:
        return kept  # too few to know what "usual" is
    usual = statistics.median(_minute_of_day(run.start, zone) for run in kept)
    return [run for run in kept if _minutes_apart(_minute_of_day(run.start, zone), usual) <= USUAL_START_TOLERANCE_MINUTES]


def _minute_of_day(moment: datetime, zone: ZoneInfo) -> int:
    local = moment.astimezone(zone)
    return local.hour * 60 + local.minute


def _minutes_apart(a: float, b: float) -> float:
    difference = abs(a - b) % 1440
    return min(difference, 1440 - difference)


def _scheduled_sessions(series: Series, table: str, where: str) -> list[Session]:
    zone = ZoneInfo(series.timezone)
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT (created_at AT TIME ZONE %s)::date AS day, min(created_at), max(created_at), count(*)
            FROM {table} WHERE {where} GROUP BY day ORDER BY day
        """, [series.timezone])  # nosec B608: table and condition are the import's constants
        days = cursor.fetchall()
    sessions = []
    for day, _, _, _ in days:
        if day.weekday() != series.weekday:
            continue
        start = datetime.combine(day, series.start_time, tzinfo=zone)
        window_start, window_end = start - SCHEDULE_MARGIN, start + series.duration + SCHEDULE_MARGIN
        posts = _count_between(table, where, window_start, window_end)
        if posts >= MIN_SESSION_POSTS:
            sessions.append(Session(window_start, window_end, posts, start, start + series.duration))
    return sessions


def _count_between(table: str, where: str, start: datetime, end: datetime) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} WHERE {where} AND created_at BETWEEN %s AND %s", [start, end])  # nosec B608: table and condition are the import's constants
        return cursor.fetchone()[0]
