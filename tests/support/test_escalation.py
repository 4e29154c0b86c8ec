"""SLA enforcement: warning then breach, exactly once, per channel across closed hours, a holiday and DST."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from support.models import (
    AuditEvent,
    BusinessCalendar,
    Holiday,
    Notification,
    OutboundEmail,
    SLAClock,
    SLAEvent,
    SLAPolicy,
    WeeklyHours,
)
from support.services import sla_clock_pause, sla_clock_resume, sla_clock_satisfy, sla_clock_start
from support.services.escalation import sla_scan
from tests.factories import AgentFactory, CustomerFactory, SupervisorFactory

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
pytestmark = pytest.mark.django_db


def sh(*args):
    return dt.datetime(*args, tzinfo=SH)


def start(case, *, channel="email", metric="first_response", at, vip=False, assignee=None, **kwargs):
    clock = sla_clock_start(case, channel=channel, metric=metric, at=at, vip=vip, **kwargs)
    if assignee is not None:
        SLAClock.objects.filter(pk=clock.pk).update(assignee=assignee)
    return clock


@pytest.fixture
def case():
    return CustomerFactory()  # any model instance can carry clocks


@pytest.fixture
def people():
    return {"agent": AgentFactory().user, "supervisor": SupervisorFactory().user, "other_supervisor": SupervisorFactory().user}


def events(clock, kind=None):
    qs = SLAEvent.objects.filter(clock=clock)
    return qs.filter(kind=kind) if kind else qs


def test_warning_then_breach_each_exactly_once(case, people):
    agent, supervisor = people["agent"], people["supervisor"]
    # Tuesday (open 24h): an e-mail due in 24 h, warned at 75 % = 18 h.
    clock = start(case, at=sh(2026, 11, 24, 9, 0), assignee=agent)
    assert clock.warn_at == sh(2026, 11, 25, 3, 0) and clock.due_at == sh(2026, 11, 25, 9, 0)

    assert sla_scan(now=sh(2026, 11, 25, 2, 59)).warnings == 0
    result = sla_scan(now=sh(2026, 11, 25, 3, 0, 10))
    assert (result.warnings, result.breaches) == (1, 0)
    assert sla_scan(now=sh(2026, 11, 25, 3, 1)).warnings == 0  # a second run does nothing
    warning = events(clock, "warning").get()
    assert warning.lag == dt.timedelta(seconds=10)
    assert list(Notification.objects.filter(kind="sla.warning").values_list("recipient", flat=True)) == [agent.pk]
    assert not OutboundEmail.objects.exists()  # warnings are in-app only

    result = sla_scan(now=sh(2026, 11, 25, 9, 0, 5))
    assert (result.warnings, result.breaches) == (0, 1)
    assert sla_scan(now=sh(2026, 11, 25, 9, 30)).breaches == 0
    clock.refresh_from_db()
    assert clock.state == SLAClock.State.RUNNING and clock.breached_at == sh(2026, 11, 25, 9, 0, 5)
    assert clock.escalated_at is not None  # the seeded policies move breaches to the escalation queue
    recipients = sorted(Notification.objects.filter(kind="sla.breach").values_list("recipient", flat=True))
    assert recipients == sorted([agent.pk, supervisor.pk, people["other_supervisor"].pk])
    mails = list(OutboundEmail.objects.all())
    assert sorted(m.to[0] for m in mails) == sorted([agent.email, supervisor.email, people["other_supervisor"].email])
    assert all(len(m.to) == 1 for m in mails)  # one message each: no one sees another's address
    assert SLAEvent.objects.filter(kind="breach", clock__object_id=str(case.pk)).count() == 1
    assert events(clock).count() == 2


def test_a_clock_found_past_due_is_breached_without_a_warning(case, people):
    clock = start(case, at=sh(2026, 11, 24, 9, 0), assignee=people["agent"])
    result = sla_scan(now=sh(2026, 11, 26, 0, 0))
    assert (result.warnings, result.breaches) == (0, 1)
    assert sla_scan(now=sh(2026, 11, 26, 0, 1)).warnings == 0
    assert list(events(clock).values_list("kind", flat=True)) == ["breach"]


def test_met_cancelled_and_paused_clocks_are_left_alone(case, people):
    other, third = CustomerFactory(), CustomerFactory()
    start(case, at=sh(2026, 11, 24, 9, 0))
    start(other, at=sh(2026, 11, 24, 9, 0))
    start(third, at=sh(2026, 11, 24, 9, 0))
    sla_clock_satisfy(case, metric="first_response", at=sh(2026, 11, 24, 10, 0))
    sla_clock_pause(other, at=sh(2026, 11, 24, 10, 0))  # waiting on the customer: 23 business hours left
    assert sla_scan(now=sh(2026, 11, 26, 0, 0)).breaches == 1  # only the third
    sla_clock_resume(other, at=sh(2026, 11, 27, 9, 0))  # Friday 09:00 + 23 h = Saturday 08:00
    assert sla_scan(now=sh(2026, 11, 28, 7, 59)).breaches == 0
    assert sla_scan(now=sh(2026, 11, 28, 8, 0)).breaches == 1


def test_notify_only_policy_does_not_escalate(case, people):
    SLAPolicy.objects.filter(channel="email", metric="first_response").update(breach_action="notify")
    clock = start(case, at=sh(2026, 11, 24, 9, 0))
    sla_scan(now=sh(2026, 11, 26, 0, 0))
    clock.refresh_from_db()
    assert clock.breached_at is not None and clock.escalated_at is None


@pytest.mark.parametrize(
    "channel,metric,vip,started,warn,due",
    [
        # Chat, 2 min (warn 90 s), started a minute before Saturday closing (22:00): resumes Monday 06:00.
        ("chat", "first_response", False, sh(2026, 11, 28, 21, 59), sh(2026, 11, 30, 6, 0, 30), sh(2026, 11, 30, 6, 1)),
        ("chat", "first_response", True, sh(2026, 11, 28, 21, 59), sh(2026, 11, 28, 21, 59, 45), sh(2026, 11, 28, 22, 0)),
        # E-mail and web tickets, 24 business hours from Saturday 20:00: 2 h Sat, 16 h Mon, 6 h Tue (warn at 18 h).
        ("email", "first_response", False, sh(2026, 11, 28, 20, 0), sh(2026, 11, 30, 22, 0), sh(2026, 12, 1, 6, 0)),
        ("web", "first_response", True, sh(2026, 11, 28, 20, 0), sh(2026, 11, 30, 13, 0), sh(2026, 11, 30, 16, 0)),
        # Document review: 24 business hours, the same calendar.
        ("document", "document_review", False, sh(2026, 11, 28, 20, 0), sh(2026, 11, 30, 22, 0), sh(2026, 12, 1, 6, 0)),
        # Complaint acknowledgement: 24 h on the always-open calendar.
        ("complaint", "first_response", False, sh(2026, 11, 28, 20, 0), sh(2026, 11, 29, 14, 0), sh(2026, 11, 29, 20, 0)),
    ],
)
def test_each_channel_warns_and_breaches_across_closed_hours(case, people, channel, metric, vip, started, warn, due):
    clock = start(case, channel=channel, metric=metric, at=started, vip=vip)
    assert (clock.warn_at, clock.due_at) == (warn, due)
    if warn > sh(2026, 11, 30, 0, 0):
        # All through Sunday the desk is closed and the clock stands still: nothing happens.
        result = sla_scan(now=sh(2026, 11, 29, 23, 59, 59))
        assert (result.warnings, result.breaches) == (0, 0)
    assert sla_scan(now=warn - dt.timedelta(seconds=1)).warnings == 0
    assert sla_scan(now=warn).warnings == 1
    assert sla_scan(now=due - dt.timedelta(seconds=1)).breaches == 0
    assert sla_scan(now=due).breaches == 1
    assert list(events(clock).order_by("created_at").values_list("kind", flat=True)) == ["warning", "breach"]


def test_call_back_clock_runs_to_the_end_of_its_slot(case, support_calendar):
    slot_end = sh(2026, 11, 30, 10, 30)
    clock = start(case, channel="callback", metric="callback_punctuality", at=sh(2026, 11, 30, 8, 0), due_at=slot_end, calendar=support_calendar)
    assert sla_scan(now=slot_end - dt.timedelta(seconds=1)).breaches == 0
    assert sla_scan(now=slot_end).breaches == 1
    assert events(clock, "breach").exists()


def test_a_holiday_stops_the_clock(case, support_calendar):
    Holiday.objects.create(calendar=support_calendar, date=dt.date(2026, 11, 30), name="Closed Monday")
    # Saturday 20:00 + 24 business hours: 2 h Saturday, Sunday closed, Monday a holiday, 22 h from Tuesday 00:00.
    clock = start(case, at=sh(2026, 11, 28, 20, 0))
    assert clock.due_at == sh(2026, 12, 1, 22, 0)
    assert sla_scan(now=sh(2026, 12, 1, 6, 0)).breaches == 0
    assert sla_scan(now=sh(2026, 12, 1, 22, 0)).breaches == 1


def test_breach_across_the_dst_change(case):
    """New York 09:00-17:00 weekdays; 8 business hours from Friday 13:00 before DST starts (8 March 2026)."""
    calendar = BusinessCalendar.objects.create(name="New York desk", time_zone="America/New_York")
    for day in range(5):
        WeeklyHours.objects.create(calendar=calendar, weekday=day, opens=dt.time(9), closes=dt.time(17))
    SLAPolicy.objects.create(channel="email", metric="first_response", priority="urgent", target=dt.timedelta(hours=8), calendar=calendar)
    started = dt.datetime(2026, 3, 6, 13, 0, tzinfo=NY)  # EST, UTC-5
    clock = start(case, at=started, priority="urgent")
    due = dt.datetime(2026, 3, 9, 13, 0, tzinfo=NY)  # EDT, UTC-4: 4 h Friday + 4 h Monday
    assert clock.due_at == due and due.utcoffset() == dt.timedelta(hours=-4)
    assert sla_scan(now=due - dt.timedelta(seconds=1)).breaches == 0
    assert sla_scan(now=due).breaches == 1


def test_vip_clock_breaches_first(case):
    vip_case = CustomerFactory(tier="vip")
    standard = start(case, at=sh(2026, 11, 24, 9, 0))
    vip = start(vip_case, at=sh(2026, 11, 24, 9, 0), vip=True)
    assert vip.due_at == sh(2026, 11, 24, 21, 0)
    assert sla_scan(now=sh(2026, 11, 24, 21, 0)).breaches == 1
    assert events(vip, "breach").exists() and not events(standard).filter(kind="breach").exists()


def test_one_failing_recipient_does_not_stop_the_others(case, people, monkeypatch, django_capture_on_commit_callbacks):
    """The channel layer refuses one supervisor's group; everyone else is still pushed and mailed."""
    from support.services import notifications

    pushed = []

    class Layer:
        async def group_send(self, group, message):
            if group == notifications.user_group(people["supervisor"].pk):
                raise ConnectionError("layer refused")
            pushed.append(group)

    monkeypatch.setattr(notifications, "get_channel_layer", lambda: Layer())
    start(case, at=sh(2026, 11, 24, 9, 0), assignee=people["agent"])
    with django_capture_on_commit_callbacks(execute=True):
        sla_scan(now=sh(2026, 11, 26, 0, 0))
    assert sorted(pushed) == sorted(notifications.user_group(u.pk) for u in (people["agent"], people["other_supervisor"]))
    assert OutboundEmail.objects.filter(status="sent").count() == 3  # sent eagerly in tests, one each


def test_many_cases_at_once_become_one_summary_and_one_digest_each(people):
    cases = [CustomerFactory() for _ in range(12)]
    for case in cases:
        start(case, at=sh(2026, 11, 24, 9, 0), assignee=people["agent"])
    assert sla_scan(now=sh(2026, 11, 26, 0, 0)).breaches == 12
    for user in people.values():
        notes = list(Notification.objects.filter(recipient=user, kind="sla.breach"))
        assert len(notes) == 1 and notes[0].message.startswith("12 cases")
        mails = list(OutboundEmail.objects.filter(to=[user.email]))
        assert len(mails) == 1 and mails[0].subject == "12 SLA breaches" and mails[0].body_text.count("\n- ") == 11
    assert SLAEvent.objects.filter(kind="breach").count() == 12


def test_scan_with_nothing_due_is_one_statement_per_kind(case, django_assert_num_queries):
    start(case, at=sh(2026, 11, 24, 9, 0))
    with django_assert_num_queries(2):
        sla_scan(now=sh(2026, 11, 24, 10, 0))
