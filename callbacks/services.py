"""Every change to call-back slots and bookings: atomic, audited, SLA clock kept in step."""
import datetime as dt
import zoneinfo

import phonenumbers
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from callbacks.models import Booking, CapacityRule, Slot
from support import hours
from support.models import Channel, SLAClock, User
from support.selectors import default_calendar
from support.services import (
    audit_event_record,
    email_queue_for_user,
    notification_send,
    sla_clock_breach,
    sla_clock_cancel,
    sla_clock_satisfy,
    sla_clock_start,
)
from support.services.sla import sla_clocks_assign

PUNCTUALITY = SLAClock.Metric.CALLBACK_PUNCTUALITY
Status = Booking.Status


class CallbackError(Exception):
    """A booking the rules do not allow; the message is fit to show the customer."""

    def __init__(self, message: str, field: str = "__all__"):
        super().__init__(message)
        self.field = field


# Slots ---------------------------------------------------------------------------------------


def _slot_length() -> dt.timedelta:
    return dt.timedelta(minutes=settings.CALLBACK_SLOT_MINUTES)


@transaction.atomic
def slots_generate(rule: CapacityRule, *, start: dt.date, days: int) -> int:
    """Create (or re-size) the rule's slots for `days` days from `start`, only where support is open
    for the whole slot. A slot is never sized below what is already booked. Returns slots created."""
    calendar = default_calendar()
    tz = zoneinfo.ZoneInfo(calendar.time_zone)
    length = _slot_length()
    speakers: dict[str, int] = {}
    for agent in rule.agents.filter(is_active=True).prefetch_related("agent_profile__languages"):
        profile = getattr(agent, "agent_profile", None)
        for language in profile.languages.all() if profile else ():
            speakers[language.code] = speakers.get(language.code, 0) + 1
    capacities = {}
    for code in rule.languages.values_list("code", flat=True):
        capacity = speakers.get(code, 0)
        if rule.max_per_slot is not None:
            capacity = min(capacity, rule.max_per_slot)
        if capacity:
            capacities[code] = capacity
    wanted: dict[tuple[dt.datetime, str], tuple[dt.datetime, int]] = {}
    weekdays = rule.weekday_set()
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        if day.weekday() not in weekdays:
            continue
        if (rule.valid_from and day < rule.valid_from) or (rule.valid_until and day > rule.valid_until):
            continue
        moment = dt.datetime.combine(day, rule.starts, tzinfo=tz)
        end_of_rule = dt.datetime.combine(day, rule.ends, tzinfo=tz)
        while moment + length <= end_of_rule:
            slot_end = moment + length
            closes = hours.next_close(calendar, moment) if hours.is_open(calendar, moment) else None
            if closes is not None and closes >= slot_end:
                for code, capacity in capacities.items():
                    wanted[(moment.astimezone(dt.timezone.utc), code)] = (slot_end.astimezone(dt.timezone.utc), capacity)
            moment = slot_end
    if not wanted:
        return 0
    starts = [key[0] for key in wanted]
    existing = {
        (slot.starts_at, slot.language): slot
        for slot in Slot.objects.filter(starts_at__gte=min(starts), starts_at__lte=max(starts), language__in=list(capacities))
    }
    new = [
        Slot(starts_at=starts_at, language=code, ends_at=ends_at, capacity=capacity, rule=rule)
        for (starts_at, code), (ends_at, capacity) in wanted.items()
        if (starts_at, code) not in existing
    ]
    # A concurrent run may have made some of them: the unique (start, language) keeps one of each.
    Slot.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    for key, slot in existing.items():
        if key in wanted and slot.capacity != max(wanted[key][1], slot.booked):
            # Never below what is booked, even if a booking lands between the read and this write.
            Slot.objects.filter(pk=slot.pk).update(capacity=Greatest(Value(wanted[key][1]), F("booked")))
    return len(new)


# Bookings ------------------------------------------------------------------------------------


