"""Business-hours arithmetic for the support desk.

Pure functions over a :class:`Schedule` value (weekly opening hours in a local
time zone, plus holidays).  Nothing here touches Django or the database; a
``BusinessCalendar`` model row is accepted wherever a schedule is, through its
``schedule()`` method (see :func:`as_schedule`).

Conventions
-----------
* Every function takes aware datetimes (naive ones raise ``ValueError``) and
  returns aware datetimes in UTC.
* Open time is half-open: an interval ``[start, end)`` is open at ``start`` and
  closed at ``end``.
* Local wall times are resolved with :mod:`zoneinfo` using ``fold=0``: in a
  fall-back overlap the first occurrence is used, a wall time that does not
  exist (spring-forward gap) maps through UTC with the pre-transition offset.
  A weekly interval that becomes empty or inverted after that conversion is
  skipped on that day.
* Holidays close the whole local date ``[00:00, next day 00:00)``, including
  the part of an overnight interval from the previous day that falls on it.
* Open time is generated lazily, day by day; nothing is precomputed.  Looking
  forward without an end gives up after :data:`HORIZON_DAYS` consecutive local
  days with nothing open.
"""
from __future__ import annotations

import heapq
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "ALWAYS_OPEN_UTC",
    "HORIZON_DAYS",
    "SHANGHAI_SUPPORT_HOURS",
    "Schedule",
    "WeeklyInterval",
    "add_business_time",
    "as_schedule",
    "business_time_between",
    "is_open",
    "next_close",
    "next_open",
    "open_intervals",
]

UTC = timezone.utc

#: How far to look ahead: this many consecutive days with nothing open means
#: "never opens"; an open stretch this long means "never closes".
HORIZON_DAYS = 3 * 366

_HORIZON = timedelta(days=HORIZON_DAYS)
_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0)
_TICK = timedelta(microseconds=1)
_DAY_CACHE_SIZE = 4096


@dataclass(frozen=True)
class WeeklyInterval:
    """Opening hours on one weekday, in the schedule's local wall time.

    ``end <= start`` runs overnight into the next day; ``00:00-00:00`` is the
    whole day (24h).  ``weekday`` (0=Monday .. 6=Sunday) is the day it starts on.
    """

    weekday: int
    start: time
    end: time

    def __post_init__(self):
        if not isinstance(self.weekday, int) or not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) .. 6 (Sunday), not {self.weekday!r}")
        if not isinstance(self.start, time) or not isinstance(self.end, time):
            raise ValueError("start and end must be datetime.time values")

    @property
    def overnight(self) -> bool:
        """True when the interval ends on the next local day (including 00:00-00:00)."""
        return self.end <= self.start


@dataclass(frozen=True)
class Schedule:
    """A business calendar as a hashable value."""

    tz: str
    intervals: tuple[WeeklyInterval, ...] = ()
    holidays: frozenset[date] = frozenset()
    always_open: bool = False

    def __post_init__(self):
        # Accept any iterables but keep the value hashable.
        if not isinstance(self.intervals, tuple):
            object.__setattr__(self, "intervals", tuple(self.intervals))
        if not isinstance(self.holidays, frozenset):
            object.__setattr__(self, "holidays", frozenset(self.holidays))


SHANGHAI_SUPPORT_HOURS = Schedule(
    tz="Asia/Shanghai",
    intervals=(
        WeeklyInterval(0, time(6), time(22)),  # Monday 06:00-22:00
        *(WeeklyInterval(day, _MIDNIGHT, _MIDNIGHT) for day in range(1, 5)),  # Tuesday-Friday 24h
        WeeklyInterval(5, _MIDNIGHT, time(22)),  # Saturday 00:00-22:00
        # Sunday closed.
    ),
)

ALWAYS_OPEN_UTC = Schedule(tz="UTC", always_open=True)


def as_schedule(calendar) -> Schedule:
    """``calendar`` itself if it is a Schedule, else ``calendar.schedule()``."""
    if isinstance(calendar, Schedule):
        return calendar
    return calendar.schedule()


# --------------------------------------------------------------------------- #
# Internals
# --------------------------------------------------------------------------- #


def _utc(value: datetime, name: str = "datetime") -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware: {value!r}")
    return value.astimezone(UTC)


