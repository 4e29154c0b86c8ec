"""Call-back services: slots from capacity rules inside support hours, booking rules and their errors,
never overselling (parallel connections on PostgreSQL), cancel/reschedule, outcomes, reminders and
the missed-call flow."""
import datetime as dt
import threading

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.http import Http404

from callbacks import services, tasks
from callbacks.models import Booking, CapacityRule, Slot
from callbacks.selectors import booking_get_for, free_slots
from support.models import Notification, SLAClock
from tests.callbacks.conftest import MOBILE, MONDAY_8AM, at, book  # noqa: F401
from tests.factories import CustomerFactory, SupervisorFactory

pytestmark = pytest.mark.django_db

@pytest.fixture
def slots(rule, clock):
    services.slots_generate(rule, start=MONDAY_8AM.date(), days=7)
    return rule


def test_slots_only_inside_support_hours_with_capacity_per_language(slots):
    monday = Slot.objects.filter(starts_at__gte=at(0), starts_at__lt=at(0, day=1), language="en").order_by("starts_at")
    assert monday.first().starts_at == at(6) and monday.last().ends_at == at(22)  # Monday 06:00-22:00
    sunday = Slot.objects.filter(starts_at__gte=at(0, day=6), starts_at__lt=at(0, day=7))
    assert not sunday.exists()  # closed on Sundays
    assert monday.first().capacity == 2
    assert Slot.objects.get(starts_at=at(6), language="zh-hans").capacity == 1


def test_regenerating_keeps_booked_places(slots, customer):
    book(customer, at(10))
    CapacityRule.objects.get().agents.clear()
    services.slots_generate(slots, start=MONDAY_8AM.date(), days=1)
    slot = Slot.objects.get(starts_at=at(10), language="en")
    assert slot.booked == 1 and slot.capacity >= 1


