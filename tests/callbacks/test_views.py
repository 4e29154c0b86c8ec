"""Call-back pages: booking in the customer's time zone with every refusal shown on the form, reschedule
and cancel, another customer's booking a 404 everywhere, the agent's day (identity warning, outcome,
convert), the schedule page and the admin's slot generation."""
import datetime as dt

import pytest

from callbacks import services
from callbacks.models import Booking, Slot
from tests.callbacks.conftest import MOBILE, MONDAY_8AM, at, book  # noqa: F401
from tests.factories import AgentFactory, CustomerFactory, make_ticket

pytestmark = pytest.mark.django_db

OTHER_MOBILE = "+8613812345678"


@pytest.fixture
def slots(rule, clock):
    services.slots_generate(rule, start=MONDAY_8AM.date(), days=2)  # Monday and Tuesday keep the tests fast
    return rule


def form_data(**overrides):
    data = {"language": "en", "category": "funds", "slot": "2026-12-07T10:00", "phone": MOBILE, "summary": "Where is my withdrawal?"}
    data.update(overrides)
    return data


# Booking -------------------------------------------------------------------------------------


def test_customer_in_moscow_books_a_slot_shown_in_their_local_time(client, slots, mailoutbox):
    customer = CustomerFactory(time_zone="Europe/Moscow").user
    client.force_login(customer)
    page = client.get("/callbacks/new/").content.decode()
    # 10:00 in Shanghai is 02:00 UTC, 05:00 in Moscow; the first free slot is 08:30 Shanghai = 03:30 Moscow.
    assert 'value="2026-12-07T05:00"' in page and 'value="2026-12-07T03:30"' in page
    assert 'value="2026-12-07T03:00"' not in page  # started already
    assert "Monday, 7 December 2026" in page and "Europe/Moscow" in page
    assert f'value="{MOBILE}"' in page  # the registered phone is the default

    response = client.post("/callbacks/new/", form_data(slot="2026-12-07T05:00"))
    booking = Booking.objects.get()
    assert response.status_code == 302 and response.url == f"/callbacks/{booking.reference}/booked/"
    assert booking.slot.starts_at == at(10) == dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.timezone.utc)
    assert (booking.customer, booking.language, str(booking.phone)) == (customer, "en", MOBILE)

    page = client.get(response.url).content.decode()
    assert booking.reference in page and "7 December 2026, 05:00–05:30" in page
    assert "calendar invitation" in page


def test_the_slots_offered_follow_the_chosen_language(client, slots, customer):
    Slot.objects.filter(language="zh-hans", starts_at=at(9)).update(booked=1)  # full
    client.force_login(customer)
    page = client.get("/callbacks/new/?language=zh-hans").content.decode()
    assert 'name="language" value="zh-hans"' in page
    assert 'value="2026-12-07T09:30"' in page and 'value="2026-12-07T09:00"' not in page


@pytest.mark.parametrize(
    "tz, overrides, field, message",
    [
        ("Asia/Shanghai", {"slot": "2026-12-07T07:00"}, "slot", "That time has passed"),
        ("Asia/Shanghai", {"slot": "2026-12-07T23:00"}, "slot", "support hours only"),  # after closing
        ("Asia/Shanghai", {"slot": "2026-12-13T10:00"}, "slot", "support hours only"),  # Sunday: closed
        ("Asia/Shanghai", {"slot": "2026-12-28T10:00"}, "slot", "days ahead"),
        ("Europe/Berlin", {"slot": "2027-03-28T02:30"}, "slot", "does not exist in your time zone"),  # DST gap
        ("Asia/Shanghai", {"slot": "soon"}, "slot", "Choose one of the times offered"),
        ("Asia/Shanghai", {"phone": "12345"}, "phone", "country code"),
        ("Asia/Shanghai", {"phone": "+86 139 1234"}, "phone", "not valid"),
        ("Asia/Shanghai", {"phone": "+86 10 6552 9988"}, "phone", "mobile"),  # a Beijing landline
        ("Asia/Shanghai", {"summary": "x" * 1001}, "summary", "at most 1000"),
    ],
)
def test_each_refusal_shows_on_its_field_and_stores_nothing(client, slots, tz, overrides, field, message):
    client.force_login(CustomerFactory(time_zone=tz).user)
    response = client.post("/callbacks/new/", form_data(**overrides))
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert message in response.content.decode()
    assert not Booking.objects.exists() and not Slot.objects.filter(booked__gt=0).exists()


