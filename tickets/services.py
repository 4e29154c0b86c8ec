"""Every change to a ticket. Each writes the audit log and keeps the SLA clocks in step."""
import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Min
from django.db.models.functions import Lower
from django.utils import timezone

from support.models import Channel, CustomerProfile, SLAClock, User
from support.services import (
    audit_event_build,
    audit_events_record,
    audit_event_record,
    notification_send,
    sla_clock_cancel,
    sla_clock_pause,
    sla_clock_resume,
    sla_clock_satisfy,
    sla_clock_start,
)
from support.services.sla import sla_clocks_assign, sla_clocks_prepare, sla_clocks_start_new_many
from tickets.attachments import AttachmentRejected, IncomingFile, attachment_check
from tickets.models import Ticket, TicketAttachment, TicketMessage, TicketParticipant

Status = Ticket.Status
FIRST_RESPONSE = SLAClock.Metric.FIRST_RESPONSE
RESOLUTION = SLAClock.Metric.RESOLUTION


class TicketError(Exception):
    """A change the ticket's state does not allow; the message is fit to show."""


class TicketLocked(TicketError):
    pass


def _sla_channel(ticket: Ticket) -> str:
    if ticket.category == Ticket.Category.COMPLAINT:
        return Channel.COMPLAINT
    return Channel.WEB if ticket.channel in (Ticket.Origin.WEB, Ticket.Origin.API) else Channel.EMAIL


def _sync_sla_due(ticket: Ticket) -> None:
    """Copy the earliest running clock's due time onto the ticket (the queue orders by it)."""
    due = SLAClock.objects.filter(
        content_type=ContentType.objects.get_for_model(Ticket),
        object_id=str(ticket.pk),
        state=SLAClock.State.RUNNING,
    ).aggregate(due=Min("due_at"))["due"]
    if due != ticket.sla_due_at:
        ticket.sla_due_at = due
        ticket.save(update_fields=["sla_due_at", "updated_at"])


def _clock_specs(ticket: Ticket, *, first_response: bool) -> list[tuple[str, str]]:
    """(SLA channel, metric) of the clocks a ticket runs: a complaint answers on its own policy,
    resolution follows the web or e-mail policy."""
    channel = _sla_channel(ticket)
    specs = [(channel, FIRST_RESPONSE)] if first_response else []
    specs.append((Channel.WEB if channel == Channel.WEB else Channel.EMAIL, RESOLUTION))
    return specs


def _start_clocks(ticket: Ticket, *, first_response: bool, at=None) -> None:
    common = {
        "priority": ticket.priority, "vip": ticket.vip, "at": at,
        "category": ticket.category, "language": ticket.language, "assignee": ticket.assignee,
    }
    for channel, metric in _clock_specs(ticket, first_response=first_response):
        sla_clock_start(ticket, channel=channel, metric=metric, **common)


def customer_for_email(email: str) -> User | None:
    """Sender -> customer by the registered e-mail address (case-insensitive)."""
    return (
        User.objects.filter(email__iexact=email.strip(), is_active=True, customer_profile__isnull=False)
        .select_related("customer_profile")
        .first()
    )


def is_customer(user: User | None) -> bool:
    return user is not None and user.is_active and getattr(user, "customer_profile", None) is not None


def users_by_email(addresses) -> dict[str, User]:
    """Users by lower-cased address, with their customer profiles: one query (the unique index on LOWER(email))."""
    wanted = {a.strip().lower() for a in addresses if a and a.strip()}
    if not wanted:
        return {}
    users = User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=wanted).select_related("customer_profile")
    return {user.email_lower: user for user in users}


def _participant_addresses(requester: str, cc) -> list[tuple[str, str]]:
    """(address, role) of a new ticket's participants, the requester first; the desk itself never."""
    desk = settings.DESK_EMAIL_ADDRESS.lower()
    rows, seen = [], set()
    for address, role in [(requester, TicketParticipant.Role.REQUESTER), *((a, TicketParticipant.Role.CC) for a in cc)]:
        address = address.strip().lower()
        if address and address != desk and address not in seen:
            seen.add(address)
            rows.append((address, role))
    return rows