def phone_parse(raw: str, *, region: str | None = None) -> phonenumbers.PhoneNumber:
    """A number we can call: valid and able to take a call on a mobile. Raises CallbackError."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise CallbackError(_("Enter the number with its country code, e.g. +86 139 1234 5678."), "phone") from None
    if not phonenumbers.is_valid_number(number):
        raise CallbackError(_("This phone number is not valid."), "phone")
    kind = phonenumbers.number_type(number)
    if kind not in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        raise CallbackError(_("Give a mobile number: we call from a system that reaches mobiles only."), "phone")
    return number


def local_slot_start(value: dt.datetime, tz_name: str) -> dt.datetime:
    """A wall-clock time the customer chose in their time zone, as an aware instant.

    Raises CallbackError for a time that does not exist there (the hour skipped when clocks go forward).
    """
    tz = zoneinfo.ZoneInfo(tz_name)
    naive = value.replace(tzinfo=None)
    aware = naive.replace(tzinfo=tz)
    if aware.astimezone(dt.timezone.utc).astimezone(tz).replace(tzinfo=None) != naive:
        raise CallbackError(_("%(time)s does not exist in your time zone: the clocks change then. Choose another slot.") % {"time": naive.strftime("%Y-%m-%d %H:%M")}, "slot")
    return aware


def _assign(slot: Slot, *, language: str, customer: User) -> User | None:
    """VIP customers go to their account manager when they staff the slot; others to the least busy agent."""
    rule = slot.rule
    if rule is None:
        return None
    agents = rule.agents.filter(is_active=True, agent_profile__languages__code=language)
    profile = getattr(customer, "customer_profile", None)
    if profile and profile.is_vip and profile.account_manager_id and agents.filter(pk=profile.account_manager_id).exists():
        return profile.account_manager
    load = Count("assigned_callbacks", filter=Q(assigned_callbacks__slot=slot, assigned_callbacks__status__in=Booking.UPCOMING))
    return agents.annotate(load=load).order_by("load", "id").first()


def _take_place(slot_id: int) -> bool:
    """One place in the slot, if one is left: a single conditional UPDATE, so concurrent bookings of
    the last place cannot both succeed (and the CHECK constraint would refuse an oversold row anyway)."""
    table = Slot._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET booked = booked + 1 WHERE id = %s AND booked < capacity", [slot_id])
        return cursor.rowcount == 1


def _release_place(slot_id: int) -> None:
    table = Slot._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET booked = booked - 1 WHERE id = %s AND booked > 0", [slot_id])


def _find_slot(starts_at: dt.datetime, language: str, *, now: dt.datetime) -> Slot:
    if starts_at <= now:
        raise CallbackError(_("That time has passed; choose a later slot."), "slot")
    if starts_at > now + dt.timedelta(days=settings.CALLBACK_HORIZON_DAYS):
        raise CallbackError(_("Slots can be booked up to %(n)d days ahead.") % {"n": settings.CALLBACK_HORIZON_DAYS}, "slot")
    slot = Slot.objects.filter(starts_at=starts_at, language=language).first()
    if slot is None:
        raise CallbackError(_("We do not call at that time in this language: choose one of the slots offered (support hours only)."), "slot")
    return slot


def _ics(booking: Booking) -> dict:
    slot = booking.slot
    stamp = "%Y%m%dT%H%M%SZ"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Support desk//Call-backs//EN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{booking.reference}@{settings.DESK_EMAIL_ADDRESS.rpartition('@')[2]}",
        f"DTSTAMP:{timezone.now().astimezone(dt.timezone.utc).strftime(stamp)}",
        f"DTSTART:{slot.starts_at.astimezone(dt.timezone.utc).strftime(stamp)}",
        f"DTEND:{slot.ends_at.astimezone(dt.timezone.utc).strftime(stamp)}",
        f"SUMMARY:{settings.DESK_NAME} call-back {booking.reference}",
        "DESCRIPTION:We will call you at this time. We never ask for passwords or codes.",
        "STATUS:CANCELLED" if booking.status == Status.CANCELLED else "STATUS:CONFIRMED",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return {"filename": f"{booking.reference}.ics", "content_type": "text/calendar", "content": "\r\n".join(lines) + "\r\n"}


def _confirm(booking: Booking, template: str) -> None:
    email_queue_for_user(
        booking.customer, template=template, context={"booking": booking, "slot": booking.slot}, attachments=[_ics(booking)]
    )


@transaction.atomic
def booking_create(
    customer: User, *, starts_at: dt.datetime, language: str, phone: str, category: str, summary: str
) -> Booking:
    """Book a place in the slot starting at `starts_at` (aware) for `language`.

    Raises CallbackError (past, beyond the horizon, not offered, full, too many open bookings, bad phone).
    """
    now = timezone.now()
    open_count = Booking.objects.filter(customer=customer, status__in=Booking.UPCOMING).count()
    if open_count >= settings.CALLBACK_MAX_OPEN:
        raise CallbackError(
            _("You already have %(n)d call-backs booked; cancel one or wait for it first.") % {"n": open_count}
        )
    profile = getattr(customer, "customer_profile", None)
    number = phone_parse(phone)
    slot = _find_slot(starts_at, language, now=now)
    if not _take_place(slot.pk):
        raise CallbackError(_("That slot has just been filled; choose another."), "slot")
    slot.refresh_from_db(fields=["booked", "capacity"])
    from safety.services import secrets_notify, secrets_record, shield_fields

    cleaned, removed = shield_fields({"summary": summary.strip()}, ["summary"], customer=customer, where="callback", record=False)
    summary = cleaned["summary"]
    booking = Booking.objects.create(
        customer=customer,
        slot=slot,
        phone=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        category=category,
        language=language,
        summary=summary.strip()[:1000],
        vip=bool(profile and profile.is_vip),
        assignee=_assign(slot, language=language, customer=customer),
    )
    sla_clock_start(
        booking, channel=Channel.CALLBACK, metric=PUNCTUALITY, vip=booking.vip, at=now, due_at=slot.ends_at,
        calendar=default_calendar(), category=booking.category, language=booking.language, assignee=booking.assignee,
    )
    audit_event_record(booking, actor=customer, verb="callback.booked", data={"slot": slot.starts_at.isoformat()})
    if removed:
        secrets_record(removed, customer=customer, where="callback", case=booking)
        secrets_notify(customer, removed, url=f"/callbacks/{booking.reference}/")
    booking.secrets_removed = removed
    _confirm(booking, "callbacks/email/booked")
    if booking.assignee_id:
        assignee = booking.assignee
        transaction.on_commit(
            lambda: notification_send(assignee, kind="callback.booked", message=f"Call-back {booking.reference} booked", url="/callbacks/agent/")
        )
    return booking


def _check_changeable(booking: Booking) -> None:
    if booking.status not in Booking.UPCOMING:
        raise CallbackError(_("This call-back can no longer be changed."))
    if booking.slot.starts_at <= timezone.now():
        raise CallbackError(_("The slot has started; it can no longer be changed."))


@transaction.atomic
def booking_cancel(booking: Booking, *, actor: User) -> Booking:
    booking = Booking.objects.select_for_update(of=("self",)).select_related("slot", "customer").get(pk=booking.pk)
    _check_changeable(booking)
    booking.status = Status.CANCELLED
    booking.outcome_at = timezone.now()
    booking.save(update_fields=["status", "outcome_at", "updated_at"])
    _release_place(booking.slot_id)
    sla_clock_cancel(booking)
    audit_event_record(booking, actor=actor, verb="callback.cancelled")
    if actor.pk == booking.customer_id:
        _confirm(booking, "callbacks/email/cancelled")
    return booking


@transaction.atomic
def booking_reschedule(booking: Booking, *, actor: User, starts_at: dt.datetime) -> Booking:
    """Move the booking to another slot in its language; the old place is freed only if the new one is taken."""
    booking = Booking.objects.select_for_update(of=("self",)).select_related("slot", "customer").get(pk=booking.pk)
    _check_changeable(booking)
    now = timezone.now()
    slot = _find_slot(starts_at, booking.language, now=now)
    if slot.pk == booking.slot_id:
        return booking
    if not _take_place(slot.pk):
        raise CallbackError(_("That slot has just been filled; choose another."), "slot")
    _release_place(booking.slot_id)
    old = booking.slot.starts_at
    booking.slot = slot
    booking.status = Status.BOOKED
    booking.attempts = 0
    booking.agent_reminded_at = booking.customer_reminded_at = None
    booking.assignee = _assign(slot, language=booking.language, customer=booking.customer)
    booking.save(update_fields=["slot", "status", "attempts", "agent_reminded_at", "customer_reminded_at", "assignee", "updated_at"])
    sla_clock_cancel(booking)
    sla_clock_start(
        booking, channel=Channel.CALLBACK, metric=PUNCTUALITY, vip=booking.vip, at=now, due_at=slot.ends_at,
        calendar=default_calendar(), category=booking.category, language=booking.language, assignee=booking.assignee,
    )
    audit_event_record(booking, actor=actor, verb="callback.rescheduled", data={"from": old.isoformat(), "to": slot.starts_at.isoformat()})
    _confirm(booking, "callbacks/email/booked")
    return booking


OUTCOMES = (Status.COMPLETED, Status.NO_ANSWER, Status.WRONG_NUMBER, Status.CANCELLED)


@transaction.atomic
def booking_outcome(booking: Booking, *, agent: User, outcome: str, notes: str = "") -> Booking:
    """Record a call: completed meets the punctuality clock; no answer may be retried within the slot."""
    if outcome not in OUTCOMES:
        raise CallbackError(_("Unknown outcome."))
    booking = Booking.objects.select_for_update(of=("self",)).select_related("slot").get(pk=booking.pk)
    if booking.status not in Booking.UPCOMING:
        raise CallbackError(_("This call-back already has an outcome."))
    now = timezone.now()
    booking.attempts += 1
    booking.status = outcome
    if notes:
        booking.notes = (booking.notes + "\n" if booking.notes else "") + f"[{now:%Y-%m-%d %H:%M} UTC] {notes}"
    if outcome != Status.NO_ANSWER:
        booking.outcome_at = now
    booking.save(update_fields=["attempts", "status", "notes", "outcome_at", "updated_at"])
    if outcome == Status.COMPLETED:
        sla_clock_satisfy(booking, metric=PUNCTUALITY, at=now)
    elif outcome in (Status.WRONG_NUMBER, Status.CANCELLED):
        sla_clock_cancel(booking)
    audit_event_record(booking, actor=agent, verb=f"callback.{outcome}", data={"attempt": booking.attempts})
    return booking


@transaction.atomic
def booking_mark_missed(booking: Booking) -> Booking | None:
    """At slot end, a call-back without a result is missed: its clock breaches, supervisors are told,
    the customer is offered a new slot. Idempotent: returns None when there was nothing to do."""
    booking = Booking.objects.select_for_update(of=("self",)).select_related("slot", "customer").get(pk=booking.pk)
    if booking.status not in Booking.UPCOMING or booking.slot.ends_at > timezone.now():
        return None
    now = timezone.now()
    booking.status = Status.MISSED
    booking.outcome_at = now
    booking.save(update_fields=["status", "outcome_at", "updated_at"])
    sla_clock_breach(booking, metric=PUNCTUALITY, at=now)
    audit_event_record(booking, actor=None, verb="callback.missed")
    for supervisor in User.objects.filter(groups__name="supervisor", is_active=True):
        notification_send(
            supervisor, kind="callback.missed", message=f"Call-back {booking.reference} was missed.", url=f"/admin/callbacks/booking/{booking.pk}/change/"
        )
    email_queue_for_user(booking.customer, template="callbacks/email/missed", context={"booking": booking, "slot": booking.slot})
    return booking


@transaction.atomic
def booking_convert(booking: Booking, *, agent: User):
    """Open a ticket (channel call-back) from the call's summary and notes."""
    from tickets.services import ticket_create

    booking = Booking.objects.select_for_update(of=("self",)).select_related("customer").get(pk=booking.pk)
    if booking.ticket_id:
        return booking.ticket
    ticket = ticket_create(
        subject=f"Call-back {booking.reference}: {booking.summary[:60]}",
        body_text=f"{booking.summary}\n\n{booking.notes}".strip(),
        requester_email=booking.customer.email,
        customer=booking.customer,
        channel="callback",
        category=booking.category,
        language=booking.language,
        actor=agent,
    )
    booking.ticket = ticket
    booking.save(update_fields=["ticket", "updated_at"])
    audit_event_record(booking, actor=agent, verb="callback.converted", data={"ticket": ticket.reference})
    return ticket


