"""The supervisor dashboard against hand-computed figures on a known data set; who may see it."""
import csv
import datetime as dt
import io

import pytest
from django.contrib.contenttypes.models import ContentType

from support import dashboard
from support.models import SLAClock, Team
from support.selectors import default_calendar
from support.services.sla import response_bucket
from tests.factories import AgentFactory, SupervisorFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.timezone.utc)
M = dt.timedelta(minutes=1)


def clock(n, *, channel="email", metric="first_response", started, due, met=None, breached=None, state=None, category="funds",
          language="en", assignee=None, warn=None, escalated=None):
    return SLAClock(
        channel=channel, metric=metric, content_type=ContentType.objects.get_for_model(SLAClock), object_id=str(n),
        calendar=default_calendar(), target=due - started, started_at=started, due_at=due, met_at=met, breached_at=breached,
        warn_at=warn, escalated_at=escalated, category=category, language=language, assignee=assignee,
        state=state or ("met" if met else "running"), response_bucket=response_bucket(started, met) if met else None,
    )


@pytest.fixture
def data():
    """Chat: 4 met (response 1, 2, 3, 10 min; due at 2 min -> 2 on time, 2 late), 1 still waiting.
    E-mail: 3 met on time (60, 120, 240 min), 1 breached and open (its resolution clock still running),
    1 cancelled (ignored).
    One old e-mail from before the period (ignored)."""
    agent, other = AgentFactory().user, AgentFactory().user
    team = Team.objects.create(name="Night shift")
    team.members.add(agent)
    t0 = NOW - dt.timedelta(days=2)
    rows = []
    for i, minutes in enumerate([1, 2, 3, 10]):
        rows.append(clock(i, channel="chat", started=t0, due=t0 + 2 * M, met=t0 + minutes * M,
                          breached=(t0 + 2 * M) if minutes > 2 else None, category="trading", language="zh-hans", assignee=agent))
    rows.append(clock(10, channel="chat", started=NOW - 90 * dt.timedelta(seconds=1), due=NOW + 30 * dt.timedelta(seconds=1),
                      warn=NOW - 1 * M, category="trading", language="zh-hans"))
    for i, minutes in enumerate([60, 120, 240]):
        rows.append(clock(20 + i, started=t0, due=t0 + dt.timedelta(hours=24), met=t0 + minutes * M, assignee=other))
    rows.append(clock(30, started=NOW - dt.timedelta(days=5), due=NOW - dt.timedelta(days=4), breached=NOW - dt.timedelta(days=4),
                      escalated=NOW - dt.timedelta(days=4), language="ru"))
    rows.append(clock(30, metric="resolution", started=NOW - dt.timedelta(days=5), due=NOW + dt.timedelta(days=1), language="ru"))
    rows.append(clock(31, started=t0, due=t0 + dt.timedelta(hours=24), state="cancelled"))
    rows.append(clock(40, started=NOW - dt.timedelta(days=60), due=NOW - dt.timedelta(days=59), met=NOW - dt.timedelta(days=59)))
    SLAClock.objects.bulk_create(rows)
    return {"agent": agent, "team": team}


def filters(**kwargs):
    return dashboard.Filters(start=NOW - dt.timedelta(days=30), end=NOW, **kwargs)


def test_met_late_without_a_breach_event_counts_as_breached(data):
    """Met five seconds after due, between two scans: still a broken promise."""
    t0 = NOW - dt.timedelta(days=1)
    SLAClock.objects.bulk_create([clock(99, channel="callback", metric="callback_punctuality", started=t0, due=t0 + 30 * M,
                                        met=t0 + 30 * M + dt.timedelta(seconds=5))])
    rows = {r["channel"]: r for r in dashboard.figures(filters())["compliance"]}
    assert (rows["callback"]["met"], rows["callback"]["breached"]) == (0, 1)


def test_compliance_counts_and_percentages(data):
    rows = {r["channel"]: r for r in dashboard.compliance(filters())}
    assert (rows["chat"]["met"], rows["chat"]["breached"], rows["chat"]["open"], rows["chat"]["compliance"]) == (2, 2, 1, 50.0)
    assert (rows["email"]["met"], rows["email"]["breached"], rows["email"]["open"], rows["email"]["compliance"]) == (3, 1, 1, 75.0)


def test_percentiles_by_hand(data):
    rows = {(r["channel"], r["metric"]): r for r in dashboard.percentiles(filters())}
    chat = rows[("chat", "first_response")]
    # 1, 2, 3, 10 minutes: p50 = 2.5 min; p90 at rank 2.7 -> 3 + 0.7 * 7 = 7.9 min.
    assert chat["count"] == 4
    assert chat["p50"] == dt.timedelta(minutes=2.5)
    assert abs(chat["p90"].total_seconds() - 7.9 * 60) < 0.01
    email = rows[("email", "first_response")]
    # 60, 120, 240: p50 = 120; p90 at rank 1.8 -> 120 + 0.8 * 120 = 216 min.
    assert (email["p50"], email["p90"]) == (dt.timedelta(minutes=120), dt.timedelta(minutes=216))


def test_backlog_by_age(data):
    rows = {r["channel"]: r["counts"] for r in dashboard.backlog(filters(), now=NOW)}
    assert rows["chat"] == [1, 0, 0, 0, 0]  # 90 seconds old
    assert rows["email"] == [0, 0, 0, 0, 1]  # 5 days old (its resolution clock is the open case)


