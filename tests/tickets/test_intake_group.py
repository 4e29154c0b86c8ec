"""The batch doors apply a stored batch's small messages together: same outcomes, far fewer statements."""
import os
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from support.models import AuditEvent, SLAClock
from tests.factories import make_ticket
from tickets.mail import intake
from tickets.mail.intake import ingest_many, ingest_raw
from tickets.models import InboundEmail, Ticket, TicketAttachment, TicketMailId, TicketMessage
from tests.tickets.test_intake import eml

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "mail"


def with_attachment(message_id: str, sender: str) -> bytes:
    return (
        f"From: {sender}\r\nTo: support@desk.localhost\r\nSubject: Screenshot\r\nMessage-ID: <{message_id}>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n"
        "--b1\r\nContent-Type: text/plain\r\n\r\nSee the file.\r\n"
        "--b1\r\nContent-Type: text/csv; name=trades.csv\r\nContent-Disposition: attachment; filename=trades.csv\r\n\r\n"
        "pair,amount\r\nBTC/USDT,1\r\n--b1--\r\n"
    ).encode()


def mixed_batch(customer, old_ticket) -> list[tuple[str, bytes]]:
    """A batch with every kind of decision, including replies to tickets the same batch opens."""
    raws = [
        eml(sender=customer.email, message_id="a1@x", subject="Deposit missing"),
        eml(sender="stranger1@example.org", message_id="a2@x", headers="Cc: friend@example.org\r\n"),
        eml(sender=customer.email, message_id="a3@x", subject="Re: Deposit missing", headers="In-Reply-To: <a1@x>\r\n"),
        eml(sender="stranger1@example.org", message_id="a2@x"),  # duplicate of a2, same batch
        eml(sender="bot@example.org", message_id="a5@x", headers="Auto-Submitted: auto-replied\r\n"),
        eml(sender=customer.email, message_id="a6@x", subject=f"Re: [{old_ticket.reference}] more"),
        eml(sender="thief@example.org", message_id="a7@x", subject=f"Re: [{old_ticket.reference}] pay me"),
        eml(sender="", message_id="a8@x"),  # no usable sender: quarantined
        with_attachment("a9@x", "stranger2@example.org"),
        eml(sender="friend@example.org", message_id="a10@x", headers="In-Reply-To: <a2@x>\r\n"),  # CC of a2's ticket
        eml(sender="support@desk.localhost", message_id="a11@x"),  # a loop
        eml(sender=customer.email, message_id="a12@x", subject="Login", body="my password is Hunter2-secret please reset"),
    ]
    return [(f"batch/{i}", raw) for i, raw in enumerate(raws)]


def summary(results) -> list[tuple]:
    """What happened to each message, with the tickets named by their first message's Message-ID."""
    first = {t.reference: t.messages.order_by("id").first().message_id for t in Ticket.objects.all()}
    return [(r.outcome, first.get(r.ticket), r.reason.split(" by ")[0].split("SUP-")[0]) for r in results]


def reset():
    for model in (TicketAttachment, TicketMessage, TicketMailId, InboundEmail, SLAClock):  # the audit trail stays
        model.objects.all().delete()
    Ticket.objects.update(merged_into=None)
    Ticket.objects.all().delete()


