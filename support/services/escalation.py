"""SLA enforcement: find clocks that reached their warning or due time and act on each exactly once.

One statement claims a batch: `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) AND
<not yet done> RETURNING …`. The claim, the event rows (unique per clock and kind), the channel's
escalation writes, the notifications and the e-mail outbox rows commit together,
so a worker killed mid-run leaves nothing half-done: the next scan claims the same clocks again.
Two scanners skip each other's locked rows; a redelivered task finds nothing left to claim.
Pushes and mail go out after commit; each recipient separately. The event rows are the audit
record of what the scan did (the channel's own writes, e.g. a raised priority, add audit rows).
"""
import dataclasses
import datetime as dt
import logging

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from support.models import Notification, OutboundEmail, SLAClock, SLAEvent, SLAPolicy, User

logger = logging.getLogger(__name__)

BATCH = 500
PRIORITY_UP = {"low": "normal", "normal": "high", "high": "urgent", "urgent": "urgent"}


@dataclasses.dataclass
class DueClock:
    """A claimed clock, as the claiming statement returned it."""

    id: int
    due: dt.datetime  # the instant it reached (warn_at for a warning, due_at for a breach)
    content_type_id: int
    object_id: str
    channel: str
    metric: str
    priority: str
    vip: bool
    assignee_id: int | None
    action: str  # the policy's breach action
    raise_priority: bool


@dataclasses.dataclass
class CaseInfo:
    """What a notification says about a case, and who holds it (filled by the channel app)."""

    label: str
    url: str
    assignee_id: int | None
    pool: tuple[int, ...] = ()  # who is warned when nobody holds the case (e.g. the document reviewers)


@dataclasses.dataclass
class ScanResult:
    warnings: int = 0
    breaches: int = 0


_RETURNING = "id, {due}, content_type_id, object_id, channel, metric, priority, vip, assignee_id, policy_id"


def _claim(kind: str, now: dt.datetime, batch: int) -> tuple[list[DueClock], bool]:
    """Mark up to `batch` clocks warned or breached in one statement; returns those this call marked,
    and whether their event rows were written by the same statement (PostgreSQL) or are still to write."""
    postgres = connection.vendor == "postgresql"
    # A raw statement: the instant as the backend stores it (on SQLite UTC text, which otherwise compares as
    # text with the stored values in another zone's digits; PostgreSQL takes it as it is).
    now_param = connection.ops.adapt_datetimefield_value(now)
    if kind == SLAEvent.Kind.BREACH:
        due, condition = "due_at", "state = 'running' AND breached_at IS NULL AND due_at <= %s"
        # A clock without a policy (a call-back's slot end) escalates: the default action.
        assignments = (
            "breached_at = %s, warned_at = COALESCE(warned_at, %s), escalated_at = CASE WHEN COALESCE("
            "(SELECT p.breach_action FROM support_slapolicy p WHERE p.id = support_slaclock.policy_id), 'escalate')"
            " IN ('escalate', 'reassign') THEN %s ELSE escalated_at END"
        )
        params: list = [now_param, now_param, now_param]
    else:
        # A clock past its due time is breached, not warned (the breach sets warned_at too).
        due, condition = "warn_at", "state = 'running' AND warned_at IS NULL AND breached_at IS NULL AND warn_at <= %s"
        assignments, params = "warned_at = %s", [now_param]
    pick = f"SELECT id FROM support_slaclock WHERE {condition} ORDER BY {due} LIMIT %s"
    returning = _RETURNING.format(due=due)
    if postgres:
        # `= ANY(ARRAY(…))` runs the locking pick once (an InitPlan; `IN (…)` may run a LIMITed
        # subquery more than once). The event rows are written by the same statement.
        sql = (
            f"WITH claimed AS (UPDATE support_slaclock SET {assignments} WHERE id = ANY(ARRAY({pick} FOR UPDATE SKIP LOCKED))"
            f" AND {condition} RETURNING {returning}),"
            f" events AS (INSERT INTO support_slaevent (clock_id, kind, created_at, lag)"
            f" SELECT id, %s, %s, %s - {due} FROM claimed)"
            f" SELECT * FROM claimed ORDER BY {due}"
        )
        params += [now_param, batch, now_param, kind, now_param, now_param]
    else:
        sql = f"UPDATE support_slaclock SET {assignments} WHERE id IN ({pick}) AND {condition} RETURNING {returning}"
        params += [now_param, batch, now_param]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = sorted(cursor.fetchall(), key=lambda row: (row[1], row[0]))
    policies = _policies() if rows else {}
    clocks = []
    for row in rows:
        action, raise_priority = policies.get(row[9], (SLAPolicy.BreachAction.ESCALATE, True))
        clocks.append(DueClock(row[0], _aware(row[1]), *row[2:9], action=action, raise_priority=raise_priority))
    return clocks, postgres


