"""Celery tasks of the call-backs app: thin, safe to run twice."""
import datetime as dt

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone


@shared_task(acks_late=True)
def callback_reminders() -> int:
    """Beat: remind agents shortly before their call and customers a set time before (each once)."""
    from callbacks.models import Booking
    from callbacks.selectors import bookings_needing_reminder
    from support.services import email_queue_for_user, notification_send

    now = timezone.now()
    sent = 0
    for booking in bookings_needing_reminder(now=now, minutes=settings.CALLBACK_AGENT_REMINDER_MINUTES, field="agent_reminded_at"):
        with transaction.atomic():
            # The conditional UPDATE makes a second run (or a second worker) a no-op.
            if not Booking.objects.filter(pk=booking.pk, agent_reminded_at__isnull=True).update(agent_reminded_at=now):
                continue
            if booking.assignee_id:
                notification_send(
                    booking.assignee,
                    kind="callback.reminder",
                    message=f"Call {booking.phone} at {booking.slot.starts_at:%H:%M} UTC ({booking.reference}).",
                    url="/callbacks/agent/",
                )
            sent += 1
    for booking in bookings_needing_reminder(now=now, minutes=settings.CALLBACK_CUSTOMER_REMINDER_MINUTES, field="customer_reminded_at"):
        with transaction.atomic():
            if not Booking.objects.filter(pk=booking.pk, customer_reminded_at__isnull=True).update(customer_reminded_at=now):
                continue
            email_queue_for_user(booking.customer, template="callbacks/email/reminder", context={"booking": booking, "slot": booking.slot})
            sent += 1
    return sent


@shared_task(acks_late=True)
def callback_missed() -> int:
    """Beat: call-backs whose slot ended without a result become missed (clock breached, supervisors told)."""
    from callbacks.selectors import bookings_past_slot
    from callbacks.services import booking_mark_missed

    return sum(1 for booking in bookings_past_slot(now=timezone.now()) if booking_mark_missed(booking) is not None)


@shared_task(acks_late=True)
def callback_slots_generate() -> int:
    """Beat: keep the booking horizon filled from the active capacity rules."""
    from callbacks.models import CapacityRule
    from callbacks.services import slots_generate

    today = timezone.now().date()
    return sum(
        slots_generate(rule, start=today, days=settings.CALLBACK_HORIZON_DAYS + 1)
        for rule in CapacityRule.objects.filter(active=True)
    )
