"""One pipeline for every door mail comes in by (MTA pipe, files, IMAP): store raw, then decide.

The raw bytes are committed first; parsing and deciding happen after, in their own transaction.
A message that cannot be handled is quarantined with the reason, never dropped; one whose processing
never finished (a killed process, a database crash) is picked up again (`tickets/mail/recovery.py`).
"""
import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from tickets.attachments import IncomingFile
from tickets.mail.parse import ParsedMessage, UnparseableMessage, parse_message, unwrap_raw
from tickets.models import InboundEmail, Ticket, TicketMailId, TicketMessage, TicketParticipant
from support.services import audit_deferred
from tickets.services import (
    NewTicket,
    TicketError,
    customer_for_email,
    is_customer,
    ticket_create,
    ticket_customer_message,
    ticket_prepare,
    tickets_write,
    users_by_email,
)

logger = logging.getLogger(__name__)
Outcome = InboundEmail.Outcome
REFERENCE_IN_SUBJECT = re.compile(r"\[(SUP-[0-9A-HJKMNP-TV-Z]{6,10})\]", re.IGNORECASE)


@dataclass
class IntakeResult:
    source: str
    outcome: str
    ticket: str | None = None
    reason: str = ""
    sender: str = ""
    subject: str = ""
    attachments: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["from"] = data.pop("sender")
        return data


@dataclass
class Decision:
    outcome: str
    ticket: Ticket | None = None
    reason: str = ""


def _attachment_rows(parsed: ParsedMessage) -> list[dict]:
    return [
        {"filename": a.filename, "content_type": a.content_type, "size": a.size, "md5": a.md5}
        for a in parsed.attachments
    ]


def inbound_store(raw: bytes, *, source: str, imap: tuple[str, int, int] | None = None) -> InboundEmail:
    """Commit the raw message before anything else looks at it.

    Outside a transaction the INSERT is its own (autocommitted) one: a single round trip, stored for
    good when this returns. Inside one (a caller's atomic block) it gets a savepoint, as before.
    """
    [inbound] = _store([_inbound_row(raw, source, imap)])
    return inbound


def inbound_store_many(messages: list[tuple[bytes, str, tuple[str, int, int] | None]]) -> list[InboundEmail]:
    """Commit several raw messages at once, (raw, source, imap origin or None) each: one INSERT, one commit.

    All or nothing: when it raises, none of them was stored (the caller stores them one by one instead,
    so one bad message cannot keep the others out). The batch doors keep a batch small (`batched`).
    """
    return _store([_inbound_row(raw, source, imap) for raw, source, imap in messages])


def _inbound_row(raw: bytes, source: str, imap: tuple[str, int, int] | None) -> InboundEmail:
    mailbox, uidvalidity, uid = imap or ("", None, None)
    return InboundEmail(
        raw=raw,
        sha256=hashlib.sha256(raw).hexdigest(),
        source=source[:255],
        imap_mailbox=mailbox,
        imap_uidvalidity=uidvalidity,
        imap_uid=uid,
    )


def _store(inbounds: list[InboundEmail]) -> list[InboundEmail]:
    if connection.in_atomic_block:
        with transaction.atomic():
            _insert(inbounds)
    else:
        _insert(inbounds)
    return inbounds


def _insert(inbounds: list[InboundEmail]) -> None:
    if connection.vendor != "postgresql":
        if len(inbounds) == 1:
            inbounds[0].save(force_insert=True)
        else:
            with transaction.atomic():
                InboundEmail.objects.bulk_create(inbounds)
        return
    # Django's psycopg 3 backend binds parameters client-side: the bytea would become a hex literal
    # twice the message's size, built in Python. This one INSERT binds server-side, so the bytes go
    # to PostgreSQL as they are. (Through Django's cursor wrapper: execute wrappers and the
    # broken-transaction check still apply.) Several rows are one statement: one commit for all.
    from django.db.backends.postgresql.base import ServerBindingCursor

    meta = InboundEmail._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(inbound, True), connection) for inbound in inbounds for f in fields]
    quote = connection.ops.quote_name
    row = f"({', '.join(['%s'] * len(fields))})"
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES {', '.join([row] * len(inbounds))} RETURNING {quote(meta.pk.column)}"
    )
    connection.ensure_connection()
    with connection._prepare_cursor(ServerBindingCursor(connection.connection)) as cursor:
        cursor.execute(sql, values)
        pks = [pk for (pk,) in cursor.fetchall()]  # in the order of the VALUES rows
    for inbound, pk in zip(inbounds, pks, strict=True):
        inbound.pk = pk
        inbound._state.adding = False
        inbound._state.db = connection.alias


def _desk_addresses() -> set[str]:
    return {settings.DESK_EMAIL_ADDRESS.lower()}


def _reply_tokens(parsed: ParsedMessage) -> list[str]:
    local, domain = settings.DESK_EMAIL_ADDRESS.lower().rsplit("@", 1)
    tokens = []
    for address in [*parsed.envelope_recipients, *parsed.to, *parsed.cc]:
        addr_local, _, addr_domain = address.partition("@")
        if addr_domain == domain and addr_local.startswith(local + "+"):
            tokens.append(addr_local[len(local) + 1 :])
    return tokens


