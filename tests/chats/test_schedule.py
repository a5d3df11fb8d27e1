"""next_occurrence: a series' next weekly start, DST transitions included.
Pure function: no database."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from chats.schedule import next_occurrence

TORONTO = ZoneInfo("America/Toronto")
WEDNESDAY, SUNDAY = 2, 6


def test_later_the_same_day():
    # Wednesday 16 January 2019, 10:00 in Toronto; the chat is at 13:00 EST.
    now = datetime(2019, 1, 16, 15, 0, tzinfo=UTC)
    start = next_occurrence(WEDNESDAY, time(13, 0), TORONTO, now)
    assert start == datetime(2019, 1, 16, 18, 0, tzinfo=UTC)
    assert start.tzinfo == TORONTO and (start.hour, start.minute) == (13, 0)


def test_a_chat_that_has_started_gives_next_week():
    now = datetime(2019, 1, 16, 18, 0, tzinfo=UTC)  # exactly 13:00: not in the future
    assert next_occurrence(WEDNESDAY, time(13, 0), TORONTO, now) == datetime(2019, 1, 23, 18, 0, tzinfo=UTC)


def test_other_weekday_later_in_the_week():
    now = datetime(2019, 1, 14, 12, 0, tzinfo=UTC)  # a Monday
    assert next_occurrence(WEDNESDAY, time(13, 0), TORONTO, now) == datetime(2019, 1, 16, 18, 0, tzinfo=UTC)


def test_the_local_day_counts_not_the_utc_day():
    # Tuesday 22:30 in Toronto is already Wednesday 03:30 UTC: the Wednesday
    # chat is the one of the coming local Wednesday, not a week later.
    now = datetime(2019, 1, 16, 3, 30, tzinfo=UTC)
    assert next_occurrence(WEDNESDAY, time(13, 0), TORONTO, now) == datetime(2019, 1, 16, 18, 0, tzinfo=UTC)


def test_wall_clock_time_holds_across_spring_forward():
    # Clocks went forward on Sunday 10 March 2024: 13:00 EDT is 17:00 UTC.
    now = datetime(2024, 3, 6, 19, 0, tzinfo=UTC)  # after the 6 March chat (18:00 UTC, EST)
    start = next_occurrence(WEDNESDAY, time(13, 0), TORONTO, now)
    assert start == datetime(2024, 3, 13, 17, 0, tzinfo=UTC)
    assert start.utcoffset().total_seconds() == -4 * 3600


def test_wall_clock_time_holds_across_fall_back():
    # Clocks went back on Sunday 3 November 2024: 13:00 EST is 18:00 UTC again.
    now = datetime(2024, 10, 30, 18, 0, tzinfo=UTC)  # after the 30 October chat (17:00 UTC, EDT)
    assert next_occurrence(WEDNESDAY, time(13, 0), TORONTO, now) == datetime(2024, 11, 6, 18, 0, tzinfo=UTC)


def test_a_start_time_inside_the_spring_gap_moves_past_it():
    # 02:30 does not exist in Toronto on 10 March 2024 (02:00 -> 03:00).
    now = datetime(2024, 3, 9, 12, 0, tzinfo=UTC)
    start = next_occurrence(SUNDAY, time(2, 30), TORONTO, now)
    assert start == datetime(2024, 3, 10, 7, 30, tzinfo=UTC)
    assert (start.hour, start.minute) == (3, 30)


def test_an_ambiguous_start_time_is_the_first_of_the_two():
    # 01:30 happens twice in Toronto on 3 November 2024 (EDT, then EST).
    now = datetime(2024, 11, 2, 12, 0, tzinfo=UTC)
    start = next_occurrence(SUNDAY, time(1, 30), TORONTO, now)
    # Compared in UTC: Python never finds a time in a repeated hour equal to
    # one of another zone (PEP 495).
    assert start.astimezone(UTC) == datetime(2024, 11, 3, 5, 30, tzinfo=UTC)
    assert start.fold == 0 and start.utcoffset().total_seconds() == -4 * 3600


def test_southern_hemisphere_dst():
    # Sydney left DST on Sunday 7 April 2024: 19:00 AEST is 09:00 UTC (08:00 UTC in AEDT).
    sydney = ZoneInfo("Australia/Sydney")
    now = datetime(2024, 4, 3, 9, 0, tzinfo=UTC)  # Wednesday 20:00 AEDT, after that day's chat
    assert next_occurrence(WEDNESDAY, time(19, 0), sydney, now) == datetime(2024, 4, 10, 9, 0, tzinfo=UTC)


def test_result_is_within_a_week_and_on_the_weekday():
    # March 2024 in London holds the spring gap (31 March, 01:00 -> 02:00).
    tz = ZoneInfo("Europe/London")
    for day in range(1, 29):
        for hour in (0, 11, 23):
            now = datetime(2024, 3, day, hour, 15, tzinfo=UTC)
            start = next_occurrence(SUNDAY, time(1, 30), tz, now)
            assert now < start <= now + timedelta(days=7)
            assert start.weekday() == SUNDAY


def test_naive_now_is_refused():
    with pytest.raises(ValueError):
        next_occurrence(WEDNESDAY, time(13, 0), TORONTO, datetime(2024, 1, 1, 12, 0))


def test_out_of_range_weekday_is_refused():
    with pytest.raises(ValueError):
        next_occurrence(7, time(13, 0), TORONTO, datetime(2024, 1, 1, 12, 0, tzinfo=UTC))