def test_a_full_slot_is_refused_on_the_slot_field(client, slots, customer):
    book(CustomerFactory().user, at(10), language="zh-hans")  # the only Chinese-speaking agent
    client.force_login(customer)
    response = client.post("/callbacks/new/", form_data(language="zh-hans"))
    assert "just been filled" in response.context["form"].errors["slot"][0]
    assert Booking.objects.count() == 1


def test_too_many_open_bookings_is_a_form_error(client, slots, customer, settings):
    settings.CALLBACK_MAX_OPEN = 1
    book(customer, at(10))
    client.force_login(customer)
    response = client.post("/callbacks/new/", form_data(slot="2026-12-07T11:00"))
    assert "already have 1" in response.context["form"].non_field_errors()[0]
    assert "already have 1" in response.content.decode()
    assert Booking.objects.count() == 1


# List, detail, reschedule, cancel ------------------------------------------------------------


def test_list_and_home_show_upcoming_and_past(client, slots, customer):
    upcoming, cancelled = book(customer, at(10)), book(customer, at(11))
    services.booking_cancel(cancelled, actor=customer)
    client.force_login(customer)
    response = client.get("/callbacks/")
    assert [b.reference for b in response.context["upcoming"]] == [upcoming.reference]
    assert [b.reference for b in response.context["past"]] == [cancelled.reference]
    assert "Cancelled" in response.content.decode()
    home = client.get("/").content.decode()
    assert upcoming.reference in home and cancelled.reference not in home
    assert "My call-backs" in home  # the nav link


def test_reschedule_and_cancel_from_the_page(client, slots, customer, clock):
    booking = book(customer, at(10))
    client.force_login(customer)
    page = client.get(f"/callbacks/{booking.reference}/").content.decode()
    assert "Reschedule" in page and "Cancel this call-back" in page and 'value="2026-12-07T10:00"' not in page

    response = client.post(f"/callbacks/{booking.reference}/reschedule/", {"slot": "2026-12-07T07:00"})
    assert response.status_code == 200 and "That time has passed" in response.content.decode()
    assert Booking.objects.get(pk=booking.pk).slot.starts_at == at(10)

    response = client.post(f"/callbacks/{booking.reference}/reschedule/", {"slot": "2026-12-07T11:00"})
    assert response.status_code == 302
    assert Booking.objects.get(pk=booking.pk).slot.starts_at == at(11)
    assert Slot.objects.get(starts_at=at(10), language="en").booked == 0

    client.post(f"/callbacks/{booking.reference}/cancel/")
    booking.refresh_from_db()
    assert booking.status == "cancelled" and Slot.objects.get(starts_at=at(11), language="en").booked == 0
    page = client.get(f"/callbacks/{booking.reference}/").content.decode()
    assert "Cancel this call-back" not in page and "Cancelled" in page


def test_no_changes_once_the_slot_has_started(client, slots, customer, clock):
    booking = book(customer, at(10))
    clock.move_to(at(10, 5))
    client.force_login(customer)
    assert "Cancel this call-back" not in client.get(f"/callbacks/{booking.reference}/").content.decode()
    client.post(f"/callbacks/{booking.reference}/cancel/")
    assert Booking.objects.get(pk=booking.pk).status == "booked"


def test_another_customers_booking_is_a_404_on_every_url(client, slots, customer, other_customer):
    booking = book(customer, at(10))
    client.force_login(other_customer)
    ref = booking.reference
    for url in (f"/callbacks/{ref}/", f"/callbacks/{ref}/booked/"):
        assert client.get(url).status_code == 404
    assert client.post(f"/callbacks/{ref}/reschedule/", {"slot": "2026-12-07T11:00"}).status_code == 404
    assert client.post(f"/callbacks/{ref}/cancel/").status_code == 404
    assert client.get("/callbacks/CB-00000000/").status_code == 404
    booking.refresh_from_db()
    assert booking.status == "booked" and booking.slot.starts_at == at(10)


# Agent page ----------------------------------------------------------------------------------


