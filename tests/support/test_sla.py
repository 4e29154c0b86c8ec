"""SLA policies and clocks: due times in business time, pause/resume, and the due-clock index."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from support.models import BusinessCalendar, Holiday, SLAClock, SLAPolicy, WeeklyHours
from support.selectors import sla_clocks_due
from support.services import (
    sla_clock_cancel,
    sla_clock_pause,
    sla_clock_resume,
    sla_clock_satisfy,
    sla_clock_start,
    sla_policy_for,
)
from tests.factories import CustomerFactory

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
pytestmark = pytest.mark.django_db


def sh(*args):
    return dt.datetime(*args, tzinfo=SH)


@pytest.fixture
def case():
    # Any model instance can carry clocks; a customer profile stands in for a ticket here.
    return CustomerFactory()


def test_seeded_policies_follow_spec_and_vip_is_half():
    expected = {
        ("chat", "first_response"): dt.timedelta(minutes=2),
        ("email", "first_response"): dt.timedelta(hours=24),
        ("web", "first_response"): dt.timedelta(hours=24),
        ("document", "document_review"): dt.timedelta(hours=24),
        ("complaint", "first_response"): dt.timedelta(hours=24),
    }
    for (channel, metric), target in expected.items():
        assert sla_policy_for(channel=channel, metric=metric).target == target
        assert sla_policy_for(channel=channel, metric=metric, vip=True).target == target / 2
    assert sla_policy_for(channel="complaint", metric="first_response").calendar.always_open


def test_policy_for_a_priority_beats_the_any_priority_policy(support_calendar):
    SLAPolicy.objects.create(
        channel="email", metric="first_response", priority="urgent", target=dt.timedelta(hours=4), calendar=support_calendar
    )
    assert sla_policy_for(channel="email", metric="first_response", priority="urgent").target == dt.timedelta(hours=4)
    assert sla_policy_for(channel="email", metric="first_response", priority="low").target == dt.timedelta(hours=24)
    # A VIP with an urgent ticket still gets the VIP policy when there is no urgent VIP one.
    assert sla_policy_for(channel="email", metric="first_response", priority="urgent", vip=True).vip


def test_email_clock_started_saturday_evening_skips_sunday(case):
    # Sat 20:00-22:00 = 2h, Sunday closed, Mon 06:00-22:00 = 16h, Tue from 00:00: 6h more.
    clock = sla_clock_start(case, channel="email", metric="first_response", at=sh(2026, 11, 21, 20, 0))
    assert clock.due_at == sh(2026, 11, 24, 6, 0)
    assert clock.state == SLAClock.State.RUNNING
    # Warning at 75% = 18 business hours: Sat 2h + Mon 16h -> Monday 22:00.
    assert clock.warn_at == sh(2026, 11, 23, 22, 0)


def test_chat_clock_started_while_closed_runs_from_opening(case):
    clock = sla_clock_start(case, channel="chat", metric="first_response", at=sh(2026, 11, 22, 12, 0))  # Sunday
    assert clock.due_at == sh(2026, 11, 23, 6, 2)


def test_vip_clock_is_due_sooner(case):
    clock = sla_clock_start(case, channel="chat", metric="first_response", vip=True, at=sh(2026, 11, 24, 10, 0))
    assert clock.due_at == sh(2026, 11, 24, 10, 1)


def test_holiday_is_skipped(case, support_calendar):
    Holiday.objects.create(calendar=support_calendar, date=dt.date(2026, 11, 25), name="Test holiday")  # Wednesday
    clock = sla_clock_start(case, channel="web", metric="first_response", at=sh(2026, 11, 24, 12, 0))
    # Tue 12:00-24:00 = 12h, Wednesday closed, Thursday 00:00 + 12h.
    assert clock.due_at == sh(2026, 11, 26, 12, 0)


def test_due_time_across_a_dst_change(case):
    calendar = BusinessCalendar.objects.create(name="New York office", time_zone="America/New_York")
    WeeklyHours.objects.bulk_create(
        WeeklyHours(calendar=calendar, weekday=day, opens=dt.time(9), closes=dt.time(17)) for day in range(5)
    )
    SLAPolicy.objects.filter(channel="email", metric="first_response").update(calendar=calendar)
    start = dt.datetime(2026, 3, 6, 16, 0, tzinfo=NY)  # Friday before the spring-forward Sunday
    clock = sla_clock_start(case, channel="email", metric="first_response", at=start)
    # 1h on Friday, then 8h on each of Mon/Tue (EDT now), 7h into Wednesday: 16:00 EDT.
    assert clock.due_at == dt.datetime(2026, 3, 11, 16, 0, tzinfo=NY)
    assert clock.due_at.astimezone(dt.timezone.utc).hour == 20  # EDT is UTC-4; before the change it was UTC-5


def test_complaint_acknowledgement_counts_calendar_hours(case):
    clock = sla_clock_start(case, channel="complaint", metric="first_response", at=sh(2026, 11, 22, 12, 0))
    assert clock.due_at == sh(2026, 11, 23, 12, 0)


def test_starting_twice_returns_the_running_clock(case):
    first = sla_clock_start(case, channel="web", metric="first_response", at=sh(2026, 11, 24, 10, 0))
    second = sla_clock_start(case, channel="web", metric="first_response", at=sh(2026, 11, 24, 11, 0))
    assert first.pk == second.pk
    assert SLAClock.objects.count() == 1


def test_satisfy_marks_met_and_in_time(case):
    sla_clock_start(case, channel="web", metric="first_response", at=sh(2026, 11, 24, 10, 0))
    clock = sla_clock_satisfy(case, metric="first_response", at=sh(2026, 11, 24, 11, 0))
    assert clock.state == SLAClock.State.MET and not clock.is_breached
    assert sla_clock_satisfy(case, metric="first_response") is None  # nothing left running


def test_late_satisfaction_counts_as_breached(case):
    sla_clock_start(case, channel="chat", metric="first_response", at=sh(2026, 11, 24, 10, 0))
    clock = sla_clock_satisfy(case, metric="first_response", at=sh(2026, 11, 24, 10, 5))
    assert clock.is_breached


def test_pause_keeps_remaining_business_time_and_resume_restores_it(case):
    sla_clock_start(case, channel="web", metric="first_response", at=sh(2026, 11, 24, 10, 0))  # due Wed 10:00
    [paused] = sla_clock_pause(case, at=sh(2026, 11, 24, 14, 0))  # waiting on the customer
    assert paused.state == SLAClock.State.PAUSED
    assert paused.remaining == dt.timedelta(hours=20)
    assert not sla_clocks_due(before=sh(2026, 12, 31)).exists()  # a paused clock is never due
    # The customer answers on Saturday 21:00: 1h on Saturday, Sunday closed, Monday 06:00-22:00 16h, 3h on Tuesday.
    [resumed] = sla_clock_resume(case, at=sh(2026, 11, 28, 21, 0))
    assert resumed.state == SLAClock.State.RUNNING
    assert resumed.due_at == sh(2026, 12, 1, 3, 0)
    assert resumed.remaining is None


def test_cancel_stops_without_meeting(case):
    sla_clock_start(case, channel="web", metric="first_response", at=sh(2026, 11, 24, 10, 0))
    [clock] = sla_clock_cancel(case)
    assert clock.state == SLAClock.State.CANCELLED and clock.met_at is None


def test_callback_clock_takes_the_slot_end_as_due(case):
    start, end = sh(2026, 11, 24, 10, 0), sh(2026, 11, 24, 10, 30)
    clock = sla_clock_start(case, channel="callback", metric="callback_punctuality", at=start, due_at=end)
    assert clock.due_at == end and clock.target == dt.timedelta(minutes=30)


def test_due_selector_returns_running_clocks_due_soonest_first(case, other_customer):
    late = sla_clock_start(case, channel="chat", metric="first_response", at=sh(2026, 11, 24, 10, 0))
    early = sla_clock_start(other_customer.customer_profile, channel="chat", metric="first_response", at=sh(2026, 11, 24, 9, 0))
    assert list(sla_clocks_due(before=sh(2026, 11, 24, 11, 0))) == [early, late]
    assert list(sla_clocks_due(before=sh(2026, 11, 24, 9, 1))) == []


@pytest.mark.postgres
def test_due_clock_query_is_one_range_scan_of_the_partial_index(support_calendar):
    """With many finished clocks and a few running ones, PostgreSQL reads the partial index."""
    from django.contrib.contenttypes.models import ContentType

    ct = ContentType.objects.get_for_model(SLAPolicy)
    base = sh(2026, 1, 1)
    rows = [
        SLAClock(
            channel="email",
            metric="first_response",
            content_type=ct,
            object_id=str(i),
            calendar=support_calendar,
            target=dt.timedelta(hours=24),
            started_at=base,
            due_at=base + dt.timedelta(minutes=i),
            state=SLAClock.State.RUNNING if i % 50 == 0 else SLAClock.State.MET,
        )
        for i in range(20000)
    ]
    SLAClock.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE support_slaclock")
    plan = sla_clocks_due(before=base + dt.timedelta(days=3)).explain()
    assert "sla_running_due_idx" in plan, plan
    assert "Seq Scan" not in plan, plan
