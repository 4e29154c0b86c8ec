"""Start, satisfy, pause, resume and cancel SLA clocks. Channel apps call only these."""
import datetime as dt
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from support import hours
from support.models import BusinessCalendar, Holiday, SLAClock, SLAPolicy, WeeklyHours
from support.selectors import sla_case_filter


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


_CONVERTERS: dict = {}


def _from_row(model, fields, values):
    """A model instance from raw column values, through the same converters the ORM applies."""
    converted = []
    for field, value in zip(fields, values):
        key = (connection.vendor, field)
        if key not in _CONVERTERS:
            column = field.get_col(model._meta.db_table)
            _CONVERTERS[key] = (column, connection.ops.get_db_converters(column) + field.get_db_converters(connection))
        column, converters = _CONVERTERS[key]
        for convert in converters:
            value = convert(value, column, connection)
        converted.append(value)
    return model.from_db(connection.alias, [f.attname for f in fields], converted)


def _policies_with_schedules(pairs, *, priority: str, vip: bool) -> list[SLAPolicy]:
    """PostgreSQL: the policies and their calendars with weekly hours and holidays, in one query.

    Hand-written because the ORM's compilation of the same query (four array subqueries) cost
    three times its round trip. Nothing is cached between calls, so an admin's edit of a policy,
    calendar, hours or holiday counts from the next clock start in every process; the
    business-time tables built from a schedule are cached by its value (support.hours).
    """
    policy_fields, calendar_fields = SLAPolicy._meta.concrete_fields, BusinessCalendar._meta.concrete_fields
    quote = connection.ops.quote_name
    which = " OR ".join(["(p.channel = %s AND p.metric = %s)"] * len(pairs))
    sql = (
        "SELECT "
        + ", ".join([f"p.{quote(f.column)}" for f in policy_fields] + [f"c.{quote(f.column)}" for f in calendar_fields])
        + f", ARRAY(SELECT w.weekday FROM {_table(WeeklyHours)} w WHERE w.calendar_id = c.id ORDER BY w.id),"
        f" ARRAY(SELECT w.opens FROM {_table(WeeklyHours)} w WHERE w.calendar_id = c.id ORDER BY w.id),"
        f" ARRAY(SELECT w.closes FROM {_table(WeeklyHours)} w WHERE w.calendar_id = c.id ORDER BY w.id),"
        f" ARRAY(SELECT h.date FROM {_table(Holiday)} h WHERE h.calendar_id = c.id)"
        f" FROM {_table(SLAPolicy)} p JOIN {_table(BusinessCalendar)} c ON c.id = p.calendar_id"
        f" WHERE ({which}) AND p.priority IN (%s, '') AND p.vip IN (%s, false)"
    )
    params = [value for pair in pairs for value in pair] + [priority, vip]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    policies = []
    split = len(policy_fields) + len(calendar_fields)
    for row in rows:
        policy = _from_row(SLAPolicy, policy_fields, row[: len(policy_fields)])
        calendar = _from_row(BusinessCalendar, calendar_fields, row[len(policy_fields) : split])
        weekdays, opens, closes, holidays = row[split:]
        calendar._schedule_cache = hours.Schedule(
            tz=calendar.time_zone,
            intervals=tuple(hours.WeeklyInterval(weekday=d, start=o, end=c) for d, o, c in zip(weekdays, opens, closes)),
            holidays=frozenset(holidays),
            always_open=calendar.always_open,
        )
        policy.calendar = calendar
        policies.append(policy)
    return policies


def _best(candidates: list[SLAPolicy], *, priority: str, vip: bool) -> SLAPolicy | None:
    # VIP before standard for VIP customers, then the exact priority before "any priority".
    candidates = sorted(candidates, key=lambda p: (p.vip == vip, p.priority == priority), reverse=True)
    return candidates[0] if candidates else None


def sla_policy_for(*, channel: str, metric: str, priority: str = "", vip: bool = False) -> SLAPolicy | None:
    """The most specific policy: exact priority before 'any priority', VIP before standard for VIP customers.

    Its calendar's schedule is loaded by the same query on PostgreSQL.
    """
    return sla_policies_for([(channel, metric)], priority=priority, vip=vip)[(channel, metric)]


def sla_policies_for(
    pairs: Iterable[tuple[str, str]], *, priority: str = "", vip: bool = False
) -> dict[tuple[str, str], SLAPolicy | None]:
    """`sla_policy_for` for several (channel, metric) pairs in one query."""
    pairs = list(dict.fromkeys(pairs))
    if connection.vendor == "postgresql":
        rows = _policies_with_schedules(pairs, priority=priority, vip=vip)
    else:  # the embedded SQLite mode: BusinessCalendar.schedule() reads hours and holidays (two queries)
        which = Q()
        for channel, metric in pairs:
            which |= Q(channel=channel, metric=metric)
        rows = SLAPolicy.objects.select_related("calendar").filter(which, priority__in={priority, ""}, vip__in={vip, False})
    found: dict[tuple[str, str], list[SLAPolicy]] = {pair: [] for pair in pairs}
    for policy in rows:
        found[(policy.channel, policy.metric)].append(policy)
    return {pair: _best(found[pair], priority=priority, vip=vip) for pair in pairs}


