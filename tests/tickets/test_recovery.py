"""Stored mail whose processing never finished is processed again, exactly once; the apply's commit is async."""
import datetime as dt
import threading
import time

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from tickets.mail import intake
from tickets.mail.intake import inbound_process, inbound_store, ingest_raw
from tickets.mail.recovery import inbound_recover
from tickets.models import InboundEmail, Ticket
from tickets.tasks import inbound_recover_task
from tests.tickets.test_intake import eml

pytestmark = pytest.mark.django_db
LATER = dt.timedelta(minutes=3)  # past INTAKE_RECOVERY_GRACE_SECONDS


def _backdate(*pks: int) -> None:
    InboundEmail.objects.filter(pk__in=pks).update(received_at=timezone.now() - LATER)


def test_mail_stored_by_a_run_killed_before_processing_is_processed_by_beat_once(customer):
    inbound = inbound_store(eml(sender=customer.email), source="pipe")  # ... and then the process was killed
    assert inbound_recover_task() == 0  # within the grace period its own run may still be busy with it
    with time_machine.travel(LATER):
        assert inbound_recover_task() == 1
        assert inbound_recover_task() == 0
    inbound.refresh_from_db()
    assert (inbound.status, inbound.outcome, inbound.attempts) == ("processed", "created", 2)  # killed run + this one
    ticket = Ticket.objects.get()
    assert inbound.ticket == ticket and ticket.customer == customer


def test_mail_whose_run_was_killed_during_processing_is_recovered(customer, monkeypatch):
    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # not an Exception: nothing in intake catches it, the transaction rolls back

    monkeypatch.setattr("tickets.mail.intake.ticket_create", killed)
    with pytest.raises(KeyboardInterrupt):
        ingest_raw(eml(sender=customer.email), source="pipe")
    monkeypatch.undo()
    assert InboundEmail.objects.get().status == "pending" and not Ticket.objects.exists()
    with time_machine.travel(LATER):
        [result] = inbound_recover(older_than=dt.timedelta(minutes=2))
    assert result.outcome == "created" and Ticket.objects.get().reference == result.ticket


def test_a_second_run_on_a_processed_row_changes_nothing(customer):
    stored = inbound_store(eml(sender=customer.email), source="pipe")
    stale = InboundEmail.objects.get(pk=stored.pk)  # a second run that loaded the row while it was pending
    first = inbound_process(stored)
    second = inbound_process(stale)
    assert first.outcome == second.outcome == "created"
    assert second.ticket == first.ticket and "another run" in second.reason
    assert Ticket.objects.count() == 1
    row = InboundEmail.objects.get()
    assert (row.status, row.attempts, row.ticket.reference) == ("processed", 1, first.ticket)


def test_a_second_run_that_fails_does_not_quarantine_a_processed_row(db):
    stored = inbound_store(b"", source="empty")
    stale = InboundEmail.objects.get(pk=stored.pk)
    InboundEmail.objects.filter(pk=stored.pk).update(status="processed", outcome="autoreply")  # as if another run had
    result = inbound_process(stale)  # unparseable: would quarantine
    assert result.outcome == "autoreply" and InboundEmail.objects.get().status == "processed"


def test_mail_that_keeps_killing_its_run_is_quarantined_instead_of_retried(db):
    inbound = inbound_store(eml(), source="pipe")
    InboundEmail.objects.filter(pk=inbound.pk).update(attempts=2)  # the first run and one recovery never finished
    _backdate(inbound.pk)
    [result] = inbound_recover(older_than=dt.timedelta(minutes=2))
    assert result.outcome == "quarantined" and "started 3 times" in result.reason
    assert InboundEmail.objects.get().status == "quarantined" and not Ticket.objects.exists()


