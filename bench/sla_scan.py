"""SLA enforcement scan on PostgreSQL: cost with 100,000 and 1,000,000 running clocks of which 1,000
are due, against the raw claiming statement alone in the same run; the scan with nothing due; and
the detection lag (due time -> breach recorded) with the scan run every 15 s as beat runs it.

    .venv/bin/python bench/sla_scan.py [--sizes 100000 1000000] [--due 1000] [--lag-seconds 50]

Uses its own database (desk_bench_sla; DATABASE_URL overrides). Each measured scan runs inside a
transaction that is rolled back, so every repetition finds the same 1,000 clocks due.
"""
import argparse
import datetime as dt
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/desk_bench_sla")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "support.settings")
os.environ.setdefault("DEBUG", "1")


class Rollback(Exception):
    pass


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def timed(fn, repeat: int) -> list[float]:
    fn()  # warm
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def fill(total: int, due: int, now: dt.datetime) -> None:
    """`total` running clocks: `due` of them due a minute ago, the rest due over the next 30 days."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from support.models import SLAClock
    from support.selectors import default_calendar

    ct = ContentType.objects.get_for_model(SLAClock).pk
    calendar = default_calendar().pk
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE support_slaevent, support_slaclock, support_notification, support_outboundemail RESTART IDENTITY CASCADE")
        cursor.execute(
            """
            INSERT INTO support_slaclock (channel, metric, content_type_id, object_id, calendar_id, priority, vip, state, target,
                started_at, due_at, warn_at, category, language)
            SELECT 'email', 'first_response', %s, g::text, %s, 'normal', false, 'running', interval '24 hours',
                %s - interval '1 day',
                CASE WHEN g <= %s THEN %s - interval '1 minute' ELSE %s + (g * interval '2 seconds') END,
                CASE WHEN g <= %s THEN %s - interval '2 minutes' ELSE %s + (g * interval '2 seconds') - interval '6 hours' + interval '30 days' END,
                'funds', 'en'
            FROM generate_series(1, %s) AS g
            """,
            [ct, calendar, now, due, now, now, due, now, now, total],
        )
        cursor.execute("ANALYZE support_slaclock")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--lag-seconds", type=int, default=50)
    args = parser.parse_args()
    ensure_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", interactive=False, verbosity=0)
    from support.models import SLAEvent
    from support.services import escalation

    from django.contrib.auth.models import Group

    from support.models import User

    group = Group.objects.get(name="supervisor")
    for i in range(3):
        user, _ = User.objects.get_or_create(email=f"bench-supervisor-{i}@desk.test", defaults={"is_staff": True})
        user.groups.add(group)

    now = dt.datetime(2026, 11, 24, 4, 0, tzinfo=dt.timezone.utc)
    results = {}
    for total in args.sizes:
        fill(total, args.due, now)

        def nothing_due():
            escalation.sla_scan(now=now - dt.timedelta(minutes=5))

        def raw_claim():
            try:
                with transaction.atomic():
                    claimed = 0
                    while True:
                        rows, _written = escalation._claim("breach", now, escalation.BATCH)
                        claimed += len(rows)
                        if len(rows) < escalation.BATCH:
                            break
                    assert claimed == args.due, claimed
                    raise Rollback
            except Rollback:
                pass

        def raw_statement_only():
            """The bare UPDATE … RETURNING, without reading the rows back (the floor)."""
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(
                        "UPDATE support_slaclock SET breached_at = %s WHERE id = ANY(ARRAY(SELECT id FROM support_slaclock"
                        " WHERE state = 'running' AND breached_at IS NULL AND due_at <= %s ORDER BY due_at LIMIT %s"
                        " FOR UPDATE SKIP LOCKED)) RETURNING id",
                        [now, now, args.due],
                    )
                    assert len(cursor.fetchall()) == args.due
                    raise Rollback
            except Rollback:
                pass

        def full_scan():
            try:
                with transaction.atomic():
                    result = escalation.sla_scan(now=now)
                    assert result.breaches == args.due, result
                    raise Rollback
            except Rollback:
                pass

        empty = timed(nothing_due, args.repeat * 3)
        bare = timed(raw_statement_only, args.repeat)
        claim = timed(raw_claim, args.repeat)
        full = timed(full_scan, args.repeat)
        results[total] = {
            "empty": statistics.median(empty),
            "bare": statistics.median(bare),
            "claim": statistics.median(claim),
            "full": statistics.median(full),
        }
        r = results[total]
        print(
            f"{total:>9,} running, {args.due} due: nothing due {r['empty']:.2f} ms | bare UPDATE…RETURNING {r['bare']:.1f} ms | "
            f"claiming statements (batches of {escalation.BATCH}, with the event rows) {r['claim']:.1f} ms | full scan with escalation "
            f"writes {r['full']:.1f} ms = {r['full'] / r['claim']:.2f}x the claim, {r['full'] / r['bare']:.2f}x the bare statement"
        )
    if len(args.sizes) >= 2:
        small, large = results[args.sizes[0]], results[args.sizes[-1]]
        print(
            f"{args.sizes[-1]:,} vs {args.sizes[0]:,} running: full scan {large['full'] / small['full']:.2f}x, "
            f"nothing due {large['empty'] / small['empty']:.2f}x (cost follows the due count, not the total)"
        )

    # Detection lag: clocks fall due at random instants while a "beat" runs the scan every 15 s.
    if args.lag_seconds:
        import random

        fill(args.sizes[0], 0, dt.datetime.now(dt.timezone.utc))
        from django.contrib.contenttypes.models import ContentType

        from support.models import SLAClock
        from support.selectors import default_calendar

        start = dt.datetime.now(dt.timezone.utc)
        rng = random.Random(3)
        ct = ContentType.objects.get_for_model(SLAClock)
        calendar = default_calendar()
        SLAClock.objects.bulk_create(
            SLAClock(
                channel="chat", metric="first_response", content_type=ct, object_id=f"lag-{i}", calendar=calendar,
                target=dt.timedelta(minutes=2), started_at=start, due_at=start + dt.timedelta(seconds=rng.uniform(1, args.lag_seconds - 16)),
            )
            for i in range(200)
        )
        stop = threading.Event()
        scans = []

        def beat():
            while not stop.is_set():
                t0 = time.perf_counter()
                escalation.sla_scan()
                scans.append(time.perf_counter() - t0)
                stop.wait(15)
            connection.close()

        thread = threading.Thread(target=beat)
        thread.start()
        time.sleep(args.lag_seconds)
        stop.set()
        thread.join()
        lags = sorted(e.lag.total_seconds() for e in SLAEvent.objects.filter(clock__object_id__startswith="lag-"))
        print(
            f"detection lag over {len(lags)} clocks due at random instants, scan every 15 s: median {statistics.median(lags):.1f} s, "
            f"max {lags[-1]:.1f} s (aim: at most 16 s); scans took at most {max(scans) * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