def test_agent_sees_the_phone_warning_and_records_an_outcome(client, slots, customer):
    ticket = make_ticket(customer)
    booking = book(customer, at(10), phone=OTHER_MOBILE)
    agent = booking.assignee
    client.force_login(agent)
    response = client.get("/callbacks/agent/")
    page = response.content.decode()
    assert booking.reference in page and customer.customer_profile.account_number in page
    assert "WARNING" in page and OTHER_MOBILE in page and MOBILE in page
    assert ticket.reference in page
    assert [row["phone_differs"] for row in response.context["rows"]] == [True]

    ref = booking.reference
    response = client.post(f"/callbacks/agent/{ref}/outcome/", {f"{ref}-outcome": "completed", f"{ref}-notes": "Explained the delay"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == "completed" and "Explained the delay" in booking.notes

    client.post(f"/callbacks/agent/{ref}/convert/")
    booking.refresh_from_db()
    assert booking.ticket is not None and booking.ticket.channel == "callback"


def test_no_warning_when_calling_the_registered_phone(client, slots, customer):
    booking = book(customer, at(10))
    client.force_login(booking.assignee)
    response = client.get("/callbacks/agent/")
    assert [row["phone_differs"] for row in response.context["rows"]] == [False]
    assert "WARNING" not in response.content.decode()


def test_agent_cannot_act_on_a_booking_not_theirs(client, slots, customer, supervisor):
    booking = book(customer, at(10))
    stranger = AgentFactory().user
    ref = booking.reference
    client.force_login(stranger)
    assert booking.reference not in client.get("/callbacks/agent/").content.decode()
    assert client.post(f"/callbacks/agent/{ref}/outcome/", {f"{ref}-outcome": "completed"}).status_code == 404
    assert client.post(f"/callbacks/agent/{ref}/convert/").status_code == 404
    assert Booking.objects.get(pk=booking.pk).status == "booked"

    client.force_login(customer)
    assert client.get("/callbacks/agent/").status_code == 403
    assert client.post(f"/callbacks/agent/{ref}/outcome/", {f"{ref}-outcome": "completed"}).status_code == 403

    client.force_login(supervisor)  # supervisors may act on any
    assert client.post(f"/callbacks/agent/{ref}/outcome/", {f"{ref}-outcome": "no_answer"}).status_code == 302
    assert Booking.objects.get(pk=booking.pk).status == "no_answer"


# Schedule page and admin ---------------------------------------------------------------------


def test_schedule_access_control(client, slots, customer):
    assert client.get("/callbacks/schedule/").status_code == 302  # to the login page
    client.force_login(customer)
    assert client.get("/callbacks/schedule/").status_code == 403


def test_schedule_shows_the_grid_and_reassigns(client, slots, customer, supervisor):
    booking = book(customer, at(10))
    other = next(a for a in slots.agents.all() if a != booking.assignee)
    client.force_login(supervisor)
    page = client.get("/callbacks/schedule/?day=2026-12-07&view=day").content.decode()
    assert booking.reference in page and "1 / 2" in page and "Bookings per agent" in page
    week = client.get("/callbacks/schedule/?day=2026-12-09&view=week")
    assert [d["date"] for d in week.context["days"]][0] == dt.date(2026, 12, 7) and len(week.context["days"]) == 7

    ref = booking.reference
    response = client.post(f"/callbacks/schedule/{ref}/assign/", {f"{ref}-agent": other.pk, "day": "2026-12-07", "view": "day"})
    assert response.status_code == 302 and response.url == "/callbacks/schedule/?day=2026-12-07&view=day"
    assert Booking.objects.get(pk=booking.pk).assignee == other

    client.force_login(other)  # an agent sees the grid but does not hand bookings on
    assert client.get("/callbacks/schedule/").status_code == 200
    assert client.post(f"/callbacks/schedule/{ref}/assign/", {f"{ref}-agent": other.pk}).status_code == 403


def test_admin_generates_slots_and_assigns_bookings(client, rule, clock, supervisor):
    client.force_login(supervisor)
    response = client.post("/admin/callbacks/capacityrule/", {"action": "generate_slots", "_selected_action": [rule.pk]})
    assert response.status_code == 302
    starts = Slot.objects.values_list("starts_at", flat=True)
    assert at(10) in starts and at(10, day=11) in starts  # from today for 14 days
    assert at(10, day=6) not in starts and at(10, day=14) not in starts  # Sundays closed; the horizon
    assert client.get("/admin/callbacks/capacityrule/add/").status_code == 200
    assert client.get("/admin/callbacks/slot/?language=en").status_code == 200

    booking = book(CustomerFactory().user, at(10))
    other = next(a for a in rule.agents.all() if a != booking.assignee)
    response = client.post(
        "/admin/callbacks/booking/", {"action": "assign_to_agent", "agent": other.pk, "_selected_action": [booking.pk]}
    )
    assert response.status_code == 302 and Booking.objects.get(pk=booking.pk).assignee == other
    found = client.get(f"/admin/callbacks/booking/?q={booking.reference}")
    assert list(found.context["cl"].result_list) == [booking]
    assert client.get(f"/admin/callbacks/booking/?q={booking.customer.email}").context["cl"].result_count == 1