class _Prepared:
    """Per-schedule lookup tables plus a small cache of per-day open pieces."""

    __slots__ = ("zone", "by_weekday", "holidays", "sorted_holidays", "always_open", "never_open", "_days")

    def __init__(self, schedule: Schedule):
        try:
            self.zone = ZoneInfo(schedule.tz)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
            raise ValueError(f"unknown time zone {schedule.tz!r}") from exc
        by_weekday: list[list[tuple[time, time, bool]]] = [[] for _ in range(7)]
        for interval in schedule.intervals:
            start = interval.start.replace(tzinfo=None, fold=0)
            end = interval.end.replace(tzinfo=None, fold=0)
            by_weekday[interval.weekday].append((start, end, end <= start))
        self.by_weekday = tuple(tuple(day) for day in by_weekday)
        self.holidays = schedule.holidays
        self.sorted_holidays = tuple(sorted(schedule.holidays))
        self.always_open = bool(schedule.always_open)
        self.never_open = not self.always_open and not schedule.intervals
        self._days: dict[date, tuple[tuple[datetime, datetime], ...]] = {}

    def wall(self, day: date, at: time) -> datetime:
        """Local wall time on ``day`` (fold=0) as a UTC instant."""
        return datetime.combine(day, at, tzinfo=self.zone).astimezone(UTC)

    def day_pieces(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """Open pieces (UTC, sorted, possibly overlapping) of the intervals starting on ``day``, minus holidays."""
        cached = self._days.get(day)
        if cached is not None:
            return cached
        pieces = []
        for start, end, overnight in self.by_weekday[day.weekday()]:
            s = self.wall(day, start)
            e = self.wall(day + _ONE_DAY if overnight else day, end)
            if e > s:
                pieces.append((s, e))
        if pieces and self.holidays:
            # An interval starting on `day` ends on `day + 1` at the latest (a
            # spring-forward gap can push it a little further): check around it.
            for offset in (-1, 0, 1, 2):
                holiday = day + timedelta(days=offset)
                if holiday in self.holidays:
                    hs, he = self.wall(holiday, _MIDNIGHT), self.wall(holiday + _ONE_DAY, _MIDNIGHT)
                    if he > hs:
                        pieces = _subtract(pieces, hs, he)
        result = tuple(sorted(pieces))
        if len(self._days) >= _DAY_CACHE_SIZE:
            self._days.clear()
        self._days[day] = result
        return result


def _subtract(pieces, hs: datetime, he: datetime):
    out = []
    for s, e in pieces:
        if e <= hs or s >= he:
            out.append((s, e))
            continue
        if s < hs:
            out.append((s, hs))
        if e > he:
            out.append((he, e))
    return out


@lru_cache(maxsize=256)
def _prepare(schedule: Schedule) -> _Prepared:
    return _Prepared(schedule)


def _always_open_stretches(prep: _Prepared, start: datetime, end: datetime | None):
    """Maximal open stretches of a 24x7 schedule: the gaps between holiday runs.

    Yields ``(s, e, open_ended)`` clipped to ``[start, end)``; a stretch with no
    holiday within the horizon is cut into horizon-long chunks flagged ``open_ended``.
    """
    holidays = prep.sorted_holidays
    day = start.astimezone(prep.zone).date() - 2 * _ONE_DAY
    try:
        while True:
            i = bisect_left(holidays, day)
            run_start = day
            while i < len(holidays) and holidays[i] == day:
                day += _ONE_DAY
                i += 1
            if (day - run_start).days > HORIZON_DAYS:
                return
            if i < len(holidays) and (holidays[i] - day).days <= HORIZON_DAYS:
                until, open_ended = holidays[i], False
            else:
                until, open_ended = day + _HORIZON, True
            s, e = prep.wall(day, _MIDNIGHT), prep.wall(until, _MIDNIGHT)
            day = until
            if end is not None:
                if s >= end:
                    return
                if e > end:
                    e, open_ended = end, False
            if s < start:
                s = start
            if e > s:
                yield s, e, open_ended
            if end is not None and e >= end:
                return
    except OverflowError:
        return


def _raw_intervals(prep: _Prepared, start: datetime, end: datetime | None = None) -> Iterator[tuple[datetime, datetime]]:
    """Non-overlapping open intervals in ascending order, clipped to ``[start, end)``.

    Touching intervals are not merged, so this never has to look further ahead
    than a couple of days past the interval it yields.
    """
    if prep.never_open:
        return
    if prep.always_open:
        for s, e, _ in _always_open_stretches(prep, start, end):
            yield s, e
        return
    # Start two local days early: an overnight interval from the day before
    # (or a gap-shifted end) can still be open at `start`.
    day = start.astimezone(prep.zone).date() - 2 * _ONE_DAY
    cursor = start  # everything before this has been yielded or clipped away
    pending: list[tuple[datetime, datetime]] = []
    empty_days = 0
    try:
        while True:
            pieces = prep.day_pieces(day)
            if pieces:
                empty_days = 0
                for piece in pieces:
                    heapq.heappush(pending, piece)
            else:
                empty_days += 1
            day += _ONE_DAY
            # A wall time on `day` or later is at least local midnight of `day`,
            # and UTC offsets stay well under a day: nothing generated from now
            # on can start before `bound`.
            bound = datetime.combine(day, _MIDNIGHT, tzinfo=UTC) - _ONE_DAY
            while pending and pending[0][0] <= bound:
                s, e = heapq.heappop(pending)
                if s < cursor:
                    s = cursor
                if end is not None and e > end:
                    e = end
                if e > s:
                    yield s, e
                    cursor = e
            if end is not None and (bound >= end or cursor >= end):
                return
            if not pending and empty_days > HORIZON_DAYS:
                return
    except OverflowError:
        return


def _stretches(prep: _Prepared, start: datetime, end: datetime | None = None):
    """Merged (touching intervals joined) open stretches as ``(s, e, open_ended)``."""
    if prep.always_open:
        yield from _always_open_stretches(prep, start, end)
        return
    cur_s = cur_e = None
    for s, e in _raw_intervals(prep, start, end):
        if cur_e is not None and s == cur_e:
            cur_e = e
        else:
            if cur_s is not None:
                yield cur_s, cur_e, False
            cur_s, cur_e = s, e
        if cur_e - cur_s >= _HORIZON:
            yield cur_s, cur_e, True
            cur_s = cur_e = None
    if cur_s is not None:
        yield cur_s, cur_e, False


# --------------------------------------------------------------------------- #
# Public API
# --------------------------------------------------------------------------- #


def open_intervals(calendar, start: datetime, end: datetime | None = None) -> Iterator[tuple[datetime, datetime]]:
    """Open intervals ``(s, e)`` in UTC, ascending and non-overlapping, clipped to ``[start, end)``.

    Touching intervals are merged into one stretch (Tuesday-Friday 24h is one
    interval).  With ``end=None`` the iterator runs on until nothing opens for
    :data:`HORIZON_DAYS` days; a stretch that stays open that long is yielded in
    horizon-long pieces that touch.
    """
    prep = _prepare(as_schedule(calendar))
    start_utc = _utc(start, "start")
    end_utc = None if end is None else _utc(end, "end")
    if end_utc is not None and end_utc <= start_utc:
        return iter(())
    return ((s, e) for s, e, _ in _stretches(prep, start_utc, end_utc))


def is_open(calendar, at: datetime) -> bool:
    """Whether the desk is open at ``at`` (intervals are half-open)."""
    prep = _prepare(as_schedule(calendar))
    at_utc = _utc(at, "at")
    for _ in _raw_intervals(prep, at_utc, at_utc + _TICK):
        return True
    return False


def next_open(calendar, at: datetime) -> datetime | None:
    """``at`` (in UTC) if open, else the start of the next opening; None if none within the horizon."""
    prep = _prepare(as_schedule(calendar))
    at_utc = _utc(at, "at")
    for s, _ in _raw_intervals(prep, at_utc):
        return s
    return None


def next_close(calendar, at: datetime) -> datetime | None:
    """End of the open stretch containing ``at``; None if closed at ``at`` or no close within the horizon."""
    prep = _prepare(as_schedule(calendar))
    at_utc = _utc(at, "at")
    for s, e, open_ended in _stretches(prep, at_utc):
        if s != at_utc or open_ended:
            return None
        return e
    return None


def add_business_time(calendar, start: datetime, duration: timedelta) -> datetime:
    """The instant at which ``duration`` of open time has elapsed counting from ``start``.

    A duration used up exactly at the end of an open interval returns that end.
    Raises ValueError for a negative duration or a calendar that never opens
    (within the horizon) before the duration is used up.
    """
    return add_business_times(calendar, start, (duration,))[0]


def add_business_times(calendar, start: datetime, durations) -> list[datetime]:
    """``add_business_time`` for several durations from the same start, walking the open intervals once
    (a clock's due and warning instants; a new ticket has two clocks)."""
    prep = _prepare(as_schedule(calendar))
    start_utc = _utc(start, "start")
    durations = list(durations)
    for duration in durations:
        if not isinstance(duration, timedelta):
            raise TypeError(f"duration must be a timedelta, not {type(duration).__name__}")
        if duration < timedelta(0):
            raise ValueError(f"duration must not be negative: {duration!r}")
    results: list[datetime | None] = [None] * len(durations)
    order = sorted(range(len(durations)), key=durations.__getitem__)
    k = 0
    while k < len(order) and not durations[order[k]]:
        results[order[k]] = start_utc
        k += 1
    if k == len(order):
        return results  # type: ignore[return-value]
    elapsed = timedelta(0)
    for s, e in _raw_intervals(prep, start_utc):
        length = e - s
        while k < len(order) and durations[order[k]] - elapsed <= length:
            results[order[k]] = s + (durations[order[k]] - elapsed)
            k += 1
        if k == len(order):
            return results  # type: ignore[return-value]
        elapsed += length
    raise ValueError("the calendar does not open within the horizon")


def business_time_between(calendar, a: datetime, b: datetime) -> timedelta:
    """Open time in ``[a, b)``; negative of the ``[b, a)`` open time when ``b < a``."""
    prep = _prepare(as_schedule(calendar))
    a_utc, b_utc = _utc(a, "a"), _utc(b, "b")
    if b_utc < a_utc:
        return -business_time_between(calendar, b_utc, a_utc)
    total = timedelta(0)
    if b_utc == a_utc:
        return total
    for s, e in _raw_intervals(prep, a_utc, b_utc):
        total += e - s
    return total
