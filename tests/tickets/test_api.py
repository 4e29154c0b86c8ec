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


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _upload(name, content, content_type):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


def test_customer_opens_a_ticket_with_attachments_and_downloads_them(api, customer, other_customer):
    api.force_authenticate(customer)
    response = api.post(
        "/api/tickets/",
        {"category": "technical", "subject": "Chart", "body": "See screenshot",
         "attachments": [_upload("chart.png", PNG, "image/png"), _upload("log.txt", b"error 42", "text/plain")]},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    [message] = response.json()["messages"]
    files = {a["filename"]: a for a in message["attachments"]}
    assert set(files) == {"chart.png", "log.txt"}
    download = api.get(files["log.txt"]["url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"error 42"
    assert download["X-Content-Type-Options"] == "nosniff"
    api.force_authenticate(other_customer)
    assert api.get(files["log.txt"]["url"]).status_code == 404


def test_rejected_attachment_stores_nothing_and_says_why(api, customer):
    from tickets.models import TicketAttachment

    api.force_authenticate(customer)
    response = api.post(
        "/api/tickets/",
        {"category": "technical", "subject": "x", "body": "y",
         "attachments": [_upload("ok.png", PNG, "image/png"), _upload("run.exe", b"MZ", "application/octet-stream")]},
        format="multipart",
    )
    assert response.status_code == 400
    assert "run.exe" in str(response.json()["attachments"])
    assert not Ticket.objects.exists() and not TicketAttachment.objects.exists()


def test_reply_with_attachment_and_note_files_stay_internal(api, customer, agent):
    ticket = make_ticket(customer)
    api.force_authenticate(agent)
    note = api.post(
        f"/api/tickets/{ticket.reference}/messages/",
        {"body": "internal scan", "internal": True, "attachments": [_upload("scan.pdf", b"%PDF-1.4", "application/pdf")]},
        format="multipart",
    ).json()
    url = note["attachments"][0]["url"]
    assert api.get(url).status_code == 200
    api.force_authenticate(customer)
    assert api.get(url).status_code == 404
    reply = api.post(
        f"/api/tickets/{ticket.reference}/messages/",
        {"body": "here", "attachments": [_upload("proof.pdf", b"%PDF-1.4", "application/pdf")]},
        format="multipart",
    )
    assert reply.status_code == 201 and api.get(reply.json()["attachments"][0]["url"]).status_code == 200