@transaction.atomic
def booking_assign(booking: Booking, *, agent: User, actor: User) -> Booking:
    booking = Booking.objects.select_for_update(of=("self",)).get(pk=booking.pk)
    if not agent.has_perm("callbacks.change_booking"):
        raise CallbackError(_("That person does not make call-backs."))
    booking.assignee = agent
    booking.save(update_fields=["assignee", "updated_at"])
    sla_clocks_assign(booking, assignee=agent)
    audit_event_record(booking, actor=actor, verb="callback.assigned", data={"agent": agent.pk})
    transaction.on_commit(
        lambda: notification_send(agent, kind="callback.assigned", message=f"Call-back {booking.reference} is yours.", url="/callbacks/agent/")
    )
    return booking


@transaction.atomic
def slot_resize(slot: Slot, *, capacity: int, actor: User) -> Slot:
    """Change a slot's capacity by hand (a scheduler in the admin); never below what is already booked."""
    slot = Slot.objects.select_for_update().get(pk=slot.pk)
    if capacity < slot.booked:
        raise CallbackError(_("%(n)d places are already booked; the capacity cannot be lower.") % {"n": slot.booked}, "capacity")
    if capacity != slot.capacity:
        old = slot.capacity
        slot.capacity = capacity
        slot.save(update_fields=["capacity"])
        audit_event_record(slot, actor=actor, verb="callback.slot_resized", data={"from": old, "to": capacity})
    return slot
