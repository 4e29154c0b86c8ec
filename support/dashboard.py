"""The supervisor dashboard's figures: a handful of aggregate queries over the one SLA clock table.

Every channel's promises are clocks, so compliance, response-time percentiles, backlog and volume
need no per-channel code; only CSAT asks the channel apps (ratings live on their cases).
Durations are wall-clock time from start to met (what the customer waited).
On PostgreSQL the period's closed days are read from daily roll-ups (support/services/rollups.py)
and only the rest live; the figures are the same as one pass over the period (tested).
"""
import dataclasses
import datetime as dt
import json
import operator

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from support.channel_apps import ChannelAppConfig
from support.models import DashboardRollup, SLAClock, Team
from support.services.sla import BUCKET_BASE  # the one definition of the response-time bucket width

# The clock that stands for "the case" when counting cases (one per case).
CASE_METRICS = ("first_response", "document_review", "callback_punctuality")
# The clock that stays open while the case is open (the backlog).
OPEN_METRIC = {"email": "resolution", "web": "resolution"}
AGE_BUCKETS = [
    ("< 1 h", dt.timedelta(hours=1)),
    ("1–4 h", dt.timedelta(hours=4)),
    ("4–24 h", dt.timedelta(hours=24)),
    ("1–3 d", dt.timedelta(days=3)),
    ("> 3 d", None),
]


@dataclasses.dataclass(frozen=True)
class Filters:
    start: dt.datetime
    end: dt.datetime
    channel: str = ""
    language: str = ""
    team: Team | None = None

    @classmethod
    def last_days(cls, days: int, **kwargs) -> "Filters":
        end = timezone.now()
        return cls(start=end - dt.timedelta(days=days), end=end, **kwargs)


def _scope(qs: QuerySet, filters: Filters) -> QuerySet:
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.language:
        qs = qs.filter(language=filters.language)
    if filters.team is not None:
        qs = qs.filter(assignee__teams=filters.team)
    return qs


def _in_period(filters: Filters) -> QuerySet:
    """Clocks started in the period (index sla_started_idx), cancelled ones left out."""
    qs = SLAClock.objects.filter(started_at__gte=filters.start, started_at__lt=filters.end).exclude(state=SLAClock.State.CANCELLED)
    return _scope(qs, filters).order_by()  # no model ordering: a sort of every row for nothing


MET_ON_TIME = Q(state=SLAClock.State.MET, breached_at__isnull=True, met_at__lte=F("due_at"))
# Met late counts as breached even when the scan never saw it due (met between two scans).
BREACHED = Q(breached_at__isnull=False) | Q(state=SLAClock.State.BREACHED) | Q(state=SLAClock.State.MET, met_at__gt=F("due_at"))


def compliance(filters: Filters) -> list[dict]:
    """Per channel: promises kept on time, broken, still open; compliance = kept / (kept + broken)."""
    rows = (
        _in_period(filters)
        .values("channel")
        .annotate(
            met=Count("pk", filter=MET_ON_TIME),
            breached=Count("pk", filter=BREACHED),
            open=Count("pk", filter=Q(state__in=SLAClock.ACTIVE_STATES, breached_at__isnull=True)),
        )
        .order_by("channel")
    )
    return [_compliance_row(row["channel"], row["met"], row["breached"], row["open"]) for row in rows]


def _compliance_row(channel: str, met: int, breached: int, open_: int) -> dict:
    decided = met + breached
    return {
        "channel": channel, "met": met, "breached": breached, "open": open_,
        "compliance": round(100 * met / decided, 1) if decided else None, "label": SLAClock.Channel(channel).label,
    }