def _add_participant(ticket: Ticket, email: str, *, role=TicketParticipant.Role.CC) -> None:
    email = email.strip().lower()
    if not email or email == settings.DESK_EMAIL_ADDRESS.lower():
        return
    user = User.objects.filter(email__iexact=email).first()
    TicketParticipant.objects.get_or_create(ticket=ticket, email=email, defaults={"user": user, "role": role})


def _vet_attachments(files, *, strict: bool) -> tuple[list[IncomingFile], list[str]]:
    """(acceptable files, reasons for the rest). strict: raise on the first refusal (web upload),
    else return the reasons (e-mail: the raw message keeps the refused file). Touches nothing."""
    files = list(files)
    refused = []
    if len(files) > settings.TICKET_ATTACHMENT_MAX_COUNT:
        if strict:
            raise AttachmentRejected(f"At most {settings.TICKET_ATTACHMENT_MAX_COUNT} files per message.")
        refused.append(f"{len(files) - settings.TICKET_ATTACHMENT_MAX_COUNT} files over the limit of {settings.TICKET_ATTACHMENT_MAX_COUNT}")
        files = files[: settings.TICKET_ATTACHMENT_MAX_COUNT]
    accepted = []
    for file in files:
        try:
            attachment_check(file)
        except AttachmentRejected as exc:
            if strict:
                raise
            refused.append(str(exc))
        else:
            accepted.append(file)
    return accepted, refused


def _save_attachments(ticket: Ticket, message: TicketMessage, accepted: list[IncomingFile]) -> None:
    _save_attachments_many([(ticket, message, accepted)])


def _save_attachments_many(items: list[tuple[Ticket, TicketMessage, list[IncomingFile]]]) -> None:
    """Write each accepted file to private storage, then their rows in one INSERT."""
    rows = []
    for ticket, message, accepted in items:
        for file in accepted:
            attachment = TicketAttachment(
                ticket=ticket,
                message=message,
                filename=file.filename,
                content_type=file.content_type,
                size=file.size,
                md5=file.md5,
                sha256=file.sha256,
                content_id=file.content_id,
                inline=file.inline,
            )
            attachment.file.save(file.filename, ContentFile(file.payload), save=False)
            rows.append(attachment)
    if rows:
        TicketAttachment.objects.bulk_create(rows)


def _store_attachments(ticket: Ticket, message: TicketMessage, files, *, strict: bool) -> list[str]:
    """Store the acceptable files; refuse the rest (see _vet_attachments)."""
    accepted, refused = _vet_attachments(files, strict=strict)
    _save_attachments(ticket, message, accepted)
    return refused


@dataclass
class NewTicket:
    """A ticket ready to be stored by `tickets_write`: built, checked and shielded, nothing written yet."""

    ticket: Ticket
    participants: list[TicketParticipant]
    message: TicketMessage
    accepted: list[IncomingFile]
    refused: list[str]
    clocks: list[SLAClock]
    removed: list[str]
    customer: User | None
    requester: str
    users: dict[str, User]
    actor: User | None
    acknowledge: bool
    notes: list[str] = field(default_factory=list)  # system notes written after the first message


def ticket_create(**arguments) -> Ticket:
    """Open a ticket with its first message; start its SLA clocks; acknowledge after commit.

    The arguments are `ticket_prepare`'s. `customer` None: looked up by the requester's registered
    address, else the ticket is flagged "unverified sender". `fields`: the structured fields the
    category asks for. Raises AttachmentRejected (strict), ValidationError or LookupError (no SLA
    policy) before anything is stored. Atomic; inside a caller's transaction it takes no savepoint
    of its own, because everything it refuses it refuses before writing.
    """
    new = ticket_prepare(**arguments)
    tickets_write([new])
    return new.ticket