def _reference_keys(parsed: ParsedMessage) -> tuple[list[str], list[str], str | None]:
    """What `_ticket_referenced` looks a message's ticket up by: Message-IDs, reply tokens, subject reference."""
    ids = [*parsed.in_reply_to, *reversed(parsed.references)][:50]
    match = REFERENCE_IN_SUBJECT.search(parsed.subject)
    return ids, _reply_tokens(parsed), match.group(1).upper() if match else None


def _ticket_referenced(parsed: ParsedMessage) -> tuple[Ticket | None, str]:
    """The ticket this message answers: by our Message-IDs, the reply address, or the subject's reference."""
    ids, tokens, reference = _reference_keys(parsed)
    if ids:
        hit = TicketMailId.objects.filter(message_id__in=ids).select_related("ticket").first()
        if hit:
            return hit.ticket, "Message-ID"
        message = TicketMessage.objects.filter(message_id__in=ids).select_related("ticket").first()
        if message:
            return message.ticket, "Message-ID"
    if tokens:
        ticket = Ticket.objects.filter(reply_token__in=tokens).first()
        if ticket:
            return ticket, "reply address"
    if reference:
        ticket = Ticket.objects.filter(reference=reference).first()
        if ticket:
            return ticket, "subject reference"
    return None, ""


def _is_participant(ticket: Ticket, sender: str) -> bool:
    return ticket.requester_email == sender or ticket.participants.filter(email=sender).exists()


def _follow_merges(ticket: Ticket, known: dict[int, Ticket] | None = None) -> Ticket:
    """The ticket a merge led to; `known`: instances already read (a group's), used instead of reading again."""
    seen = set()
    while ticket.merged_into_id and ticket.pk not in seen:
        seen.add(ticket.pk)
        ticket = (known or {}).get(ticket.merged_into_id) or ticket.merged_into
    return ticket


def decide(parsed: ParsedMessage, *, inbound_pk: int | None = None) -> Decision:
    """What to do with a parsed message. Reads only; `inbound_process` carries it out."""
    # Without the models' orderings: SQLite refuses ORDER BY inside a compound statement (and PostgreSQL
    # would sort for nothing).
    earlier = (
        InboundEmail.objects.filter(message_id=parsed.message_id, outcome__in=[Outcome.CREATED, Outcome.THREADED])
        .exclude(pk=inbound_pk)
        .order_by()
        .values_list("pk")
    )
    ours = TicketMailId.objects.filter(message_id=parsed.message_id).order_by().values_list("pk")
    if earlier.union(ours, all=True)[:1]:  # one round trip for both
        return _duplicate(parsed)
    return _decide_unique(parsed)


def _duplicate(parsed: ParsedMessage) -> Decision:
    return Decision(Outcome.DUPLICATE, reason=f"Message-ID {parsed.message_id} was handled before")


def _decide_unique(parsed: ParsedMessage, lookups: "_GroupLookups | None" = None) -> Decision:
    """`decide` for a message that is not a duplicate; `lookups`: its group's, read beforehand."""
    referenced = lookups.referenced if lookups is not None else _ticket_referenced
    if parsed.bounce_reason:
        ticket, _how = referenced(parsed)
        return Decision(Outcome.BOUNCE, ticket=ticket, reason=parsed.bounce_reason)
    if parsed.auto_reply_reason:
        return Decision(Outcome.AUTOREPLY, reason=parsed.auto_reply_reason)
    sender = parsed.from_email
    if not sender or "@" not in sender:
        return Decision(Outcome.QUARANTINED, reason="no usable sender address (From)")
    if sender in _desk_addresses():
        return Decision(Outcome.AUTOREPLY, reason="sent from the desk's own address (mail loop)")
    ticket, how = referenced(parsed)
    if ticket is not None:
        ticket = _follow_merges(ticket, lookups.tickets if lookups is not None else None)
        if (lookups.is_participant if lookups is not None else _is_participant)(ticket, sender):
            return Decision(Outcome.THREADED, ticket=ticket, reason=f"matched {ticket.reference} by {how}")
        return Decision(
            Outcome.CREATED, reason=f"referenced {ticket.reference} by {how}, but the sender is not one of its participants"
        )
    return Decision(Outcome.CREATED)


def _files(parsed: ParsedMessage) -> list[IncomingFile]:
    return list(parsed.attachments)


def _serialise_by_message_id(message_id: str, *, asynchronous: bool = False) -> None:
    # Two workers given the same message at once must not both create a ticket.
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if asynchronous:  # set_config(..., true) is SET LOCAL: this transaction only, in the same round trip
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s)), set_config('synchronous_commit', 'off', true)", [message_id]
            )
        else:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [message_id])


def _new_ticket(parsed: ParsedMessage, inbound: InboundEmail, note: str = "") -> Ticket:
    ticket = ticket_create(**_new_ticket_fields(parsed, inbound))
    if note:
        TicketMessage.objects.create(ticket=ticket, kind=TicketMessage.Kind.NOTE, body_text=note)
    return ticket


def _new_ticket_fields(parsed: ParsedMessage, inbound: InboundEmail) -> dict:
    """`ticket_create`'s arguments for a message that opens a ticket."""
    desk = _desk_addresses()
    cc = [a for a in [*parsed.to, *parsed.cc] if a not in desk and not a.startswith(settings.DESK_EMAIL_ADDRESS.split("@")[0] + "+")]
    return {
        "subject": parsed.subject,
        "body_text": parsed.body_text or "(empty message)",
        "body_html": parsed.body_html,
        "requester_email": parsed.from_email,
        "channel": Ticket.Origin.EMAIL,
        "cc": cc,
        "attachments": _files(parsed),
        "strict_attachments": False,
        "inbound_email": inbound,
        "message_id": parsed.message_id,
    }


