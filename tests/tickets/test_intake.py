"""E-mail intake: every message becomes a ticket, joins one, or is recognised; nothing is lost."""
import io
import json
import os
import sys
from pathlib import Path

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from support.models import AuditEvent, OutboundEmail, SLAClock
from tickets import services
from tickets.mail.intake import ingest_raw, inbound_process
from tickets.models import InboundEmail, Ticket, TicketMailId
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "mail"


def eml(*, sender="wang@example.com", subject="Withdrawal pending", body="Where is my money?", message_id="m1@example.com",
        headers="", to="support@desk.localhost") -> bytes:
    mid = f"Message-ID: <{message_id}>\r\n" if message_id else ""
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n{mid}{headers}"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def test_new_mail_creates_a_ticket_and_acknowledges(customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = ingest_raw(eml(sender=customer.email), source="test")
    assert result.outcome == "created"
    ticket = Ticket.objects.get(reference=result.ticket)
    assert ticket.customer == customer and ticket.channel == "email" and not ticket.unverified_sender
    [ack] = mail.outbox
    assert ack.to == [customer.email] and ticket.reference in ack.subject


def test_unknown_sender_is_an_unverified_ticket(db):
    result = ingest_raw(eml(sender="nobody@example.org"), source="test")
    assert Ticket.objects.get(reference=result.ticket).unverified_sender


def test_reply_threads_by_in_reply_to_our_message_id(customer, agent, django_capture_on_commit_callbacks):
    ticket = make_ticket(customer, channel="email")
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.ticket_reply(ticket, author=agent, body="Which network?")
    result = ingest_raw(
        eml(sender=customer.email, subject="Re: something else", message_id="m2@example.com", headers=f"In-Reply-To: <{reply.message_id}>\r\n"),
        source="test",
    )
    assert (result.outcome, result.ticket) == ("threaded", ticket.reference)
    ticket.refresh_from_db()
    assert ticket.status == "open" and ticket.messages.filter(kind="customer").count() == 2


def test_reply_threads_by_the_reply_address_token(customer):
    ticket = make_ticket(customer, channel="email")
    result = ingest_raw(eml(sender=customer.email, to=f"support+{ticket.reply_token}@desk.localhost"), source="test")
    assert (result.outcome, result.ticket) == ("threaded", ticket.reference)


def test_reply_threads_by_reference_in_subject(customer):
    ticket = make_ticket(customer, channel="email")
    result = ingest_raw(eml(sender=customer.email, subject=f"Re: [{ticket.reference}] thanks"), source="test")
    assert (result.outcome, result.ticket) == ("threaded", ticket.reference)


@pytest.mark.parametrize("how", ["subject", "token", "in-reply-to"])
def test_stranger_with_a_stolen_reference_cannot_inject(customer, how):
    ticket = make_ticket(customer, channel="email")
    TicketMailId.objects.create(ticket=ticket, message_id="ours-1@desk.localhost")
    kwargs = {
        "subject": {"subject": f"Re: [{ticket.reference}] give me the money"},
        "token": {"to": f"support+{ticket.reply_token}@desk.localhost"},
        "in-reply-to": {"headers": "In-Reply-To: <ours-1@desk.localhost>\r\n"},
    }[how]
    result = ingest_raw(eml(sender="attacker@evil.example", **kwargs), source="test")
    assert result.outcome == "created" and result.ticket != ticket.reference
    assert "not one of its participants" in result.reason
    assert ticket.messages.count() == 1
    assert Ticket.objects.get(reference=result.ticket).unverified_sender


def test_cc_participant_can_reply(customer):
    ticket = make_ticket(customer, channel="email", cc=["partner@example.com"])
    result = ingest_raw(eml(sender="partner@example.com", subject=f"[{ticket.reference}] me too"), source="test")
    assert result.outcome == "threaded"


def test_duplicate_message_id_is_ignored(db):
    first = ingest_raw(eml(), source="a")
    second = ingest_raw(eml(), source="b")
    assert (first.outcome, second.outcome) == ("created", "duplicate")
    assert Ticket.objects.count() == 1 and InboundEmail.objects.count() == 2  # both kept


def test_missing_message_id_gets_a_deterministic_one(db):
    raw = eml(message_id="")
    assert [ingest_raw(raw, source="x").outcome for _ in range(2)] == ["created", "duplicate"]