def ticket_prepare(
    *,
    subject: str,
    body_text: str,
    requester_email: str,
    channel: str,
    category: str = Ticket.Category.TECHNICAL,
    priority: str = Ticket.Priority.NORMAL,
    body_html: str = "",
    customer: User | None = None,
    language: str | None = None,
    fields: dict | None = None,
    cc: list[str] | tuple = (),
    attachments: list[IncomingFile] | tuple = (),
    strict_attachments: bool = True,
    actor: User | None = None,
    inbound_email=None,
    message_id: str = "",
    acknowledge: bool = True,
    users: dict[str, User] | None = None,
    policies: dict | None = None,
) -> NewTicket:
    """`ticket_create` up to the writes: everything it checks, refuses or looks up, nothing stored.

    For several tickets at once (e-mail intake's batches): `users`, the accounts of every address
    involved by lower-cased address (`users_by_email`), saves each ticket its own lookup; `policies`,
    a dict shared by the batch, its SLA policy lookups (`sla_clocks_prepare`).
    """
    requester = requester_email.strip().lower()
    participants = _participant_addresses(customer.email if customer else requester, cc)
    subject, body_text, body_html, removed = _shield_customer_text(
        subject=subject, body_text=body_text, body_html=body_html, customer=customer, requester=requester, where=channel
    )
    if users is not None:
        users = {address: users[address] for address in [requester, *(a for a, _role in participants)] if address in users}
    elif customer is not None and len(participants) == 1:
        users = {customer.email.strip().lower(): customer}
    else:  # the sender as a customer and every participant's account: one query
        users = users_by_email([requester, *(address for address, _role in participants)])
    if customer is None and is_customer(users.get(requester)):
        customer = users[requester]
    profile: CustomerProfile | None = getattr(customer, "customer_profile", None) if customer else None
    ticket = Ticket(
        subject=(" ".join(subject.split()) or "(no subject)")[:255],
        requester_email=(customer.email if customer else requester_email).strip().lower(),
        customer=customer,
        unverified_sender=customer is None,
        channel=channel,
        category=category,
        priority=priority,
        language=language or (profile.language if profile else "en"),
        vip=bool(profile and profile.is_vip),
        **(fields or {}),
    )
    if not ticket.account_number and profile:
        ticket.account_number = profile.account_number
    # Field checks only: the database enforces uniqueness and the constraints (no extra queries).
    ticket.full_clean(
        exclude=["customer", "assignee", "merged_into", "locked_by"], validate_unique=False, validate_constraints=False
    )
    # The clocks' due times are known before the ticket is stored, so the queue's copy of the
    # earliest (sla_due_at) goes in with the INSERT.
    clocks = sla_clocks_prepare(
        _clock_specs(ticket, first_response=True), priority=ticket.priority, vip=ticket.vip, at=timezone.now(),
        cache=policies,
    )
    ticket.sla_due_at = min(clock.due_at for clock in clocks)
    accepted, refused = _vet_attachments(attachments, strict=strict_attachments)
    message = TicketMessage(
        ticket=ticket,
        kind=TicketMessage.Kind.CUSTOMER,
        author=customer,
        from_email=requester,
        body_text=body_text,
        body_html=body_html,
        message_id=message_id,
        inbound_email=inbound_email,
    )
    return NewTicket(
        ticket=ticket, participants=[
            TicketParticipant(ticket=ticket, email=address, user=users.get(address), role=role) for address, role in participants
        ], message=message, accepted=accepted, refused=refused, clocks=clocks, removed=removed, customer=customer,
        requester=requester, users=users, actor=actor, acknowledge=acknowledge,
    )