def _active_clocks(case, metric: str | None):
    qs = SLAClock.objects.select_for_update().select_related("calendar").filter(
        state__in=SLAClock.ACTIVE_STATES, **sla_case_filter(case)
    )
    return qs.filter(metric=metric) if metric else qs


def _new_clock(
    *, channel: str, metric: str, policy: SLAPolicy | None, priority: str, vip: bool, at: dt.datetime,
    due_at: dt.datetime | None = None, calendar: BusinessCalendar | None = None,
) -> SLAClock:
    """An unsaved clock with its due and warning instants (no case yet). Raises LookupError."""
    calendar = calendar or (policy.calendar if policy else None)
    if due_at is None:
        if policy is None:
            raise LookupError(f"No SLA policy for {channel}/{metric}")
        target = policy.target
        due_at, warn_at = hours.add_business_times(calendar, at, (target, target * policy.warning_percent / 100))
    else:
        if calendar is None:
            raise LookupError(f"No calendar for {channel}/{metric}")
        target = due_at - at
        warn_at = None
        if policy is not None and target > dt.timedelta(0):
            warn_at = at + target * policy.warning_percent / 100
    return SLAClock(
        channel=channel,
        metric=metric,
        policy=policy,
        calendar=calendar,
        priority=priority,
        vip=vip,
        target=target,
        started_at=at,
        due_at=due_at,
        warn_at=warn_at,
    )


def sla_clock_start(
    case,
    *,
    channel: str,
    metric: str,
    priority: str = SLAClock.Priority.NORMAL,
    vip: bool = False,
    at: dt.datetime | None = None,
    due_at: dt.datetime | None = None,
    calendar: BusinessCalendar | None = None,
    category: str = "",
    language: str = "",
    assignee=None,
) -> SLAClock:
    """Start the clock for `metric` on `case`; returns the already active one if there is one.

    `category`, `language` and `assignee` describe the case for the dashboard.

    The due time is the policy's target in business time of its calendar, unless `due_at` is
    given (a call-back's slot end). Raises LookupError when no policy applies and no `due_at`.
    """
    at = at or timezone.now()
    policy = sla_policy_for(channel=channel, metric=metric, priority=priority, vip=vip)
    try:
        clock = _new_clock(
            channel=channel, metric=metric, policy=policy, priority=priority, vip=vip, at=at, due_at=due_at, calendar=calendar
        )
    except LookupError as exc:
        clock, missing = None, exc  # raised below only if no clock is active already
    # No savepoint of its own (only a database error can leave this block, and that breaks the
    # caller's transaction anyway); the INSERT has the one savepoint the race with another process needs.
    with transaction.atomic(savepoint=False):
        existing = _active_clocks(case, metric).first()
        if existing is not None:
            return existing
        if clock is not None:
            for name, value in sla_case_filter(case).items():
                setattr(clock, name, value)
            clock.category, clock.language, clock.assignee = category, language, assignee
            try:
                with transaction.atomic():
                    clock.save()
            except IntegrityError:
                # Another process started the same clock first: theirs stands.
                return _active_clocks(case, metric).get()
    if clock is None:
        raise missing
    return clock


def sla_clocks_prepare(
    specs: Iterable[tuple[str, str]],
    *,
    priority: str = SLAClock.Priority.NORMAL,
    vip: bool = False,
    at: dt.datetime | None = None,
    cache: dict | None = None,
) -> list[SLAClock]:
    """Unsaved clocks for (channel, metric) pairs of a case about to be created: one query.

    The caller learns the due times before it stores the case (a ticket keeps the earliest), then
    hands them to `sla_clocks_start_new_many`. Raises LookupError when a pair has no policy.
    `cache`: a dict the caller keeps for one batch of cases (never longer: an admin's edit counts
    from the next batch), so cases with the same pairs, priority and VIP flag share one query.
    """
    at = at or timezone.now()
    specs = list(specs)
    key = (tuple(specs), priority, vip)
    policies = cache.get(key) if cache is not None else None
    if policies is None:
        policies = sla_policies_for(specs, priority=priority, vip=vip)
        if cache is not None:
            cache[key] = policies
    return [
        _new_clock(channel=channel, metric=metric, policy=policies[(channel, metric)], priority=priority, vip=vip, at=at)
        for channel, metric in specs
    ]


