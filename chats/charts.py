"""Server-side SVG geometry for the chat page's activity chart.

Pure functions: they take counts and times and return plain data (numbers
and label strings); the template draws the ``<svg>`` and escapes the text.
No JavaScript, no charting library.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

# Geometry of the drawing, in SVG user units (the viewBox).
WIDTH = 640
HEIGHT = 220
LEFT = 40
RIGHT = 10
TOP = 24
BOTTOM = 30
PLOT_WIDTH = WIDTH - LEFT - RIGHT
PLOT_HEIGHT = HEIGHT - TOP - BOTTOM

# Above this many minutes, bars are buckets of several minutes.
MAX_MINUTE_BARS = 180
BUCKET_CHOICES = (5, 10, 15, 30, 60, 120, 240, 480, 1440)
TICK_CHOICES = (10, 30, 60, 120, 180, 360, 720, 1440)
MAX_TICKS = 19


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    start: datetime  # in the chart's timezone
    label: str  # "20:14", or "20:15–20:19" for a bucket
    count: int


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Marker:
    x: float
    label: str
    at: datetime


@dataclass
class ActivityChart:
    title: str
    desc: str
    bucket_minutes: int
    span_minutes: int
    total: int
    peak: int
    bars: list[Bar] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)  # x holds the y coordinate
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    plot_width: int = PLOT_WIDTH
    plot_height: int = PLOT_HEIGHT
    baseline: int = TOP + PLOT_HEIGHT

    @property
    def is_empty(self) -> bool:
        return self.total == 0

    @property
    def unit(self) -> str:
        return "minute" if self.bucket_minutes == 1 else f"{self.bucket_minutes} minutes"


def bucket_minutes_for(span_minutes: int) -> int:
    """1 up to MAX_MINUTE_BARS minutes; else the smallest bucket (5 minutes
    first) that keeps the number of bars at most MAX_MINUTE_BARS."""
    if span_minutes <= MAX_MINUTE_BARS:
        return 1
    for size in BUCKET_CHOICES:
        if math.ceil(span_minutes / size) <= MAX_MINUTE_BARS:
            return size
    return math.ceil(span_minutes / MAX_MINUTE_BARS)


def tick_every(span_minutes: int) -> int:
    for every in TICK_CHOICES:
        if span_minutes / every <= MAX_TICKS:
            return every
    return math.ceil(span_minutes / MAX_TICKS)


def x_at(minutes: float, span_minutes: int) -> float:
    """The x coordinate of ``minutes`` after the chart's first minute."""
    return round(LEFT + PLOT_WIDTH * minutes / span_minutes, 2)


def _hm(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def activity_chart(
    counts: dict[datetime, int],
    start: datetime,
    end: datetime,
    tz: tzinfo,
    markers: list[tuple[str, datetime]] = (),
) -> ActivityChart:
    """The activity chart of a chat from ``start`` to ``end``.

    ``counts`` maps aware minutes (any timezone) to numbers of posts; minutes
    outside [start, end) are left out. ``markers`` are (label, moment) of the
    questions; those outside the chat are left out. Labels are in ``tz``.
    """
    first = start.astimezone(tz).replace(second=0, microsecond=0)
    span = max(1, math.ceil((end - first).total_seconds() / 60))
    size = bucket_minutes_for(span)
    n_buckets = math.ceil(span / size)
    span_drawn = n_buckets * size

    buckets = [0] * n_buckets
    for minute, count in counts.items():
        offset = (minute - first).total_seconds() / 60
        if 0 <= offset < span:
            buckets[int(offset // size)] += count
    total = sum(buckets)
    peak = max(buckets) if buckets else 0

    scale_max = max(peak, 1)
    bar_width = PLOT_WIDTH / n_buckets
    gap = min(1.0, bar_width * 0.2)
    bars = []
    for index, count in enumerate(buckets):
        bucket_start = first + timedelta(minutes=index * size)
        label = _hm(bucket_start) if size == 1 else f"{_hm(bucket_start)}–{_hm(bucket_start + timedelta(minutes=size - 1))}"
        height = round(PLOT_HEIGHT * count / scale_max, 2)
        bars.append(Bar(
            x=x_at(index * size, span_drawn),
            y=round(TOP + PLOT_HEIGHT - height, 2),
            width=round(max(bar_width - gap, 0.5), 2),
            height=height,
            start=bucket_start,
            label=label,
            count=count,
        ))

    every = tick_every(span_drawn)
    ticks = [Tick(x=x_at(m, span_drawn), label=_hm(first + timedelta(minutes=m))) for m in range(0, span_drawn + 1, every)]
    y_ticks = [Tick(x=TOP + PLOT_HEIGHT, label="0")]
    if peak:
        y_ticks.append(Tick(x=TOP, label=str(peak)))

    shown_markers = []
    for label, moment in markers:
        if moment is None:
            continue
        offset = (moment - first).total_seconds() / 60
        if 0 <= offset <= span:
            shown_markers.append(Marker(x=x_at(offset, span_drawn), label=label, at=moment.astimezone(tz)))

    end_label = _hm(end.astimezone(tz))
    unit = "minute" if size == 1 else f"{size} minutes"
    title = f"Posts per {unit}"
    if total:
        busiest = buckets.index(peak)
        desc = (f"Posts per {unit} from {_hm(first)} to {end_label}; "
                f"busiest {'minute' if size == 1 else 'period'} {bars[busiest].label} with {_plural(peak, 'post')}; "
                f"{_plural(total, 'post')} in all, retweets included.")
    else:
        desc = f"Posts per {unit} from {_hm(first)} to {end_label}: no posts were recorded."
    if size > 1:
        desc += f" The chat lasts {span} minutes, so each bar counts {size} minutes."
    if shown_markers:
        desc += " Questions asked: " + ", ".join(f"{m.label} at {_hm(m.at)}" for m in shown_markers) + "."

    return ActivityChart(
        title=title, desc=desc, bucket_minutes=size, span_minutes=span, total=total, peak=peak,
        bars=bars, ticks=ticks, markers=shown_markers, y_ticks=y_ticks,
    )
