"""When a series' next chat happens, from its usual weekday and local start
time. Pure functions (no database), so DST edge cases are unit-tested."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


def next_occurrence(weekday: int, start_time: time, tz: ZoneInfo, now: datetime) -> datetime:
    """The first start strictly after ``now`` of a chat held every week on
    ``weekday`` (0 is Monday) at ``start_time`` wall-clock time in ``tz``,
    as an aware datetime in ``tz``.

    The wall-clock time holds across DST changes (13:00 in Toronto is 18:00
    UTC in winter, 17:00 in summer). A start time that does not exist on the
    day clocks go forward (02:30) becomes the instant PostgreSQL and most
    calendars give it (03:30, after the jump); one that happens twice on the
    day clocks go back (01:30) is the first of the two.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    if not 0 <= weekday <= 6:
        raise ValueError("weekday must be 0 (Monday) to 6 (Sunday)")
    local_today = now.astimezone(tz).date()
    days_ahead = (weekday - local_today.weekday()) % 7
    # This week's date, else next week's (the one of this week may be over).
    for extra_weeks in (0, 1):
        day = local_today + timedelta(days=days_ahead + 7 * extra_weeks)
        # fold=0 is the first of two ambiguous instants; a round trip through
        # UTC moves a non-existent wall time past the gap.
        start = datetime.combine(day, start_time.replace(tzinfo=None, fold=0), tzinfo=tz)
        start = start.astimezone(UTC).astimezone(tz)
        if start.astimezone(UTC) > now:
            return start
    raise AssertionError("unreachable: a week later is always after now")  # pragma: no cover