def sla_clocks_start_new_many(entries: list[tuple[object, list[SLAClock], dict]]) -> list[SLAClock]:
    """Store clocks from `sla_clocks_prepare` on new cases, (case, clocks, {category, language, assignee}) each
    (what describes the case for the dashboard): one INSERT.

    Precondition: every case was inserted in the caller's (still open) transaction, so no other process
    can see it and none of its clocks can be active: no lock, no check, no savepoint.
    """
    stored = []
    for case, clocks, about in entries:
        where = sla_case_filter(case)
        for clock in clocks:
            for name, value in where.items():
                setattr(clock, name, value)
            clock.category = about.get("category", "")
            clock.language = about.get("language", "")
            clock.assignee = about.get("assignee")
            stored.append(clock)
    return SLAClock.objects.bulk_create(stored)


@transaction.atomic(savepoint=False)  # no caller recovers from its errors inside its own transaction
def sla_clock_satisfy(case, *, metric: str, at: dt.datetime | None = None) -> SLAClock | None:
    """Mark the active clock met (a first public reply, a review done). None if none was active."""
    at = at or timezone.now()
    clock = _active_clocks(case, metric).first()
    if clock is None:
        return None
    clock.state = SLAClock.State.MET
    clock.met_at = at
    clock.response_bucket = response_bucket(clock.started_at, at)
    clock.save(update_fields=["state", "met_at", "response_bucket"])
    return clock


@transaction.atomic(savepoint=False)  # no caller recovers from its errors inside its own transaction
def sla_clock_pause(case, *, metric: str | None = None, at: dt.datetime | None = None) -> list[SLAClock]:
    """Stop running clocks (waiting on the customer); the business time left is kept for resume."""
    at = at or timezone.now()
    paused = []
    for clock in _active_clocks(case, metric).filter(state=SLAClock.State.RUNNING):
        clock.state = SLAClock.State.PAUSED
        clock.paused_at = at
        clock.remaining = hours.business_time_between(clock.calendar, at, clock.due_at)
        clock.warn_remaining = (
            hours.business_time_between(clock.calendar, at, clock.warn_at)
            if clock.warn_at and clock.warned_at is None
            else None
        )
        clock.save(update_fields=["state", "paused_at", "remaining", "warn_remaining"])
        paused.append(clock)
    return paused


@transaction.atomic(savepoint=False)  # no caller recovers from its errors inside its own transaction
def sla_clock_resume(case, *, metric: str | None = None, at: dt.datetime | None = None) -> list[SLAClock]:
    """Restart paused clocks with the business time they had left (an overdue clock stays due now)."""
    at = at or timezone.now()
    resumed = []
    for clock in _active_clocks(case, metric).filter(state=SLAClock.State.PAUSED):
        zero = dt.timedelta(0)
        clock.due_at = hours.add_business_time(clock.calendar, at, max(clock.remaining or zero, zero))
        if clock.warn_remaining is not None:
            clock.warn_at = hours.add_business_time(clock.calendar, at, max(clock.warn_remaining, zero))
        clock.state = SLAClock.State.RUNNING
        clock.paused_at = None
        clock.remaining = clock.warn_remaining = None
        clock.save(update_fields=["state", "paused_at", "remaining", "warn_remaining", "due_at", "warn_at"])
        resumed.append(clock)
    return resumed


@transaction.atomic(savepoint=False)  # no caller recovers from its errors inside its own transaction
def sla_clock_cancel(case, *, metric: str | None = None, at: dt.datetime | None = None) -> list[SLAClock]:
    """Stop clocks that no longer apply (a merged or withdrawn case) without counting them as met."""
    at = at or timezone.now()
    clocks = list(_active_clocks(case, metric))
    for clock in clocks:
        clock.state = SLAClock.State.CANCELLED
        clock.cancelled_at = at
        clock.save(update_fields=["state", "cancelled_at"])
    return clocks


@transaction.atomic(savepoint=False)  # no caller recovers from its errors inside its own transaction
def sla_clock_breach(case, *, metric: str, at: dt.datetime | None = None) -> SLAClock | None:
    """End the active clock unmet (the promise can no longer be kept, e.g. a missed call-back)."""
    at = at or timezone.now()
    clock = _active_clocks(case, metric).first()
    if clock is None:
        return None
    clock.state = SLAClock.State.BREACHED
    clock.breached_at = clock.breached_at or at
    clock.save(update_fields=["state", "breached_at"])
    return clock


def sla_clocks_assign(case, *, assignee) -> int:
    """Record who now holds the case on its active clocks (the dashboard's team filter, breach notices)."""
    return SLAClock.objects.filter(state__in=SLAClock.ACTIVE_STATES, **sla_case_filter(case)).update(assignee=assignee)


BUCKET_BASE = 1.05


def response_bucket(started_at: dt.datetime, met_at: dt.datetime) -> int:
    """The histogram bucket of a response time: floor(log_1.05(seconds)), one second at least."""
    import math

    return math.floor(math.log(max((met_at - started_at).total_seconds(), 1.0)) / math.log(BUCKET_BASE))