def _add_reply(ticket: Ticket, parsed: ParsedMessage, inbound: InboundEmail, *, author, locked: bool = False) -> TicketMessage:
    """A threaded message onto its ticket. Raises TicketError when the ticket is too old to reopen.

    `locked`: the caller holds the ticket's row lock and `ticket` is current (see ticket_customer_message)."""
    return ticket_customer_message(
        ticket,
        from_email=parsed.from_email,
        author=author,
        body_text=parsed.body_text or "(empty message)",
        body_html=parsed.body_html,
        attachments=_files(parsed),
        strict_attachments=False,
        inbound_email=inbound,
        message_id=parsed.message_id,
        locked=locked,
    )


def inbound_process(inbound: InboundEmail) -> IntakeResult:
    """Parse and carry out the decision for one stored message (safe to re-run from quarantine)."""
    result = IntakeResult(source=inbound.source, outcome=Outcome.QUARANTINED)
    try:
        parsed = parse_message(bytes(inbound.raw))
    except UnparseableMessage as exc:
        return _quarantine(inbound, result, f"unparseable: {exc.reason}")
    except Exception as exc:  # noqa: BLE001 - a parser bug must not lose the message
        logger.exception("parser failed on inbound e-mail %s", inbound.pk)
        return _quarantine(inbound, result, f"parser error: {exc!r}"[:500])
    result.sender, result.subject, result.attachments = parsed.from_email, parsed.subject, _attachment_rows(parsed)
    _redact_raw(inbound, parsed)
    # The apply commits without waiting for its WAL flush (INTAKE_ASYNC_APPLY): the raw message was
    # committed durably before this, so if PostgreSQL crashes within its async-commit window (about
    # 3 x wal_writer_delay) the apply is lost as a whole, the row is still PENDING and
    # `inbound_recover` runs it again: nothing is lost. The next synchronous commit on the server
    # (the next raw store, the acknowledgement task's) flushes it anyway, so no e-mail goes out about
    # a ticket that could vanish. The one edge: someone who only read the new ticket inside that
    # window (an agent's page, a websocket push) saw a ticket that comes back under another reference.
    # Only in a transaction of our own: a caller's atomic block keeps the durability it asked for.
    asynchronous = settings.INTAKE_ASYNC_APPLY and not connection.in_atomic_block
    try:
        with transaction.atomic():
            _serialise_by_message_id(parsed.message_id, asynchronous=asynchronous)
            decision = decide(parsed, inbound_pk=inbound.pk)
            ticket = decision.ticket
            reason = decision.reason
            if decision.outcome == Outcome.QUARANTINED:
                raise _Quarantine(reason)
            if decision.outcome == Outcome.THREADED:
                try:
                    _add_reply(ticket, parsed, inbound, author=customer_for_email(parsed.from_email))
                except TicketError as exc:  # too old to reopen: a new ticket that points at the old one
                    old = ticket
                    ticket = _new_ticket(parsed, inbound, note=f"Follow-up to {old.reference}: {exc}")
                    decision = Decision(Outcome.CREATED, reason=f"follow-up to {old.reference} (closed)")
                    reason = decision.reason
            elif decision.outcome == Outcome.CREATED:
                ticket = _new_ticket(parsed, inbound, note=reason)
            elif decision.outcome == Outcome.BOUNCE and ticket is not None:
                TicketMessage.objects.create(
                    ticket=ticket, kind=TicketMessage.Kind.NOTE, body_text=f"Mail delivery failed: {reason}", inbound_email=inbound
                )
            inbound.status = InboundEmail.Status.PROCESSED
            inbound.outcome = decision.outcome
            inbound.reason = reason
            inbound.ticket = ticket if decision.outcome != Outcome.DUPLICATE else None
            _finish(inbound, parsed)
    except _Quarantine as exc:
        return _quarantine(inbound, result, str(exc), parsed=parsed)
    except _HandledElsewhere:  # another run finished this row first: what it did stands, ours rolled back
        return _handled_elsewhere(inbound, result)
    except Exception as exc:  # noqa: BLE001 - kept for an agent to look at and re-run
        logger.exception("intake failed on inbound e-mail %s", inbound.pk)
        return _quarantine(inbound, result, f"intake error: {exc!r}"[:500], parsed=parsed)
    result.outcome, result.reason = inbound.outcome, inbound.reason
    result.ticket = ticket.reference if ticket is not None else None
    return result


_KEPT_HEADERS = ("From", "Reply-To", "To", "Cc", "Date", "Message-ID", "In-Reply-To", "References", "Auto-Submitted")


