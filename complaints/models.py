"""A customer's complaint about how a case was handled: its own acknowledgement clock, answered by supervisors."""
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from support.models.accounts import SUPPORT_LANGUAGES


def new_reference() -> str:
    return "CMP-" + secrets.token_hex(4).upper()


class Complaint(models.Model):
    class Source(models.TextChoices):
        TICKET = "ticket", _("Ticket")
        CHAT = "chat", _("Live chat")
        CALLBACK = "callback", _("Call-back")
        DOCUMENT = "document", _("Document review")
        OTHER = "other", _("Something else")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        ACKNOWLEDGED = "acknowledged", _("Being handled by a supervisor")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    OPEN_STATUSES = (Status.RECEIVED, Status.ACKNOWLEDGED)

    reference = models.CharField(_("reference"), max_length=16, unique=True, default=new_reference, editable=False)
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="complaints")
    source_type = models.CharField(_("about"), max_length=16, choices=Source.choices)
    source_reference = models.CharField(_("reference of the case"), max_length=40, blank=True)
    reason = models.TextField(_("what went wrong"), max_length=4000)
    language = models.CharField(_("language"), max_length=10, choices=SUPPORT_LANGUAGES, default="en")
    vip = models.BooleanField(_("VIP"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.RECEIVED)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("supervisor"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledgement = models.TextField(_("acknowledgement to the customer"), blank=True)
    resolution = models.TextField(_("resolution, as told to the customer"), blank=True)
    created_at = models.DateTimeField(_("received"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    due_at = models.DateTimeField(_("acknowledgement due"), null=True, blank=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["customer", "status"], name="complaint_customer_idx")]
        constraints = [
            # One open complaint per case: a second click does not open a duplicate.
            models.UniqueConstraint(
                fields=["customer", "source_type", "source_reference"],
                condition=Q(status__in=["received", "acknowledged"]) & ~Q(source_reference=""),
                name="complaint_one_open_per_case",
            ),
        ]

    def __str__(self):
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES
