"""Tests for support.hours (pure functions: no database, no Django)."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from support.hours import (
    ALWAYS_OPEN_UTC,
    SHANGHAI_SUPPORT_HOURS,
    Schedule,
    WeeklyInterval,
    add_business_time,
    add_business_times,
    as_schedule,
    business_time_between,
    is_open,
    next_close,
    next_open,
    open_intervals,
)

UTC = timezone.utc
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
H = timedelta(hours=1)
TICK = timedelta(microseconds=1)


def sh(*args):
    return datetime(*args, tzinfo=SHANGHAI)


def ny(*args, fold=0):
    return datetime(*args, tzinfo=NEW_YORK, fold=fold)


# 2026-03-02 is a Monday.
MON, TUE, WED, THU, FRI, SAT, SUN = (date(2026, 3, 2) + timedelta(days=i) for i in range(7))


# --------------------------------------------------------------------------- #
# Examples: Shanghai support hours
# --------------------------------------------------------------------------- #


class TestShanghai:
    S = SHANGHAI_SUPPORT_HOURS

    def test_open_and_closed(self):
        assert is_open(self.S, sh(2026, 3, 2, 7))  # Monday 07:00
        assert not is_open(self.S, sh(2026, 3, 2, 23))  # Monday 23:00
        assert not is_open(self.S, sh(2026, 3, 8, 12))  # Sunday noon
        assert is_open(self.S, sh(2026, 3, 4, 3))  # Wednesday night
        assert is_open(self.S, sh(2026, 3, 7, 21, 59))  # Saturday
        assert not is_open(self.S, sh(2026, 3, 7, 22))  # half-open: Saturday 22:00 is closed
        assert is_open(self.S, sh(2026, 3, 2, 6))  # half-open: Monday 06:00 is open

    def test_next_open_from_sunday(self):
        result = next_open(self.S, sh(2026, 3, 1, 10))  # Sunday 10:00
        assert result == sh(2026, 3, 2, 6)
        assert result == datetime(2026, 3, 1, 22, tzinfo=UTC)
        assert result.tzinfo is UTC

    def test_next_open_when_open_is_itself(self):
        at = sh(2026, 3, 3, 10, 30)
        assert next_open(self.S, at) == at
        assert next_open(self.S, at).tzinfo is UTC

    def test_tuesday_to_saturday_is_one_stretch(self):
        assert next_close(self.S, sh(2026, 3, 3, 10)) == sh(2026, 3, 7, 22)
        assert next_close(self.S, sh(2026, 3, 2, 7)) == sh(2026, 3, 2, 22)
        assert next_close(self.S, sh(2026, 3, 8, 12)) is None  # closed
        stretches = list(open_intervals(self.S, sh(2026, 3, 2), sh(2026, 3, 9)))
        assert stretches == [
            (sh(2026, 3, 2, 6), sh(2026, 3, 2, 22)),
            (sh(2026, 3, 3, 0), sh(2026, 3, 7, 22)),
        ]
        assert all(s.tzinfo is UTC and e.tzinfo is UTC for s, e in stretches)

    def test_wednesday_holiday(self):
        S = Schedule(tz=self.S.tz, intervals=self.S.intervals, holidays=frozenset({WED}))
        assert not is_open(S, sh(2026, 3, 4, 0))
        assert not is_open(S, sh(2026, 3, 4, 12))
        assert not is_open(S, sh(2026, 3, 4, 23, 59, 59))
        assert is_open(S, sh(2026, 3, 3, 23, 59, 59))
        assert is_open(S, sh(2026, 3, 5, 0))
        assert next_close(S, sh(2026, 3, 3, 10)) == sh(2026, 3, 4, 0)
        assert next_open(S, sh(2026, 3, 4, 12)) == sh(2026, 3, 5, 0)
        assert business_time_between(S, sh(2026, 3, 4), sh(2026, 3, 5)) == timedelta(0)
        assert business_time_between(S, sh(2026, 3, 3), sh(2026, 3, 6)) == 48 * H

    def test_add_business_time_over_weekend(self):
        # Sat 20-22 (2h), Sunday closed, Mon 06-22 (16h), Tue 00:00 + 6h.
        assert add_business_time(self.S, sh(2026, 3, 7, 20), 24 * H) == sh(2026, 3, 10, 6)
        assert add_business_time(self.S, sh(2026, 3, 7, 20), 24 * H).tzinfo is UTC

    def test_add_business_time_ends_exactly_at_close(self):
        # 2h from Saturday 20:00 is used up at Saturday 22:00: return that, not Monday 06:00.
        assert add_business_time(self.S, sh(2026, 3, 7, 20), 2 * H) == sh(2026, 3, 7, 22)
        assert add_business_time(self.S, sh(2026, 3, 8, 12), timedelta(0)) == sh(2026, 3, 8, 12)
        assert add_business_time(self.S, sh(2026, 3, 8, 12), 1 * H) == sh(2026, 3, 9, 7)

    def test_business_time_between_across_weekend(self):
        # Fri 18:00 -> Mon 10:00: Fri 6h + Sat 22h + Sun 0 + Mon 4h.
        assert business_time_between(self.S, sh(2026, 3, 6, 18), sh(2026, 3, 9, 10)) == 32 * H
        assert business_time_between(self.S, sh(2026, 3, 9, 10), sh(2026, 3, 6, 18)) == -32 * H
        # A full week: 16 + 4*24 + 22.
        assert business_time_between(self.S, sh(2026, 3, 2), sh(2026, 3, 9)) == 134 * H


# --------------------------------------------------------------------------- #
# Examples: overlaps, holidays, degenerate calendars, input checking
# --------------------------------------------------------------------------- #


def test_overlapping_intervals_are_clipped():
    S = Schedule(
        tz="UTC",
        intervals=(WeeklyInterval(0, time(22), time(6)), WeeklyInterval(1, time(0), time(0)), WeeklyInterval(1, time(8), time(9))),
    )
    start, end = datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC)
    assert list(open_intervals(S, start, end)) == [(datetime(2026, 3, 2, 22, tzinfo=UTC), datetime(2026, 3, 4, tzinfo=UTC))]
    assert business_time_between(S, start, end) == 26 * H


def test_holiday_cuts_overnight_part_of_previous_day():
    # Monday 20:00-04:00; Tuesday is a holiday: only Monday 20:00-24:00 remains.
    S = Schedule(tz="Asia/Shanghai", intervals=(WeeklyInterval(0, time(20), time(4)),), holidays=frozenset({TUE}))
    assert list(open_intervals(S, sh(2026, 3, 2), sh(2026, 3, 4))) == [(sh(2026, 3, 2, 20), sh(2026, 3, 3))]
    assert not is_open(S, sh(2026, 3, 3, 1))
    assert next_close(S, sh(2026, 3, 2, 21)) == sh(2026, 3, 3)


def test_always_open():
    at = datetime(2026, 5, 1, 12, tzinfo=UTC)
    assert is_open(ALWAYS_OPEN_UTC, at)
    assert next_open(ALWAYS_OPEN_UTC, at) == at
    assert next_close(ALWAYS_OPEN_UTC, at) is None
    assert add_business_time(ALWAYS_OPEN_UTC, at, 30 * H) == at + 30 * H
    assert business_time_between(ALWAYS_OPEN_UTC, at, at + 100 * H) == 100 * H
    S = Schedule(tz="UTC", always_open=True, holidays=frozenset({date(2026, 5, 2), date(2026, 5, 3)}))
    assert next_close(S, at) == datetime(2026, 5, 2, tzinfo=UTC)
    assert next_open(S, datetime(2026, 5, 2, 5, tzinfo=UTC)) == datetime(2026, 5, 4, tzinfo=UTC)
    assert add_business_time(S, at, 12 * H) == datetime(2026, 5, 2, tzinfo=UTC)
    assert add_business_time(S, at, 13 * H) == datetime(2026, 5, 4, 1, tzinfo=UTC)


def test_week_of_whole_days_is_one_endless_stretch():
    S = Schedule(tz="Europe/London", intervals=tuple(WeeklyInterval(d, time(0), time(0)) for d in range(7)))
    at = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # just before the spring-forward
    assert is_open(S, at)
    assert next_close(S, at) is None
    assert add_business_time(S, at, 48 * H) == at + 48 * H


def test_never_open():
    S = Schedule(tz="UTC")
    at = datetime(2026, 1, 1, tzinfo=UTC)
    assert not is_open(S, at)
    assert next_open(S, at) is None
    assert next_close(S, at) is None
    assert business_time_between(S, at, at + 1000 * H) == timedelta(0)
    assert list(open_intervals(S, at)) == []
    assert add_business_time(S, at, timedelta(0)) == at
    with pytest.raises(ValueError):
        add_business_time(S, at, H)


def test_invalid_input():
    naive = datetime(2026, 1, 1)
    aware = datetime(2026, 1, 1, tzinfo=UTC)
    S = SHANGHAI_SUPPORT_HOURS
    for call in (
        lambda: is_open(S, naive),
        lambda: next_open(S, naive),
        lambda: next_close(S, naive),
        lambda: add_business_time(S, naive, H),
        lambda: business_time_between(S, naive, aware),
        lambda: business_time_between(S, aware, naive),
        lambda: open_intervals(S, naive),
        lambda: open_intervals(S, aware, naive),
        lambda: add_business_time(S, aware, -TICK),
        lambda: WeeklyInterval(7, time(0), time(1)),
    ):
        with pytest.raises(ValueError):
            call()


def test_as_schedule():
    class FakeCalendar:
        def schedule(self):
            return SHANGHAI_SUPPORT_HOURS

    assert as_schedule(SHANGHAI_SUPPORT_HOURS) is SHANGHAI_SUPPORT_HOURS
    assert as_schedule(FakeCalendar()) is SHANGHAI_SUPPORT_HOURS
    assert is_open(FakeCalendar(), sh(2026, 3, 2, 7))


def test_schedule_is_hashable_even_from_lists():
    S = Schedule(tz="UTC", intervals=[WeeklyInterval(0, time(9), time(17))], holidays={date(2026, 1, 1)})
    assert hash(S) == hash(Schedule(tz="UTC", intervals=(WeeklyInterval(0, time(9), time(17)),), holidays=frozenset({date(2026, 1, 1)})))


# --------------------------------------------------------------------------- #
# DST
# --------------------------------------------------------------------------- #

NY_OFFICE = Schedule(tz="America/New_York", intervals=tuple(WeeklyInterval(d, time(9), time(17)) for d in range(5)))


def test_dst_spring_forward_weekend():
    # Sunday 8 March 2026 clocks go 02:00 EST -> 03:00 EDT.
    result = add_business_time(NY_OFFICE, ny(2026, 3, 6, 16), 2 * H)
    assert result == ny(2026, 3, 9, 10)
    assert result == datetime(2026, 3, 9, 14, tzinfo=UTC)
    assert business_time_between(NY_OFFICE, ny(2026, 3, 6, 16), result) == 2 * H


def test_dst_fall_back_weekend():
    # Sunday 1 November 2026 clocks go 02:00 EDT -> 01:00 EST.
    result = add_business_time(NY_OFFICE, ny(2026, 10, 30, 16), 2 * H)
    assert result == ny(2026, 11, 2, 10)
    assert result == datetime(2026, 11, 2, 15, tzinfo=UTC)


def test_overnight_interval_across_spring_forward_is_seven_real_hours():
    S = Schedule(tz="America/New_York", intervals=(WeeklyInterval(5, time(22), time(6)),))
    assert list(open_intervals(S, ny(2026, 3, 7), ny(2026, 3, 9))) == [
        (datetime(2026, 3, 8, 3, tzinfo=UTC), datetime(2026, 3, 8, 10, tzinfo=UTC))
    ]
    assert business_time_between(S, ny(2026, 3, 7), ny(2026, 3, 9)) == 7 * H
    # ...and nine real hours across the fall-back.
    assert business_time_between(S, ny(2026, 10, 31), ny(2026, 11, 2)) == 9 * H


def test_spring_forward_gap_wall_times():
    # On 2026-03-08 New York wall times 02:00-03:00 do not exist; fold=0 maps them
    # with the EST offset, so 02:00-02:30 becomes 07:00-07:30 UTC (03:00-03:30 EDT).
    S = Schedule(tz="America/New_York", intervals=(WeeklyInterval(6, time(2), time(2, 30)),))
    assert list(open_intervals(S, ny(2026, 3, 7), ny(2026, 3, 9))) == [
        (datetime(2026, 3, 8, 7, tzinfo=UTC), datetime(2026, 3, 8, 7, 30, tzinfo=UTC))
    ]
    # 02:30-03:15 maps to 07:30-07:15 UTC: inverted, so skipped that Sunday only.
    S = Schedule(tz="America/New_York", intervals=(WeeklyInterval(6, time(2, 30), time(3, 15)),))
    assert business_time_between(S, ny(2026, 3, 7), ny(2026, 3, 9)) == timedelta(0)
    assert next_open(S, ny(2026, 3, 7)) == ny(2026, 3, 15, 2, 30)


def test_repeated_hour_counts_twice_in_whole_day():
    S = Schedule(tz="America/New_York", intervals=(WeeklyInterval(6, time(0), time(0)),))
    assert business_time_between(S, ny(2026, 10, 31), ny(2026, 11, 3)) == 25 * H
    assert is_open(S, ny(2026, 11, 1, 1, 30, fold=1))


# --------------------------------------------------------------------------- #
# Property-based tests
# --------------------------------------------------------------------------- #

TZ_NAMES = ["UTC", "Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Lord_Howe"]
LO = datetime(2025, 1, 1, tzinfo=UTC)
HI = datetime(2027, 12, 31, tzinfo=UTC)


def _transitions(tz_name):
    """UTC instants in [LO, HI) where the zone's offset changes (to the second)."""
    zone = ZoneInfo(tz_name)
    found = []
    t = LO
    while t < HI:
        n = t + timedelta(days=1)
        if t.astimezone(zone).utcoffset() != n.astimezone(zone).utcoffset():
            lo, hi = t, n
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(zone).utcoffset() == lo.astimezone(zone).utcoffset():
                    lo = mid
                else:
                    hi = mid
            found.append(hi.replace(microsecond=0))
        t = n
    return found