@transaction.atomic(savepoint=False)
def tickets_write(new: list[NewTicket]) -> None:
    """Store prepared tickets: one INSERT per table for all of them (six statements for one ticket or fifty).

    Each gets its participants, first message, attachments, clocks, audit row and acknowledgement,
    then its system notes (refused attachments, `notes`); a secret the shield removed is told as
    `ticket_create` always did.
    """
    if not new:
        return
    Ticket.objects.bulk_create([n.ticket for n in new])
    TicketParticipant.objects.bulk_create([p for n in new for p in n.participants])
    TicketMessage.objects.bulk_create([n.message for n in new])
    _save_attachments_many([(n.ticket, n.message, n.accepted) for n in new])
    notes = [
        TicketMessage(ticket=n.ticket, kind=TicketMessage.Kind.NOTE, body_text="Attachments not stored (kept in the raw e-mail): " + "; ".join(n.refused))
        for n in new if n.refused
    ]
    if notes:
        TicketMessage.objects.bulk_create(notes)
    sla_clocks_start_new_many(
        [(n.ticket, n.clocks, {"category": n.ticket.category, "language": n.ticket.language, "assignee": n.ticket.assignee}) for n in new]
    )
    audit_events_record(
        [
            audit_event_build(
                n.ticket, actor=n.actor, verb="ticket.created", data={"channel": n.ticket.channel, "category": n.ticket.category}
            )
            for n in new
        ]
    )
    acknowledged = [n.ticket for n in new if n.acknowledge]
    if acknowledged:
        from tickets.mail.outbound import acknowledgement_queue_many

        acknowledgement_queue_many(acknowledged)
    for n in new:
        if n.removed:
            _secrets_told(
                n.ticket, n.removed, customer=n.customer or n.users.get(n.requester), email=n.requester,
                by_email=n.ticket.channel == Ticket.Origin.EMAIL,
            )
        n.ticket.secrets_removed = n.removed
    notes = [TicketMessage(ticket=n.ticket, kind=TicketMessage.Kind.NOTE, body_text=text) for n in new for text in n.notes]
    if notes:
        TicketMessage.objects.bulk_create(notes)


def _shield_customer_text(*, subject: str, body_text: str, body_html: str, customer, requester: str, where: str):
    """The secret shield on what a customer wrote (subject, text, HTML), before anything is stored.

    When it removes something the HTML copy is dropped: a secret can be split across tags there,
    and the shielded text is what agents read. Returns the texts and the kinds removed.
    """
    from safety.services import secrets_record, shield_fields

    cleaned, removed = shield_fields(
        {"subject": subject, "body_text": body_text, "body_html": body_html}, ["subject", "body_text", "body_html"],
        customer=None, where=where, record=False,
    )
    if removed:  # rare: only then is the sender looked up
        secrets_record(removed, customer=customer if customer is not None else customer_for_email(requester), where=where)
        cleaned["body_html"] = ""
    return cleaned["subject"], cleaned["body_text"], cleaned["body_html"], removed


def _secrets_told(ticket: Ticket, removed: list[str], *, customer, email: str, by_email: bool) -> None:
    """Tell the customer at once, in their language: in the personal area, and by e-mail when they wrote by e-mail."""
    from safety.services import customer_language, secrets_email, secrets_notify

    url = f"/tickets/{ticket.reference}/"
    if customer is not None:
        secrets_notify(customer, removed, url=url)
    _system_note(ticket, "The secret shield removed from the customer's message: " + ", ".join(removed) + ". The customer was told.")
    if by_email:
        language = customer_language(customer) if customer is not None else ticket.language
        secrets_email(to=email, customer=customer, kinds=removed, reference=ticket.reference, url=url, language=language)


def _system_note(ticket: Ticket, text: str) -> TicketMessage:
    return TicketMessage.objects.create(ticket=ticket, kind=TicketMessage.Kind.NOTE, body_text=text)


def check_claim(ticket: Ticket, agent: User) -> None:
    if ticket.locked_by_id and ticket.locked_by_id != agent.pk and ticket.locked_at:
        if timezone.now() - ticket.locked_at < dt.timedelta(minutes=settings.TICKET_CLAIM_MINUTES):
            raise TicketLocked(f"{ticket.locked_by} is answering this ticket.")