def percentiles(filters: Filters) -> list[dict]:
    """p50 and p90 of start → met, per channel and metric (first response, review, resolution)."""
    qs = _in_period(filters).filter(met_at__isnull=False)
    if connection.vendor == "postgresql":
        sql, params = qs.values("channel", "metric", "started_at", "met_at").query.sql_with_params()
        query = (
            "SELECT channel, metric, COUNT(*),"
            " percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM met_at - started_at)::float8),"
            " percentile_cont(0.9) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM met_at - started_at)::float8)"
            f" FROM ({sql}) AS met GROUP BY channel, metric ORDER BY channel, metric"
        )
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            rows = cursor.fetchall()
    else:  # SQLite (the embedded desk): no percentile aggregate
        grouped: dict[tuple[str, str], list[float]] = {}
        for channel, metric, started, met in qs.values_list("channel", "metric", "started_at", "met_at"):
            grouped.setdefault((channel, metric), []).append((met - started).total_seconds())
        rows = [(c, m, len(v), _pct(v, 0.5), _pct(v, 0.9)) for (c, m), v in sorted(grouped.items())]
    return [
        {
            "channel": channel,
            "metric": metric,
            "label": f"{SLAClock.Channel(channel).label} · {SLAClock.Metric(metric).label}",
            "count": count,
            "p50": dt.timedelta(seconds=float(p50)),
            "p90": dt.timedelta(seconds=float(p90)),
        }
        for channel, metric, count, p50, p90 in rows
    ]


def _pct(values: list[float], q: float) -> float:
    """Linear interpolation, as PostgreSQL's percentile_cont."""
    if len(values) == 1:
        return values[0]
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def backlog(filters: Filters, *, now: dt.datetime | None = None) -> list[dict]:
    """Open cases now, per channel, by age since they started."""
    now = now or timezone.now()
    qs = _scope(SLAClock.objects.filter(state__in=SLAClock.ACTIVE_STATES), filters)
    primary = Q()
    for channel in SLAClock.Channel.values:
        primary |= Q(channel=channel, metric=OPEN_METRIC.get(channel, "__case__"))
    primary |= Q(metric__in=CASE_METRICS) & ~Q(channel__in=list(OPEN_METRIC))
    whens = [
        When(started_at__gt=now - limit, then=Value(index)) for index, (_, limit) in enumerate(AGE_BUCKETS) if limit is not None
    ]
    rows = (
        qs.filter(primary)
        .annotate(bucket=Case(*whens, default=Value(len(AGE_BUCKETS) - 1), output_field=IntegerField()))
        .values("channel", "bucket")
        .annotate(n=Count("pk"))
        .order_by("channel", "bucket")
    )
    table: dict[str, list[int]] = {}
    for row in rows:
        table.setdefault(row["channel"], [0] * len(AGE_BUCKETS))[row["bucket"]] = row["n"]
    return [{"channel": c, "label": SLAClock.Channel(c).label, "counts": counts, "total": sum(counts)} for c, counts in sorted(table.items())]


def volume(filters: Filters, by: str) -> list[dict]:
    """Cases started in the period by `category` or `language`, most first."""
    rows = _in_period(filters).filter(metric__in=CASE_METRICS).values(by).annotate(n=Count("pk")).order_by("-n", by)
    return [{"key": row[by] or "—", "n": row["n"]} for row in rows]


def csat(filters: Filters) -> list[dict]:
    """Ratings (1–5) given in the period, per channel, from the channel apps that collect them."""
    member_ids = list(filters.team.members.values_list("pk", flat=True)) if filters.team is not None else None
    out = []
    for config in apps.get_app_configs():
        if isinstance(config, ChannelAppConfig):
            for row in config.csat(filters.start, filters.end, channel=filters.channel, language=filters.language, assignee_ids=member_ids):
                row["satisfied_pct"] = round(100 * row["satisfied"] / row["count"], 1) if row["count"] else None
                row["label"] = SLAClock.Channel(row["channel"]).label
                out.append(row)
    return sorted(out, key=lambda r: r["channel"])


def at_risk(filters: Filters, *, now: dt.datetime | None = None, limit: int = 50) -> list[SLAClock]:
    """Running clocks inside their warning window and not yet due: what to act on now."""
    now = now or timezone.now()
    qs = _scope(
        SLAClock.objects.filter(state=SLAClock.State.RUNNING, breached_at__isnull=True, due_at__gt=now, warn_at__lte=now), filters
    )
    return list(qs.select_related("assignee").order_by("due_at")[:limit])


def escalated(filters: Filters, *, limit: int = 200) -> list[SLAClock]:
    """The escalation queue: breached cases still open, moved here by their policy, oldest first."""
    qs = _scope(SLAClock.objects.filter(escalated_at__isnull=False, state__in=SLAClock.ACTIVE_STATES), filters)
    return list(qs.select_related("assignee").order_by("escalated_at")[:limit])