TRANSITIONS = {name: _transitions(name) for name in TZ_NAMES}

wall_times = st.one_of(
    st.just(time(0)),
    st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45])),
    st.builds(time, st.integers(0, 23), st.integers(0, 59)),
)
weekly_intervals = st.one_of(
    st.builds(WeeklyInterval, weekday=st.integers(0, 6), start=wall_times, end=wall_times),
    st.builds(WeeklyInterval, weekday=st.integers(0, 6), start=st.just(time(0)), end=st.just(time(0))),
)


def instants(tz_name):
    random_instant = st.datetimes(
        min_value=LO.replace(tzinfo=None), max_value=HI.replace(tzinfo=None), timezones=st.just(UTC)
    )
    transitions = TRANSITIONS[tz_name]
    if not transitions:
        return random_instant
    near_transition = st.builds(
        lambda t, seconds, micros: t + timedelta(seconds=seconds, microseconds=micros),
        st.sampled_from(transitions),
        st.integers(-4 * 3600, 4 * 3600),
        st.sampled_from([0, 0, 1, 999_999]),
    )
    return st.one_of(random_instant, near_transition)


def naive_weekly_hours(schedule):
    if schedule.always_open:
        return timedelta(days=7)
    total = timedelta(0)
    for iv in schedule.intervals:
        s = datetime.combine(date(2000, 1, 3), iv.start)
        e = datetime.combine(date(2000, 1, 4) if iv.end <= iv.start else date(2000, 1, 3), iv.end)
        total += e - s
    return total