def _redact_raw(inbound: InboundEmail, parsed: ParsedMessage) -> None:
    """A message carrying a secret must not keep it in the stored raw bytes either.

    The raw copy is replaced by one with the original threading headers and the shielded text
    (re-running it gives the same ticket). The ticket services shield, record and tell the customer.
    """
    from email.message import EmailMessage
    from email.parser import BytesHeaderParser
    from email.policy import SMTP

    from safety.shield import shield

    subject, text, html = shield(parsed.subject), shield(parsed.body_text), shield(parsed.body_html)
    kinds = {f.kind for part in (subject, text, html) for f in part.findings}
    for attachment in parsed.attachments:  # a .txt or PDF with a secret: the raw copy must not keep it either
        kinds.update(attachment.secret_kinds)
    kinds = sorted(kinds)
    if not kinds:
        return
    original = BytesHeaderParser(policy=SMTP).parsebytes(unwrap_raw(bytes(inbound.raw)))  # the headers parse_message read
    redacted = EmailMessage(policy=SMTP)
    for name in _KEPT_HEADERS:
        for value in original.get_all(name, []):
            try:
                redacted[name] = str(value)
            except (ValueError, TypeError):  # a malformed header the parser tolerated: left out of the copy
                continue
    redacted["Subject"] = subject.text
    redacted["X-Desk-Redacted"] = ", ".join(kinds)
    note = (
        "[The desk's secret shield replaced the original message: it contained " + ", ".join(kinds)
        + ". Attachments without secrets are on the ticket.]"
    )
    redacted.set_content((text.text or "") + "\n\n" + note + "\n")
    # The one place the raw bytes change after they were stored: a secret must not stay in them.
    InboundEmail.objects.filter(pk=inbound.pk).update(raw=redacted.as_bytes())
    inbound.raw = redacted.as_bytes()


class _Quarantine(Exception):
    pass


class _HandledElsewhere(Exception):
    """The row was processed by another run meanwhile (a recovery run, an agent's re-run)."""


def _finish(inbound: InboundEmail, parsed: ParsedMessage | None) -> None:
    if parsed is not None:
        inbound.message_id = parsed.message_id[:998]
        inbound.from_email = parsed.from_email[:320]
        inbound.subject = parsed.subject[:255]
    inbound.processed_at = timezone.now()
    # Never the raw bytes again: they were stored (and committed) first and do not change. Only a row
    # no run has processed yet: two runs on one row (the Message-ID lock serialises them, but a redacted
    # message without a Message-ID gets another generated one) end with one result, the first's; the
    # second's UPDATE waits for the first's commit, matches nothing and rolls its own work back.
    fields = {name: getattr(inbound, name) for name in _PROCESSED_FIELDS if name != "attempts"}
    updated = (
        InboundEmail.objects.filter(pk=inbound.pk)
        .exclude(status=InboundEmail.Status.PROCESSED)
        .update(attempts=F("attempts") + 1, **fields)
    )
    if not updated:
        raise _HandledElsewhere
    inbound.attempts += 1


_PROCESSED_FIELDS = [
    f.name
    for f in InboundEmail._meta.concrete_fields
    if f.name not in ("id", "raw", "sha256", "source", "received_at", "imap_mailbox", "imap_uidvalidity", "imap_uid")
]


def _quarantine(inbound: InboundEmail, result: IntakeResult, reason: str, parsed: ParsedMessage | None = None) -> IntakeResult:
    try:
        with transaction.atomic():
            inbound.status = InboundEmail.Status.QUARANTINED
            inbound.outcome = Outcome.QUARANTINED
            inbound.reason = reason
            inbound.ticket = None
            _finish(inbound, parsed)
    except _HandledElsewhere:
        return _handled_elsewhere(inbound, result)
    result.outcome, result.reason = Outcome.QUARANTINED, reason
    return result


def _handled_elsewhere(inbound: InboundEmail, result: IntakeResult) -> IntakeResult:
    """What the run that got there first did with the row (ours changed nothing)."""
    inbound.refresh_from_db(fields=_PROCESSED_FIELDS)
    result.outcome = inbound.outcome
    result.ticket = inbound.ticket.reference if inbound.ticket_id else None
    result.reason = "handled meanwhile by another run" + (f": {inbound.reason}" if inbound.reason else "")
    return result


def ingest_raw(raw: bytes, *, source: str, imap: tuple[str, int, int] | None = None) -> IntakeResult:
    """Store then process one raw message."""
    return inbound_process(inbound_store(raw, source=source, imap=imap))


# A batch door stores up to this many messages with one commit, and closes a batch as soon as its messages
# reach BATCH_BYTES (the one that crosses the mark is its last): nothing is read ahead of a batch, so next to
# the message being processed at most a batch's worth of small ones is held, never a second large one.
# 2 MiB rather than 1: a group's fixed statements and commit are shared by twice as many messages of the
# benchmark's mix (mean 61 KiB), 10% of the batch door's time; 4 MiB or 100 messages gained nothing more.
BATCH_MESSAGES = 50
BATCH_BYTES = 2 * 1024 * 1024
T = TypeVar("T")


def batched(items: Iterable[T], *, size: Callable[[T], int]) -> Iterator[list[T]]:
    """Consecutive batches of at most BATCH_MESSAGES items, closed once they reach BATCH_BYTES.

    When `items` raises, the batch read so far is still handed out before the error goes on.
    """
    batch: list[T] = []
    total = 0
    try:
        for item in items:
            batch.append(item)
            total += size(item)
            del item  # while the batch is being processed, this frame holds none of it
            if len(batch) >= BATCH_MESSAGES or total >= BATCH_BYTES:
                full, batch, total = [batch], [], 0
                yield full.pop()
    except Exception:
        if batch:
            yield batch
        raise
    if batch:
        yield batch


