"""Supervisor dashboard over a year of data (1,000,000 cases) on PostgreSQL: server time of the page
(all figures, charts and template) for 12 months, 30 days and a filtered view, against the raw
aggregate query (compliance per channel, one GROUP BY) over the same rows in the same run.

Each view is measured twice: read live (no roll-ups: the page before daily roll-ups), then after
building the daily roll-ups of every closed day (the build is timed on its own, as the backfill
`manage.py rollup_dashboard --rebuild` does it), with the closed days read from them.

    .venv/bin/python bench/dashboard.py [--cases 1000000] [--repeat 5]

Uses its own database (desk_bench_dash; DATABASE_URL overrides). Cases are clocks of the five
channels spread over the last 365 days, ~8 % breached, a few thousand still open.
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/desk_bench_dash")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "support.settings_test")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def fill(cases: int) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from support.models import SLAClock
    from support.selectors import default_calendar

    ct = ContentType.objects.get_for_model(SLAClock).pk
    calendar = default_calendar().pk
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM support_slaclock")
        if cursor.fetchone()[0] == cases:
            _buckets(cursor)
            cursor.execute("ANALYZE support_slaclock")  # extended statistics are built by ANALYZE
            return
        cursor.execute("TRUNCATE support_slaevent, support_slaclock RESTART IDENTITY CASCADE")
        # channel by g % 5; started evenly over 365 days; response times spread by a hash of g;
        # every 12th breached; the newest 3,000 still running.
        cursor.execute(
            """
            INSERT INTO support_slaclock (channel, metric, content_type_id, object_id, calendar_id, priority, vip, state, target,
                started_at, due_at, met_at, breached_at, category, language)
            SELECT (ARRAY['chat','email','web','callback','document'])[1 + g % 5],
                   (ARRAY['first_response','first_response','first_response','callback_punctuality','document_review'])[1 + g % 5],
                   %s, g::text, %s, 'normal', g %% 20 = 0,
                   CASE WHEN g > %s - 3000 THEN 'running' ELSE 'met' END,
                   interval '24 hours',
                   now() - interval '365 days' + (g * (interval '365 days' / %s)),
                   now() - interval '365 days' + (g * (interval '365 days' / %s)) + interval '24 hours',
                   CASE WHEN g > %s - 3000 THEN NULL
                        ELSE now() - interval '365 days' + (g * (interval '365 days' / %s)) + ((hashint4(g) & 1023) * interval '100 seconds') END,
                   CASE WHEN g %% 12 = 0 AND g <= %s - 3000 THEN now() - interval '365 days' + (g * (interval '365 days' / %s)) + interval '24 hours' END,
                   (ARRAY['urgent_trading','verification','funds','technical','account_settings','complaint'])[1 + g % 6],
                   (ARRAY['en','zh-hans','zh-hant','ru','vi','ja'])[1 + (g / 7) % 6]
            FROM generate_series(1, %s) AS g
            """.replace("g % 5", "g %% 5").replace("g % 6", "g %% 6").replace("(g / 7) % 6", "(g / 7) %% 6"),
            [ct, calendar, cases, cases, cases, cases, cases, cases, cases, cases],
        )
        _buckets(cursor)
        cursor.execute("ANALYZE support_slaclock")


def _buckets(cursor) -> None:
    """The response-time bucket the desk stores when a clock is met (sla_clock_satisfy)."""
    cursor.execute(
        "UPDATE support_slaclock SET response_bucket = floor(ln(greatest(EXTRACT(EPOCH FROM met_at - started_at)::float8, 1))"
        " / ln(1.05))::int WHERE met_at IS NOT NULL AND response_bucket IS NULL"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    ensure_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("migrate", interactive=False, verbosity=0)
    fill(args.cases)
    from django.contrib.auth.models import Group

    from support.models import User

    user, _ = User.objects.get_or_create(email="bench-dash@desk.test", defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name="supervisor"))
    client = Client()
    client.force_login(user)

    def raw():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT channel, COUNT(*) FILTER (WHERE state = 'met' AND breached_at IS NULL),"
                " COUNT(*) FILTER (WHERE breached_at IS NOT NULL), COUNT(*) FILTER (WHERE state IN ('running','paused'))"
                " FROM support_slaclock WHERE started_at >= now() - %s::interval AND state <> 'cancelled' GROUP BY channel",
                [period],
            )
            return cursor.fetchall()

    def page():
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    def timed(fn):
        fn()
        out = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            fn()
            out.append((time.perf_counter() - start) * 1000)
        return statistics.median(out)

    from support.models import DashboardDay, DashboardRollup
    from support.services.rollups import dashboard_rollups_build

    views = [
        ("12 months", "/supervisor/?period=365", "365 days"),
        ("30 days", "/supervisor/?period=30", "30 days"),
        ("12 months, chat, zh-hans", "/supervisor/?period=365&channel=chat&language=zh-hans", "365 days"),
    ]
    DashboardRollup.objects.all().delete()
    DashboardDay.objects.all().delete()
    live = {}
    for label, url, period in views:
        live[label] = timed(page)
    start = time.perf_counter()
    result = dashboard_rollups_build(rebuild=True)
    build = time.perf_counter() - start
    print(
        f"roll-ups: {len(result.days)} days built in {build:.1f} s ({DashboardRollup.objects.count():,} rows)"
    )
    for label, url, period in views:
        base = timed(raw)
        full = timed(page)
        print(
            f"{args.cases:,} cases, {label:<26} page {full:7.1f} ms (live {live[label]:7.1f} ms)"
            f" | raw compliance GROUP BY {base:6.1f} ms | {full / base:.1f}x"
        )


if __name__ == "__main__":
    main()