@st.composite
def scenarios(draw):
    """A random schedule and a random aware start instant (possibly shown in another zone)."""
    tz_name = draw(st.sampled_from(TZ_NAMES))
    zone = ZoneInfo(tz_name)
    start = draw(instants(tz_name))
    local_day = start.astimezone(zone).date()
    always_open = draw(st.integers(0, 7)) == 0
    intervals = tuple(draw(st.lists(weekly_intervals, max_size=8)))
    holidays = frozenset(
        draw(st.lists(st.integers(-3, 25).map(lambda k: local_day + timedelta(days=k)), max_size=6))
    )
    schedule = Schedule(tz=tz_name, intervals=intervals, holidays=holidays, always_open=always_open)
    shown_in = draw(st.sampled_from([UTC, zone, ZoneInfo("Asia/Kolkata")]))
    return schedule, start.astimezone(shown_in)


def durations_for(schedule):
    # Up to ~10 days of business time, but no more than ~6 weeks' worth of
    # opening hours so sparse schedules stay cheap.
    cap = min(timedelta(days=10), 6 * naive_weekly_hours(schedule))
    return st.timedeltas(min_value=timedelta(0), max_value=max(cap, timedelta(0)))


def opens_eventually(schedule, start):
    return next_open(schedule, start) is not None


PROPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(scenarios(), st.data())
def test_add_then_between_round_trips(scenario, data):
    schedule, start = scenario
    duration = data.draw(durations_for(schedule), label="duration")
    if not opens_eventually(schedule, start):
        assert add_business_time(schedule, start, timedelta(0)) == start.astimezone(UTC)
        if duration:
            with pytest.raises(ValueError):
                add_business_time(schedule, start, duration)
        return
    end = add_business_time(schedule, start, duration)
    assert end.tzinfo is UTC
    assert end - start >= duration
    assert business_time_between(schedule, start, end) == duration
    if duration:
        # `end` is the earliest such instant: a tick earlier is not enough.
        assert business_time_between(schedule, start, end - TICK) < duration
    else:
        assert end == start.astimezone(UTC)


@PROPS
@given(scenarios(), st.data())
def test_add_business_time_is_monotone(scenario, data):
    schedule, start = scenario
    assume(opens_eventually(schedule, start))
    strategy = durations_for(schedule)
    d1, d2 = sorted([data.draw(strategy, label="d1"), data.draw(strategy, label="d2")])
    e1, e2 = add_business_time(schedule, start, d1), add_business_time(schedule, start, d2)
    assert e1 <= e2
    assert e1 - start >= d1 and e2 - start >= d2
    # Adding in two steps lands at the same place.
    assert add_business_time(schedule, e1, d2 - d1) == e2