def ingest_many(messages: Iterable[tuple[str, bytes]]) -> Iterator[IntakeResult]:
    """`ingest_raw` for each (source, raw), in order, but each batch's raw messages committed at once first.

    A batch whose store fails is taken one message at a time instead, exactly as `ingest_raw` would:
    the others are stored, and a message that cannot be stored raises as it always did.
    """
    with BatchStorer() as storer:
        for batch in batched(messages, size=lambda message: len(message[1])):
            stored = None
            if len(batch) > 1:
                try:
                    stored, parsed = storer.store_many([(raw, source, None) for source, raw in batch])
                except Exception:  # noqa: BLE001 - one bad message must not keep the others out
                    logger.warning("storing %d messages at once failed; one by one now", len(batch), exc_info=True)
            if stored is None:  # a single message (as it always was), or a batch that could not be stored at once
                batch.reverse()
                while batch:
                    yield _ingest_one(batch.pop())
                continue
            del batch
            yield from inbound_process_each(stored, parsed)


class BatchStorer:
    """Stores a batch door's batches on a thread of its own while the door's thread parses them.

    The raw messages are still committed before anything is decided or written for them, and a
    batch that cannot be stored is still not processed (`store_many` raises); only the parsing, which
    changes nothing, no longer waits for the INSERT and its durable commit (PostgreSQL's work on a
    megabyte of raw bytes: 8.5% of the batch door's time went to that wait). The thread has its own
    database connection, closed when the door is done (`with BatchStorer() as storer:`).

    On another database than PostgreSQL, or inside a caller's transaction (which the store must be part
    of), it stores on the caller's thread, as `inbound_store_many`, and parses nothing ahead.
    """

    def __init__(self):
        self._pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> "BatchStorer":
        return self

    def __exit__(self, *exc_info) -> None:
        if self._pool is not None:
            self._pool.submit(_close_thread_connection)
            self._pool.shutdown(wait=True)
            self._pool = None

    def store_many(
        self, messages: list[tuple[bytes, str, tuple[str, int, int] | None]]
    ) -> tuple[list[InboundEmail], dict[int, ParsedMessage | None]]:
        """`inbound_store_many(messages)`, and each message parsed meanwhile, by its index (None: it did not parse).

        The rows are built (and their SHA-256 taken) here: on the thread, the hashing would take the core the
        database server works on. Parsed largest first, as `_apply_group` parses them: while the largest is
        parsed the others are raw bytes, so a batch peaks about as it did when it was parsed after the store.
        """
        if connection.vendor != "postgresql" or connection.in_atomic_block:
            return inbound_store_many(messages), {}
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake-store")
        rows = [_inbound_row(raw, source, imap) for raw, source, imap in messages]
        storing = self._pool.submit(_store_on_thread, rows)
        parsed: dict[int, ParsedMessage | None] = {}
        try:
            for index in sorted(range(len(messages)), key=lambda i: len(messages[i][0]), reverse=True):
                try:
                    parsed[index] = parse_message(messages[index][0])
                except Exception:  # noqa: BLE001 - parsed again once stored, and quarantined with the reason
                    parsed[index] = None
        finally:
            stored = storing.result()  # the store's own error, if any, is the caller's to handle
        return stored, parsed


def _close_thread_connection() -> None:
    connection.close()  # looked up on the thread that runs it: that thread's own connection (Django's are per thread)


def _store_on_thread(rows: list[InboundEmail]) -> list[InboundEmail]:
    try:
        return _store(rows)
    except Exception:
        connection.close_if_unusable_or_obsolete()  # a broken connection is not kept for the next batch
        raise


def _ingest_one(message: tuple[str, bytes]) -> IntakeResult:
    return ingest_raw(message[1], source=message[0])


def inbound_process_each(
    stored: list[InboundEmail], parsed: dict[int, ParsedMessage | None] | None = None
) -> Iterator[IntakeResult]:
    """Process stored rows in order, letting go of each one's raw bytes when it is done (the list empties).

    `parsed`: messages already parsed, by their index in `stored` (`BatchStorer.store_many`); None for one
    that did not parse (processed on its own, which quarantines it with the reason).

    On PostgreSQL a stored batch is applied as one group (`_apply_group`): one transaction, shared
    lookups, one INSERT per table. A batch holds at most one message over BATCH_BYTES (the one that
    closed it) next to small ones under BATCH_BYTES together, and the group parses its largest
    message first, while nothing else of the group is parsed yet.
    """
    if connection.vendor == "postgresql":
        group = stored[:]
        stored.clear()
        yield from _apply_group(group, parsed or {})
        return
    stored.reverse()
    while stored:
        yield inbound_process(stored.pop())


@dataclass
class _Pending:
    """A message of a group, parsed, with what the group decided for it."""

    inbound: InboundEmail
    parsed: ParsedMessage
    result: IntakeResult
    new: NewTicket | None = None  # while its ticket waits for the group's next write


