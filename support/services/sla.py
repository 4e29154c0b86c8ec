"""Start, satisfy, pause, resume and cancel SLA clocks. Channel apps call only these."""
import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from support import hours
from support.models import BusinessCalendar, SLAClock, SLAPolicy


def sla_policy_for(*, channel: str, metric: str, priority: str = "", vip: bool = False) -> SLAPolicy | None:
    """The most specific policy: exact priority before 'any priority', VIP before standard for VIP customers."""
    candidates = list(
        SLAPolicy.objects.select_related("calendar").filter(
            channel=channel, metric=metric, priority__in={priority, ""}, vip__in={vip, False}
        )
    )
    candidates.sort(key=lambda p: (p.vip == vip, p.priority == priority), reverse=True)
    return candidates[0] if candidates else None


def _case_filter(case) -> dict:
    return {"content_type": ContentType.objects.get_for_model(case), "object_id": str(case.pk)}


def _active_clocks(case, metric: str | None):
    qs = SLAClock.objects.select_for_update().select_related("calendar").filter(
        state__in=SLAClock.ACTIVE_STATES, **_case_filter(case)
    )
    return qs.filter(metric=metric) if metric else qs


@transaction.atomic
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
) -> SLAClock:
    """Start the clock for `metric` on `case`; returns the already active one if there is one.

    The due time is the policy's target in business time of its calendar, unless `due_at` is
    given (a call-back's slot end). Raises LookupError when no policy applies and no `due_at`.
    """
    at = at or timezone.now()
    existing = _active_clocks(case, metric).first()
    if existing is not None:
        return existing
    policy = sla_policy_for(channel=channel, metric=metric, priority=priority, vip=vip)
    calendar = calendar or (policy.calendar if policy else None)
    if due_at is None:
        if policy is None:
            raise LookupError(f"No SLA policy for {channel}/{metric}")
        target = policy.target
        due_at = hours.add_business_time(calendar, at, target)
        warn_at = hours.add_business_time(calendar, at, target * policy.warning_percent / 100)
    else:
        if calendar is None:
            raise LookupError(f"No calendar for {channel}/{metric}")
        target = due_at - at
        warn_at = None
        if policy is not None and target > dt.timedelta(0):
            warn_at = at + target * policy.warning_percent / 100
    clock = SLAClock(
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
        **_case_filter(case),
    )
    try:
        with transaction.atomic():
            clock.save()
    except IntegrityError:
        # Another process started the same clock first: theirs stands.
        return _active_clocks(case, metric).get()
    return clock


@transaction.atomic
def sla_clock_satisfy(case, *, metric: str, at: dt.datetime | None = None) -> SLAClock | None:
    """Mark the active clock met (a first public reply, a review done). None if none was active."""
    at = at or timezone.now()
    clock = _active_clocks(case, metric).first()
    if clock is None:
        return None
    clock.state = SLAClock.State.MET
    clock.met_at = at
    clock.save(update_fields=["state", "met_at"])
    return clock


@transaction.atomic
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


@transaction.atomic
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


@transaction.atomic
def sla_clock_cancel(case, *, metric: str | None = None, at: dt.datetime | None = None) -> list[SLAClock]:
    """Stop clocks that no longer apply (a merged or withdrawn case) without counting them as met."""
    at = at or timezone.now()
    clocks = list(_active_clocks(case, metric))
    for clock in clocks:
        clock.state = SLAClock.State.CANCELLED
        clock.cancelled_at = at
        clock.save(update_fields=["state", "cancelled_at"])
    return clocks


@transaction.atomic
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