def test_booking_stores_e164_starts_the_clock_and_mails_an_ics(slots, customer, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(customer, at(10), phone="+86 139 1234 5678")
    assert str(booking.phone) == MOBILE and booking.assignee is not None
    clock = SLAClock.objects.get(content_type=ContentType.objects.get_for_model(Booking), object_id=str(booking.pk))
    assert clock.metric == "callback_punctuality" and clock.due_at == at(10, 30)
    [mail] = mailoutbox
    [(filename, content, mimetype)] = mail.attachments
    assert filename.endswith(".ics") and mimetype == "text/calendar"
    assert "DTSTART:20261207T020000Z" in content and booking.reference in content
    assert Slot.objects.get(pk=booking.slot_id).booked == 1


@pytest.mark.parametrize(
    "starts_at, phone, message",
    [
        (at(7), MOBILE, "passed"),
        (at(10, 15), MOBILE, "slots offered"),  # not a slot boundary
        (at(10, day=6), MOBILE, "slots offered"),  # Sunday: closed
        (at(10, day=20), MOBILE, "days ahead"),
        (at(10), "12345", "country code"),
        (at(10), "+86 139 1234", "not valid"),
        (at(10), "+86 10 6552 9988", "mobile"),  # a Beijing landline
    ],
)
def test_booking_errors_are_clear(slots, customer, starts_at, phone, message):
    with pytest.raises(services.CallbackError) as error:
        book(customer, starts_at, phone=phone)
    assert message in str(error.value)
    assert not Booking.objects.exists() and not Slot.objects.filter(booked__gt=0).exists()


def test_full_slot_and_open_booking_limit(slots, settings):
    book(CustomerFactory().user, at(10), language="zh-hans")
    with pytest.raises(services.CallbackError, match="filled"):
        book(CustomerFactory().user, at(10), language="zh-hans")
    settings.CALLBACK_MAX_OPEN = 2
    customer = CustomerFactory().user
    book(customer, at(11))
    book(customer, at(12))
    with pytest.raises(services.CallbackError, match="already have 2"):
        book(customer, at(13))


def test_a_wall_clock_time_that_does_not_exist_is_refused():
    with pytest.raises(services.CallbackError, match="does not exist"):
        services.local_slot_start(dt.datetime(2027, 3, 28, 2, 30), "Europe/Berlin")  # clocks jump 02:00 -> 03:00
    assert services.local_slot_start(dt.datetime(2027, 3, 28, 3, 30), "Europe/Berlin").utcoffset() == dt.timedelta(hours=2)


def test_free_slots_leave_out_full_and_past_ones(slots):
    book(CustomerFactory().user, at(10), language="zh-hans")
    starts = set(free_slots(language="zh-hans").values_list("starts_at", flat=True))
    assert at(10) not in starts and at(10, 30) in starts and at(7, 30) not in starts


def test_cancel_and_reschedule_free_the_old_place(slots, customer):
    booking = book(customer, at(10))
    services.booking_reschedule(booking, actor=customer, starts_at=at(11))
    assert Slot.objects.get(starts_at=at(10), language="en").booked == 0
    assert Slot.objects.get(starts_at=at(11), language="en").booked == 1
    services.booking_cancel(booking, actor=customer)
    assert Slot.objects.get(starts_at=at(11), language="en").booked == 0
    with pytest.raises(services.CallbackError):
        services.booking_cancel(booking, actor=customer)


def test_vip_goes_to_the_account_manager(slots):
    manager = CapacityRule.objects.get().agents.order_by("-id").first()
    vip = CustomerFactory(tier="vip", account_manager=manager).user
    assert book(vip, at(10)).assignee == manager


def test_outcomes_and_the_missed_call_flow(slots, customer, clock, mailoutbox, django_capture_on_commit_callbacks):
    SupervisorFactory()
    done = book(customer, at(10))
    services.booking_outcome(done, agent=done.assignee, outcome="completed", notes="explained the delay")
    other = book(CustomerFactory().user, at(10))
    services.booking_outcome(other, agent=other.assignee, outcome="no_answer")
    assert Booking.objects.get(pk=other.pk).is_upcoming  # retry within the slot
    clock.move_to(at(10, 31))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.callback_missed() == 1
    assert tasks.callback_missed() == 0  # idempotent
    missed = Booking.objects.get(pk=other.pk)
    assert missed.status == "missed"
    states = dict(SLAClock.objects.filter(content_type__model="booking").values_list("object_id", "state"))
    assert states == {str(done.pk): "met", str(other.pk): "breached"}
    assert Notification.objects.filter(kind="callback.missed").count() == 1
    assert any("missed" in m.subject.lower() for m in mailoutbox)


def test_reminders_go_once(slots, customer, clock, mailoutbox, django_capture_on_commit_callbacks):
    booking = book(customer, at(10))
    mailoutbox.clear()
    clock.move_to(at(9, 15))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.callback_reminders() == 1  # the customer's (60 min before)
    clock.move_to(at(9, 55))
    assert tasks.callback_reminders() == 1  # the agent's (10 min before)
    assert tasks.callback_reminders() == 0
    assert len(mailoutbox) == 1
    assert Notification.objects.filter(recipient=booking.assignee, kind="callback.reminder").count() == 1


def test_another_customers_booking_is_a_404(slots, customer, other_customer):
    booking = book(customer, at(10))
    with pytest.raises(Http404):
        booking_get_for(other_customer, booking.reference)
    assert booking_get_for(customer, booking.reference) == booking


def test_convert_to_ticket(slots, customer):
    booking = book(customer, at(10))
    ticket = services.booking_convert(booking, agent=booking.assignee)
    assert ticket.channel == "callback" and ticket.customer == customer
    assert services.booking_convert(booking, agent=booking.assignee) == ticket


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_last_place_is_never_oversold_under_parallel_connections(rule):
    with time_machine.travel(MONDAY_8AM, tick=False):
        services.slots_generate(rule, start=MONDAY_8AM.date(), days=1)
    slot = Slot.objects.get(starts_at=at(10), language="zh-hans")
    assert slot.capacity == 1
    customers = [CustomerFactory().user for _ in range(8)]
    barrier = threading.Barrier(len(customers))
    outcomes = []

    def attempt(customer):
        try:
            with time_machine.travel(MONDAY_8AM, tick=False):
                barrier.wait()
                book(customer, at(10), language="zh-hans")
            outcomes.append("booked")
        except services.CallbackError:
            outcomes.append("full")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(c,)) for c in customers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["booked"] + ["full"] * 7
    assert Slot.objects.get(pk=slot.pk).booked == 1
    assert Booking.objects.filter(slot=slot).count() == 1