# On PostgreSQL: compliance per channel, volumes per category and language, and a histogram of
# response times (buckets 5 % wide on a log scale, stored on the clock when it is met), all additive.
# Closed days come from the daily roll-ups (support/services/rollups.py) and the rest of the period
# (today, a partial first day, a day changed since it was rolled) from one hash aggregate over its
# clocks; both are folded into the same totals, so the figures are those of one pass over the period.
# Percentiles come from the histogram (within 2.5 %) when more than EXACT_LIMIT promises were met
# in the period; below that they are exact: percentile_cont over the period, or with roll-ups the same
# interpolation over the same values (response times stored per rolled day, plus the rest's clocks).
EXACT_LIMIT = 50_000

# How the dashboard counts a clock; the roll-ups count with the same SQL (every clock is exactly one of
# met, breached, open, except a 'met' clock without met_at, which is none).
OUTCOMES_SQL = """
    COUNT(*) FILTER (WHERE state = 'met' AND breached_at IS NULL AND met_at <= due_at),
    COUNT(*) FILTER (WHERE breached_at IS NOT NULL OR state = 'breached' OR (state = 'met' AND met_at > due_at)),
    COUNT(*) FILTER (WHERE state IN ('running', 'paused') AND breached_at IS NULL),
    COUNT(*) FILTER (WHERE met_at IS NOT NULL)
"""
# A fingerprint of every team's members: a team's roll-up rows hold only while it is unchanged.
TEAMS_TABLE = Team.members.through._meta.db_table
TEAMS_HASH = "md5(COALESCE(string_agg(team_id::text || ':' || user_id::text, ',' ORDER BY team_id, user_id), ''))"
TEAMS_HASH_SQL = f"SELECT {TEAMS_HASH} FROM {TEAMS_TABLE}"


class _Totals:
    """Additive figures of a set of clocks and rated cases, from live rows and roll-up rows alike."""

    def __init__(self):
        self.comp: dict[str, list[int]] = {}
        self.cats: dict[str, int] = {}
        self.langs: dict[str, int] = {}
        self.hist: dict[tuple[str, str], tuple[int, list[int]]] = {}  # (first bucket, met clocks per bucket from it)
        self.csat: dict[str, list[int]] = {}  # channel -> [ratings, sum, satisfied]

    def add_clocks(self, channel, metric, met, breached, open_, categories, languages, hist_start, hist) -> None:
        """One group of clocks: outcome counts, {category: n}, {language: n}, met clocks per bucket from hist_start."""
        totals = self.comp.setdefault(channel, [0, 0, 0])
        totals[0] += met
        totals[1] += breached
        totals[2] += open_
        if metric in CASE_METRICS:
            for key, n in categories.items():
                self.cats[key or "—"] = self.cats.get(key or "—", 0) + n
            for key, n in languages.items():
                self.langs[key or "—"] = self.langs.get(key or "—", 0) + n
        if any(hist):
            key = (channel, metric)
            low, per = self.hist.get(key, (hist_start, []))
            if hist_start < low:
                per[:0] = [0] * (low - hist_start)
                low = hist_start
            start, end = hist_start - low, hist_start - low + len(hist)
            if len(per) < end:
                per.extend([0] * (end - len(per)))
            per[start:end] = map(operator.add, per[start:end], hist)
            self.hist[key] = (low, per)

    def add_csat(self, channel, count, total, satisfied) -> None:
        sums = self.csat.setdefault(channel, [0, 0, 0])
        sums[0] += count
        sums[1] += total
        sums[2] += satisfied

    def result(self) -> dict:
        return {
            "compliance": [_compliance_row(channel, *totals) for channel, totals in sorted(self.comp.items())],
            "by_category": [{"key": k, "n": n} for k, n in sorted(self.cats.items(), key=lambda kv: (-kv[1], kv[0]))],
            "by_language": [{"key": k, "n": n} for k, n in sorted(self.langs.items(), key=lambda kv: (-kv[1], kv[0]))],
            "histograms": {key: [(b, n) for b, n in enumerate(per, low) if n] for key, (low, per) in sorted(self.hist.items())},
        }


