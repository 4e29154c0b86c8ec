"""The supervisor dashboard's daily roll-ups (support/services/rollups.py builds them, support/dashboard.py reads them).

Internal tables, never edited by people: no admin, no translated names.
"""
from django.db import models

from .escalation import Team


class DashboardDay(models.Model):
    """A closed day of the desk's time zone whose figures are rolled up: [starts_at, ends_at).

    The dashboard uses a day only when no change to its cases has been logged since (DashboardDirty)
    and, for a team view, when team membership is what it was when the day was rolled.
    """

    day = models.DateField(primary_key=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    # md5 of every (team, member) pair when the day was rolled: team rows go stale when membership changes.
    teams = models.CharField(max_length=32)
    rolled_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["starts_at"], name="dashboard_day_start_idx")]

    def __str__(self):
        return str(self.day)


class DashboardRollup(models.Model):
    """One day's figures for a slice: a team (or every case) x a language (or every language, "*") x a
    channel and metric (metric blank: the channel's CSAT sums). Additive across days."""

    ALL_LANGUAGES = "*"

    day = models.DateField()
    team = models.ForeignKey(Team, null=True, on_delete=models.CASCADE, related_name="+")  # null: every case
    language = models.CharField(max_length=10)
    channel = models.CharField(max_length=16)
    metric = models.CharField(max_length=32, blank=True)
    # Clocks started that day (cancelled ones left out), and each one's outcome as the dashboard counts it.
    clocks = models.PositiveIntegerField(default=0)
    met = models.PositiveIntegerField(default=0)
    breached = models.PositiveIntegerField(default=0)
    open = models.PositiveIntegerField(default=0)
    # JSON as text, not jsonb: the dashboard reads hundreds of these a page, and jsonb costs a conversion
    # to text per value on the way out (10x the read).
    # {category: met + breached + open} and {language: the same}.
    categories = models.TextField(default="{}")
    languages = models.TextField(default="{}")
    # Met clocks per response-time bucket (SLAClock.response_bucket), dense from hist_start: additive
    # approximate percentiles.
    hist_start = models.SmallIntegerField(default=0)
    hist = models.TextField(default="[]")
    # Every met clock's start-to-met time in microseconds, for the exact percentiles of a period with
    # few met clocks (dashboard.EXACT_LIMIT); read only then.
    durations = models.TextField(default="[]")
    csat_count = models.PositiveIntegerField(default=0)
    csat_sum = models.PositiveIntegerField(default=0)
    csat_satisfied = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "language"], name="dashboard_rollup_day_idx")]

    def __str__(self):
        return f"{self.day} {self.channel} {self.metric or 'csat'} {self.language} team={self.team_id}"


class DashboardDirty(models.Model):
    """Append-only log of the hours whose cases changed (written by database triggers on every insert,
    relevant update and delete of clocks, tickets and chats): a rolled day overlapping one is stale
    until the roll-up task rebuilds it and clears the log."""

    hour = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.hour:%Y-%m-%d %H}h"