def _aware(value: dt.datetime) -> dt.datetime:
    """A timestamp from a raw cursor: PostgreSQL gives it with its zone, SQLite (make run's database) naive UTC."""
    return value if timezone.is_aware(value) else timezone.make_aware(value, dt.timezone.utc)


def _policies() -> dict[int, tuple[str, bool]]:
    return {pk: (action, raise_priority) for pk, action, raise_priority in SLAPolicy.objects.values_list("pk", "breach_action", "breach_raise_priority")}


def sla_case_infos(clocks, *, kind: str | None = None, now: dt.datetime | None = None) -> dict[int, CaseInfo]:
    """Ask each channel app about its cases: label, link, holder. With `kind` (the scan), a breach
    also makes the app's escalation writes. `clocks` need `.id`, `.object_id`, `.content_type_id`."""
    infos: dict[int, CaseInfo] = {}
    by_type: dict[int, list] = {}
    for clock in clocks:
        by_type.setdefault(clock.content_type_id, []).append(clock)
    for type_id, group in by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        config = apps.get_app_config(model._meta.app_label) if model is not None else None
        if kind is not None:
            hook = getattr(config, "sla_escalate", None)
            found = hook(model, group, kind=kind, now=now) if hook is not None else {}
        else:
            hook = getattr(config, "sla_cases", None)
            found = hook(model, group) if hook is not None else {}
        name = str(model._meta.verbose_name) if model else "case"
        for clock in group:
            infos[clock.id] = found.get(clock.id) or CaseInfo(
                label=f"{name} #{clock.object_id}", url="", assignee_id=getattr(clock, "assignee_id", None)
            )
    return infos


def _supervisors() -> list[User]:
    return list(User.objects.filter(is_active=True, groups__name="supervisor").distinct().only("id", "email"))


class _Messages:
    """The notice for each clock; templates and labels translated once per batch, not per clock."""

    def __init__(self, kind: str):
        self.template = (
            _("%(case)s: %(metric)s due at %(when)s. Answer it soon.")
            if kind == SLAEvent.Kind.WARNING
            else _("%(case)s: %(metric)s breached (was due at %(when)s).")
        )
        self.metrics = {value: str(label) for value, label in SLAClock.Metric.choices}
        self.tz = timezone.get_current_timezone()

    def __call__(self, clock: DueClock, info: CaseInfo) -> str:
        when = clock.due.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")
        return self.template % {"case": info.label, "metric": self.metrics.get(clock.metric, clock.metric), "when": when}


NOTIFY_EACH = 10  # up to this many cases a person hears of each one; beyond it, one summary
EMAIL_LINES = 50


