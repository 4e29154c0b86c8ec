"""The supervisor dashboard's figures: a handful of aggregate queries over the one SLA clock table.

Every channel's promises are clocks, so compliance, response-time percentiles, backlog and volume
need no per-channel code; only CSAT asks the channel apps (ratings live on their cases).
Durations are wall-clock time from start to met (what the customer waited).
"""
import dataclasses
import datetime as dt

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from support.channel_apps import ChannelAppConfig
from support.models import SLAClock, Team
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


# One pass on PostgreSQL: compliance per channel, volumes per category and language, and a
# histogram of response times (buckets 5 % wide on a log scale, stored on the clock when it is met).
# Percentiles come from the histogram (within 2.5 %) when more than EXACT_LIMIT promises were met
# in the period; below that the exact percentile_cont query runs (cheap on few rows).
EXACT_LIMIT = 50_000


def _one_pass(filters: Filters) -> dict:
    """One hash aggregate over the period's clocks, folded in Python into compliance per channel,
    volume per category and language, and a response-time histogram per channel and metric."""
    sql, params = _in_period(filters).values(
        "channel", "metric", "category", "language", "state", "due_at", "met_at", "breached_at", "response_bucket"
    ).query.sql_with_params()
    query = f"""
        SELECT channel, metric, category, language, response_bucket,
               COUNT(*) FILTER (WHERE state = 'met' AND breached_at IS NULL AND met_at <= due_at),
               COUNT(*) FILTER (WHERE breached_at IS NOT NULL OR state = 'breached' OR (state = 'met' AND met_at > due_at)),
               COUNT(*) FILTER (WHERE state IN ('running', 'paused') AND breached_at IS NULL),
               COUNT(*) FILTER (WHERE met_at IS NOT NULL)
        FROM ({sql}) AS clocks
        GROUP BY channel, metric, category, language, response_bucket
    """
    with transaction.atomic(), connection.cursor() as cursor:
        # Enough memory to keep the aggregate's hash table in memory over a year of cases.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(query, params)
        rows = cursor.fetchall()
    comp: dict[str, list[int]] = {}
    cats: dict[str, int] = {}
    langs: dict[str, int] = {}
    hist: dict[tuple[str, str], dict[int, int]] = {}
    case_set = set(CASE_METRICS)
    for channel, metric, category, language, bucket, met, breached, open_, met_any in rows:
        totals = comp.setdefault(channel, [0, 0, 0])
        totals[0] += met
        totals[1] += breached
        totals[2] += open_
        if metric in case_set:
            n = met + breached + open_  # every clock is exactly one of these
            cats[category or "—"] = cats.get(category or "—", 0) + n
            langs[language or "—"] = langs.get(language or "—", 0) + n
        if bucket is not None and met_any:
            per = hist.setdefault((channel, metric), {})
            per[bucket] = per.get(bucket, 0) + met_any
    return {
        "compliance": [_compliance_row(channel, *totals) for channel, totals in sorted(comp.items())],
        "by_category": [{"key": k, "n": n} for k, n in sorted(cats.items(), key=lambda kv: (-kv[1], kv[0]))],
        "by_language": [{"key": k, "n": n} for k, n in sorted(langs.items(), key=lambda kv: (-kv[1], kv[0]))],
        "histograms": {key: sorted(per.items()) for key, per in hist.items()},
    }


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
    data = _one_pass(filters)
    histograms = data.pop("histograms")
    met_total = sum(n for buckets in histograms.values() for _, n in buckets)
    if met_total <= EXACT_LIMIT:
        data["percentiles"], data["approximate"] = percentiles(filters), False
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
    data["csat"] = csat(filters)
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