def _in_ranges(ranges: list[tuple[dt.datetime, dt.datetime]], filters: Filters) -> QuerySet:
    """Clocks started in any of the ranges (index sla_started_idx), cancelled ones left out."""
    started = Q()
    for start, end in ranges:
        started |= Q(started_at__gte=start, started_at__lt=end)
    qs = SLAClock.objects.filter(started).exclude(state=SLAClock.State.CANCELLED)
    return _scope(qs, filters).order_by()


def _add_live(totals: _Totals, ranges: list[tuple[dt.datetime, dt.datetime]], filters: Filters) -> None:
    """One hash aggregate over the clocks started in `ranges`, folded into `totals`."""
    sql, params = _in_ranges(ranges, filters).values(
        "channel", "metric", "category", "language", "state", "due_at", "met_at", "breached_at", "response_bucket"
    ).query.sql_with_params()
    query = f"""
        SELECT channel, metric, category, language, response_bucket, {OUTCOMES_SQL}
        FROM ({sql}) AS clocks
        GROUP BY channel, metric, category, language, response_bucket
    """
    with transaction.atomic(), connection.cursor() as cursor:
        # Enough memory to keep the aggregate's hash table in memory over a year of cases.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(query, params)
        rows = cursor.fetchall()
    for channel, metric, category, language, bucket, met, breached, open_, met_any in rows:
        n = met + breached + open_
        hist = [met_any] if bucket is not None and met_any else []
        totals.add_clocks(channel, metric, met, breached, open_, {category: n}, {language: n}, bucket or 0, hist)


def _slice(filters: Filters) -> tuple[str, list]:
    """The roll-up rows (alias r) that hold the filters' slice of a day."""
    sql, params = "r.language = %s", [filters.language or DashboardRollup.ALL_LANGUAGES]
    if filters.team is not None:
        sql += " AND r.team_id = %s"
        params.append(filters.team.pk)
    else:
        sql += " AND r.team_id IS NULL"
    if filters.channel:
        sql += " AND r.channel = %s"
        params.append(filters.channel)
    return sql, params


@dataclasses.dataclass
class _Rolled:
    days: list[tuple[dt.date, dt.datetime]]  # (day, rolled_at) of the days read from roll-ups
    gaps: list[tuple[dt.datetime, dt.datetime]]  # the rest of the period, to read live


def _add_rolled(totals: _Totals, filters: Filters) -> _Rolled:
    """Fold in the roll-ups of the period's closed days that still hold: no change logged in the day
    since it was rolled and, for a team, the same membership. One statement, so days, roll-ups and
    the change log are one snapshot."""
    team_check = f"d.teams = ({TEAMS_HASH_SQL})" if filters.team is not None else "TRUE"
    slice_sql, slice_params = _slice(filters)
    query = f"""
        SELECT d.day, d.starts_at, d.ends_at, d.rolled_at,
               NOT EXISTS (SELECT 1 FROM support_dashboarddirty x WHERE x.hour > d.starts_at - interval '1 hour' AND x.hour < d.ends_at)
               AND {team_check},
               r.channel, r.metric, r.met, r.breached, r.open, r.categories, r.languages, r.hist_start, r.hist,
               r.csat_count, r.csat_sum, r.csat_satisfied
        FROM support_dashboardday d
        LEFT JOIN support_dashboardrollup r ON r.day = d.day AND {slice_sql}
        WHERE d.starts_at >= %s AND d.ends_at <= %s
        ORDER BY d.starts_at, d.day
    """
    with connection.cursor() as cursor:
        cursor.execute(query, [*slice_params, filters.start, filters.end])
        rows = cursor.fetchall()
    used: list[tuple[dt.date, dt.datetime, dt.datetime, dt.datetime]] = []
    loads = json.loads
    for day, starts_at, ends_at, rolled_at, usable, channel, metric, met, breached, open_, cats, langs, hist_start, hist, *csat in rows:
        if not used or used[-1][0] != day:
            if not usable or used and starts_at < used[-1][2]:
                continue  # changed since rolled; or overlapping the day before (cut in another time zone)
            used.append((day, starts_at, ends_at, rolled_at))
        if channel is None:
            continue  # a day without cases in this slice
        if metric:
            totals.add_clocks(channel, metric, met, breached, open_, loads(cats), loads(langs), hist_start, loads(hist))
        else:
            totals.add_csat(channel, *csat)
    gaps, cursor_at = [], filters.start
    for _day, starts_at, ends_at, _rolled_at in used:
        if starts_at > cursor_at:
            gaps.append((cursor_at, starts_at))
        cursor_at = ends_at
    if cursor_at < filters.end:
        gaps.append((cursor_at, filters.end))
    return _Rolled(days=[(day, rolled_at) for day, _s, _e, rolled_at in used], gaps=gaps)