def test_a_group_is_decided_exactly_as_one_by_one(customer, django_capture_on_commit_callbacks):
    old = make_ticket(customer, channel="email")
    old_reference = old.reference
    with django_capture_on_commit_callbacks(execute=True):
        single = [ingest_raw(raw, source=source) for source, raw in mixed_batch(customer, old)]
    expected = summary(single)
    single_acks = len(mail.outbox)
    reset()
    old = make_ticket(customer, channel="email")
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as queries:
        grouped = list(ingest_many(mixed_batch(customer, old)))
    assert summary(grouped) == expected
    audit_inserts = [q for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "support_auditevent"')]
    assert len(audit_inserts) == 1  # new tickets, replies and reopenings of the whole group: one INSERT
    assert [r.outcome for r in grouped] == [
        "created", "created", "threaded", "duplicate", "autoreply", "threaded", "created", "quarantined", "created",
        "threaded", "autoreply", "created",
    ]
    assert [r.source for r in grouped] == [f"batch/{i}" for i in range(12)]
    # 5 new tickets acknowledged after commit (one also to its CC), and the secret's notice by e-mail
    assert len(mail.outbox) == single_acks == 7
    secret = Ticket.objects.get(reference=grouped[11].ticket)
    assert "Hunter2" not in secret.messages.get(kind="customer").body_text
    assert secret.messages.filter(kind="note", body_text__startswith="The secret shield removed").exists()
    assert "Hunter2" not in bytes(InboundEmail.objects.get(message_id="a12@x").raw).decode()
    # The stranger quoting someone else's reference got a ticket of their own, with a note saying why.
    stranger = Ticket.objects.get(reference=grouped[6].ticket)
    assert stranger.reference != old_reference and stranger.requester_email == "thief@example.org"
    assert stranger.messages.filter(kind="note", body_text__contains="not one of its participants").exists()
    # Everything a new ticket has: participants, clocks, due time, audit row, attachment, acknowledgement id.
    cc_ticket = Ticket.objects.get(reference=grouped[1].ticket)
    assert sorted(cc_ticket.participants.values_list("email", flat=True)) == ["friend@example.org", "stranger1@example.org"]
    clocks = SLAClock.objects.filter(object_id=str(cc_ticket.pk), content_type__model="ticket")
    assert sorted(clocks.values_list("metric", flat=True)) == ["first_response", "resolution"]
    assert cc_ticket.sla_due_at == min(c.due_at for c in clocks)
    assert AuditEvent.objects.filter(verb="ticket.created", object_id=str(cc_ticket.pk)).count() == 1
    assert TicketMailId.objects.filter(ticket=cc_ticket).count() == 1
    assert TicketAttachment.objects.get(ticket__reference=grouped[8].ticket).filename == "trades.csv"
    rows = InboundEmail.objects.order_by("id")
    assert [row.outcome for row in rows] == [r.outcome for r in grouped]
    assert all(row.attempts == 1 and row.processed_at for row in rows)
    assert rows[7].status == "quarantined" and rows[7].ticket_id is None and rows[3].ticket_id is None


def test_new_tickets_of_a_group_cost_a_fixed_number_of_statements(db):
    ingest_raw(eml(message_id="warm@x"), source="warm-up")  # content types and policies' first lookups
    messages = [(f"s{i}", eml(sender=f"c{i}@example.com", message_id=f"n{i}@x")) for i in range(20)]
    with CaptureQueriesContext(connection) as queries:
        results = list(ingest_many(messages))
    assert [r.outcome for r in results] == ["created"] * 20
    # store, then: lock, duplicates, accounts, policies, tickets, participants, messages, clocks, audit,
    # acknowledgement ids, the rows' UPDATE (and the transaction's savepoint in a test) - not 20 x 12
    assert len(queries.captured_queries) <= 16, [q["sql"][:60] for q in queries.captured_queries]
    assert Ticket.objects.count() == 21 and len({t.reference for t in Ticket.objects.all()}) == 21


def test_one_failing_message_does_not_cost_the_others(db, monkeypatch):
    from tickets import services

    real = services.ticket_prepare

    def fragile(**kwargs):
        if kwargs["subject"] == "boom":
            raise RuntimeError("something unexpected")
        return real(**kwargs)

    monkeypatch.setattr(services, "ticket_prepare", fragile)
    monkeypatch.setattr(intake, "ticket_prepare", fragile)  # the group path calls it by this name
    messages = [("a", eml(message_id="f1@x")), ("b", eml(message_id="f2@x", subject="boom")), ("c", eml(message_id="f3@x"))]
    results = list(ingest_many(messages))
    assert [r.outcome for r in results] == ["created", "quarantined", "created"]
    assert "something unexpected" in results[1].reason
    assert InboundEmail.objects.filter(status="processed").count() == 2
    assert InboundEmail.objects.get(message_id="f2@x").status == "quarantined"  # kept for an agent to re-run
    assert Ticket.objects.count() == 2 and TicketMailId.objects.count() == 2  # the rolled-back group left nothing


def test_a_row_processed_meanwhile_keeps_what_the_other_run_did(db, monkeypatch):
    real = intake._apply_together

    def racing(pending):
        # another run (recovery, an agent's re-run) finishes the second message before this group commits
        row = pending[1].inbound
        InboundEmail.objects.filter(pk=row.pk).update(status="processed", outcome="autoreply", reason="theirs")
        return real(pending)

    monkeypatch.setattr(intake, "_apply_together", racing)
    results = list(ingest_many([("a", eml(message_id="r1@x")), ("b", eml(message_id="r2@x")), ("c", eml(message_id="r3@x"))]))
    assert [r.outcome for r in results] == ["created", "autoreply", "created"]
    assert results[1].reason.startswith("handled meanwhile by another run")
    assert Ticket.objects.count() == 2


def test_a_batch_is_one_group_and_its_largest_message_is_parsed_first(db, monkeypatch):
    groups, parsed_sizes = [], []
    real_apply, real_parse = intake._apply_together, intake.parse_message
    monkeypatch.setattr(intake, "_apply_together", lambda pending: (groups.append(len(pending)), real_apply(pending))[1])
    monkeypatch.setattr(intake, "parse_message", lambda raw: (parsed_sizes.append(len(raw)), real_parse(raw))[1])
    big = eml(message_id="big@x", body="x" * 1000)
    messages = [("1", eml(message_id="l1@x")), ("2", eml(message_id="l2@x")), ("3", big), ("4", eml(message_id="l4@x")),
                ("5", eml(message_id="l5@x"))]
    results = list(ingest_many(messages))
    assert [r.source for r in results] == ["1", "2", "3", "4", "5"]
    assert [r.outcome for r in results] == ["created"] * 5
    assert groups == [5] and parsed_sizes[0] == len(big)
    # the apply keeps the order the messages came in
    assert list(Ticket.objects.order_by("id").values_list("messages__message_id", flat=True)) == [
        "l1@x", "l2@x", "big@x", "l4@x", "l5@x"
    ]


def test_the_shared_corpus_in_batches_decides_as_one_by_one():
    if not CORPUS.is_dir():
        message = f"shared corpus not found at {CORPUS}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from tickets.mail.sources import raw_messages

    messages = [(source, raw) for source, raw in raw_messages([str(CORPUS)]) if not source.endswith("MANIFEST.md")]
    single = [(r.source, r.outcome) for r in (ingest_raw(raw, source=source) for source, raw in messages)]
    reset()
    grouped = [(r.source, r.outcome) for r in ingest_many(messages)]
    assert grouped == single
    assert InboundEmail.objects.count() == len(messages) and not InboundEmail.objects.filter(status="pending").exists()


def test_the_group_update_writes_every_field_a_single_run_writes():
    columns = {InboundEmail._meta.get_field(name).column for name in intake._PROCESSED_FIELDS}
    assert columns == {*intake._FINISH_COLUMNS, "attempts"}


def test_shield_results_are_reused_for_the_same_text_and_long_texts_are_not_kept():
    from safety import shield as module

    text = "my password is Hunter2-secret please reset"
    first = module.shield(text)
    assert module.shield(text) is first and first.findings  # the same (frozen) result, not a second scan
    long_text = "x" * (module._RECENT_TEXT_MAX + 1)
    module.shield(long_text)
    assert long_text not in module._RECENT
    for i in range(module._RECENT_COUNT + 5):
        module.shield(f"message {i}")
    assert len(module._RECENT) <= module._RECENT_COUNT and text not in module._RECENT


def test_raw_messages_are_compressed_with_lz4():
    """pglz (PostgreSQL's default) spent 2.6-3.0 ms of server CPU a message storing mostly base64 mail; lz4 0.6."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attcompression FROM pg_attribute WHERE attrelid = 'tickets_inboundemail'::regclass AND attname = 'raw'"
        )
        assert cursor.fetchone()[0] == "l"
    stored = ingest_raw(eml(message_id="lz@x", body="Deposit pending since Monday. " * 400), source="t")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_column_compression(raw) FROM tickets_inboundemail WHERE message_id = 'lz@x'")
        assert cursor.fetchone()[0] == "lz4" and stored.outcome == "created"


@pytest.mark.django_db(transaction=True)
def test_two_doors_racing_on_the_same_mail_open_each_ticket_once(customer):
    """Two processes given the same messages at once (an IMAP poll and a folder import, say), in batches
    whose order differs: the Message-ID locks serialise them, nothing deadlocks, each message opens one
    ticket and the other copy is a duplicate."""
    import threading

    messages = [(f"m{i}", eml(sender=f"racer{i}@example.com", message_id=f"race{i}@x")) for i in range(12)]
    messages.append(("reply", eml(sender=customer.email, message_id="race-reply@x", headers="In-Reply-To: <race0@x>\r\n")))
    barrier = threading.Barrier(2)
    results: dict[str, list] = {}

    def run(name, batch):
        try:
            barrier.wait()
            results[name] = [(r.source, r.outcome) for r in ingest_many(batch)]
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=("forward", messages)),
        threading.Thread(target=run, args=("backward", list(reversed(messages[:12])) + messages[12:])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(results) == {"forward", "backward"}
    outcomes = {}
    for name in results:
        for source, outcome in results[name]:
            outcomes.setdefault(source, []).append(outcome)
    for i in range(12):
        assert sorted(outcomes[f"m{i}"]) == ["created", "duplicate"], outcomes[f"m{i}"]
    # the reply's sender is not a participant of racer0's ticket: its own ticket, once; the other copy a duplicate
    assert sorted(outcomes["reply"]) == ["created", "duplicate"]
    assert Ticket.objects.count() == 13
    assert InboundEmail.objects.filter(status="processed").count() == 26


@pytest.mark.parametrize(
    "how", ["customer's Message-ID", "desk's Message-ID", "reply address", "subject reference", "unrelated"]
)
def test_a_message_that_may_point_at_what_the_group_wrote_is_decided_by_the_database(db, how):
    """`_GroupWrites.touched_by`: every way a message can name a ticket the group opened (written or waiting)
    or a message the group wrote, so that its lookups go to the database and not to what was read before."""
    from tickets.mail.parse import parse_message
    from tickets.services import ticket_prepare

    first = parse_message(eml(message_id="w1@x", sender="first@example.com"))
    new = ticket_prepare(subject="s", body_text="b", requester_email="first@example.com", channel="email", message_id="w1@x")
    writes = intake._GroupWrites()
    writes.tickets.append(new.ticket)
    writes.message_ids.add("w1@x")
    ticket = new.ticket
    headers, to, subject = "", "support@desk.localhost", "Re: hello"
    if how == "customer's Message-ID":
        headers = "In-Reply-To: <w1@x>\r\n"
    elif how == "desk's Message-ID":
        headers = f"References: <other@x> <{ticket.reference.lower()}.0123456789abcdef@desk.localhost>\r\n"
    elif how == "reply address":
        to = f"support+{ticket.reply_token}@desk.localhost"
    elif how == "subject reference":
        subject = f"Re: [{ticket.reference.lower()}] hello"
    else:
        headers = "In-Reply-To: <w0@x>\r\n"
    reply = parse_message(eml(message_id="w2@x", sender="first@example.com", headers=headers, to=to, subject=subject))
    assert writes.touched_by(reply) is (how != "unrelated")
    assert intake._GroupWrites().touched_by(reply) is False


def existing_tickets(customer, agent) -> dict:
    """Tickets already on the desk in every state a reply meets, with the ids a reply can name them by."""
    import datetime as dt

    from django.utils import timezone

    from tickets.services import _add_participant, ticket_merge, ticket_status_change

    t = {name: make_ticket(customer, channel="email", subject=name) for name in ("waiting", "open", "resolved", "old", "merged", "target")}
    ticket_status_change(t["waiting"], status="waiting", actor=agent)
    ticket_status_change(t["resolved"], status="resolved", actor=agent)
    ticket_status_change(t["old"], status="closed", actor=agent)
    Ticket.objects.filter(pk=t["old"].pk).update(closed_at=timezone.now() - dt.timedelta(days=30))
    ticket_merge(t["merged"], into=t["target"], actor=agent)
    _add_participant(t["open"], "cc@example.org")
    TicketMailId.objects.create(ticket=t["waiting"], message_id=f"{t['waiting'].reference.lower()}.1@desk.localhost")
    TicketMailId.objects.create(ticket=t["waiting"], message_id="ours-w@desk.localhost")
    TicketMessage.objects.create(ticket=t["open"], kind="customer", body_text="first", message_id="cust1@x")
    # The same Message-ID on two tickets: `.first()` orders TicketMessage by (created_at, id), so the later
    # row (higher id) written with the earlier time is the one a lookup picks.
    TicketMessage.objects.create(ticket=t["open"], kind="customer", body_text="x", message_id="shared@x")
    later = TicketMessage.objects.create(ticket=t["resolved"], kind="customer", body_text="x", message_id="shared@x")
    TicketMessage.objects.filter(pk=later.pk).update(created_at=timezone.now() - dt.timedelta(days=1))
    return {name: ticket.reference for name, ticket in t.items()} | {
        f"{name}-token": ticket.reply_token for name, ticket in t.items()
    }


def replies_batch(customer, ids) -> list[tuple[str, bytes]]:
    me = customer.email
    dsn = (
        b"From: MAILER-DAEMON@mx.example.com\r\nTo: support@desk.localhost\r\nSubject: Undelivered Mail\r\n"
        b"Message-ID: <dsn-1@mx.example.com>\r\nIn-Reply-To: <ours-w@desk.localhost>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"
        b"Final-Recipient: rfc822; gone@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--b--\r\n"
    )
    waiting_desk_id = f"{ids['waiting'].lower()}.1@desk.localhost"
    raws = [
        eml(sender=me, message_id="r1@x", headers=f"In-Reply-To: <{waiting_desk_id}>\r\n"),  # reopens, clocks resume
        eml(sender=me, message_id="r2@x", to=f"support+{ids['waiting-token']}@desk.localhost"),  # same ticket, now open
        eml(sender=me, message_id="r3@x", headers="References: <nothing@x> <cust1@x>\r\n"),
        eml(sender=me, message_id="r4@x", headers="In-Reply-To: <shared@x>\r\n"),  # `.first()`'s pick
        eml(sender=me, message_id="r5@x", subject=f"Re: [{ids['resolved']}] again"),  # reopens a resolved one
        eml(sender=me, message_id="r6@x", subject=f"Re: [{ids['old']}] still"),  # too old: a follow-up ticket
        eml(sender=me, message_id="r7@x", subject=f"Re: [{ids['merged']}] hello"),  # the merge leads on
        eml(sender="thief@example.org", message_id="r8@x", subject=f"Re: [{ids['open']}] pay me"),  # not a participant
        eml(sender="cc@example.org", message_id="r9@x", to=f"support+{ids['open-token']}@desk.localhost"),  # a CC
        eml(sender=me, message_id="r10@x", headers="In-Reply-To: <r3@x>\r\n"),  # names a reply of this group
        eml(sender=me, message_id="r11@x", headers="In-Reply-To: <r6@x>\r\n"),  # names a ticket this group opened
        dsn,  # a bounce of the desk's mail on the waiting ticket
        eml(sender=me, message_id="r3@x", headers="References: <cust1@x>\r\n"),  # a duplicate of r3
    ]
    return [(f"r/{i}", raw) for i, raw in enumerate(raws)]


def desk_state(results) -> dict:
    """Everything the replies changed, with tickets named by subject (references differ between runs)."""
    names = dict(Ticket.objects.values_list("reference", "subject"))

    def named(text):
        for reference, subject in names.items():
            text = (text or "").replace(reference, f"<{subject}>")
        return text

    tickets = {}
    for ticket in Ticket.objects.order_by("subject", "id"):
        clocks = SLAClock.objects.filter(object_id=str(ticket.pk), content_type__model="ticket").order_by("metric", "id")
        tickets[named(f"{ticket.subject}/{ticket.requester_email}")] = {
            "status": ticket.status,
            "resolved": ticket.resolved_at is not None,
            "closed": ticket.closed_at is not None,
            "due": ticket.sla_due_at is not None,
            "messages": [(m.kind, m.message_id, named(m.body_text)[:60]) for m in ticket.messages.order_by("created_at", "id")],
            "clocks": [(c.metric, c.state) for c in clocks],
            "audit": list(
                AuditEvent.objects.filter(object_id=str(ticket.pk), content_type__model="ticket").order_by("id").values_list("verb", flat=True)
            ),
        }
    return {"results": [(r.outcome, named(names.get(r.ticket)), named(r.reason)) for r in results], "tickets": tickets}


def test_replies_to_existing_tickets_in_a_group_end_exactly_as_one_by_one(customer, agent):
    """Replies in every state and by every key, read for the whole group at once: the same outcomes, the same
    messages, statuses, clocks and audit rows as one message at a time, in fewer statements."""
    ids = existing_tickets(customer, agent)
    with CaptureQueriesContext(connection) as single_queries:
        single = [ingest_raw(raw, source=source) for source, raw in replies_batch(customer, ids)]
    expected = desk_state(single)
    reset()
    ids = existing_tickets(customer, agent)
    with CaptureQueriesContext(connection) as group_queries:
        grouped = list(ingest_many(replies_batch(customer, ids)))
    assert desk_state(grouped) == expected
    outcomes = [r.outcome for r in grouped]
    assert outcomes == [
        "threaded", "threaded", "threaded", "threaded", "threaded", "created", "threaded", "created", "threaded",
        "threaded", "threaded", "bounce", "duplicate",
    ]
    state = expected["tickets"]
    assert state[f"waiting/{customer.email}"]["status"] == "open"
    waiting = state[f"waiting/{customer.email}"]["messages"]
    assert [m[1] for m in waiting if m[1]][-2:] == ["r1@x", "r2@x"] and waiting[-1][2].startswith("Mail delivery failed")
    assert "r4@x" in [m[1] for m in state[f"resolved/{customer.email}"]["messages"]]  # (created_at, id) order
    assert [m[1] for m in state[f"open/{customer.email}"]["messages"] if m[1]][-3:] == ["r3@x", "r9@x", "r10@x"]
    assert "r7@x" in [m[1] for m in state[f"target/{customer.email}"]["messages"]]
    assert expected["results"][10][1] == expected["results"][5][1]  # r11 joined the follow-up r6 opened
    assert len(group_queries) < len(single_queries) / 2, (len(group_queries), len(single_queries))
    if os.environ.get("SHOW_QUERIES"):
        print(len(single_queries), len(group_queries), *[q["sql"][:110] for q in group_queries], sep="\n")


def test_a_group_acknowledges_its_tickets_in_one_task_and_a_failing_one_is_retried_alone(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    from tickets import tasks
    from tickets.mail import outbound

    real = outbound.acknowledgement_send
    sent, retried, queued = [], [], []

    def flaky(mail_id):
        if TicketMailId.objects.get(pk=mail_id).ticket.requester_email == "c1@example.com":
            raise OSError("SMTP is down")
        sent.append(mail_id)
        return real(mail_id)

    monkeypatch.setattr(outbound, "acknowledgement_send", flaky)
    monkeypatch.setattr(tasks.ticket_acknowledge_task, "delay", retried.append)
    real_delay = tasks.ticket_acknowledge_many_task.delay_on_commit
    monkeypatch.setattr(
        tasks.ticket_acknowledge_many_task, "delay_on_commit", lambda ids: (queued.append(ids), real_delay(ids))
    )
    messages = [(f"s{i}", eml(sender=f"c{i}@example.com", message_id=f"k{i}@x")) for i in range(4)]
    with django_capture_on_commit_callbacks(execute=True):
        assert [r.outcome for r in ingest_many(messages)] == ["created"] * 4
    ids = list(TicketMailId.objects.order_by("id").values_list("id", flat=True))
    assert queued == [ids]  # one task for the group's four acknowledgements
    failed = TicketMailId.objects.get(ticket__requester_email="c1@example.com").pk
    assert retried == [failed] and sorted(sent) == sorted(set(ids) - {failed})
    assert sorted(m.to[0] for m in mail.outbox) == ["c0@example.com", "c2@example.com", "c3@example.com"]


def test_group_lookups_read_only_for_messages_that_look_and_ask_the_database_for_others(customer):
    from tickets.mail.parse import parse_message

    ticket = make_ticket(customer, channel="email")
    subject = f"Re: [{ticket.reference}] hello"
    reply = intake._Pending(inbound=None, parsed=parse_message(eml(sender=customer.email, subject=subject, message_id="l1@x")), result=None)
    auto = intake._Pending(
        inbound=None, result=None,
        parsed=parse_message(eml(sender=customer.email, subject=subject, message_id="l2@x", headers="Auto-Submitted: auto-replied\r\n")),
    )
    duplicate = intake._Pending(inbound=None, parsed=parse_message(eml(sender=customer.email, subject=subject, message_id="l3@x")), result=None)
    lookups = intake._GroupLookups([reply, auto, duplicate], handled={"l3@x"})
    assert lookups.read_for == {id(reply.parsed)}
    found, how = lookups.referenced(reply.parsed)
    assert found.pk == ticket.pk and how == "subject reference" and lookups.tickets[ticket.pk] is found
    for other in (auto, duplicate):  # not read for: the database answers, with the group's instance
        assert lookups.referenced(other.parsed) == (found, "subject reference")


@pytest.mark.django_db(transaction=True)
def test_a_batch_is_parsed_while_a_thread_of_its_own_stores_it(customer, monkeypatch):
    """`BatchStorer`: the door's thread parses the batch while another thread (its own connection) stores it;
    nothing is decided or written before the store committed, each message is parsed once, a message that does
    not parse is quarantined with the reason the one-by-one door gives, and the thread and its connection are
    gone when the door is done."""
    import threading

    from django.db import connection as thread_connection

    old = make_ticket(customer, channel="email")
    messages = mixed_batch(customer, old) + [("batch/12", b"")]
    parsed_all = threading.Event()
    seen = {"parsed": 0, "store_threads": [], "store_connections": [], "parsed_before_store": None}
    real_parse, real_store, real_apply = intake.parse_message, intake._store, intake._apply_together

    def counting_parse(raw):
        seen["parsed"] += 1
        if seen["parsed"] == len(messages):
            parsed_all.set()
        return real_parse(raw)

    def slow_store(rows):  # holds the store until the door's thread has parsed every message of the batch
        seen["parsed_before_store"] = parsed_all.wait(timeout=30)
        seen["store_threads"].append(threading.current_thread().name)
        stored = real_store(rows)
        if threading.current_thread().name.startswith("intake-store"):
            seen["store_connections"].append(thread_connection.connection)
        return stored

    def apply_after_store(pending):
        assert InboundEmail.objects.count() == len(messages)  # committed by the other thread first
        return real_apply(pending)

    monkeypatch.setattr(intake, "parse_message", counting_parse)
    monkeypatch.setattr(intake, "_store", slow_store)
    monkeypatch.setattr(intake, "_apply_together", apply_after_store)
    results = list(ingest_many(messages))
    assert seen["parsed_before_store"] is True and seen["store_threads"] == ["intake-store_0"]
    assert [r.outcome for r in results] == [
        "created", "created", "threaded", "duplicate", "autoreply", "threaded", "created", "quarantined", "created",
        "threaded", "autoreply", "created", "quarantined",
    ]
    assert seen["parsed"] == len(messages) + 1  # once each; the one that failed once more, on its own
    assert results[12].reason == ingest_raw(b"", source="alone").reason and results[12].reason.startswith("unparseable")
    assert "Hunter2" not in bytes(InboundEmail.objects.get(message_id="a12@x").raw).decode()
    assert not [t for t in threading.enumerate() if t.name.startswith("intake-store")]
    assert seen["store_connections"] and all(c.closed for c in seen["store_connections"])


@pytest.mark.django_db(transaction=True)
def test_a_batch_its_thread_cannot_store_is_stored_one_by_one(monkeypatch):
    real_store = intake._store

    def refused(rows):
        if len(rows) > 1:
            raise RuntimeError("one of these upset the database")
        return real_store(rows)

    monkeypatch.setattr(intake, "_store", refused)
    results = list(ingest_many([(f"s{i}", eml(sender=f"s{i}@example.com", message_id=f"s{i}@x")) for i in range(3)]))
    assert [r.outcome for r in results] == ["created"] * 3
    assert InboundEmail.objects.count() == 3 and Ticket.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_store_thread_whose_connection_broke_gets_a_new_one_and_no_message_is_lost(monkeypatch):
    """The server drops the store thread's connection: the batches it cannot store go one by one, the thread
    replaces the broken connection, and later batches are stored on it again."""
    import threading

    from django.db import connection as thread_connection

    monkeypatch.setattr(intake, "BATCH_MESSAGES", 2)
    real_store, stores = intake._store, []

    def store(rows):
        on_thread = threading.current_thread().name.startswith("intake-store")
        if on_thread and not stores:
            thread_connection.ensure_connection()
            thread_connection.connection.close()  # as if the server went away
        stores.append((on_thread, len(rows)))
        return real_store(rows)

    monkeypatch.setattr(intake, "_store", store)
    messages = [(f"b{i}", eml(sender=f"b{i}@example.com", message_id=f"b{i}@x")) for i in range(8)]
    results = list(ingest_many(messages))
    assert [r.outcome for r in results] == ["created"] * 8
    assert InboundEmail.objects.count() == 8 and Ticket.objects.count() == 8
    assert stores[0] == (True, 2)  # the broken one
    assert (True, 2) in stores[1:] and stores[-1] == (True, 2)  # stored on the thread again later
    assert (False, 1) in stores  # a batch that could not be stored went one by one
