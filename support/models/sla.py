"""SLA policies and the one clock table every channel uses (DESIGN: "One SLA mechanism")."""
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from .calendar import BusinessCalendar


class Channel(models.TextChoices):
    CHAT = "chat", _("Live chat")
    EMAIL = "email", _("E-mail")
    WEB = "web", _("Ticket (web form)")
    CALLBACK = "callback", _("Call-back")
    DOCUMENT = "document", _("Document review")
    COMPLAINT = "complaint", _("Complaint / escalation")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")
    CALLBACK_PUNCTUALITY = "callback_punctuality", _("Call-back punctuality")
    DOCUMENT_REVIEW = "document_review", _("Document review")


class SLAPolicy(models.Model):
    """A promise: for this channel and metric (priority, VIP), respond within `target` business time."""

    Metric = Metric

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    metric = models.CharField(_("metric"), max_length=32, choices=Metric.choices)
    priority = models.CharField(
        _("priority"), max_length=16, choices=Priority.choices, blank=True, help_text=_("Blank applies to every priority.")
    )
    vip = models.BooleanField(_("for VIP customers"), default=False)
    target = models.DurationField(_("target"))
    warning_percent = models.PositiveSmallIntegerField(
        _("warn at (percent of target)"), default=75, help_text=_("When the assignee is warned, as a share of the target.")
    )
    calendar = models.ForeignKey(BusinessCalendar, verbose_name=_("calendar"), on_delete=models.PROTECT)

    class BreachAction(models.TextChoices):
        NOTIFY = "notify", _("Notify the assignee and supervisors")
        ESCALATE = "escalate", _("Also move the case to the escalation queue")
        REASSIGN = "reassign", _("Also reassign the case to a supervisor")

    breach_action = models.CharField(
        _("on breach"), max_length=16, choices=BreachAction.choices, default=BreachAction.ESCALATE
    )
    breach_raise_priority = models.BooleanField(
        _("raise priority on breach"), default=True, help_text=_("One step up: low, normal, high, urgent.")
    )

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["channel", "metric", "vip", "priority"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "metric", "priority", "vip"], name="sla_policy_unique"),
            models.CheckConstraint(
                condition=models.Q(warning_percent__gte=1, warning_percent__lte=100), name="sla_policy_warning_pct"
            ),
        ]

    def __str__(self):
        who = "VIP" if self.vip else "standard"
        return f"{self.get_channel_display()} / {self.get_metric_display()} / {self.priority or 'any'} / {who}: {self.target}"


class SLAClock(models.Model):
    """One running promise on one case (ticket, chat, call-back, verification case)."""

    Channel = Channel
    Metric = Metric
    Priority = Priority

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        MET = "met", _("Met")
        CANCELLED = "cancelled", _("Cancelled")
        BREACHED = "breached", _("Ended unmet")  # the case can no longer meet it (a missed call-back)

    ACTIVE_STATES = (State.RUNNING, State.PAUSED)

    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    metric = models.CharField(_("metric"), max_length=32, choices=Metric.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64)
    case = GenericForeignKey("content_type", "object_id")
    policy = models.ForeignKey(SLAPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="clocks")
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="clocks")
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL)
    vip = models.BooleanField(_("VIP"), default=False)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.RUNNING)
    target = models.DurationField(_("target"))
    started_at = models.DateTimeField(_("started"))
    due_at = models.DateTimeField(_("due"))
    warn_at = models.DateTimeField(_("warn at"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    # Business time left to the due/warn instants when paused; resume recomputes both from it.
    remaining = models.DurationField(null=True, blank=True)
    warn_remaining = models.DurationField(null=True, blank=True)
    warned_at = models.DateTimeField(_("warned"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached"), null=True, blank=True)
    met_at = models.DateTimeField(_("met"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    # floor(log base 1.05 of the seconds from start to met): the dashboard's response-time histogram
    # reads it instead of computing a logarithm per row (support/dashboard.py).
    response_bucket = models.SmallIntegerField(null=True, blank=True, editable=False)
    # What the dashboard slices by, copied from the case when the clock starts (and the assignee as it changes).
    category = models.CharField(_("category"), max_length=32, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assignee"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        ordering = ["due_at"]
        permissions = [("view_sla_dashboard", _("Can see the SLA dashboard and the escalation queue"))]
        indexes = [
            # "Running clocks due before T" is one range scan of this partial index.
            models.Index(fields=["due_at"], condition=models.Q(state="running"), name="sla_running_due_idx"),
            models.Index(
                fields=["warn_at"],
                condition=models.Q(state="running", warned_at__isnull=True),
                name="sla_running_warn_idx",
            ),
            models.Index(fields=["content_type", "object_id"], name="sla_clock_case_idx"),
            # The enforcement scan: due and not yet breached. Breached clocks still running (an
            # unanswered ticket) leave this index, so a scan's cost follows what is newly due.
            models.Index(
                fields=["due_at"],
                condition=models.Q(state="running", breached_at__isnull=True),
                name="sla_unbreached_due_idx",
            ),
            # The dashboard: clocks started in a period, per channel.
            models.Index(fields=["started_at", "channel"], name="sla_started_idx"),
            # The escalation queue.
            models.Index(
                fields=["escalated_at"], condition=models.Q(escalated_at__isnull=False, state__in=["running", "paused"]),
                name="sla_escalated_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "metric"],
                condition=models.Q(state__in=["running", "paused"]),
                name="sla_one_active_clock_per_metric",
            ),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} {self.get_metric_display()} #{self.object_id} ({self.get_state_display()})"

    @property
    def is_breached(self) -> bool:
        return self.breached_at is not None or (self.met_at is not None and self.met_at > self.due_at)
