"""The reminder and missed-call flow through a real Celery worker (Celery's test worker, in a thread)
consuming from the real Redis broker: tasks are sent, not run eagerly, and running them twice is harmless."""
import datetime as dt
import time

import pytest
import time_machine

from callbacks import services, tasks
from callbacks.models import Booking, CapacityRule
from support.celery import app
from support.models import Language, Notification, OutboundEmail, SLAClock
from tests.factories import AgentFactory, CustomerFactory, SupervisorFactory

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
MONDAY_8AM = dt.datetime(2026, 12, 7, 8, 0, tzinfo=SHANGHAI)


def at(hour, minute=0):
    return MONDAY_8AM.replace(hour=hour, minute=minute).astimezone(dt.timezone.utc)


@pytest.fixture
def worker(settings):
    from celery.contrib.testing.worker import start_worker

    app.conf.task_always_eager = False
    app.conf.broker_url = settings.CELERY_BROKER_URL
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield app
    finally:
        app.conf.task_always_eager = True


def wait_for(predicate, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_reminders_and_missed_call_through_a_worker(worker):
    supervisor = SupervisorFactory().user
    agent = AgentFactory(languages=["en"]).user
    customer = CustomerFactory().user
    rule = CapacityRule.objects.create(name="Monday", weekdays="0", starts=dt.time(9), ends=dt.time(12))
    rule.languages.set(Language.objects.filter(code="en"))
    rule.agents.set([agent])
    with time_machine.travel(MONDAY_8AM, tick=True):
        services.slots_generate(rule, start=MONDAY_8AM.date(), days=1)
        booking = services.booking_create(
            customer, starts_at=at(10), language="en", phone="+8613912345678", category="funds", summary="Deposit"
        )
    with time_machine.travel(at(9, 55), tick=True):
        tasks.callback_reminders.delay()
        tasks.callback_reminders.delay()  # a duplicate delivery changes nothing
        assert wait_for(lambda: Booking.objects.filter(pk=booking.pk, agent_reminded_at__isnull=False, customer_reminded_at__isnull=False).exists())
        assert wait_for(lambda: Notification.objects.filter(recipient=agent, kind="callback.reminder").exists())
    with time_machine.travel(at(10, 31), tick=True):
        tasks.callback_missed.delay()
        tasks.callback_missed.delay()
        assert wait_for(lambda: Booking.objects.filter(pk=booking.pk, status="missed").exists())
        assert wait_for(lambda: OutboundEmail.objects.filter(subject__icontains="missed").exists())
    time.sleep(0.5)  # let the duplicate run finish
    assert Notification.objects.filter(recipient=supervisor, kind="callback.missed").count() == 1
    assert Notification.objects.filter(recipient=agent, kind="callback.reminder").count() == 1
    assert SLAClock.objects.get(content_type__model="booking", object_id=str(booking.pk)).state == "breached"