@pytest.mark.parametrize(
    "headers",
    ["Auto-Submitted: auto-replied\r\n", "Precedence: bulk\r\n", "X-Autoreply: yes\r\n", "Auto-Submitted: auto-generated\r\n"],
)
def test_auto_replies_never_open_tickets_or_get_acknowledged(db, headers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = ingest_raw(eml(headers=headers, subject="Out of office"), source="x")
    assert result.outcome == "autoreply"
    assert not Ticket.objects.exists() and not mail.outbox


def test_bounce_is_recognised_and_noted_on_its_ticket(customer):
    ticket = make_ticket(customer, channel="email")
    TicketMailId.objects.create(ticket=ticket, message_id="ours-2@desk.localhost")
    dsn = (
        b"From: MAILER-DAEMON@mx.example.com\r\nTo: support@desk.localhost\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <dsn-1@mx.example.com>\r\nIn-Reply-To: <ours-2@desk.localhost>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"
        b"Final-Recipient: rfc822; gone@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--b--\r\n"
    )
    result = ingest_raw(dsn, source="x")
    assert result.outcome == "bounce"
    assert Ticket.objects.count() == 1
    assert ticket.messages.filter(kind="note", body_text__startswith="Mail delivery failed").exists()


def test_mail_from_the_desk_itself_is_a_loop(db):
    assert ingest_raw(eml(sender="support@desk.localhost"), source="x").outcome == "autoreply"
    assert not Ticket.objects.exists()


def test_unparseable_mail_is_quarantined_and_can_be_rerun(db, monkeypatch):
    result = ingest_raw(b"", source="empty")
    assert result.outcome == "quarantined" and result.reason
    inbound = InboundEmail.objects.get()
    assert inbound.status == "quarantined"
    # A message that failed because of a bug is re-run once the bug is fixed.
    monkeypatch.setattr("tickets.mail.intake.decide", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("bug")))
    broken = ingest_raw(eml(message_id="m9@example.com"), source="x")
    assert broken.outcome == "quarantined" and "bug" in broken.reason
    monkeypatch.undo()
    again = inbound_process(InboundEmail.objects.get(source="x"))
    assert again.outcome == "created"


def test_quarantine_is_visible_and_rerunnable_in_the_admin(client, agent, monkeypatch):
    monkeypatch.setattr("tickets.mail.intake.decide", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("bug")))
    ingest_raw(eml(), source="x")
    monkeypatch.undo()
    client.force_login(agent)
    page = client.get("/admin/tickets/inboundemail/?status__exact=quarantined").content.decode()
    assert "bug" in page
    inbound = InboundEmail.objects.get()
    client.post("/admin/tickets/inboundemail/", {"action": "rerun", "_selected_action": [inbound.pk]})
    inbound.refresh_from_db()
    assert inbound.outcome == "created"


