"""The business-hours calendar admins edit; support.hours computes over it."""
import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from .accounts import validate_time_zone


class BusinessCalendar(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone])
    always_open = models.BooleanField(_("open 24x7"), default=False, help_text=_("Holidays still close it."))

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def schedule(self):
        """The calendar as a support.hours.Schedule value (two queries, cached on the instance)."""
        from support.hours import Schedule, WeeklyInterval

        cached = getattr(self, "_schedule_cache", None)
        if cached is None:
            cached = Schedule(
                tz=self.time_zone,
                intervals=tuple(
                    WeeklyInterval(weekday=row.weekday, start=row.opens, end=row.closes)
                    for row in self.weekly_hours.all()
                ),
                holidays=frozenset(self.holidays.values_list("date", flat=True)),
                always_open=self.always_open,
            )
            self._schedule_cache = cached
        return cached

    def refresh_from_db(self, *args, **kwargs):
        self.__dict__.pop("_schedule_cache", None)
        super().refresh_from_db(*args, **kwargs)


class WeeklyHours(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="weekly_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(
        _("closes"),
        help_text=_("A closing time at or before the opening time runs past midnight; 00:00-00:00 is the whole day."),
    )

    class Meta:
        verbose_name = _("weekly opening hours")
        verbose_name_plural = _("weekly opening hours")
        ordering = ["calendar", "weekday", "opens"]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"

    @property
    def overnight(self) -> bool:
        return self.closes <= self.opens and not (self.opens == self.closes == dt.time(0))


class Holiday(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["calendar", "date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="holiday_once_per_calendar")]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}".strip()