def test_volume_by_category_and_language(data):
    assert dashboard.volume(filters(), "category") == [{"key": "funds", "n": 4}, {"key": "trading", "n": 5}][::-1]
    assert dashboard.volume(filters(), "language") == [{"key": "zh-hans", "n": 5}, {"key": "en", "n": 3}, {"key": "ru", "n": 1}]


def test_filters_by_channel_language_and_team(data):
    assert [r["channel"] for r in dashboard.compliance(filters(channel="email"))] == ["email"]
    assert [r["channel"] for r in dashboard.compliance(filters(language="ru"))] == ["email"]
    team_rows = dashboard.compliance(filters(team=data["team"]))
    assert [(r["channel"], r["met"], r["breached"]) for r in team_rows] == [("chat", 2, 2)]


def test_at_risk_and_escalation_queue(data):
    assert [c.object_id for c in dashboard.at_risk(filters(), now=NOW)] == ["10"]
    assert [c.object_id for c in dashboard.escalated(filters())] == ["30"]


def test_csat_from_rated_tickets_and_chats(customer):
    from chat.models import Conversation
    from tests.factories import make_ticket

    for rating in (5, 4, 2):
        ticket = make_ticket(customer)
        type(ticket).objects.filter(pk=ticket.pk).update(rating=rating)
    Conversation.objects.create(customer=customer, rating=5)
    now = dt.datetime.now(dt.timezone.utc)
    rows = {r["channel"]: r for r in dashboard.csat(dashboard.Filters(start=now - dt.timedelta(days=1), end=now + dt.timedelta(minutes=1)))}
    assert (rows["web"]["count"], rows["web"]["average"], rows["web"]["satisfied_pct"]) == (3, 3.67, 66.7)
    assert (rows["chat"]["count"], rows["chat"]["average"], rows["chat"]["satisfied_pct"]) == (1, 5.0, 100.0)


def test_dashboard_page_csv_and_escalations_for_supervisors_only(client, data):
    supervisor = SupervisorFactory().user
    client.force_login(data["agent"])
    for url in ("/supervisor/", "/supervisor/dashboard.csv", "/supervisor/escalations/", "/supervisor/at-risk.json"):
        assert client.get(url).status_code == 403, url
    client.force_login(supervisor)
    page = client.get("/supervisor/?period=custom&start=2026-10-21&end=2026-11-20")
    assert page.status_code == 200
    text = page.content.decode()
    assert "<svg" in text and "SLA compliance per channel" in text and 'data-channel="chat"' in text
    rows = list(csv.reader(io.StringIO(client.get("/supervisor/dashboard.csv?period=custom&start=2026-10-21&end=2026-11-20").content.decode())))
    assert ["compliance", "chat", "", "compliance", "50.0"] in rows
    assert ["response_time", "email", "first_response", "p90_seconds", str(216 * 60)] in rows
    assert "SLA clock #30" in client.get("/supervisor/escalations/").content.decode()
    assert client.get("/supervisor/at-risk.json").json()["cases"] == []  # the chat's warning window is in the past now


def test_dashboard_page_query_count_is_bounded(client, data, django_assert_max_num_queries):
    client.force_login(SupervisorFactory().user)
    with django_assert_max_num_queries(21):  # a fixed set: figures, secrets, CSAT per app, at-risk, help centre (3), session
        assert client.get("/supervisor/?period=365").status_code == 200


@pytest.mark.postgres
def test_one_pass_matches_the_separate_queries(data):
    """The single GROUPING SETS scan gives the same compliance and volumes as the plain queries."""
    f = filters()
    one = dashboard.figures(f)
    assert one["compliance"] == dashboard.compliance(f)
    assert one["by_category"] == dashboard.volume(f, "category")
    assert one["by_language"] == dashboard.volume(f, "language")
    assert one["approximate"] is False and one["percentiles"] == dashboard.percentiles(f)


@pytest.mark.postgres
def test_approximate_percentiles_from_the_histogram_are_within_three_percent(monkeypatch):
    import random

    rng = random.Random(5)
    t0 = NOW - dt.timedelta(days=3)
    minutes = [rng.lognormvariate(3, 1.2) for _ in range(3000)]
    SLAClock.objects.bulk_create(
        clock(i, started=t0, due=t0 + dt.timedelta(hours=24), met=t0 + dt.timedelta(minutes=m)) for i, m in enumerate(minutes)
    )
    monkeypatch.setattr(dashboard, "EXACT_LIMIT", 100)
    approx = dashboard.figures(filters())
    exact = {r["metric"]: r for r in dashboard.percentiles(filters())}
    assert approx["approximate"] is True
    row = approx["percentiles"][0]
    for q in ("p50", "p90"):
        assert abs(row[q].total_seconds() / exact[row["metric"]][q].total_seconds() - 1) < 0.03


def test_a_met_clock_stores_its_response_time_bucket(customer):
    from support.services import sla_clock_satisfy, sla_clock_start

    profile = customer.customer_profile
    clock = sla_clock_start(profile, channel="complaint", metric="first_response", at=NOW)
    sla_clock_satisfy(profile, metric="first_response", at=NOW + dt.timedelta(minutes=10))
    clock.refresh_from_db()
    assert clock.response_bucket == response_bucket(NOW, NOW + dt.timedelta(minutes=10)) == 131  # 1.05**131 ≈ 596 s