@transaction.atomic
def ticket_reply(
    ticket: Ticket,
    *,
    author: User,
    body: str,
    internal: bool = False,
    body_html: str = "",
    attachments: list[IncomingFile] | tuple = (),
    status: str | None = None,
) -> TicketMessage:
    """An agent's public reply (e-mailed to the participants) or internal note.

    The first public reply satisfies the first-response clock; by default the ticket then waits on
    the customer, which pauses the resolution clock. Raises TicketLocked when another agent holds the claim.
    """
    if not internal:
        from support.services.outbound_links import CredentialLinkRefused, outbound_check

        try:
            outbound_check(body, body_html)
        except CredentialLinkRefused as exc:
            raise TicketError(str(exc)) from None
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.merged_into_id:
        raise TicketError("This ticket was merged; reply on the ticket it was merged into.")
    check_claim(ticket, author)
    kind = TicketMessage.Kind.NOTE if internal else TicketMessage.Kind.REPLY
    message = TicketMessage.objects.create(
        ticket=ticket, kind=kind, author=author, from_email=author.email, body_text=body, body_html=body_html
    )
    _store_attachments(ticket, message, list(attachments), strict=True)
    if internal:
        audit_event_record(ticket, actor=author, verb="ticket.noted", data={"message": message.pk})
        return message
    now = timezone.now()
    if ticket.first_response_at is None:
        ticket.first_response_at = now
        sla_clock_satisfy(ticket, metric=FIRST_RESPONSE, at=now)
    if ticket.assignee_id is None:
        ticket.assignee = author
    ticket.save(update_fields=["first_response_at", "assignee", "updated_at"])
    _set_status(ticket, status or Status.WAITING_ON_CUSTOMER, actor=author)
    audit_event_record(ticket, actor=author, verb="ticket.replied", data={"message": message.pk})
    from tickets.mail.outbound import reply_queue

    reply_queue(message)
    return message


def ticket_customer_message(
    ticket: Ticket,
    *,
    from_email: str,
    body_text: str,
    body_html: str = "",
    author: User | None = None,
    attachments: list[IncomingFile] | tuple = (),
    strict_attachments: bool = True,
    inbound_email=None,
    message_id: str = "",
    locked: bool = False,
) -> TicketMessage:
    """A message from the customer (or a CC'd participant) by e-mail or from the page.

    A ticket waiting on the customer opens again and its clocks resume; a resolved or closed one
    reopens within TICKET_REOPEN_DAYS. Raises TicketError when it is too late to reopen.
    `locked`: the caller's transaction holds the ticket's row lock and `ticket` is current (e-mail
    intake locks a group's tickets at once), so it is not read again, and it takes no savepoint: it
    refuses (TicketError) before it writes anything, and any other error fails the caller's transaction.
    The message's `ticket` is the instance the service used and changed.
    """
    arguments = {
        "from_email": from_email, "body_text": body_text, "body_html": body_html, "author": author,
        "attachments": attachments, "strict_attachments": strict_attachments, "inbound_email": inbound_email,
        "message_id": message_id,
    }
    if locked:
        _refuse_if_too_old(ticket)
        with transaction.atomic(savepoint=False):
            return _customer_message(ticket, **arguments)
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        _refuse_if_too_old(ticket)
        return _customer_message(ticket, **arguments)


def _refuse_if_too_old(ticket: Ticket) -> None:
    if ticket.status in (Status.RESOLVED, Status.CLOSED) and not reopenable(ticket):
        raise TicketError("This ticket was closed too long ago to reopen; please open a new one.")


def _customer_message(
    ticket: Ticket, *, from_email: str, body_text: str, body_html: str, author, attachments, strict_attachments: bool,
    inbound_email, message_id: str,
) -> TicketMessage:
    _subject, body_text, body_html, removed = _shield_customer_text(
        subject="", body_text=body_text, body_html=body_html, customer=author, requester=from_email,
        where="email" if inbound_email is not None else "web",
    )
    message = TicketMessage.objects.create(
        ticket=ticket,
        kind=TicketMessage.Kind.CUSTOMER,
        author=author,
        from_email=from_email.strip().lower(),
        body_text=body_text,
        body_html=body_html,
        inbound_email=inbound_email,
        message_id=message_id,
    )
    refused = _store_attachments(ticket, message, list(attachments), strict=strict_attachments)
    if refused:
        _system_note(ticket, "Attachments not stored (kept in the raw e-mail): " + "; ".join(refused))
    if ticket.status != Status.OPEN:
        _set_status(ticket, Status.OPEN, actor=author)
    else:
        ticket.save(update_fields=["updated_at"])
    audit_event_record(ticket, actor=author, verb="ticket.customer_message", data={"message": message.pk})
    if removed:
        _secrets_told(ticket, removed, customer=author, email=from_email.strip().lower(), by_email=inbound_email is not None)
    message.secrets_removed = removed
    if ticket.assignee_id:
        assignee = ticket.assignee
        transaction.on_commit(
            lambda: notification_send(
                assignee, kind="ticket.customer_message", message=f"{ticket.reference}: new message from the customer",
                url=f"/admin/tickets/ticket/{ticket.pk}/change/",
            )
        )
    return message


