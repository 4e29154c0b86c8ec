"""Backfill or rebuild the dashboard's daily roll-ups: python manage.py rollup_dashboard --since 2025-12-01 [--until ...] [--rebuild]."""
import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from support.services.rollups import HORIZON_DAYS, dashboard_rollups_build


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value}") from exc


class Command(BaseCommand):
    help = (
        "Roll up the supervisor dashboard's closed days (desk time zone) from --since to --until (default: the last "
        f"{HORIZON_DAYS} days to yesterday) that are not rolled yet, and rebuild rolled days changed since. The beat task "
        "does the same every 10 minutes; this is for a backfill or, with --rebuild, to roll every day in the range again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", type=_date, help="first day (YYYY-MM-DD)")
        parser.add_argument("--until", type=_date, help="last day (YYYY-MM-DD), at most yesterday")
        parser.add_argument("--rebuild", action="store_true", help="roll every day in the range again, even if it is up to date")

    def handle(self, *args, since=None, until=None, rebuild=False, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Roll-ups are for PostgreSQL; the embedded SQLite desk reads the dashboard live.")
        if since and until and until < since:
            raise CommandError("--until is before --since.")
        started = time.perf_counter()
        result = dashboard_rollups_build(since=since, until=until, rebuild=rebuild)
        seconds = time.perf_counter() - started
        if result.skipped:
            raise CommandError("Another roll-up is running (the beat task?): try again when it is done.")
        span = f" ({result.days[0]} to {result.days[-1]})" if result.days else ""
        self.stdout.write(f"Rolled up {len(result.days)} days{span} in {seconds:.1f} s; dropped {len(result.dropped)}.")
