"""Customer escalation: a complaint about one's own case, its 24-hour acknowledgement clock, supervisors
acknowledging and resolving it, the customer following it; nobody else sees it."""
import datetime as dt

import pytest
from rest_framework.test import APIClient

from complaints import services
from complaints.models import Complaint
from support.models import Notification, OutboundEmail, SLAClock
from support.services.escalation import sla_scan
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def test_customer_escalates_a_ticket_from_its_page_and_supervisors_are_told(client, customer, supervisor):
    ticket = make_ticket(customer)
    client.force_login(customer)
    assert f"/complaints/new/?about=ticket&amp;ref={ticket.reference}" in client.get(f"/tickets/{ticket.reference}/").content.decode()
    response = client.post(
        "/complaints/new/", {"source_type": "ticket", "source_reference": ticket.reference.lower(), "reason": "Nobody answered for three days."}
    )
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/complaints/{complaint.reference}/"
    assert complaint.source_reference == ticket.reference and complaint.status == "received"
    clock = SLAClock.objects.get(object_id=str(complaint.pk), channel="complaint")
    assert clock.target == dt.timedelta(hours=24) and complaint.due_at == clock.due_at
    assert Notification.objects.filter(recipient=supervisor, kind="complaint.opened").exists()
    assert OutboundEmail.objects.filter(to=[customer.email], subject__contains=complaint.reference).exists()
    page = client.get(f"/complaints/{complaint.reference}/").content.decode()
    assert "Received" in page and "we will acknowledge it by" in page
    assert complaint.reference in client.get("/").content.decode()  # on the home page


def test_a_second_complaint_about_the_same_case_is_refused(customer):
    ticket = make_ticket(customer)
    first = services.complaint_open(customer, source_type="ticket", source_reference=ticket.reference, reason="Too slow, really.")
    with pytest.raises(services.ComplaintError, match=first.reference):
        services.complaint_open(customer, source_type="ticket", source_reference=ticket.reference, reason="Still too slow!")


def test_someone_elses_case_cannot_be_complained_about(customer, other_customer):
    ticket = make_ticket(other_customer)
    with pytest.raises(services.ComplaintError, match="could not find"):
        services.complaint_open(customer, source_type="ticket", source_reference=ticket.reference, reason="Not my ticket at all.")


def test_supervisor_acknowledges_then_resolves_and_the_customer_follows(client, customer, supervisor):
    complaint = services.complaint_open(customer, source_type="other", reason="The agent was rude to me on the phone.")
    client.force_login(supervisor)
    page = client.get(f"/admin/complaints/complaint/{complaint.pk}/change/")
    assert page.status_code == 200 and "The agent was rude" in page.content.decode()
    client.post(f"/admin/complaints/complaint/{complaint.pk}/answer/", {"action": "acknowledge", "text": "I am looking into it today."})
    complaint.refresh_from_db()
    assert complaint.status == "acknowledged" and complaint.assignee == supervisor
    assert SLAClock.objects.get(object_id=str(complaint.pk), channel="complaint").state == "met"
    client.post(f"/admin/complaints/complaint/{complaint.pk}/answer/", {"action": "resolve", "text": "We apologise; the agent has been coached."})
    complaint.refresh_from_db()
    assert complaint.status == "resolved"
    client.force_login(customer)
    text = client.get(f"/complaints/{complaint.reference}/").content.decode()
    assert "I am looking into it today." in text and "the agent has been coached" in text and "Resolved" in text
    assert Notification.objects.filter(recipient=customer, kind="complaint.update").count() == 2


def test_agents_cannot_handle_complaints(client, customer, agent):
    complaint = services.complaint_open(customer, source_type="other", reason="Something went wrong here.")
    with pytest.raises(services.ComplaintError):
        services.complaint_acknowledge(complaint, actor=agent, message="ok")
    client.force_login(agent)
    assert client.get(f"/admin/complaints/complaint/{complaint.pk}/change/").status_code == 403


def test_unacknowledged_complaint_breaches_after_24_hours(customer, supervisor):
    complaint = services.complaint_open(customer, source_type="other", reason="Nobody calls me back.")
    clock = SLAClock.objects.get(object_id=str(complaint.pk), channel="complaint")
    assert sla_scan(now=clock.due_at).breaches == 1
    breach = Notification.objects.get(recipient=supervisor, kind="sla.breach")
    assert complaint.reference in breach.message and breach.url == f"/admin/complaints/complaint/{complaint.pk}/change/"


def test_other_customers_complaints_are_404_on_pages_and_api(client, customer, other_customer):
    complaint = services.complaint_open(customer, source_type="other", reason="Something went wrong here.")
    client.force_login(other_customer)
    assert client.get(f"/complaints/{complaint.reference}/").status_code == 404
    api = APIClient()
    api.force_authenticate(other_customer)
    assert api.get(f"/api/complaints/{complaint.reference}/").status_code == 404
    assert api.get("/api/complaints/").json() == []


def test_api_open_and_follow(customer):
    api = APIClient()
    api.force_authenticate(customer)
    ticket = make_ticket(customer)
    created = api.post("/api/complaints/", {"source_type": "ticket", "source_reference": ticket.reference, "reason": "No answer for days."}, format="json")
    assert created.status_code == 201 and created.json()["status"] == "received"
    again = api.post("/api/complaints/", {"source_type": "ticket", "source_reference": ticket.reference, "reason": "No answer for days."}, format="json")
    assert again.status_code == 400 and "source_reference" in again.json()
    assert api.get(f"/api/complaints/{created.json()['reference']}/").json()["reason"] == "No answer for days."
