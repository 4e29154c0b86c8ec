"""Every change to a complaint: opened by the customer, acknowledged and resolved by supervisors."""
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import Complaint
from complaints.sources import SourceNotFound, source_check
from support.models import SLAClock, User
from support.permissions import customer_profile_of
from support.services import audit_event_record, email_queue_for_user, notification_send, sla_clock_satisfy, sla_clock_start
from support.services.sla import sla_clocks_assign


class ComplaintError(Exception):
    def __init__(self, message, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self):
        return str(self.message)


def is_complaint_handler(user: User) -> bool:
    """Supervisors (and superusers) handle complaints."""
    return user.is_authenticated and user.is_active and user.is_staff and user.has_perm("complaints.change_complaint")


def _supervisors() -> list[User]:
    return list(User.objects.filter(is_active=True, groups__name="supervisor").distinct())


@transaction.atomic
def complaint_open(customer: User, *, source_type: str, source_reference: str = "", reason: str) -> Complaint:
    """Escalate: a complaint with a 24-hour acknowledgement clock, routed to the supervisors.

    Only about the customer's own case; a second complaint while one is open for the same case is refused.
    """
    profile = customer_profile_of(customer)
    if profile is None:
        raise ComplaintError(_("Complaints are opened by customers."))
    from safety.services import secrets_notify, shield_fields

    cleaned, removed = shield_fields({"reason": reason.strip()}, ["reason"], customer=customer, where="complaint")
    reason = cleaned["reason"]
    if removed:
        secrets_notify(customer, removed, url="/complaints/")
    if len(reason) < 10:
        raise ComplaintError(_("Tell us in a sentence or two what went wrong."), field="reason")
    if source_type not in Complaint.Source.values:
        raise ComplaintError(_("Choose what the complaint is about."), field="source_type")
    try:
        canonical = source_check(customer, source_type, source_reference)
    except SourceNotFound:
        raise ComplaintError(_("We could not find that case among yours. Check the reference."), field="source_reference") from None
    existing = Complaint.objects.filter(
        customer=customer, source_type=source_type, source_reference=canonical, status__in=Complaint.OPEN_STATUSES
    ).exclude(source_reference="").first()
    if existing is not None:
        raise ComplaintError(
            _("You already escalated this case: complaint %(ref)s is open.") % {"ref": existing.reference}, field="source_reference"
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            complaint = Complaint.objects.create(
                customer=customer, source_type=source_type, source_reference=canonical, reason=reason[:4000],
                language=profile.language, vip=profile.is_vip,
            )
    except IntegrityError:  # a double submit raced past the check
        raise ComplaintError(_("You already escalated this case."), field="source_reference") from None
    clock = sla_clock_start(
        complaint, channel=SLAClock.Channel.COMPLAINT, metric=SLAClock.Metric.FIRST_RESPONSE, vip=profile.is_vip, at=now,
        category="complaint", language=profile.language,
    )
    complaint.due_at = clock.due_at
    complaint.save(update_fields=["due_at"])
    audit_event_record(complaint, actor=customer, verb="complaint.opened", data={"about": source_type, "reference": canonical})
    url = reverse("admin:complaints_complaint_change", args=[complaint.pk])
    for supervisor in _supervisors():
        notification_send(supervisor, kind="complaint.opened", message=f"Complaint {complaint.reference}: {reason[:200]}", url=url)
    email_queue_for_user(customer, template="complaints/email/received", context={"complaint": complaint})
    return complaint


def _lock(complaint: Complaint, actor: User) -> Complaint:
    if not is_complaint_handler(actor):
        raise ComplaintError(_("Complaints are handled by supervisors."))
    complaint = Complaint.objects.select_for_update().select_related("customer").get(pk=complaint.pk)
    if complaint.customer_id == actor.pk:
        raise ComplaintError(_("You cannot handle a complaint you made yourself."))
    return complaint


@transaction.atomic
def complaint_acknowledge(complaint: Complaint, *, actor: User, message: str) -> Complaint:
    """A supervisor takes the complaint and tells the customer; the acknowledgement clock is met."""
    complaint = _lock(complaint, actor)
    if complaint.status != Complaint.Status.RECEIVED:
        raise ComplaintError(_("This complaint has already been acknowledged."))
    if not message.strip():
        raise ComplaintError(_("Write the acknowledgement the customer will read."), field="message")
    now = timezone.now()
    complaint.status = Complaint.Status.ACKNOWLEDGED
    complaint.acknowledgement = message.strip()
    complaint.acknowledged_at = now
    complaint.assignee = actor
    complaint.save(update_fields=["status", "acknowledgement", "acknowledged_at", "assignee", "updated_at"])
    sla_clock_satisfy(complaint, metric=SLAClock.Metric.FIRST_RESPONSE, at=now)
    sla_clocks_assign(complaint, assignee=actor)
    audit_event_record(complaint, actor=actor, verb="complaint.acknowledged")
    _tell_customer(complaint, "complaints/email/acknowledged")
    return complaint


@transaction.atomic
def complaint_resolve(complaint: Complaint, *, actor: User, resolution: str) -> Complaint:
    complaint = _lock(complaint, actor)
    if not complaint.is_open:
        raise ComplaintError(_("This complaint is already resolved."))
    if not resolution.strip():
        raise ComplaintError(_("Write the resolution the customer will read."), field="resolution")
    now = timezone.now()
    if complaint.status == Complaint.Status.RECEIVED:
        # Resolving at once also acknowledges it.
        complaint.acknowledged_at = now
        sla_clock_satisfy(complaint, metric=SLAClock.Metric.FIRST_RESPONSE, at=now)
    complaint.status = Complaint.Status.RESOLVED
    complaint.resolution = resolution.strip()
    complaint.resolved_at = now
    complaint.assignee = complaint.assignee or actor
    complaint.save(update_fields=["status", "resolution", "resolved_at", "acknowledged_at", "assignee", "updated_at"])
    audit_event_record(complaint, actor=actor, verb="complaint.resolved")
    _tell_customer(complaint, "complaints/email/resolved")
    return complaint


def _tell_customer(complaint: Complaint, template: str) -> None:
    url = reverse("complaints:detail", args=[complaint.reference])
    from django.utils import translation

    with translation.override(complaint.language):
        message = str(
            _("Your complaint %(ref)s: %(status)s.") % {"ref": complaint.reference, "status": complaint.get_status_display()}
        )
    notification_send(complaint.customer, kind="complaint.update", message=message, url=url)
    email_queue_for_user(complaint.customer, template=template, context={"complaint": complaint, "url": url})
