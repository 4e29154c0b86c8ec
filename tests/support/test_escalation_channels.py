"""What a breach does per channel: a ticket's priority goes up (or it is handed to a supervisor), document
reviewers are warned about a review nobody holds, and the escalation queue lists what breached."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from kyc import services as kyc_services
from support.models import AuditEvent, Notification, SLAClock, SLAPolicy
from support.services.escalation import sla_scan
from tests.factories import AgentFactory, CustomerFactory, SupervisorFactory, make_ticket
from tests.kyc.conftest import fill_details, submitted

SH = ZoneInfo("Asia/Shanghai")
TUESDAY_9AM = dt.datetime(2026, 11, 24, 9, 0, tzinfo=SH)
pytestmark = pytest.mark.django_db


def test_ticket_breach_raises_priority_one_step_and_notifies_the_assignee(customer):
    from tickets.services import ticket_assign

    agent = AgentFactory().user
    supervisor = SupervisorFactory().user
    with time_machine.travel(TUESDAY_9AM, tick=False):
        ticket = make_ticket(customer)
        ticket_assign(ticket, assignee=agent, actor=supervisor)
    clock = SLAClock.objects.get(object_id=str(ticket.pk), metric="first_response")
    sla_scan(now=clock.due_at + dt.timedelta(seconds=3))
    ticket.refresh_from_db()
    assert ticket.priority == "high"  # normal -> high, not further
    assert AuditEvent.objects.filter(verb="ticket.priority_changed", object_id=str(ticket.pk), data__by="sla.breach").exists()
    notes = Notification.objects.filter(kind="sla.breach")
    assert {n.recipient_id for n in notes} == {agent.pk, supervisor.pk}
    assert all(ticket.reference in n.message and n.url == f"/admin/tickets/ticket/{ticket.pk}/change/" for n in notes)


def test_reassign_policy_hands_the_ticket_to_a_supervisor(customer):
    SLAPolicy.objects.filter(channel="web", metric="first_response").update(breach_action="reassign", breach_raise_priority=False)
    agent = AgentFactory().user
    supervisor = SupervisorFactory().user
    with time_machine.travel(TUESDAY_9AM, tick=False):
        ticket = make_ticket(customer)
        from tickets.services import ticket_assign

        ticket_assign(ticket, assignee=agent, actor=supervisor)
    clock = SLAClock.objects.get(object_id=str(ticket.pk), metric="first_response")
    sla_scan(now=clock.due_at)
    ticket.refresh_from_db()
    assert ticket.assignee == supervisor and ticket.priority == "normal"
    clock.refresh_from_db()
    assert clock.escalated_at is not None


def test_document_review_warning_goes_to_the_reviewers_when_nobody_holds_it():
    reviewer = AgentFactory(user__roles=("agent", "document_reviewer")).user
    plain_agent = AgentFactory().user
    profile = CustomerFactory()
    with time_machine.travel(TUESDAY_9AM, tick=False):
        document = submitted(fill_details(kyc_services.case_get_or_create(profile), profile.user), profile.user)
    clock = SLAClock.objects.get(object_id=str(document.pk), metric="document_review")
    sla_scan(now=clock.warn_at)
    warned = Notification.objects.filter(kind="sla.warning")
    assert [n.recipient_id for n in warned] == [reviewer.pk]
    assert plain_agent.pk not in [n.recipient_id for n in warned]
    assert "Passport" in warned[0].message and warned[0].url == f"/admin/kyc/document/{document.pk}/change/"


def test_clocks_know_category_language_and_who_holds_the_case(customer):
    from tickets.services import ticket_assign

    agent = AgentFactory().user
    ticket = make_ticket(customer, language="ru", category="funds")
    clocks = SLAClock.objects.filter(object_id=str(ticket.pk), content_type__model="ticket")
    assert {(c.category, c.language, c.assignee_id) for c in clocks} == {("funds", "ru", None)}
    ticket_assign(ticket, assignee=agent, actor=agent)
    assert {c.assignee_id for c in clocks.filter(state__in=["running", "paused"])} == {agent.pk}
