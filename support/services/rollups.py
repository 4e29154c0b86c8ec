"""Daily roll-ups of the supervisor dashboard's figures (PostgreSQL; support/dashboard.py reads them).

A closed day is a day of the desk's time zone (settings.TIME_ZONE) that has ended: [00:00, next
00:00) lies in the past. Its clocks and rated cases become DashboardRollup rows, one per slice: every
case or one team's (through the assignee, as the dashboard's team filter), every language ("*") or
one, and channel + metric (blank metric: the channel's CSAT sums). Each row holds the outcome counts,
cases by category and language, met clocks per response-time bucket and the CSAT sums, all additive.

Late changes: database triggers log the hour of every clock, ticket and chat that is inserted,
deleted, or updated in a column the dashboard counts (DashboardDirty; migrations support 0012,
tickets 0005, chat 0002), whoever writes it (services, the escalation scan's SQL, the admin, a
shell). The dashboard reads a rolled day live while a logged hour overlaps it, and a team view
also while team membership differs from when the day was rolled; this service rebuilds those days
and clears the log. A stale roll-up is never used: until the next run a changed day only reads slower.
"""
import dataclasses
import datetime as dt
import json
from collections import defaultdict

from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from support.channel_apps import ChannelAppConfig
from support.dashboard import OUTCOMES_SQL, TEAMS_HASH, TEAMS_TABLE
from support.models import DashboardDay, DashboardRollup

# The beat task keeps this many days rolled (the longest preset period is 365 days).
HORIZON_DAYS = 400
# pg_advisory_xact_lock key: one builder at a time, whatever the number of workers.
LOCK_KEY = 7_245_110_301
ALL = DashboardRollup.ALL_LANGUAGES
CHUNK_DAYS = 31


@dataclasses.dataclass
class RollupResult:
    days: list[dt.date]  # rolled up, for the first time or again
    dropped: list[dt.date] = dataclasses.field(default_factory=list)  # rolled days that are no longer closed (time zone changed)
    skipped: bool = False  # another builder held the lock: nothing done


def day_bounds(day: dt.date, tz) -> tuple[dt.datetime, dt.datetime]:
    """A day of `tz` as instants, cut as the dashboard cuts a custom period."""
    return (dt.datetime.combine(day, dt.time(0), tzinfo=tz), dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz))


def dashboard_rollups_build(
    *, since: dt.date | None = None, until: dt.date | None = None, rebuild: bool = False, now: dt.datetime | None = None
) -> RollupResult:
    """Roll up the closed days in [since, until] not rolled yet (default: the last HORIZON_DAYS days to
    yesterday; `rebuild`: all of them again), and rebuild every rolled day, whatever its date, that a
    logged change overlaps, that was rolled under other team membership or cut in another time zone.

    One transaction. Idempotent; a second builder running at the same time returns at once (skipped).
    Does nothing on SQLite (the embedded desk always reads live).
    """
    tz = timezone.get_default_timezone()
    now = now or timezone.now()
    last_closed = now.astimezone(tz).date() - dt.timedelta(days=1)
    until = min(until or last_closed, last_closed)
    since = since or last_closed - dt.timedelta(days=HORIZON_DAYS - 1)
    if connection.vendor != "postgresql":
        return RollupResult(days=[])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
        if not cursor.fetchone()[0]:
            return RollupResult(days=[], skipped=True)
        # The change log first, then membership, then the data (each statement sees at least what the
        # one before saw): a change committed after one of these steps leaves its own log row or
        # fingerprint difference behind, so it is caught by the dashboard and the next run.
        cursor.execute("DELETE FROM support_dashboarddirty RETURNING hour")
        hours = [hour for (hour,) in cursor.fetchall()]
        cursor.execute(f"SELECT {TEAMS_HASH}, array_agg(team_id), array_agg(user_id) FROM {TEAMS_TABLE}")
        teams_hash, team_ids, user_ids = cursor.fetchone()
        members = (team_ids or [], user_ids or [])

        existing = {row.day: row for row in DashboardDay.objects.all()}
        touched = set()
        for hour in hours:  # an hour of any time zone's cut may straddle two days
            touched.add(hour.astimezone(tz).date())
            touched.add((hour + dt.timedelta(hours=1) - dt.timedelta(microseconds=1)).astimezone(tz).date())
        stale = {
            day for day, row in existing.items()
            if day in touched or row.teams != teams_hash or (row.starts_at, row.ends_at) != day_bounds(day, tz)
        }
        dropped = sorted(day for day in stale if day > last_closed)
        days = stale - set(dropped)
        day = since
        while day <= until:
            if rebuild or day not in existing:
                days.add(day)
            day += dt.timedelta(days=1)
        days = sorted(days)
        gone = [*days, *dropped]
        if gone:
            DashboardRollup.objects.filter(day__in=gone).delete()
            DashboardDay.objects.filter(day__in=gone).delete()
        if days:
            rolled_at = timezone.now()
            bounds = {day: day_bounds(day, tz) for day in days}
            DashboardDay.objects.bulk_create(
                [DashboardDay(day=day, starts_at=bounds[day][0], ends_at=bounds[day][1], teams=teams_hash, rolled_at=rolled_at) for day in days]
            )
            cursor.execute("SET LOCAL work_mem = '64MB'")  # the aggregates' hash tables in memory
            for chunk in range(0, len(days), CHUNK_DAYS):  # a month at a time: bounded memory for a backfill
                DashboardRollup.objects.bulk_create(_build(cursor, days[chunk : chunk + CHUNK_DAYS], tz, members), batch_size=1000)
            if len(days) >= 7:
                # After a backfill the planner must know the tables are no longer empty, or it reads the
                # roll-ups with a scan per day (measured: a year view at 400 ms instead of 100).
                cursor.execute("ANALYZE support_dashboardday, support_dashboardrollup")
    return RollupResult(days=days, dropped=dropped)


