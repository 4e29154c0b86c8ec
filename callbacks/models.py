"""Call-backs: staffed slots with a capacity per language, and the customers' bookings in them."""
import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from support.categories import Category
from support.models.accounts import SUPPORT_LANGUAGES


def new_reference() -> str:
    return "CB-" + secrets.token_hex(4).upper()


class CapacityRule(models.Model):
    """A scheduler's bulk statement: "Mon–Fri 09:00–18:00, these agents, Chinese and English".

    Slots are generated from it (within support hours) for the booking horizon; each slot's capacity
    per language is the number of the rule's agents who speak it, capped by `max_per_slot`.
    """

    name = models.CharField(_("name"), max_length=120)
    weekdays = models.CharField(
        _("weekdays"), max_length=13, default="0,1,2,3,4", help_text=_("Comma-separated, 0 = Monday … 6 = Sunday.")
    )
    starts = models.TimeField(_("start time"), help_text=_("In the support hours' time zone."))
    ends = models.TimeField(_("end time"))
    languages = models.ManyToManyField("support.Language", verbose_name=_("languages"))
    agents = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("agents"), related_name="callback_rules")
    max_per_slot = models.PositiveSmallIntegerField(_("at most per slot"), null=True, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("call-back capacity rule")
        verbose_name_plural = _("call-back capacity rules")

    def __str__(self):
        return self.name

    def weekday_set(self) -> set[int]:
        return {int(d) for d in self.weekdays.split(",") if d.strip().isdigit()}


class Slot(models.Model):
    """A bookable interval for one language; `booked` never exceeds `capacity` (a constraint and the booking UPDATE)."""

    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    language = models.CharField(_("language"), max_length=10, choices=SUPPORT_LANGUAGES)
    capacity = models.PositiveSmallIntegerField(_("capacity"))
    booked = models.PositiveSmallIntegerField(_("booked"), default=0)
    rule = models.ForeignKey(CapacityRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="slots")

    class Meta:
        verbose_name = _("call-back slot")
        verbose_name_plural = _("call-back slots")
        ordering = ["starts_at", "language"]
        constraints = [
            models.UniqueConstraint(fields=["starts_at", "language"], name="slot_start_language_unique"),
            models.CheckConstraint(condition=Q(booked__lte=F("capacity")), name="slot_never_oversold"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="slot_ends_after_start"),
        ]
        indexes = [models.Index(fields=["language", "starts_at"], name="slot_language_start_idx")]

    def __str__(self):
        return f"{self.starts_at:%Y-%m-%d %H:%M} UTC {self.language} ({self.booked}/{self.capacity})"

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.booked)


class Booking(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        COMPLETED = "completed", _("Completed")
        NO_ANSWER = "no_answer", _("No answer yet")
        MISSED = "missed", _("Missed")
        WRONG_NUMBER = "wrong_number", _("Wrong number")
        CANCELLED = "cancelled", _("Cancelled")

    UPCOMING = (Status.BOOKED, Status.NO_ANSWER)

    reference = models.CharField(_("reference"), max_length=16, unique=True, default=new_reference, editable=False)
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="callback_bookings")
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="bookings")
    phone = PhoneNumberField(_("number to call"))
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    language = models.CharField(_("language"), max_length=10, choices=SUPPORT_LANGUAGES)
    summary = models.TextField(_("summary"), max_length=1000)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.BOOKED)
    vip = models.BooleanField(_("VIP"), default=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_callbacks",
    )
    attempts = models.PositiveSmallIntegerField(_("call attempts"), default=0)
    notes = models.TextField(_("notes"), blank=True)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    outcome_at = models.DateTimeField(_("outcome recorded"), null=True, blank=True)
    agent_reminded_at = models.DateTimeField(null=True, blank=True)
    customer_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("call-back")
        verbose_name_plural = _("call-backs")
        ordering = ["slot__starts_at"]
        indexes = [
            models.Index(fields=["customer", "status"], name="booking_customer_idx"),
            models.Index(fields=["assignee", "status"], name="booking_assignee_idx"),
            models.Index(fields=["status", "slot"], name="booking_status_slot_idx"),
        ]

    def __str__(self):
        return self.reference

    @property
    def is_upcoming(self) -> bool:
        return self.status in self.UPCOMING
