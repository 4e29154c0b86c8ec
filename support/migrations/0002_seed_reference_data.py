"""Reference data from SPEC: languages, the Asia/Shanghai support hours, a 24x7 calendar, SLA policies."""
import datetime as dt

from django.db import migrations

LANGUAGES = ["en", "zh-hans", "zh-hant", "ru", "vi", "tr", "pt", "es", "id", "ja", "ko"]
MIDNIGHT = dt.time(0)
# SPEC "Support hours": Mon 06-22, Tue-Fri 24h, Sat 00-22, Sun closed (Asia/Shanghai).
SUPPORT_HOURS = [
    (0, dt.time(6), dt.time(22)),
    (1, MIDNIGHT, MIDNIGHT),
    (2, MIDNIGHT, MIDNIGHT),
    (3, MIDNIGHT, MIDNIGHT),
    (4, MIDNIGHT, MIDNIGHT),
    (5, MIDNIGHT, dt.time(22)),
]
M = dt.timedelta(minutes=1)
H = dt.timedelta(hours=1)
# channel, metric, standard target, VIP target, calendar ("hours" = support hours, "24x7")
POLICIES = [
    ("chat", "first_response", 2 * M, 1 * M, "hours"),
    ("chat", "next_response", 5 * M, 150 * dt.timedelta(seconds=1), "hours"),
    ("email", "first_response", 24 * H, 12 * H, "hours"),
    ("web", "first_response", 24 * H, 12 * H, "hours"),
    # Resolution (ours, not in SPEC): three business days, VIP half.
    ("email", "resolution", 72 * H, 36 * H, "hours"),
    ("web", "resolution", 72 * H, 36 * H, "hours"),
    ("document", "document_review", 24 * H, 12 * H, "hours"),
    ("complaint", "first_response", 24 * H, 12 * H, "24x7"),
    # A call-back's clock runs to the end of its slot; this target is the default slot length.
    ("callback", "callback_punctuality", 30 * M, 30 * M, "hours"),
]


def seed(apps, schema_editor):
    Language = apps.get_model("support", "Language")
    BusinessCalendar = apps.get_model("support", "BusinessCalendar")
    WeeklyHours = apps.get_model("support", "WeeklyHours")
    SLAPolicy = apps.get_model("support", "SLAPolicy")
    for code in LANGUAGES:
        Language.objects.get_or_create(code=code)
    hours, created = BusinessCalendar.objects.get_or_create(name="Support hours", defaults={"time_zone": "Asia/Shanghai"})
    if created:
        WeeklyHours.objects.bulk_create(
            WeeklyHours(calendar=hours, weekday=day, opens=opens, closes=closes) for day, opens, closes in SUPPORT_HOURS
        )
    always, _ = BusinessCalendar.objects.get_or_create(name="Always open", defaults={"time_zone": "UTC", "always_open": True})
    calendars = {"hours": hours, "24x7": always}
    for channel, metric, standard, vip, calendar in POLICIES:
        for is_vip, target in ((False, standard), (True, vip)):
            SLAPolicy.objects.get_or_create(
                channel=channel,
                metric=metric,
                priority="",
                vip=is_vip,
                defaults={"target": target, "calendar": calendars[calendar], "warning_percent": 75},
            )


class Migration(migrations.Migration):
    dependencies = [("support", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