def _exact_percentiles(filters: Filters, rolled: _Rolled) -> list[dict]:
    """`percentiles` from the rolled days' stored response times plus the gaps' clocks: the same
    values, so percentile_cont's result to the bit (_pct interpolates as it does). Falls back to
    `percentiles` if a day was rolled again since it was read."""
    if not rolled.days:
        return percentiles(filters)
    slice_sql, slice_params = _slice(filters)
    query = f"""
        SELECT d.day, r.channel, r.metric, r.durations
        FROM unnest(%s::date[], %s::timestamptz[]) AS u(day, rolled_at)
        JOIN support_dashboardday d ON d.day = u.day AND d.rolled_at = u.rolled_at
        LEFT JOIN support_dashboardrollup r ON r.day = d.day AND r.metric <> '' AND {slice_sql}
    """
    with connection.cursor() as cursor:
        cursor.execute(query, [[day for day, _ in rolled.days], [at for _, at in rolled.days], *slice_params])
        rows = cursor.fetchall()
        if len({row[0] for row in rows}) != len(rolled.days):
            return percentiles(filters)
        values: dict[tuple[str, str], list[float]] = {}
        for _day, channel, metric, durations in rows:
            if channel is not None and durations != "[]":
                values.setdefault((channel, metric), []).extend(us / 1_000_000 for us in json.loads(durations))
        if rolled.gaps:
            met = _in_ranges(rolled.gaps, filters).filter(met_at__isnull=False)
            sql, params = met.values("channel", "metric", "started_at", "met_at").query.sql_with_params()
            # Microseconds, as the roll-ups store them; us / 10**6 is the double EXTRACT(EPOCH ...)::float8 gives.
            cursor.execute(
                f"SELECT channel, metric, (EXTRACT(EPOCH FROM met_at - started_at) * 1000000)::bigint FROM ({sql}) AS met", params
            )
            for channel, metric, us in cursor.fetchall():
                values.setdefault((channel, metric), []).append(us / 1_000_000)
    return [
        {
            "channel": channel,
            "metric": metric,
            "label": f"{SLAClock.Channel(channel).label} · {SLAClock.Metric(metric).label}",
            "count": len(seconds),
            "p50": dt.timedelta(seconds=float(_pct(seconds, 0.5))),
            "p90": dt.timedelta(seconds=float(_pct(seconds, 0.9))),
        }
        for (channel, metric), seconds in sorted(values.items())
    ]


def _from_histogram(buckets: list[tuple[int, int]], q: float) -> float:
    """The q-quantile of counts per log bucket: linear inside the bucket that holds it."""
    buckets = sorted(buckets)
    total = sum(n for _, n in buckets)
    rank = q * (total - 1)
    seen = 0
    for bucket, n in buckets:
        if seen + n > rank:
            low, high = BUCKET_BASE**bucket, BUCKET_BASE ** (bucket + 1)
            if bucket == 0:
                low = 0.0
            return low + (high - low) * ((rank - seen + 0.5) / n)
        seen += n
    return BUCKET_BASE ** (buckets[-1][0] + 1)


def _csat_combined(filters: Filters, totals: _Totals, gaps: list[tuple[dt.datetime, dt.datetime]]) -> list[dict]:
    """`csat` from rolled-up sums plus the live sums of the gaps, for the apps that offer their rated
    cases (csat_cases); the others answer for the whole period as before."""
    out = []
    for config in apps.get_app_configs():
        if not isinstance(config, ChannelAppConfig):
            continue
        if type(config).csat_cases is ChannelAppConfig.csat_cases:
            out.extend(_csat_app(config, filters))
        elif gaps:
            _add_live_csat(totals, [config.csat_cases(start, end) for start, end in gaps], filters)
    sums = [(channel, *sums) for channel, sums in sorted(totals.csat.items()) if sums[0]]
    if sums:
        with connection.cursor() as cursor:
            # The average exactly as AVG(rating) gives it (numeric sum / numeric count), rounded as csat_rows does.
            cursor.execute(
                "SELECT v.total::numeric / v.n::numeric"
                " FROM unnest(%s::bigint[], %s::bigint[]) WITH ORDINALITY AS v(total, n, i) ORDER BY i",
                [[row[2] for row in sums], [row[1] for row in sums]],
            )
            averages = [avg for (avg,) in cursor.fetchall()]
        for (channel, count, _total, satisfied), average in zip(sums, averages):
            out.append({"channel": channel, "count": count, "average": round(float(average), 2), "satisfied": satisfied})
    for row in out:
        row["satisfied_pct"] = round(100 * row["satisfied"] / row["count"], 1) if row["count"] else None
        row["label"] = SLAClock.Channel(row["channel"]).label
    return sorted(out, key=lambda r: r["channel"])


