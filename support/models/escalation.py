"""What the enforcement scan did to a clock: at most one warning and one breach event each (a constraint)."""
from django.db import models
from django.utils.translation import gettext_lazy as _

from .sla import SLAClock


class SLAEvent(models.Model):
    class Kind(models.TextChoices):
        WARNING = "warning", _("Warning")
        BREACH = "breach", _("Breach")

    clock = models.ForeignKey(SLAClock, verbose_name=_("clock"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    created_at = models.DateTimeField(_("when"))
    # How late the scan noticed (created_at minus the due/warn instant): the detection lag.
    lag = models.DurationField(_("detection lag"))

    class Meta:
        verbose_name = _("SLA event")
        verbose_name_plural = _("SLA events")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["clock", "kind"], name="sla_event_once")]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.clock}"


class Team(models.Model):
    """A group of agents (a shift, a language desk); the dashboard filters by it."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    members = models.ManyToManyField("support.User", verbose_name=_("members"), related_name="teams", blank=True)

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self):
        return self.name