def _act(kind: str, clocks: list[DueClock], now: dt.datetime, supervisors: list[User], *, events_written: bool) -> None:
    """Everything that follows a claim, in the claim's transaction, as a handful of set-based writes.

    The event rows are the record (one per clock and kind). Each person gets one notification per
    case, or one summary when a batch brings them more than NOTIFY_EACH; a breach also sends each
    person one e-mail listing their cases (a digest: no one gets a thousand mails, and no one sees
    another person's address).
    """
    if not events_written:
        SLAEvent.objects.bulk_create(SLAEvent(clock_id=c.id, kind=kind, created_at=now, lag=now - c.due) for c in clocks)
    infos = sla_case_infos(clocks, kind=kind, now=now)
    emails_by_id = {u.pk: u.email for u in supervisors}
    wanted = {infos[c.id].assignee_id for c in clocks} | {p for c in clocks for p in infos[c.id].pool}
    emails_by_id.update(User.objects.filter(pk__in=wanted - {None} - set(emails_by_id), is_active=True).values_list("pk", "email"))
    supervisor_ids = {u.pk for u in supervisors}
    message_for = _Messages(kind)
    per_person: dict[int, list[tuple[str, str]]] = {}
    for clock in clocks:
        info = infos[clock.id]
        holders = [info.assignee_id] if info.assignee_id is not None else list(info.pool)
        recipients = [user_id for user_id in holders if user_id in emails_by_id]
        if kind == SLAEvent.Kind.BREACH:
            recipients += [user_id for user_id in supervisor_ids if user_id not in recipients]
        message = message_for(clock, info)[:500]
        for user_id in recipients:
            per_person.setdefault(user_id, []).append((message, info.url))
    notifications: list[Notification] = []
    emails: list[OutboundEmail] = []
    for user_id, items in per_person.items():
        if len(items) <= NOTIFY_EACH:
            notifications += [Notification(recipient_id=user_id, kind=f"sla.{kind}", message=m, url=u) for m, u in items]
        else:
            summary = (
                _("%(n)d cases breached their promise.") if kind == SLAEvent.Kind.BREACH else _("%(n)d cases are close to their due time.")
            ) % {"n": len(items)}
            url = "/supervisor/escalations/" if user_id in supervisor_ids and kind == SLAEvent.Kind.BREACH else (
                "/supervisor/" if user_id in supervisor_ids else ""
            )
            notifications.append(Notification(recipient_id=user_id, kind=f"sla.{kind}", message=summary, url=url))
        if kind == SLAEvent.Kind.BREACH:
            lines = [f"- {m}" + (f"\n  {settings.DESK_BASE_URL}{u}" if u else "") for m, u in items[:EMAIL_LINES]]
            if len(items) > EMAIL_LINES:
                lines.append(_("… and %(n)d more.") % {"n": len(items) - EMAIL_LINES})
            if user_id in supervisor_ids:
                lines.append(_("Escalation queue: %(url)s") % {"url": f"{settings.DESK_BASE_URL}/supervisor/escalations/"})
            subject = items[0][0] if len(items) == 1 else _("%(n)d SLA breaches") % {"n": len(items)}
            emails.append(OutboundEmail(to=[emails_by_id[user_id]], subject=subject[:255], body_text="\n".join(lines) + "\n"))
    Notification.objects.bulk_create(notifications)
    OutboundEmail.objects.bulk_create(emails)
    payloads = [(n.recipient_id, n) for n in notifications]
    email_ids = [e.pk for e in emails]
    transaction.on_commit(lambda: _after_commit(payloads, email_ids))


def _after_commit(payloads, email_ids) -> None:
    from support.services.notifications import _push, notification_payload
    from support.tasks import email_send

    for user_id, notification in payloads:
        _push(user_id, notification_payload(notification))  # logs and carries on when one push fails
    for email_id in email_ids:
        try:
            email_send.delay(email_id)
        except Exception:  # the outbox retry task requeues it
            logger.exception("could not queue SLA e-mail %s", email_id)


def sla_scan(*, now: dt.datetime | None = None, batch: int = BATCH) -> ScanResult:
    """Breaches first (a clock past due gets no warning), then warnings; batches until nothing is left."""
    now = now or timezone.now()
    result = ScanResult()
    supervisors = None
    for kind in (SLAEvent.Kind.BREACH, SLAEvent.Kind.WARNING):
        while True:
            with transaction.atomic(savepoint=False):
                clocks, events_written = _claim(kind, now, batch)
                if clocks:
                    if supervisors is None:
                        supervisors = _supervisors()
                    _act(kind, clocks, now, supervisors, events_written=events_written)
            if kind == SLAEvent.Kind.BREACH:
                result.breaches += len(clocks)
            else:
                result.warnings += len(clocks)
            if len(clocks) < batch:
                break
    return result