def _add_live_csat(totals: _Totals, parts: list[QuerySet], filters: Filters) -> None:
    """Rated cases of the gaps (one csat_cases queryset per gap, so each reads its own index range)."""
    compiled = [part.query.sql_with_params() for part in parts]
    union = " UNION ALL ".join(f"({sql})" for sql, _params in compiled)
    params = [param for _sql, part_params in compiled for param in part_params]
    where = ["x.rating IS NOT NULL"]
    if filters.channel:
        where.append("x.sla_channel = %s")
        params.append(filters.channel)
    if filters.language:
        where.append("x.language = %s")
        params.append(filters.language)
    if filters.team is not None:
        where.append(f"x.assignee_id IN (SELECT user_id FROM {TEAMS_TABLE} WHERE team_id = %s)")
        params.append(filters.team.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT x.sla_channel, COUNT(*), SUM(x.rating), COUNT(*) FILTER (WHERE x.rating >= 4)"
            f" FROM ({union}) AS x WHERE {' AND '.join(where)} GROUP BY x.sla_channel",
            params,
        )
        for channel, count, total, satisfied in cursor.fetchall():
            totals.add_csat(channel, count, total, satisfied)


def _csat_app(config: ChannelAppConfig, filters: Filters) -> list[dict]:
    member_ids = list(filters.team.members.values_list("pk", flat=True)) if filters.team is not None else None
    return config.csat(filters.start, filters.end, channel=filters.channel, language=filters.language, assignee_ids=member_ids)


def figures(filters: Filters) -> dict:
    if connection.vendor != "postgresql":
        return {
            "compliance": compliance(filters),
            "percentiles": percentiles(filters),
            "approximate": False,
            "backlog": backlog(filters),
            "by_category": volume(filters, "category"),
            "by_language": volume(filters, "language"),
            "csat": csat(filters),
            "secrets": secrets_removed(filters),
        }
    totals = _Totals()
    rolled = _add_rolled(totals, filters)
    if rolled.gaps:
        _add_live(totals, rolled.gaps, filters)
    data = totals.result()
    histograms = data.pop("histograms")
    met_total = sum(n for buckets in histograms.values() for _, n in buckets)
    if met_total <= EXACT_LIMIT:
        data["percentiles"], data["approximate"] = _exact_percentiles(filters, rolled), False
    else:
        data["approximate"] = True
        data["percentiles"] = [
            {
                "channel": channel,
                "metric": metric,
                "label": f"{SLAClock.Channel(channel).label} · {SLAClock.Metric(metric).label}",
                "count": sum(n for _, n in buckets),
                "p50": dt.timedelta(seconds=round(_from_histogram(buckets, 0.5))),
                "p90": dt.timedelta(seconds=round(_from_histogram(buckets, 0.9))),
            }
            for (channel, metric), buckets in sorted(histograms.items())
        ]
    data["backlog"] = backlog(filters)
    data["csat"] = _csat_combined(filters, totals, rolled.gaps)
    data["secrets"] = secrets_removed(filters)
    return data


def secrets_removed(filters: Filters) -> list[dict]:
    """What the secret shield took out of customers' messages in the period, per kind (never a value)."""
    from safety.models import SecretEvent

    rows = (
        SecretEvent.objects.filter(created_at__gte=filters.start, created_at__lt=filters.end)
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"))
        .order_by("-n", "kind")
    )
    return [{"kind": row["kind"], "n": row["n"]} for row in rows]