def test_pending_mail_is_visible_to_agents_and_can_be_run_in_the_admin(client, agent):
    inbound = inbound_store(eml(subject="Stuck in the pipe"), source="pipe")
    client.force_login(agent)
    page = client.get("/admin/tickets/inboundemail/?status__exact=pending").content.decode()
    assert "Pending" in page and f"/admin/tickets/inboundemail/{inbound.pk}/change/" in page
    client.post("/admin/tickets/inboundemail/", {"action": "rerun", "_selected_action": [inbound.pk]})
    inbound.refresh_from_db()
    assert inbound.outcome == "created"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_racing_recovery_runs_process_each_message_once(customer):
    stored = [inbound_store(eml(sender=customer.email, message_id=f"r{i}@example.com"), source=f"pipe/{i}") for i in range(8)]
    _backdate(*[s.pk for s in stored])
    barrier = threading.Barrier(2)
    results = []

    def run():
        try:
            barrier.wait()
            results.extend(inbound_recover(older_than=dt.timedelta(minutes=2)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.outcome for r in results) == ["created"] * 8  # each row handled by one of the two runs
    assert Ticket.objects.count() == 8
    assert set(InboundEmail.objects.values_list("status", "attempts")) == {("processed", 2)}  # claimed once each


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_recovery_racing_a_run_still_busy_with_the_row_makes_one_ticket(customer, monkeypatch):
    """The first run is slow (inside its transaction, holding the Message-ID lock) past the grace period."""
    stored = inbound_store(eml(sender=customer.email), source="pipe")
    _backdate(stored.pk)
    holding, release = threading.Event(), threading.Event()
    real_decide = intake.decide

    def slow_decide(parsed, **kwargs):
        if threading.current_thread().name == "first":
            holding.set()
            release.wait(10)
        return real_decide(parsed, **kwargs)

    monkeypatch.setattr("tickets.mail.intake.decide", slow_decide)
    outcomes = {}

    def first():
        try:
            outcomes["first"] = inbound_process(InboundEmail.objects.get(pk=stored.pk))
        finally:
            connection.close()

    def recovery():
        try:
            outcomes["recovery"] = inbound_recover(older_than=dt.timedelta(minutes=2))
        finally:
            connection.close()

    threads = [threading.Thread(target=first, name="first"), threading.Thread(target=recovery, name="recovery")]
    threads[0].start()
    assert holding.wait(10)  # the first run holds the Message-ID lock
    threads[1].start()
    for _ in range(200):  # until the recovery run waits for that lock
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            if cursor.fetchone()[0]:
                break
        time.sleep(0.05)
    else:
        pytest.fail("the recovery run never waited for the Message-ID lock")
    release.set()
    for thread in threads:
        thread.join()
    [recovered] = outcomes["recovery"]
    assert outcomes["first"].outcome == recovered.outcome == "created"
    assert recovered.ticket == outcomes["first"].ticket and "another run" in recovered.reason
    assert Ticket.objects.count() == 1
    assert InboundEmail.objects.get().status == "processed"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("asynchronous", [True, False])
def test_only_the_apply_commits_asynchronously_and_only_when_set(customer, monkeypatch, settings, asynchronous):
    settings.INTAKE_ASYNC_APPLY = asynchronous
    seen = {}
    real_insert, real_decide = intake._insert, intake.decide

    def show() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return cursor.fetchone()[0]

    def insert(inbounds):
        seen["store"] = show()
        return real_insert(inbounds)

    def decide(parsed, **kwargs):
        seen["apply"] = show()
        return real_decide(parsed, **kwargs)

    monkeypatch.setattr("tickets.mail.intake._insert", insert)
    monkeypatch.setattr("tickets.mail.intake.decide", decide)
    assert ingest_raw(eml(sender=customer.email), source="pipe").outcome == "created"
    assert seen == {"store": "on", "apply": "off" if asynchronous else "on"}
    assert show() == "on"  # SET LOCAL: the session's next transaction is durable again


@pytest.mark.postgres
def test_the_recovery_scan_reads_the_partial_index_of_pending_rows(db):
    queries = []

    def record(execute, sql, params, many, context):
        queries.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        inbound_recover(older_than=LATER)
    sql, params = next(q for q in queries if "ORDER BY" in q[0])
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # on a near-empty table the planner would scan it anyway
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "inbound_pending_idx" in plan, plan
