"""Call-backs over the API: slots, book, list, reschedule, cancel; refusals as 400s that store nothing;
another customer's booking a 404 on every endpoint."""
import datetime as dt

import pytest
from rest_framework.test import APIClient

from callbacks import services
from callbacks.models import Booking, Slot
from tests.callbacks.conftest import MOBILE, MONDAY_8AM, at, book

pytestmark = pytest.mark.django_db


@pytest.fixture
def slots(rule, clock):
    services.slots_generate(rule, start=MONDAY_8AM.date(), days=1)
    return rule


@pytest.fixture
def api():
    return APIClient()


def parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def payload(**overrides):
    data = {"starts_at": at(10).isoformat(), "language": "en", "category": "funds", "phone": MOBILE, "summary": "Withdrawal status"}
    data.update(overrides)
    return data


def test_customer_lists_slots_books_reschedules_and_cancels(api, slots, customer):
    api.force_authenticate(customer)
    listed = api.get("/api/callbacks/slots/?language=en").json()
    assert parse(listed[0]["starts_at"]) == at(8, 30) and listed[0]["free"] == 2  # the next slot after 08:00
    assert parse(listed[-1]["starts_at"]) == at(21, 30)  # Monday closes at 22:00
    response = api.post("/api/callbacks/", payload(), format="json")
    assert response.status_code == 201, response.json()
    reference = response.json()["reference"]
    assert response.json()["phone"] == MOBILE
    assert [b["reference"] for b in api.get("/api/callbacks/").json()] == [reference]
    moved = api.post(f"/api/callbacks/{reference}/reschedule/", {"starts_at": at(11).isoformat()}, format="json")
    assert moved.status_code == 200 and parse(moved.json()["starts_at"]) == at(11)
    cancelled = api.post(f"/api/callbacks/{reference}/cancel/")
    assert cancelled.json()["status"] == "cancelled"
    assert Slot.objects.get(starts_at=at(11), language="en").booked == 0


@pytest.mark.parametrize(
    "overrides, field",
    [({"starts_at": at(7).isoformat()}, "starts_at"), ({"starts_at": at(10, 15).isoformat()}, "starts_at"), ({"phone": "+86 10 6552 9988"}, "phone")],
)
def test_refusals_are_400_and_store_nothing(api, slots, customer, overrides, field):
    api.force_authenticate(customer)
    response = api.post("/api/callbacks/", payload(**overrides), format="json")
    assert response.status_code == 400 and field in response.json()
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    "method, suffix, data",
    [("get", "/", None), ("post", "/cancel/", None), ("post", "/reschedule/", {"starts_at": at(11).isoformat()})],
)
def test_another_customers_booking_is_a_404(api, slots, customer, other_customer, method, suffix, data):
    booking = book(customer, at(10))
    api.force_authenticate(other_customer)
    response = getattr(api, method)(f"/api/callbacks/{booking.reference}{suffix}", data, format="json")
    assert response.status_code == 404
    assert Booking.objects.get(pk=booking.pk).status == "booked"


def test_agents_do_not_book_through_the_customer_api(api, slots, agent):
    api.force_authenticate(agent)
    assert api.post("/api/callbacks/", payload(), format="json").status_code == 403