def _apply_group(group: list[InboundEmail], ahead: dict[int, ParsedMessage | None]) -> Iterator[IntakeResult]:
    """`inbound_process` for each message of a group, with the group's work shared.

    Each message is parsed (an unparseable one quarantined at once, as always); then the group is
    decided and applied in ONE transaction: one statement takes every Message-ID's lock, one finds
    the duplicates, one the accounts of every address; the new tickets are written with one INSERT
    per table (`tickets_write`), the rows' results with one UPDATE, one commit. A message that
    needs the database to decide (a reply, a bounce) is decided and applied in its turn, after the
    tickets opened before it were written. When anything fails the whole transaction rolls back
    and every message of the group is processed on its own (`inbound_process`), so one bad message
    never costs the others and none is lost (the raw rows were committed before).
    """
    if len(group) == 1:
        yield inbound_process(group.pop())
        return
    slots: list[IntakeResult | _Pending | None] = [None] * len(group)
    # The largest first: while it is parsed, the others are still raw bytes (as they were before the
    # group); a parsed message lets go of its raw bytes, so the group never holds both of a large one.
    for index in sorted(range(len(group)), key=lambda i: len(group[i].raw), reverse=True):
        inbound = group[index]
        result = IntakeResult(source=inbound.source, outcome=Outcome.QUARANTINED)
        try:
            parsed = ahead.pop(index) if index in ahead else parse_message(bytes(inbound.raw))
            if parsed is None:
                raise UnparseableMessage("did not parse")
        except Exception:  # noqa: BLE001 - inbound_process quarantines it with the reason, on its own
            slots[index] = inbound_process(inbound)
            continue
        result.sender, result.subject, result.attachments = parsed.from_email, parsed.subject, _attachment_rows(parsed)
        _redact_raw(inbound, parsed)
        inbound.raw = b""  # stored and committed: the group needs only the parsed message
        slots[index] = _Pending(inbound, parsed, result)
    del group
    pending = [slot for slot in slots if isinstance(slot, _Pending)]
    results = [None if isinstance(slot, _Pending) else slot for slot in slots]
    del slots
    try:
        _apply_together(pending)
        done = iter(p.result for p in pending)
    except Exception:  # noqa: BLE001 - rolled back as a whole: each on its own now, exactly as before
        logger.warning("applying %d messages together failed; one by one now", len(pending), exc_info=True)
        done = (inbound_process(_reloaded(p.inbound)) for p in pending)
    for result in results:
        yield result if result is not None else next(done)


def _reloaded(inbound: InboundEmail) -> InboundEmail:
    """The row as stored (its raw bytes were let go; the group's rolled-back changes undone)."""
    return InboundEmail.objects.get(pk=inbound.pk)


def _apply_together(pending: list[_Pending]) -> None:
    if not pending:
        return
    asynchronous = settings.INTAKE_ASYNC_APPLY and not connection.in_atomic_block  # as in inbound_process
    with transaction.atomic():
        ids = sorted({p.parsed.message_id for p in pending})
        with connection.cursor() as cursor:  # every lock in one round trip, in one order (no deadlock between runs)
            cursor.execute(
                "SELECT count(pg_advisory_xact_lock(h)), "
                + ("set_config('synchronous_commit', 'off', true) " if asynchronous else "'' ")
                + "FROM (SELECT DISTINCT hashtext(m) AS h FROM unnest(%s::text[]) AS m ORDER BY h) AS locks",
                [ids],
            )
        earlier = (
            InboundEmail.objects.filter(message_id__in=ids, outcome__in=[Outcome.CREATED, Outcome.THREADED])
            .exclude(pk__in=[p.inbound.pk for p in pending])
            .order_by()
            .values_list("message_id")
        )
        ours = TicketMailId.objects.filter(message_id__in=ids).order_by().values_list("message_id")
        handled = {message_id for (message_id,) in earlier.union(ours, all=True)}
        users = users_by_email(
            address for p in pending for address in [p.parsed.from_email, *p.parsed.to, *p.parsed.cc]
        )
        with audit_deferred():  # the group's audit rows (new tickets, replies, status changes): one INSERT
            _decide_and_apply(pending, handled, users)
            now = timezone.now()
            for p in pending:
                p.inbound.message_id = p.parsed.message_id[:998]
                p.inbound.from_email = p.parsed.from_email[:320]
                p.inbound.subject = p.parsed.subject[:255]
                p.inbound.processed_at = now
            _finish_many([p.inbound for p in pending])
    for p in pending:
        ticket = p.inbound.ticket
        p.result.outcome, p.result.reason = p.inbound.outcome, p.inbound.reason
        p.result.ticket = ticket.reference if ticket is not None else None