class _Slice:
    __slots__ = ("clocks", "met", "breached", "open", "categories", "languages", "hist", "durations", "csat")

    def __init__(self):
        self.clocks = self.met = self.breached = self.open = 0
        self.categories: dict[str, int] = {}
        self.languages: dict[str, int] = {}
        self.hist: dict[int, int] = {}
        self.durations: list[int] = []
        self.csat = [0, 0, 0]


def _build(cursor, days: list[dt.date], tz, members: tuple[list, list]) -> list[DashboardRollup]:
    """The roll-up rows of `days`: every case, then each team's (assignees that are members, as the
    dashboard's filter), each in every language and per language."""
    bounds = [day_bounds(day, tz) for day in days]
    day_params = [days, [s for s, _ in bounds], [e for _, e in bounds]]
    slices: dict[tuple, _Slice] = defaultdict(_Slice)
    clocks_sql = f"""
        SELECT d.day, {{team}}, c.channel, c.metric, c.category, c.language, c.response_bucket, COUNT(*), {OUTCOMES_SQL},
               array_agg((EXTRACT(EPOCH FROM c.met_at - c.started_at) * 1000000)::bigint) FILTER (WHERE c.met_at IS NOT NULL)
        FROM unnest(%s::date[], %s::timestamptz[], %s::timestamptz[]) AS d(day, starts_at, ends_at)
        JOIN support_slaclock c ON c.started_at >= d.starts_at AND c.started_at < d.ends_at
        {{join}}
        WHERE c.state <> 'cancelled'
        GROUP BY 1, 2, 3, 4, 5, 6, 7
    """
    team_join = "JOIN unnest(%s::bigint[], %s::bigint[]) AS m(team_id, user_id) ON m.user_id = c.assignee_id"
    for sql, params in [
        (clocks_sql.format(team="NULL::bigint", join=""), day_params),
        (clocks_sql.format(team="m.team_id", join=team_join), [*day_params, *members]),
    ]:
        cursor.execute(sql, params)
        for day, team, channel, metric, category, language, bucket, clocks, met, breached, open_, met_any, durations in cursor.fetchall():
            n = met + breached + open_
            for lang in (language, ALL):
                row = slices[(day, team, lang, channel, metric)]
                row.clocks += clocks
                row.met += met
                row.breached += breached
                row.open += open_
                row.categories[category] = row.categories.get(category, 0) + n
                row.languages[language] = row.languages.get(language, 0) + n
                if bucket is not None and met_any:
                    row.hist[bucket] = row.hist.get(bucket, 0) + met_any
                if durations:
                    row.durations.extend(durations)
    _build_csat(cursor, days, bounds, day_params, members, slices)
    out = []
    for (day, team, lang, channel, metric), row in slices.items():
        low = min(row.hist) if row.hist else 0
        hist = [row.hist.get(b, 0) for b in range(low, max(row.hist) + 1)] if row.hist else []
        out.append(
            DashboardRollup(
                day=day, team_id=team, language=lang, channel=channel, metric=metric, clocks=row.clocks, met=row.met,
                breached=row.breached, open=row.open, categories=_json(row.categories), languages=_json(row.languages),
                hist_start=low, hist=_json(hist), durations=_json(row.durations),
                csat_count=row.csat[0], csat_sum=row.csat[1], csat_satisfied=row.csat[2],
            )
        )
    return out


def _json(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _build_csat(cursor, days, bounds, day_params, members, slices) -> None:
    """CSAT sums of the rated cases started on `days`, from the channel apps that offer them (csat_cases)."""
    runs: list[tuple[dt.datetime, dt.datetime]] = []  # consecutive days in one range: one index scan each
    for start, end in bounds:
        if runs and runs[-1][1] == start:
            runs[-1] = (runs[-1][0], end)
        else:
            runs.append((start, end))
    teams_of: dict[int, list[int]] = defaultdict(list)
    for team_id, user_id in zip(*members):
        teams_of[user_id].append(team_id)
    for config in apps.get_app_configs():
        if not isinstance(config, ChannelAppConfig) or type(config).csat_cases is ChannelAppConfig.csat_cases:
            continue
        compiled = [config.csat_cases(start, end).query.sql_with_params() for start, end in runs]
        union = " UNION ALL ".join(f"({sql})" for sql, _ in compiled)
        cursor.execute(
            "SELECT d.day, x.sla_channel, x.language, x.assignee_id, COUNT(*), SUM(x.rating), COUNT(*) FILTER (WHERE x.rating >= 4)"
            f" FROM unnest(%s::date[], %s::timestamptz[], %s::timestamptz[]) AS d(day, starts_at, ends_at)"
            f" JOIN ({union}) AS x ON x.case_start >= d.starts_at AND x.case_start < d.ends_at"
            " WHERE x.rating IS NOT NULL GROUP BY 1, 2, 3, 4",
            [*day_params, *(param for _, params in compiled for param in params)],
        )
        for day, channel, language, assignee_id, count, total, satisfied in cursor.fetchall():
            for team in (None, *teams_of.get(assignee_id, ())):
                for lang in (language, ALL):
                    sums = slices[(day, team, lang, channel, "")].csat
                    sums[0] += count
                    sums[1] += total
                    sums[2] += satisfied