def reopenable(ticket: Ticket) -> bool:
    ended = ticket.closed_at or ticket.resolved_at
    return ended is None or timezone.now() - ended <= dt.timedelta(days=settings.TICKET_REOPEN_DAYS)


def _set_status(ticket: Ticket, status: str, *, actor: User | None) -> None:
    """Move the ticket and its clocks: waiting pauses, open resumes, resolved meets, closed ends."""
    old = ticket.status
    if old == status:
        return
    now = timezone.now()
    clocks_changed = True
    if status == Status.WAITING_ON_CUSTOMER:
        sla_clock_pause(ticket, metric=RESOLUTION, at=now)
    elif status in (Status.OPEN, Status.NEW):
        if old in (Status.RESOLVED, Status.CLOSED):
            ticket.resolved_at = ticket.closed_at = None
            _start_clocks(ticket, first_response=False, at=now)
        elif old == Status.NEW:
            clocks_changed = False  # only waiting on the customer pauses clocks: nothing to resume
        else:
            clocks_changed = bool(sla_clock_resume(ticket, at=now))
    elif status == Status.RESOLVED:
        ticket.resolved_at = now
        sla_clock_resume(ticket, metric=RESOLUTION, at=now)
        sla_clock_satisfy(ticket, metric=RESOLUTION, at=now)
        sla_clock_cancel(ticket, metric=FIRST_RESPONSE, at=now)  # resolved without a reply (e.g. spam)
    elif status == Status.CLOSED:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
        sla_clock_resume(ticket, metric=RESOLUTION, at=now)
        sla_clock_satisfy(ticket, metric=RESOLUTION, at=now)
        sla_clock_cancel(ticket, at=now)
    ticket.status = status
    ticket.save(update_fields=["status", "resolved_at", "closed_at", "updated_at"])
    if clocks_changed:  # the running clocks' earliest due time can only move when a clock did
        _sync_sla_due(ticket)
    audit_event_record(ticket, actor=actor, verb="ticket.status_changed", data={"from": old, "to": status})


@transaction.atomic
def ticket_status_change(ticket: Ticket, *, status: str, actor: User) -> Ticket:
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if status not in Status.values:
        raise TicketError(f"Unknown status {status!r}")
    if ticket.merged_into_id:
        raise TicketError("A merged ticket cannot change status.")
    _set_status(ticket, status, actor=actor)
    return ticket


