"""Tickets over the API: customers their own, staff the queue, anyone else's is a 404."""
import pytest
from rest_framework.test import APIClient

from tickets.models import Ticket
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def test_customer_creates_and_lists_own_tickets(api, customer, other_customer):
    make_ticket(other_customer)
    api.force_authenticate(customer)
    response = api.post("/api/tickets/", {"category": "technical", "subject": "Chart frozen", "body": "Since 10:00"}, format="json")
    assert response.status_code == 201
    ref = response.json()["reference"]
    assert Ticket.objects.get(reference=ref).channel == "api"
    listed = api.get("/api/tickets/").json()
    assert [t["reference"] for t in listed["results"]] == [ref]
    assert "count" not in listed  # keyset pagination: no COUNT(*)


def test_category_fields_are_required_by_the_api(api, customer):
    api.force_authenticate(customer)
    response = api.post("/api/tickets/", {"category": "funds", "subject": "x", "body": "y"}, format="json")
    assert response.status_code == 400 and "transaction_id" in response.json()


@pytest.mark.parametrize(
    "method, suffix, payload",
    [("get", "/", None), ("post", "/messages/", {"body": "x"}), ("post", "/close/", {}), ("post", "/reopen/", {}), ("post", "/rate/", {"rating": 1})],
)
def test_another_customers_ticket_is_a_404(api, customer, other_customer, method, suffix, payload):
    ticket = make_ticket(other_customer)
    api.force_authenticate(customer)
    response = getattr(api, method)(f"/api/tickets/{ticket.reference}{suffix}", payload, format="json")
    assert response.status_code == 404


def test_customer_writes_and_cannot_write_internal_notes(api, customer):
    ticket = make_ticket(customer)
    api.force_authenticate(customer)
    assert api.post(f"/api/tickets/{ticket.reference}/messages/", {"body": "hi"}, format="json").status_code == 201
    assert api.post(f"/api/tickets/{ticket.reference}/messages/", {"body": "x", "internal": True}, format="json").status_code == 403


def test_agent_sees_the_queue_and_replies_with_notes_visible_only_to_staff(api, customer, agent):
    ticket = make_ticket(customer)
    api.force_authenticate(agent)
    assert [t["reference"] for t in api.get("/api/tickets/").json()["results"]] == [ticket.reference]
    api.post(f"/api/tickets/{ticket.reference}/messages/", {"body": "note", "internal": True}, format="json")
    api.post(f"/api/tickets/{ticket.reference}/messages/", {"body": "answer"}, format="json")
    assert [m["kind"] for m in api.get(f"/api/tickets/{ticket.reference}/").json()["messages"]] == ["customer", "note", "reply"]
    api.force_authenticate(customer)
    detail = api.get(f"/api/tickets/{ticket.reference}/").json()
    assert [m["kind"] for m in detail["messages"]] == ["customer", "reply"]
    assert detail["status"] == "waiting"


def test_rating_through_the_api(api, customer, agent):
    from tickets import services

    ticket = make_ticket(customer)
    services.ticket_status_change(ticket, status="resolved", actor=agent)
    api.force_authenticate(customer)
    assert api.post(f"/api/tickets/{ticket.reference}/rate/", {"rating": 9}, format="json").status_code == 400
    assert api.post(f"/api/tickets/{ticket.reference}/rate/", {"rating": 4}, format="json").json()["rating"] == 4
    assert api.post(f"/api/tickets/{ticket.reference}/rate/", {"rating": 5}, format="json").status_code == 400
