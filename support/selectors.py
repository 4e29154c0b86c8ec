"""Read queries shared by views, the API and the admin."""
import datetime as dt
from dataclasses import dataclass

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _, ngettext

from support import hours
from support.categories import RECOMMENDED_CHANNELS, Category
from support.models import BusinessCalendar, Channel, SLAClock, SLAPolicy

# Which promise the contact page quotes for each channel.
_CHANNEL_METRIC = {
    Channel.CHAT: SLAPolicy.Metric.FIRST_RESPONSE,
    Channel.EMAIL: SLAPolicy.Metric.FIRST_RESPONSE,
    Channel.WEB: SLAPolicy.Metric.FIRST_RESPONSE,
    Channel.CALLBACK: SLAPolicy.Metric.CALLBACK_PUNCTUALITY,
    Channel.DOCUMENT: SLAPolicy.Metric.DOCUMENT_REVIEW,
    Channel.COMPLAINT: SLAPolicy.Metric.FIRST_RESPONSE,
}
# Channels that take a request while nobody is on duty (answered when hours resume).
_ALWAYS_ACCEPTS = {Channel.EMAIL, Channel.WEB, Channel.CALLBACK, Channel.DOCUMENT, Channel.COMPLAINT}
_NOTES = {
    Channel.CHAT: _("Best for urgent trading problems and account settings."),
    Channel.EMAIL: _("Best for verification, withdrawal delays, account restrictions and detailed fault reports. Write from your registered address."),
    Channel.WEB: _("Progress, history and replies stay visible in your personal area."),
    Channel.CALLBACK: _("There is no public phone line: choose a slot and we call you at that time."),
    Channel.DOCUMENT: _("Upload identity, residence and payment documents for review."),
    Channel.COMPLAINT: _("Escalate to senior support if you are unhappy with an answer."),
}


@dataclass(frozen=True)
class ChannelStatus:
    channel: str
    label: str
    is_open: bool
    next_open: dt.datetime | None
    accepts_requests: bool
    promise: str
    target: dt.timedelta | None
    business_time: bool
    note: str


def default_calendar() -> BusinessCalendar:
    return BusinessCalendar.objects.prefetch_related("weekly_hours", "holidays").get(name=settings.DESK_SUPPORT_CALENDAR)


def format_duration(target: dt.timedelta, *, business: bool) -> str:
    minutes = int(target.total_seconds() // 60)
    if minutes < 60:
        text = ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
        return text
    hours_ = minutes // 60
    if business:
        return ngettext("%(n)d business hour", "%(n)d business hours", hours_) % {"n": hours_}
    return ngettext("%(n)d hour", "%(n)d hours", hours_) % {"n": hours_}


def channel_statuses(*, at: dt.datetime | None = None, vip: bool = False) -> list[ChannelStatus]:
    """For each channel: staffed now, when it next opens, and the promised response time."""
    at = at or timezone.now()
    policies = {
        (p.channel, p.metric, p.vip): p
        for p in SLAPolicy.objects.filter(priority="").select_related("calendar").prefetch_related(
            "calendar__weekly_hours", "calendar__holidays"
        )
    }
    fallback = None
    statuses = []
    for channel in Channel:
        metric = _CHANNEL_METRIC[channel]
        policy = policies.get((channel, metric, vip)) or policies.get((channel, metric, False))
        if policy is not None:
            calendar = policy.calendar
        else:
            fallback = fallback or default_calendar()
            calendar = fallback
        is_open = hours.is_open(calendar, at)
        business = not calendar.always_open
        if channel == Channel.CALLBACK:
            promise = str(_("We call inside the slot you choose."))
        elif policy is not None:
            promise = format_duration(policy.target, business=business)
        else:
            promise = ""
        statuses.append(
            ChannelStatus(
                channel=channel.value,
                label=str(channel.label),
                is_open=is_open,
                next_open=None if is_open else hours.next_open(calendar, at),
                accepts_requests=is_open or channel in _ALWAYS_ACCEPTS,
                promise=promise,
                target=policy.target if policy else None,
                business_time=business,
                note=str(_NOTES[channel]),
            )
        )
    return statuses


# Where a customer starts each channel (e-mail: the desk's address).
_CHANNEL_START = {
    Channel.CHAT: "chat:list",
    Channel.WEB: "tickets:new",
    Channel.CALLBACK: "callbacks:new",
    Channel.DOCUMENT: "kyc:home",
    Channel.COMPLAINT: "complaints:new",
}


def channel_start_url(channel: str) -> str:
    if channel == Channel.EMAIL:
        return f"mailto:{settings.DESK_EMAIL_ADDRESS}"
    return reverse(_CHANNEL_START[channel])


def recommended_channels() -> list[tuple[str, list[str]]]:
    labels = dict(Channel.choices)
    return [(str(Category(cat).label), [str(labels[ch]) for ch in chans]) for cat, chans in RECOMMENDED_CHANNELS.items()]


def customer_home_sections(user) -> list[dict]:
    """One section per channel app with the customer's open items."""
    sections = []
    for config in apps.get_app_configs():
        if hasattr(config, "open_items_for"):
            sections.append(
                {"app": config.label, "title": config.home_section, "items": config.open_items_for(user), "empty": config.home_empty,
                 "action": config.home_action, "action_url": reverse(config.home_action_url) if config.home_action_url else ""}
            )
    return sections


def sla_case_filter(case) -> dict:
    """The SLAClock columns that name a case, of any channel's model."""
    return {"content_type": ContentType.objects.get_for_model(case), "object_id": str(case.pk)}


def sla_running_due(case, *, metric: str) -> dt.datetime | None:
    """When the case's running `metric` clock falls due, while that is still ahead (None once met, paused, ended
    or overdue)."""
    return (
        SLAClock.objects.filter(state=SLAClock.State.RUNNING, metric=metric, due_at__gt=timezone.now(), **sla_case_filter(case))
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )


def sla_clocks_due(*, before: dt.datetime):
    """Running clocks due at or before `before`, soonest first: one range scan of sla_running_due_idx."""
    return SLAClock.objects.filter(state=SLAClock.State.RUNNING, due_at__lte=before).order_by("due_at")
