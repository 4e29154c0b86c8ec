"""What the SLA scan needs to know about tickets, and what a breach does to them (set-based)."""
from collections import Counter

from django.db.models import Count, Q
from django.urls import reverse

from support.models import AuditEvent, SLAPolicy, User
from tickets.models import Ticket

PRIORITY_UP = [("high", "urgent"), ("normal", "high"), ("low", "normal")]  # highest first: one step each


def _ids(clocks) -> list[int]:
    return [int(c.object_id) for c in clocks if c.object_id.isdigit()]


def cases(clocks) -> dict:
    from support.services.escalation import CaseInfo

    tickets = {str(t["pk"]): t for t in Ticket.objects.filter(pk__in=_ids(clocks)).values("pk", "reference", "subject", "assignee_id")}
    infos = {}
    for clock in clocks:
        ticket = tickets.get(clock.object_id)
        if ticket is not None:
            infos[clock.id] = CaseInfo(
                label=f"{ticket['reference']} {ticket['subject'][:80]}",
                url=reverse("admin:tickets_ticket_change", args=[ticket["pk"]]),
                assignee_id=ticket["assignee_id"],
            )
    return infos


def breach_writes(clocks, infos: dict, *, now) -> None:
    """Raise priority one step and, where the policy says so, hand the ticket to the least-loaded supervisor."""
    audit = []
    raise_ids = _ids([c for c in clocks if c.raise_priority])
    for old, new in PRIORITY_UP:
        changed = list(
            Ticket.objects.filter(pk__in=raise_ids, priority=old, status__in=Ticket.OPEN_STATUSES).values_list("pk", "reference")
        )
        if changed:
            Ticket.objects.filter(pk__in=[pk for pk, _ in changed]).update(priority=new, updated_at=now)
            audit += [_audit(pk, ref, "ticket.priority_changed", {"from": old, "to": new, "by": "sla.breach"}) for pk, ref in changed]
            raise_ids = [pk for pk in raise_ids if pk not in {pk for pk, _ in changed}]  # one step only
    reassign = [c for c in clocks if c.action == SLAPolicy.BreachAction.REASSIGN and c.object_id.isdigit()]
    if reassign:
        supervisors = list(
            User.objects.filter(is_active=True, groups__name="supervisor")
            .annotate(load=Count("assigned_tickets", filter=Q(assigned_tickets__status__in=Ticket.OPEN_STATUSES)))
            .order_by("load", "pk")
            .values_list("pk", flat=True)
        )
        if supervisors:
            load = Counter()
            for index, clock in enumerate(reassign):
                supervisor = supervisors[index % len(supervisors)]
                load[supervisor] += 1
                Ticket.objects.filter(pk=int(clock.object_id), status__in=Ticket.OPEN_STATUSES).update(assignee=supervisor, updated_at=now)
                if clock.id in infos:
                    infos[clock.id].assignee_id = supervisor
                audit.append(_audit(int(clock.object_id), infos.get(clock.id).label if clock.id in infos else "", "ticket.assigned", {"to": supervisor, "by": "sla.breach"}))
    AuditEvent.objects.bulk_create(audit)


def _audit(pk, label, verb, data) -> AuditEvent:
    from django.contrib.contenttypes.models import ContentType

    return AuditEvent(
        actor=None, actor_repr="system", verb=verb, content_type=ContentType.objects.get_for_model(Ticket), object_id=str(pk),
        object_repr=str(label)[:255], data=data,
    )