class _GroupLookups:
    """`_ticket_referenced` and `_is_participant` for a group's messages, read with three statements for the
    whole group instead of up to five a message: the rows every message's keys match (the desk's Message-IDs,
    the messages', reply tokens, references), the tickets they name, locked for the group's transaction in id
    order, and the participants among the group's senders.

    The answers are the ones the database gives at the group's start; they stay the ones it would give a
    message in its turn as long as nothing the group wrote since matches its keys: `_decide_and_apply`
    sends a message whose keys could match something the group wrote (`_GroupWrites.touched_by`) to the
    database instead. Picks follow `.first()` as `_ticket_referenced` runs it (the models' orderings).
    """

    def __init__(self, pending: list[_Pending], handled: set[str]):
        # Message-ID -> (the row's place in `.first()`'s order, its ticket id): a TicketMailId orders by id, a
        # TicketMessage by its Meta.ordering (created_at, id)
        self.mail_ids: dict[str, tuple[tuple, int]] = {}
        self.messages: dict[str, tuple[tuple, int]] = {}
        self.tokens: dict[str, int] = {}  # reply token -> ticket id
        self.references: dict[str, int] = {}  # reference -> ticket id
        self.tickets: dict[int, Ticket] = {}  # every ticket named, locked; the group's one instance of each
        self.participants: set[tuple[int, str]] = set()  # (ticket id, address) for the group's senders
        ids, tokens, references = set(), set(), set()
        # Only the messages that will look: not the duplicates found so far, not auto-replies (a bounce looks)
        looking = [
            p for p in pending
            if p.parsed.message_id not in handled and (p.parsed.bounce_reason or not p.parsed.auto_reply_reason)
        ]
        self.read_for = {id(p.parsed) for p in looking}
        for p in looking:
            message_ids, message_tokens, reference = _reference_keys(p.parsed)
            ids.update(message_ids)
            tokens.update(message_tokens)
            if reference:
                references.add(reference)
        if not (ids or tokens or references):
            return
        ids_list, tokens_list, references_list = sorted(ids), sorted(tokens), sorted(references)
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT 1, message_id, NULL::timestamptz, id, ticket_id FROM {quote(TicketMailId._meta.db_table)} "
                "WHERE message_id = ANY(%s) "
                f"UNION ALL SELECT 2, message_id, created_at, id, ticket_id FROM {quote(TicketMessage._meta.db_table)} "
                "WHERE message_id = ANY(%s) "
                f"UNION ALL SELECT 3, reply_token, NULL, id, id FROM {quote(Ticket._meta.db_table)} WHERE reply_token = ANY(%s) "
                f"UNION ALL SELECT 4, reference, NULL, id, id FROM {quote(Ticket._meta.db_table)} WHERE reference = ANY(%s)",
                [ids_list, ids_list, tokens_list, references_list],
            )
            rows = cursor.fetchall()
        for kind, key, created_at, pk, ticket_id in rows:
            if kind == 1:
                if key not in self.mail_ids or (pk,) < self.mail_ids[key][0]:
                    self.mail_ids[key] = ((pk,), ticket_id)
            elif kind == 2:
                if key not in self.messages or (created_at, pk) < self.messages[key][0]:
                    self.messages[key] = ((created_at, pk), ticket_id)
            elif kind == 3:
                self.tokens[key] = ticket_id
            else:
                self.references[key] = ticket_id
        named = {t for _pk, t in self.mail_ids.values()} | {t for _pk, t in self.messages.values()}
        named |= set(self.tokens.values()) | set(self.references.values())
        if not named:
            return
        # Locked now rather than one by one as each reply's service would: one statement, in id order.
        self.tickets = {
            t.pk: t for t in Ticket.objects.select_for_update(of=("self",)).select_related("assignee")
            .filter(pk__in=named).order_by("pk")
        }
        senders = {p.parsed.from_email for p in looking if p.parsed.from_email}
        if senders:
            self.participants = set(
                TicketParticipant.objects.filter(ticket_id__in=named, email__in=senders).values_list("ticket_id", "email")
            )

    def referenced(self, parsed: ParsedMessage) -> tuple[Ticket | None, str]:
        """`_ticket_referenced`, from what was read (from the database for a message it was not read for)."""
        if id(parsed) not in self.read_for:
            ticket, how = _ticket_referenced(parsed)
            return self.tickets.get(ticket.pk, ticket) if ticket is not None else None, how
        ids, tokens, reference = _reference_keys(parsed)
        for found in (self.mail_ids, self.messages):
            hits = [found[i] for i in ids if i in found]
            if hits:
                return self.tickets[min(hits)[1]], "Message-ID"
        hits = [self.tokens[t] for t in tokens if t in self.tokens]
        if hits:
            return self.tickets[min(hits)], "reply address"
        if reference in self.references:
            return self.tickets[self.references[reference]], "subject reference"
        return None, ""

    def is_participant(self, ticket: Ticket, sender: str) -> bool:
        """`_is_participant`; a ticket not read here (one a merge led to) asks the database."""
        if ticket.requester_email == sender:
            return True
        if self.tickets.get(ticket.pk) is ticket:
            return (ticket.pk, sender) in self.participants
        return _is_participant(ticket, sender)


class _GroupWrites:
    """What a group has written so far that a later message's lookups could find (see _GroupLookups)."""

    def __init__(self):
        self.message_ids: set[str] = {""}  # Message-IDs of the messages written (notes have none)
        self.tickets: list[Ticket] = []  # the tickets opened (written or waiting)

    def touched_by(self, parsed: ParsedMessage) -> bool:
        ids, tokens, reference = _reference_keys(parsed)
        if self.message_ids.intersection(ids):
            return True
        tokens = set(tokens)
        lowered = [i.lower() for i in ids]
        for ticket in self.tickets:
            if ticket.reply_token in tokens or ticket.reference == reference:
                return True
            prefix = ticket.reference.lower() + "."  # the desk's own Message-IDs for it (new_message_id)
            if any(i.startswith(prefix) for i in lowered):
                return True
        return False