def test_inbound_mail_pages_never_read_a_whole_raw_message(client, agent):
    """The list reads no raw bytes at all and the page of one message the first 20 kB: a message can be megabytes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    big = eml(message_id="big@x", body="A long log follows.\r\n" + "0123456789abcdef" * 4000)  # 64 kB
    ingest_raw(big, source="big")
    inbound = InboundEmail.objects.get()
    client.force_login(agent)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/admin/tickets/inboundemail/").content.decode()
    assert "/admin/tickets/inboundemail/%d/change/" % inbound.pk in page
    reads = [q["sql"] for q in queries.captured_queries if 'FROM "tickets_inboundemail"' in q["sql"]]
    assert reads and not any('"tickets_inboundemail"."raw"' in sql for sql in reads)
    page = client.get(f"/admin/tickets/inboundemail/{inbound.pk}/change/").content.decode()
    assert "A long log follows." in page and "0123456789abcdef" * 100 in page
    assert "0123456789abcdef" * 1300 not in page  # cut at 20 kB


def test_ingest_email_command_prints_one_json_line_per_message(tmp_path, db):
    (tmp_path / "a.eml").write_bytes(eml(message_id="a@x"))
    (tmp_path / "b.eml").write_bytes(eml(message_id="b@x", headers="Auto-Submitted: auto-replied\r\n"))
    mbox = tmp_path / "box.mbox"
    mbox.write_bytes(b"From x@y Mon Jan  1 00:00:00 2026\n" + eml(message_id="c@x").replace(b"\r\n", b"\n")
                     + b"\nFrom x@y Mon Jan  1 00:00:00 2026\n" + eml(message_id="d@x").replace(b"\r\n", b"\n"))
    out = io.StringIO()
    call_command("ingest_email", str(tmp_path), stdout=out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert sorted(r["outcome"] for r in rows) == ["autoreply", "created", "created", "created"]
    assert set(rows[0]) == {"source", "outcome", "ticket", "reason", "from", "subject", "attachments"}


def _inbound_inserts(queries) -> int:
    return sum(q["sql"].startswith('INSERT INTO "tickets_inboundemail"') for q in queries.captured_queries)


def test_ingest_email_stores_a_folder_a_batch_at_a_time_with_the_same_output(tmp_path, db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    raws = [eml(message_id=f"f{i}@x", sender=f"s{i}@example.com") for i in range(5)]
    raws.append(eml(message_id="f0@x", sender="s0@example.com"))  # a duplicate of the first, in the same batch
    raws.append(eml(message_id="f6@x", headers="Auto-Submitted: auto-replied\r\n"))
    for i, raw in enumerate(raws):
        (tmp_path / f"{i}.eml").write_bytes(raw)
    out = io.StringIO()
    with CaptureQueriesContext(connection) as queries:
        call_command("ingest_email", str(tmp_path), stdout=out)
    assert _inbound_inserts(queries) == 1  # all seven raw messages in one INSERT (one commit)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["source"] for r in rows] == [str(tmp_path / f"{i}.eml") for i in range(7)]
    assert [r["outcome"] for r in rows] == ["created"] * 5 + ["duplicate", "autoreply"]
    assert [r["from"] for r in rows[:5]] == [f"s{i}@example.com" for i in range(5)]
    assert InboundEmail.objects.filter(status="processed").count() == 7 and Ticket.objects.count() == 5


def test_a_batch_that_cannot_be_stored_at_once_is_stored_one_by_one(tmp_path, db, monkeypatch):
    for i in range(3):
        (tmp_path / f"{i}.eml").write_bytes(eml(message_id=f"g{i}@x"))

    def refused(messages):
        raise RuntimeError("one of these upset the database")

    monkeypatch.setattr("tickets.mail.intake.inbound_store_many", refused)
    out = io.StringIO()
    call_command("ingest_email", str(tmp_path), stdout=out)
    assert [json.loads(line)["outcome"] for line in out.getvalue().splitlines()] == ["created"] * 3
    assert InboundEmail.objects.count() == 3


def test_ingest_email_handles_what_it_read_before_a_missing_path(tmp_path, db):
    from django.core.management.base import CommandError

    (tmp_path / "a.eml").write_bytes(eml(message_id="h1@x"))
    (tmp_path / "b.eml").write_bytes(eml(message_id="h2@x"))
    out = io.StringIO()
    with pytest.raises(CommandError, match="no such file"):
        call_command("ingest_email", str(tmp_path), str(tmp_path / "missing"), stdout=out)
    assert len(out.getvalue().splitlines()) == 2 and Ticket.objects.count() == 2


def test_batches_are_bounded_by_count_and_by_bytes_and_read_nothing_ahead(monkeypatch):
    from tickets.mail.intake import batched

    monkeypatch.setattr("tickets.mail.intake.BATCH_MESSAGES", 3)
    monkeypatch.setattr("tickets.mail.intake.BATCH_BYTES", 100)
    assert [len(b) for b in batched(range(7), size=lambda _: 1)] == [3, 3, 1]
    sizes = [10, 60, 40, 200, 5, 5]  # 40 reaches the budget and closes its batch; 200 is over it alone
    assert list(batched(sizes, size=lambda n: n)) == [[10, 60, 40], [200], [5, 5]]
    read = []

    def reading():
        for n in sizes:
            read.append(n)
            yield n

    batches = batched(reading(), size=lambda n: n)
    next(batches)
    assert read == [10, 60, 40]  # nothing read ahead of a full batch

    def failing():
        yield 1
        yield 2
        raise FileNotFoundError("gone")

    batches = batched(failing(), size=lambda _: 1)
    assert next(batches) == [1, 2]  # what was read before the error is still handed out
    with pytest.raises(FileNotFoundError):
        next(batches)


def test_ingest_email_dry_run_stores_nothing(tmp_path, db):
    path = tmp_path / "a.eml"
    path.write_bytes(eml())
    out = io.StringIO()
    call_command("ingest_email", "--dry-run", str(path), stdout=out)
    assert json.loads(out.getvalue())["outcome"] == "created"
    assert not InboundEmail.objects.exists() and not Ticket.objects.exists()


def test_ingest_email_from_stdin_like_an_mta_pipe(monkeypatch, db):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(eml())))
    out = io.StringIO()
    call_command("ingest_email", "-", stdout=out)
    assert json.loads(out.getvalue())["source"] == "stdin"


def test_attachments_are_listed_with_md5(db):
    raw = (
        b"From: a@example.com\r\nSubject: screenshot\r\nMessage-ID: <att@x>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee file\r\n'
        b'--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename="err.png"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b--\r\n"
    )
    result = ingest_raw(raw, source="x")
    [row] = result.attachments
    assert (row["filename"], row["content_type"], row["size"]) == ("err.png", "image/png", 8)
    assert Ticket.objects.get(reference=result.ticket).attachments.get().md5 == row["md5"]


def test_whole_shared_corpus_goes_through_intake_and_nothing_is_lost(capsys):
    if not CORPUS.is_dir():
        message = f"shared corpus not found at {CORPUS}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from tickets.mail.sources import raw_messages

    counts: dict[str, int] = {}
    stored = 0
    for source, raw in raw_messages([str(CORPUS)]):
        if source.endswith("MANIFEST.md"):
            continue
        result = ingest_raw(raw, source=source)
        stored += 1
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    assert InboundEmail.objects.count() == stored  # every message kept, whatever happened to it
    assert not InboundEmail.objects.filter(status="pending").exists()
    with capsys.disabled():
        print(f"\ncorpus intake: {stored} messages -> {json.dumps(counts, sort_keys=True)}")
    assert counts.get("created", 0) > 100 and counts.get("bounce", 0) > 300


@pytest.mark.postgres
def test_new_mail_costs_a_fixed_handful_of_statements(customer, django_assert_max_num_queries):
    """Store (one autocommitted INSERT), then one transaction: lock, duplicate check, sender and CC
    accounts, policies, ticket, participants, message, clocks, audit, acknowledgement id, inbound row."""
    ingest_raw(eml(sender=customer.email, message_id="warm@example.com"), source="warm-up")  # content types cached
    cc = "Cc: colleague@example.org, other@example.org\r\n"
    with django_assert_max_num_queries(16):
        result = ingest_raw(eml(sender=customer.email, message_id="budget@example.com", headers=cc), source="test")
    ticket = Ticket.objects.get(reference=result.ticket)
    assert sorted(ticket.participants.values_list("email", flat=True)) == sorted(
        ["colleague@example.org", customer.email, "other@example.org"]
    )
    assert ticket.sla_due_at == min(c.due_at for c in SLAClock.objects.filter(object_id=str(ticket.pk), content_type__model="ticket"))
    assert AuditEvent.objects.filter(verb="ticket.created", object_id=str(ticket.pk)).exists()


def test_acknowledgement_is_rendered_after_commit_and_queued_once(customer, django_capture_on_commit_callbacks):
    from tickets.mail.outbound import acknowledgement_send, acknowledgements_unsent

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = ingest_raw(eml(sender=customer.email), source="test")
    ticket = Ticket.objects.get(reference=result.ticket)
    [mail_id] = TicketMailId.objects.filter(ticket=ticket)
    assert mail_id.queued_at is None and not OutboundEmail.objects.exists()  # nothing rendered inside the intake
    assert callbacks  # the acknowledgement task waits for the commit
    with time_machine.travel(dt.timedelta(minutes=10)):
        assert acknowledgements_unsent() == [mail_id.pk]  # a sweeper would find it if the task were lost
    assert acknowledgement_send(mail_id.pk) is True
    assert acknowledgement_send(mail_id.pk) is False  # a second run (a retried task) sends nothing more
    [queued] = OutboundEmail.objects.all()
    assert queued.to == [customer.email] and ticket.reference in queued.subject
    assert queued.headers["Message-ID"] == f"<{mail_id.message_id}>"
    assert acknowledgements_unsent() == []


def test_a_lost_acknowledgement_task_is_sent_by_the_sweeper(customer, django_capture_on_commit_callbacks, settings):
    from tickets.tasks import ticket_acknowledgements_retry

    settings.CELERY_TASK_ALWAYS_EAGER = True
    with django_capture_on_commit_callbacks(execute=False):  # the broker was down: the task never ran
        ingest_raw(eml(sender=customer.email), source="test")
    assert not OutboundEmail.objects.exists()
    with time_machine.travel(dt.timedelta(minutes=10)):
        assert ticket_acknowledgements_retry() == 1
        assert ticket_acknowledgements_retry() == 0
    [queued] = OutboundEmail.objects.all()
    assert queued.to == [customer.email]