@PROPS
@given(scenarios())
def test_next_open(scenario):
    schedule, start = scenario
    nxt = next_open(schedule, start)
    if nxt is None:
        assert not is_open(schedule, start)
        assert list(open_intervals(schedule, start, start + timedelta(days=60))) == []
        return
    assert nxt.tzinfo is UTC
    assert nxt >= start
    assert is_open(schedule, nxt)
    assert business_time_between(schedule, start, nxt) == timedelta(0)
    if is_open(schedule, start):
        assert nxt == start.astimezone(UTC)
    else:
        assert nxt > start


@PROPS
@given(scenarios())
def test_next_close(scenario):
    schedule, start = scenario
    close = next_close(schedule, start)
    if not is_open(schedule, start):
        assert close is None
        return
    if close is None:
        # Only when open for the whole horizon: certainly open for the next few weeks.
        assert business_time_between(schedule, start, start.astimezone(UTC) + timedelta(days=30)) == timedelta(days=30)
        return
    assert close.tzinfo is UTC
    assert close > start
    assert not is_open(schedule, close)
    assert is_open(schedule, close - TICK)
    assert business_time_between(schedule, start, close) == close - start


@PROPS
@given(
    scenarios(),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10)),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10)),
)
def test_between_is_additive_and_bounded(scenario, x, y):
    schedule, shown = scenario
    a = shown.astimezone(UTC)  # do arithmetic on real time, not wall time
    b = a + x
    c = b + y
    ab, bc, ac = (business_time_between(schedule, p, q) for p, q in ((shown, b), (b, c), (shown, c)))
    assert ac == ab + bc
    assert business_time_between(schedule, b, shown) == -ab
    assert business_time_between(schedule, c, a) == -ac
    assert timedelta(0) <= ab <= b - a
    assert timedelta(0) <= ac <= c - a
    assert business_time_between(schedule, a, a) == timedelta(0)


@PROPS
@given(
    scenarios(),
    st.lists(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=12)), max_size=12),
)
def test_is_open_agrees_with_open_intervals(scenario, offsets):
    schedule, shown = scenario
    start = shown.astimezone(UTC)
    window_end = start + timedelta(days=12)
    intervals = list(open_intervals(schedule, shown, window_end))
    previous_end = None
    for s, e in intervals:
        assert s.tzinfo is UTC and e.tzinfo is UTC
        assert start <= s < e <= window_end
        if previous_end is not None:
            assert previous_end < s  # ascending, non-overlapping, touching ones merged
        previous_end = e
    total = sum((e - s for s, e in intervals), timedelta(0))
    assert total == business_time_between(schedule, start, window_end)

    probes = [start + offset for offset in offsets]
    for s, e in intervals:
        probes += [s - TICK, s, e - TICK, e]
    for t in probes:
        if start <= t < window_end:
            inside = any(s <= t < e for s, e in intervals)
            assert is_open(schedule, t) == inside, t


@PROPS
@given(scenarios())
def test_holidays_have_no_open_time(scenario):
    schedule, _ = scenario
    zone = ZoneInfo(schedule.tz)
    for holiday in schedule.holidays:
        day_start = datetime.combine(holiday, time(0), tzinfo=zone)
        day_end = datetime.combine(holiday + timedelta(days=1), time(0), tzinfo=zone)
        assert business_time_between(schedule, day_start, day_end) == timedelta(0)
        assert not is_open(schedule, day_start)
        assert not is_open(schedule, day_end - TICK)
        assert list(open_intervals(schedule, day_start, day_end)) == []


@PROPS
@given(scenarios(), st.data())
def test_several_durations_at_once_land_where_each_alone_does(scenario, data):
    schedule, start = scenario
    durations = data.draw(st.lists(durations_for(schedule), max_size=4), label="durations")
    try:
        alone = [add_business_time(schedule, start, d) for d in durations]
    except ValueError:
        with pytest.raises(ValueError):
            add_business_times(schedule, start, durations)
        return
    assert add_business_times(schedule, start, durations) == alone