@transaction.atomic
def ticket_assign(ticket: Ticket, *, assignee: User | None, actor: User) -> Ticket:
    """Give the ticket to an agent (None: back to the queue)."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if assignee is not None and not assignee.has_role("agent"):
        raise TicketError(f"{assignee} is not an agent.")
    old = ticket.assignee_id
    ticket.assignee = assignee
    if ticket.status == Status.NEW and assignee is not None:
        ticket.status = Status.OPEN
    ticket.save(update_fields=["assignee", "status", "updated_at"])
    sla_clocks_assign(ticket, assignee=assignee)
    audit_event_record(ticket, actor=actor, verb="ticket.assigned", data={"from": old, "to": assignee.pk if assignee else None})
    if assignee is not None and assignee != actor:
        transaction.on_commit(
            lambda: notification_send(
                assignee, kind="ticket.assigned", message=f"{ticket.reference} was assigned to you",
                url=f"/admin/tickets/ticket/{ticket.pk}/change/",
            )
        )
    return ticket


@transaction.atomic
def ticket_priority_change(ticket: Ticket, *, priority: str, actor: User) -> Ticket:
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if priority not in Ticket.Priority.values:
        raise TicketError(f"Unknown priority {priority!r}")
    old = ticket.priority
    ticket.priority = priority
    ticket.save(update_fields=["priority", "updated_at"])
    audit_event_record(ticket, actor=actor, verb="ticket.priority_changed", data={"from": old, "to": priority})
    return ticket


@transaction.atomic
def ticket_merge(source: Ticket, *, into: Ticket, actor: User) -> Ticket:
    """Move `source`'s thread, files and participants into `into` and close `source`.

    Both must belong to the same customer (or requester address); clocks of `source` are cancelled.
    """
    source, into = (Ticket.objects.select_for_update().get(pk=t.pk) for t in (source, into))
    if source.pk == into.pk:
        raise TicketError("A ticket cannot be merged into itself.")
    if into.merged_into_id:
        raise TicketError(f"{into.reference} was itself merged; merge into {into.merged_into.reference}.")
    same_owner = (source.customer_id and source.customer_id == into.customer_id) or (
        not source.customer_id and not into.customer_id and source.requester_email == into.requester_email
    )
    if not same_owner:
        raise TicketError("Only tickets of the same customer can be merged.")
    TicketMessage.objects.filter(ticket=source).update(ticket=into)
    TicketAttachment.objects.filter(ticket=source).update(ticket=into)
    for participant in source.participants.all():
        _add_participant(into, participant.email, role=TicketParticipant.Role.CC)
    sla_clock_cancel(source)
    source.merged_into = into
    source.status = Status.CLOSED
    source.closed_at = timezone.now()
    source.sla_due_at = None
    source.save(update_fields=["merged_into", "status", "closed_at", "sla_due_at", "updated_at"])
    _system_note(into, f"{source.reference} was merged into this ticket by {actor}.")
    audit_event_record(source, actor=actor, verb="ticket.merged", data={"into": into.reference})
    audit_event_record(into, actor=actor, verb="ticket.merged_in", data={"from": source.reference})
    return into


def ticket_close(ticket: Ticket, *, actor: User) -> Ticket:
    return ticket_status_change(ticket, status=Status.CLOSED, actor=actor)


@transaction.atomic
def ticket_reopen(ticket: Ticket, *, actor: User) -> Ticket:
    """Reopen a resolved or closed ticket: customers within TICKET_REOPEN_DAYS, agents any time."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        raise TicketError("Only a resolved or closed ticket can be reopened.")
    if ticket.merged_into_id:
        raise TicketError("A merged ticket cannot be reopened.")
    if not actor.is_staff and not reopenable(ticket):
        raise TicketError("This ticket was closed too long ago to reopen; please open a new one.")
    _set_status(ticket, Status.OPEN, actor=actor)
    return ticket


@transaction.atomic
def ticket_rate(ticket: Ticket, *, rating: int, comment: str = "", actor: User) -> Ticket:
    """The customer's satisfaction rating (1-5) once the ticket is resolved; once only."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.customer_id != actor.pk:
        raise TicketError("Only the customer can rate this ticket.")
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        raise TicketError("A ticket can be rated once it is resolved.")
    if ticket.rating is not None:
        raise TicketError("This ticket was rated already.")
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise TicketError("The rating is a number from 1 to 5.")
    ticket.rating, ticket.rating_comment, ticket.rated_at = rating, comment.strip()[:5000], timezone.now()
    ticket.save(update_fields=["rating", "rating_comment", "rated_at", "updated_at"])
    audit_event_record(ticket, actor=actor, verb="ticket.rated", data={"rating": rating})
    return ticket


@transaction.atomic
def ticket_claim(ticket: Ticket, *, agent: User, force: bool = False) -> Ticket:
    """Hold the ticket while answering so a colleague doesn't answer too (expires after TICKET_CLAIM_MINUTES)."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if not force:
        check_claim(ticket, agent)
    ticket.locked_by, ticket.locked_at = agent, timezone.now()
    ticket.save(update_fields=["locked_by", "locked_at"])
    return ticket


@transaction.atomic
def ticket_release(ticket: Ticket, *, agent: User) -> Ticket:
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.locked_by_id == agent.pk:
        ticket.locked_by = ticket.locked_at = None
        ticket.save(update_fields=["locked_by", "locked_at"])
    return ticket
