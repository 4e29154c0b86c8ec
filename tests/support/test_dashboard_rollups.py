"""The dashboard's daily roll-ups: figures read from them are the figures computed live, whatever the
period, filters, late changes and team changes; the builder is idempotent, locked, and on a beat."""
import datetime as dt
import io
import random

import psycopg
import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection

from support import dashboard
from support.models import DashboardDay, DashboardDirty, DashboardRollup, SLAClock, Team
from support.selectors import default_calendar
from support.services.rollups import LOCK_KEY, dashboard_rollups_build
from support.services.sla import response_bucket
from tests.factories import AgentFactory, CustomerFactory, make_ticket
from tests.support.test_dashboard import NOW as HAND_NOW
from tests.support.test_dashboard import data  # noqa: F401 (the hand-computed data set, a fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 13, 4, 0, tzinfo=UTC)  # 12:00 on 13 November in the desk's time zone (Asia/Shanghai)
FIRST = dt.date(2026, 11, 1)
CHANNELS = {"chat": ["first_response"], "email": ["first_response", "resolution"], "web": ["first_response", "resolution"],
            "callback": ["callback_punctuality"], "document": ["document_review"]}


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """An instant of November 2026 in the desk's time zone (UTC+8)."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def desk():
    """About 900 clocks over 1-13 November (every outcome, five channels, four languages, three
    categories, agents in one team, two teams or none), and rated tickets and chats."""
    assert settings.TIME_ZONE == "Asia/Shanghai"
    rng = random.Random(7)
    night, day = Team.objects.create(name="Night"), Team.objects.create(name="Day")
    a, b, c = AgentFactory().user, AgentFactory().user, AgentFactory().user
    night.members.add(a, b)
    day.members.add(b)
    ct = ContentType.objects.get_for_model(SLAClock)
    calendar = default_calendar()
    clocks = []
    for n in range(900):
        started = local(1, 0) + dt.timedelta(seconds=rng.randrange(12 * 86400 + 12 * 3600))
        channel = rng.choice(list(CHANNELS))
        metric = rng.choice(CHANNELS[channel])
        due = started + dt.timedelta(minutes=rng.choice([2, 30, 240, 1440]))
        kind = rng.choices(["on_time", "late", "running", "paused", "breached_open", "ended_unmet", "cancelled", "odd"],
                           [50, 12, 8, 3, 5, 3, 4, 1])[0]
        if kind == "odd" and metric != "resolution":
            # 'met' without met_at (no service writes it) is none of met, breached, open: the one pass leaves it
            # out of the volumes, volume() counts it; kept to a metric that is not a case's, where they agree.
            kind = "on_time"
        met = breached = None
        state = {"on_time": "met", "late": "met", "ended_unmet": "breached", "breached_open": "running", "odd": "met"}.get(kind, kind)
        if kind == "on_time":
            met = started + (due - started) * rng.random()
        elif kind == "late":
            met = due + dt.timedelta(seconds=rng.lognormvariate(6, 2))
            breached = due if rng.random() < 0.5 else None
        elif kind in ("breached_open", "ended_unmet"):
            breached = due
        clocks.append(SLAClock(
            channel=channel, metric=metric, content_type=ct, object_id=str(n), calendar=calendar, target=due - started,
            started_at=started, due_at=due, met_at=met, breached_at=breached, state=state,
            response_bucket=response_bucket(started, met) if met and n % 97 else None,  # a few met before buckets existed
            category=rng.choice(["funds", "trading", "verification", ""]), language=rng.choice(["en", "zh-hans", "ru", ""]),
            assignee=rng.choice([a, b, c, None]),
        ))
    SLAClock.objects.bulk_create(clocks)
    customer = CustomerFactory().user
    from chat.models import Conversation
    from tickets.models import Ticket

    for n in range(40):
        at = local(1, 0) + dt.timedelta(seconds=rng.randrange(12 * 86400))
        fields = {"rating": rng.choice([None, 1, 2, 3, 4, 5, 5]), "language": rng.choice(["en", "zh-hans", "ru"]), "assignee": rng.choice([a, b, c, None])}
        if n % 2:
            ticket = make_ticket(customer, channel=rng.choice([Ticket.Origin.WEB, Ticket.Origin.EMAIL]))
            Ticket.objects.filter(pk=ticket.pk).update(created_at=at, **fields)
        else:
            chat = Conversation.objects.create(customer=customer, **fields)
            Conversation.objects.filter(pk=chat.pk).update(queued_at=at)
    return {"night": night, "day": day, "agents": (a, b, c), "customer": customer}


def periods():
    return {
        "inside days": (NOW - dt.timedelta(days=9, hours=5, minutes=17), NOW - dt.timedelta(hours=3, minutes=10)),
        "whole days": (local(2, 0), local(12, 0)),
        "one hour": (local(5, 9), local(5, 10)),
    }


def every_filter(desk):
    for name, (start, end) in periods().items():
        for extra in [{}, {"channel": "email"}, {"language": "zh-hans"}, {"team": desk["night"]}, {"team": desk["day"], "language": "ru"},
                      {"channel": "chat", "team": desk["night"], "language": "en"}]:
            yield name, dashboard.Filters(start=start, end=end, **extra)


def live(filters, monkeypatch):
    """The figures as computed before roll-ups: one pass over the whole period."""
    with monkeypatch.context() as patch:
        patch.setattr(dashboard, "_add_rolled", lambda totals, f: dashboard._Rolled(days=[], gaps=[(f.start, f.end)]))
        return dashboard.figures(filters)


def rolled_days(filters) -> list[dt.date]:
    return [day for day, _ in dashboard._add_rolled(dashboard._Totals(), filters).days]


def assert_same_as_live(desk, monkeypatch, *, exact_limit=None):
    if exact_limit is not None:
        monkeypatch.setattr(dashboard, "EXACT_LIMIT", exact_limit)
    for name, f in every_filter(desk):
        expected = live(f, monkeypatch)
        got = dashboard.figures(f)
        assert got == expected, (name, f)
        # and the plain, separate queries agree (volumes as counts: they break ties by the raw key, "" before "funds")
        assert got["compliance"] == dashboard.compliance(f)
        for by in ("category", "language"):
            assert {r["key"]: r["n"] for r in got[f"by_{by}"]} == {r["key"]: r["n"] for r in dashboard.volume(f, by)}
        assert got["csat"] == dashboard.csat(f)
        if not got["approximate"]:
            assert got["percentiles"] == dashboard.percentiles(f)


def build(**kwargs):
    return dashboard_rollups_build(since=FIRST, now=NOW, **kwargs)


def test_figures_from_rollups_equal_the_live_computation(desk, monkeypatch):
    before = {(name, f): live(f, monkeypatch) for name, f in every_filter(desk)}
    result = build()
    assert result.days == [FIRST + dt.timedelta(days=n) for n in range(12)]  # 1-12 November: 13 November is today
    assert DashboardRollup.objects.filter(team__isnull=False).exists() and DashboardRollup.objects.filter(metric="").exists()
    whole = dashboard.Filters(start=local(2, 0), end=local(12, 0))
    assert rolled_days(whole) == [FIRST + dt.timedelta(days=n) for n in range(1, 11)]  # no live part at all
    inside = dashboard.Filters(start=NOW - dt.timedelta(days=9, hours=5, minutes=17), end=NOW)
    assert dashboard._add_rolled(dashboard._Totals(), inside).gaps == [(inside.start, local(5, 0)), (local(13, 0), NOW)]
    for (name, f), expected in before.items():
        assert dashboard.figures(f) == expected, (name, f)
    assert_same_as_live(desk, monkeypatch)  # exact percentiles: from the stored response times
    assert_same_as_live(desk, monkeypatch, exact_limit=5)  # percentiles from the additive histogram


def test_hand_computed_figures_hold_when_read_from_rollups(data):  # noqa: F811 (the fixture)
    """The hand-computed data set of test_dashboard.py, its closed days rolled up."""
    dashboard_rollups_build(since=(HAND_NOW - dt.timedelta(days=70)).date(), now=HAND_NOW)
    f = dashboard.Filters(start=HAND_NOW - dt.timedelta(days=30), end=HAND_NOW)
    assert rolled_days(f)
    figures = dashboard.figures(f)
    rows = {r["channel"]: r for r in figures["compliance"]}
    assert (rows["chat"]["met"], rows["chat"]["breached"], rows["chat"]["open"], rows["chat"]["compliance"]) == (2, 2, 1, 50.0)
    assert (rows["email"]["met"], rows["email"]["breached"], rows["email"]["open"], rows["email"]["compliance"]) == (3, 1, 1, 75.0)
    pct = {(r["channel"], r["metric"]): r for r in figures["percentiles"]}
    assert pct[("chat", "first_response")]["p50"] == dt.timedelta(minutes=2.5)
    assert (pct[("email", "first_response")]["p50"], pct[("email", "first_response")]["p90"]) == (dt.timedelta(minutes=120), dt.timedelta(minutes=216))
    assert figures["by_language"] == [{"key": "zh-hans", "n": 5}, {"key": "en", "n": 3}, {"key": "ru", "n": 1}]
    team_rows = dashboard.figures(dashboard.Filters(start=f.start, end=f.end, team=data["team"]))["compliance"]
    assert [(r["channel"], r["met"], r["breached"]) for r in team_rows] == [("chat", 2, 2)]


def test_a_late_change_to_an_old_case_is_read_live_until_rolled_again(desk, monkeypatch):
    """Late changes by every kind of writer: the changed day is read live at once (never stale), and
    the next build rolls it again. Days not touched stay rolled."""
    from support.services.escalation import sla_scan
    from tickets.models import Ticket

    build()
    whole = dashboard.Filters(start=local(2, 0), end=local(12, 0))
    everything = rolled_days(whole)

    def changed(day: int, change) -> None:
        change()
        assert local(day, 0).date() not in rolled_days(whole)
        assert_same_as_live(desk, monkeypatch)
        assert local(day, 0).date() in build().days
        assert rolled_days(whole) == everything
        assert_same_as_live(desk, monkeypatch)

    running = SLAClock.objects.filter(state="running", breached_at__isnull=True, started_at__gte=local(4, 0), started_at__lt=local(5, 0)).first()

    def answered_today():  # the first reply to a case opened days ago
        met = NOW - dt.timedelta(minutes=5)
        SLAClock.objects.filter(pk=running.pk).update(state="met", met_at=met, response_bucket=response_bucket(running.started_at, met))

    changed(4, answered_today)
    overdue = SLAClock.objects.filter(state="running", breached_at__isnull=True, due_at__lte=NOW).order_by("started_at").first()
    changed(overdue.started_at.astimezone(local(1, 0).tzinfo).day, lambda: sla_scan(now=NOW))  # the scan's set-based UPDATE
    met = SLAClock.objects.filter(state="met", started_at__gte=local(6, 0), started_at__lt=local(7, 0)).first()

    def reassigned():  # an admin edit: the case moves to an agent of another team
        met.assignee = desk["agents"][1] if met.assignee != desk["agents"][1] else desk["agents"][2]
        met.save(update_fields=["assignee"])

    changed(6, reassigned)
    changed(7, lambda: SLAClock.objects.filter(started_at__gte=local(7, 0), started_at__lt=local(8, 0), state="met").first().delete())
    late = SLAClock.objects.filter(started_at__gte=local(8, 0)).first()
    late.pk, late.started_at, late.object_id = None, local(8, 23, 59), "late-intake"  # a case stored late, started on the 8th
    changed(8, late.save)
    ticket = Ticket.objects.filter(created_at__gte=local(2, 0), created_at__lt=local(12, 0)).order_by("created_at").first()
    changed(ticket.created_at.astimezone(local(1, 0).tzinfo).day, lambda: Ticket.objects.filter(pk=ticket.pk).update(rating=1 if ticket.rating != 1 else 5))


def test_a_change_of_team_membership_makes_team_views_read_live(desk, monkeypatch):
    build()
    whole = dashboard.Filters(start=local(2, 0), end=local(12, 0))
    night = dashboard.Filters(start=whole.start, end=whole.end, team=desk["night"])
    assert rolled_days(night) == rolled_days(whole) != []
    desk["night"].members.add(desk["agents"][2])
    assert rolled_days(night) == [] and rolled_days(whole) != []  # other views keep their roll-ups
    assert_same_as_live(desk, monkeypatch)
    assert len(build().days) == 12  # every rolled day again, under the new membership
    assert rolled_days(night) == rolled_days(whole)
    assert_same_as_live(desk, monkeypatch)


def test_building_twice_changes_nothing_and_rebuild_rolls_again(desk):
    first = build()
    rows = list(DashboardRollup.objects.order_by("day", "team_id", "language", "channel", "metric").values_list(
        "day", "team_id", "language", "channel", "metric", "met", "breached", "open", "hist", "durations", "csat_sum"))
    assert build().days == [] and not DashboardDirty.objects.exists()
    assert build(rebuild=True).days == first.days
    assert rows == list(DashboardRollup.objects.order_by("day", "team_id", "language", "channel", "metric").values_list(
        "day", "team_id", "language", "channel", "metric", "met", "breached", "open", "hist", "durations", "csat_sum"))


def test_a_second_builder_at_the_same_time_skips(desk):
    params = connection.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k in ("host", "port", "user", "password", "dbname")}, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])  # another worker is building
        result = build()
        assert result.skipped and result.days == [] and not DashboardDay.objects.exists()
        other.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
    assert len(build().days) == 12


def test_beat_task_and_backfill_command(desk):
    from support.tasks import dashboard_rollups

    assert settings.CELERY_BEAT_SCHEDULE["dashboard-rollups"] == {"task": "support.tasks.dashboard_rollups", "schedule": 600.0}
    out = io.StringIO()
    call_command("rollup_dashboard", "--since", "2026-11-01", "--until", "2026-11-05", stdout=out)
    assert out.getvalue().startswith("Rolled up 5 days (2026-11-01 to 2026-11-05)")
    assert sorted(DashboardDay.objects.values_list("day", flat=True)) == [FIRST + dt.timedelta(days=n) for n in range(5)]
    result = dashboard_rollups()  # the last 400 days to yesterday (real time)
    assert result["skipped"] is False and result["days"] == 400 - 5