def _decide_and_apply(pending: list[_Pending], handled: set[str], users: dict) -> None:
    """`_apply_together`'s decisions, message by message, in the group's transaction.

    `handled`: the Message-IDs already made tickets or replies (this group's are added); `users`: the
    accounts of every address in the group. New tickets wait and are written together.
    """
    policies: dict = {}
    waiting: list[_Pending] = []  # new tickets not written yet
    lookups = _GroupLookups(pending, handled)
    writes = _GroupWrites()

    def write_waiting() -> None:
        tickets_write([p.new for p in waiting])
        for p in waiting:
            p.inbound.ticket = p.new.ticket
        waiting.clear()

    for p in pending:
        parsed, inbound = p.parsed, p.inbound
        if parsed.message_id in handled:
            decision = _duplicate(parsed)
        elif writes.touched_by(parsed):  # it could name what this group wrote: the database decides
            if waiting:
                write_waiting()  # its lookups must see the tickets opened before it
            decision = _decide_unique(parsed)
            if decision.ticket is not None:  # the group's instance of a ticket it read (no stale copy)
                decision.ticket = lookups.tickets.get(decision.ticket.pk, decision.ticket)
        else:
            decision = _decide_unique(parsed, lookups)
        ticket, reason, note = decision.ticket, decision.reason, ""
        if decision.outcome == Outcome.THREADED:
            customer = users.get(parsed.from_email.strip().lower())  # customer_for_email, from the group's lookup
            try:
                message = _add_reply(
                    ticket, parsed, inbound, author=customer if is_customer(customer) else None,
                    locked=lookups.tickets.get(ticket.pk) is ticket,
                )
            except TicketError as exc:  # too old to reopen: a new ticket that points at the old one
                note = f"Follow-up to {ticket.reference}: {exc}"
                decision = Decision(Outcome.CREATED, reason=f"follow-up to {ticket.reference} (closed)")
                ticket, reason = None, decision.reason
            else:
                ticket = lookups.tickets[ticket.pk] = message.ticket  # locked now; later replies use this one
                writes.message_ids.add(parsed.message_id)
        if decision.outcome == Outcome.CREATED:
            if not note:
                note = reason
            try:  # it writes nothing (but a record of a secret it removed, which stays true)
                p.new = ticket_prepare(**_new_ticket_fields(parsed, inbound), users=users, policies=policies)
            except Exception as exc:  # noqa: BLE001 - this one quarantined, as inbound_process would
                logger.exception("intake failed on inbound e-mail %s", inbound.pk)
                decision = Decision(Outcome.QUARANTINED, reason=f"intake error: {exc!r}"[:500])
                reason = decision.reason
            else:
                if note:
                    p.new.notes.append(note)
        if decision.outcome == Outcome.BOUNCE and ticket is not None:
            TicketMessage.objects.create(
                ticket=ticket, kind=TicketMessage.Kind.NOTE, body_text=f"Mail delivery failed: {reason}", inbound_email=inbound
            )
        if p.new is not None:
            waiting.append(p)
            writes.tickets.append(p.new.ticket)
            writes.message_ids.add(parsed.message_id)
        if decision.outcome in (Outcome.CREATED, Outcome.THREADED):
            handled.add(parsed.message_id)
        quarantined = decision.outcome == Outcome.QUARANTINED
        inbound.status = InboundEmail.Status.QUARANTINED if quarantined else InboundEmail.Status.PROCESSED
        inbound.outcome = decision.outcome
        inbound.reason = reason
        inbound.ticket = ticket if decision.outcome not in (Outcome.DUPLICATE, Outcome.QUARANTINED) else None
    write_waiting()


# What `_finish_many` writes besides attempts: every one of _PROCESSED_FIELDS (a test holds them equal).
_FINISH_COLUMNS = ["status", "outcome", "reason", "message_id", "from_email", "subject", "ticket_id", "processed_at"]


def _finish_many(inbounds: list[InboundEmail]) -> None:
    """`_finish` for a group's rows: one UPDATE from a VALUES list (Django's bulk_update builds a CASE per
    field and row, which cost more than the rest of a group's apply).

    Only rows no run has processed meanwhile (see _finish): if one was, it raises and the group rolls
    back; each message then goes through inbound_process, which reports what the other run did.
    """
    quote = connection.ops.quote_name
    columns = _FINISH_COLUMNS
    row = "(%s::bigint, " + ", ".join(["%s"] * 6) + ", %s::bigint, %s::timestamptz)"
    params = []
    for inbound in inbounds:
        params += [inbound.pk, inbound.status, inbound.outcome, inbound.reason, inbound.message_id, inbound.from_email,
                   inbound.subject, inbound.ticket_id, inbound.processed_at]
    table = quote(InboundEmail._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET "
            + ", ".join(f"{quote(c)} = v.{quote(c)}" for c in columns)
            + f", attempts = t.attempts + 1 FROM (VALUES {', '.join([row] * len(inbounds))}) AS v(id, "
            + ", ".join(quote(c) for c in columns)
            + ") WHERE t.id = v.id AND t.status <> %s",
            [*params, InboundEmail.Status.PROCESSED],
        )
        updated = cursor.rowcount
    if updated != len(inbounds):
        raise _HandledElsewhere(f"{len(inbounds) - updated} of {len(inbounds)} rows were processed meanwhile")
    for inbound in inbounds:
        inbound.attempts += 1


def dry_run(raw: bytes, *, source: str) -> IntakeResult:
    """Parse and decide without storing anything."""
    result = IntakeResult(source=source, outcome=Outcome.QUARANTINED)
    try:
        parsed = parse_message(raw)
    except UnparseableMessage as exc:
        result.reason = f"unparseable: {exc.reason}"
        return result
    except Exception as exc:  # noqa: BLE001
        result.reason = f"parser error: {exc!r}"[:500]
        return result
    decision = decide(parsed)
    result.outcome, result.reason = decision.outcome, decision.reason
    result.ticket = decision.ticket.reference if decision.ticket else None
    result.sender, result.subject, result.attachments = parsed.from_email, parsed.subject, _attachment_rows(parsed)
    return result
