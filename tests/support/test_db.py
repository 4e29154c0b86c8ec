"""support.db.insert_rows: bulk_create's rows and instances in one hand-written INSERT."""
import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models.functions import Now
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from support.db import insert_rows
from support.models import AuditEvent
from tickets.models import Ticket, TicketParticipant

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

IGNORED = {"id", "reference", "reply_token", "created_at", "updated_at", "ticket"}


def tickets(customer, n):
    return [
        Ticket(
            subject=f"s{i} ünïcode", requester_email=f"c{i}@example.com", customer=customer if i % 2 else None,
            channel="email", category="funds", priority="high", language="zh-hans", amount=Decimal("1.23456789"),
            currency="USDT", occurred_at=dt.datetime(2026, 11, 1, 8, 30, tzinfo=dt.UTC), transaction_id=f"0x{i:064x}",
        )
        for i in range(n)
    ]


def test_rows_instances_and_related_ids_are_bulk_creates(customer):
    ours, theirs = tickets(customer, 3), tickets(customer, 3)
    ours_p = [TicketParticipant(ticket=t, email=t.requester_email, user=t.customer) for t in ours]
    theirs_p = [TicketParticipant(ticket=t, email=t.requester_email, user=t.customer) for t in theirs]
    with CaptureQueriesContext(connection) as queries:
        insert_rows(ours)
        insert_rows(ours_p)  # assigned before their tickets had ids: the ids are taken up, as bulk_create does
    assert len(queries) == 2
    Ticket.objects.bulk_create(theirs)
    TicketParticipant.objects.bulk_create(theirs_p)
    assert all(t.pk and not t._state.adding and t._state.db == "default" for t in ours + ours_p)
    for mine, other in zip(ours, theirs):
        stored, expected = Ticket.objects.get(pk=mine.pk), Ticket.objects.get(pk=other.pk)
        assert {k: v for k, v in model_to_dict(stored).items() if k not in IGNORED} == {
            k: v for k, v in model_to_dict(expected).items() if k not in IGNORED
        }
        assert stored.reference == mine.reference and stored.created_at == mine.created_at
    assert [p.ticket_id for p in TicketParticipant.objects.filter(pk__in=[p.pk for p in ours_p]).order_by("id")] == [
        t.pk for t in ours
    ]


def test_json_values_and_the_order_of_returned_ids(db):
    events = [AuditEvent(actor_repr="system", verb=f"v{i}", object_id=str(i), data={"n": i, "ü": [1, "x"]}) for i in range(60)]
    insert_rows(events)
    stored = {e.pk: e for e in AuditEvent.objects.filter(pk__in=[e.pk for e in events])}
    assert [(stored[e.pk].verb, stored[e.pk].data) for e in events] == [(f"v{i}", {"n": i, "ü": [1, "x"]}) for i in range(60)]


def test_what_it_does_not_cover_goes_to_bulk_create(customer, monkeypatch):
    calls = []
    real = Ticket.objects.bulk_create
    monkeypatch.setattr(Ticket.objects, "bulk_create", lambda objs: calls.append(len(objs)) or real(objs))
    expression = tickets(customer, 1)
    expression[0].first_response_at = Now()
    insert_rows(expression)
    assert calls == [1] and Ticket.objects.get(pk=expression[0].pk).first_response_at is not None
    assert insert_rows([]) == []
