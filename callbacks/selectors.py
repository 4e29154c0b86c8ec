"""Read queries for call-backs shared by the customer pages, the agent page, the admin and tasks."""
import datetime as dt

from django.conf import settings
from django.db.models import F, Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from callbacks.models import Booking, Slot
from support.models import User


def free_slots(*, language: str, now: dt.datetime | None = None, days: int | None = None) -> QuerySet[Slot]:
    """Slots with a free place in `language` from now to the horizon (slot_language_start_idx)."""
    now = now or timezone.now()
    horizon = now + dt.timedelta(days=days or settings.CALLBACK_HORIZON_DAYS)
    return Slot.objects.filter(language=language, starts_at__gt=now, starts_at__lte=horizon, booked__lt=F("capacity")).order_by(
        "starts_at"
    )


def booking_get_for(user: User, reference: str) -> Booking:
    """The booking if `user` may see it (its customer, call-back staff), else Http404."""
    booking = Booking.objects.select_related("slot", "customer", "assignee").filter(reference=reference.upper()).first()
    if booking is None or not (booking.customer_id == user.pk or user.has_perm("callbacks.view_booking")):
        raise Http404
    return booking


def bookings_for_customer(user: User) -> QuerySet[Booking]:
    return Booking.objects.filter(customer=user).select_related("slot").order_by("-slot__starts_at")


def bookings_for_agent_day(agent: User, *, day: dt.date, tz) -> QuerySet[Booking]:
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    return (
        Booking.objects.filter(assignee=agent, slot__starts_at__gte=start, slot__starts_at__lt=start + dt.timedelta(days=1))
        .select_related("slot", "customer__customer_profile")
        .order_by("slot__starts_at")
    )


def bookings_needing_reminder(*, now: dt.datetime, minutes: int, field: str) -> QuerySet[Booking]:
    return Booking.objects.filter(
        status__in=Booking.UPCOMING,
        slot__starts_at__gt=now,
        slot__starts_at__lte=now + dt.timedelta(minutes=minutes),
        **{f"{field}__isnull": True},
    ).select_related("slot", "customer", "assignee")


def bookings_past_slot(*, now: dt.datetime) -> QuerySet[Booking]:
    return Booking.objects.filter(status__in=Booking.UPCOMING, slot__ends_at__lte=now)


def bookings_upcoming_for_customer(user: User, *, limit: int = 5) -> QuerySet[Booking]:
    """The customer's open call-backs, soonest first (booking_customer_idx)."""
    return Booking.objects.filter(customer=user, status__in=Booking.UPCOMING).select_related("slot").order_by("slot__starts_at")[:limit]


def schedule_slots(*, start: dt.datetime, end: dt.datetime) -> QuerySet[Slot]:
    """Slots starting in [start, end) with their live bookings and agents, for the scheduler's grid."""
    live = Booking.objects.exclude(status=Booking.Status.CANCELLED).select_related("assignee", "customer").order_by("id")
    return (
        Slot.objects.filter(starts_at__gte=start, starts_at__lt=end)
        .order_by("starts_at", "language")
        .prefetch_related(Prefetch("bookings", queryset=live))
    )


def callback_agents() -> QuerySet[User]:
    """People a call-back can be assigned to (the agent role; booking_assign checks the permission)."""
    return User.objects.filter(groups__name="agent", is_active=True).order_by("first_name", "email")
