"""E-mail the desk sends about a ticket: the acknowledgement and agents' replies.

Every copy threads (Message-ID, In-Reply-To, References), carries the reference in the subject and
a per-ticket reply address, speaks the customer's language and shows their anti-phishing phrase.
One outbox row per recipient: a refused address does not stop the others.
"""
import datetime as dt
import secrets

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from support.models import SLAClock
from support.services import email_queue, email_render
from tickets.models import Ticket, TicketMailId, TicketMessage


def desk_domain() -> str:
    return settings.DESK_EMAIL_ADDRESS.rsplit("@", 1)[-1]


def new_message_id(ticket: Ticket) -> str:
    return f"{ticket.reference.lower()}.{secrets.token_hex(8)}@{desk_domain()}"


def reply_address(ticket: Ticket) -> str:
    local, domain = settings.DESK_EMAIL_ADDRESS.rsplit("@", 1)
    return f"{local}+{ticket.reply_token}@{domain}"


def _thread_ids(ticket: Ticket) -> list[str]:
    """Every Message-ID of the conversation, oldest first: the customer's and the desk's."""
    received = TicketMessage.objects.filter(ticket=ticket).exclude(message_id="").values_list("created_at", "message_id")
    sent = TicketMailId.objects.filter(ticket=ticket).values_list("created_at", "message_id")
    ordered = sorted([*received, *sent])
    return list(dict.fromkeys(mid for _at, mid in ordered))


def _recipients(ticket: Ticket) -> list[tuple[str, object]]:
    """(address, profile or None) for the requester and every CC'd participant."""
    rows = []
    for participant in ticket.participants.select_related("user__customer_profile").order_by("role", "id"):
        profile = getattr(participant.user, "customer_profile", None) if participant.user else None
        rows.append((participant.email, profile))
    return rows


def _queue(ticket: Ticket, *, template: str, context: dict, message_id: str, auto: bool, recorded: bool = False) -> None:
    if not recorded:
        TicketMailId.objects.get_or_create(
            message_id=message_id, defaults={"ticket": ticket, "queued_at": timezone.now()}
        )
    thread = [mid for mid in _thread_ids(ticket) if mid != message_id]
    headers = {
        "Message-ID": f"<{message_id}>",
        "Reply-To": reply_address(ticket),
        "X-Desk-Ticket": ticket.reference,
    }
    if thread:
        headers["In-Reply-To"] = f"<{thread[-1]}>"
        headers["References"] = " ".join(f"<{mid}>" for mid in thread[-20:])
    if auto:
        headers["Auto-Submitted"] = "auto-replied"  # RFC 3834: other systems must not answer it
    for address, profile in _recipients(ticket):
        language = profile.language if profile else ticket.language
        tz = profile.time_zone if profile else settings.TIME_ZONE
        subject, body_text, body_html = email_render(
            template,
            {**context, "ticket": ticket, "base_url": settings.DESK_BASE_URL, "time_zone": tz},
            language=language,
            tz=tz,
            anti_phishing_phrase=profile.anti_phishing_phrase if profile else "",
        )
        email_queue(to=[address], subject=subject, body_text=body_text, body_html=body_html, headers=headers)


def acknowledgement_queue_many(tickets: list[Ticket]) -> list[TicketMailId]:
    """Promise the requesters acknowledgements of tickets created in the current transaction.

    Only each acknowledgement's Message-ID is written here (one INSERT; replies to it thread from this
    instant); rendering and the outbox rows are `acknowledgement_send`'s, in a task after commit.
    """
    from tickets.tasks import ticket_acknowledge_many_task, ticket_acknowledge_task

    mail_ids = TicketMailId.objects.bulk_create([TicketMailId(ticket=ticket, message_id=new_message_id(ticket)) for ticket in tickets])
    if len(mail_ids) == 1:
        ticket_acknowledge_task.delay_on_commit(mail_ids[0].pk)
    elif mail_ids:  # one task for the batch (one message to the broker), each sent on its own inside
        ticket_acknowledge_many_task.delay_on_commit([mail_id.pk for mail_id in mail_ids])
    return mail_ids


@transaction.atomic
def acknowledgement_send(mail_id_pk: int) -> bool:
    """Queue the acknowledgement recorded by `acknowledgement_queue_many`: its reference and when we will
    answer, in each recipient's language and time. Once only: False when it was queued already."""
    if not TicketMailId.objects.filter(pk=mail_id_pk, queued_at__isnull=True).update(queued_at=timezone.now()):
        return False
    mail_id = TicketMailId.objects.select_related("ticket").get(pk=mail_id_pk)
    ticket = mail_id.ticket
    clock = (
        SLAClock.objects.filter(
            content_type=ContentType.objects.get_for_model(Ticket),
            object_id=str(ticket.pk),
            metric=SLAClock.Metric.FIRST_RESPONSE,
        )
        .only("due_at")
        .order_by("-started_at", "-id")
        .first()
    )
    _queue(
        ticket,
        template="tickets/email/acknowledgement",
        context={"answer_by": clock.due_at if clock else None},
        message_id=mail_id.message_id,
        auto=True,
        recorded=True,
    )
    return True


def acknowledgements_unsent(*, older_than: dt.timedelta = dt.timedelta(minutes=5)) -> list[int]:
    """Acknowledgements whose task was lost (a broker outage at commit), for a sweeper to queue again."""
    stale = timezone.now() - older_than
    return list(
        TicketMailId.objects.filter(queued_at__isnull=True, created_at__lt=stale).values_list("pk", flat=True)[:500]
    )


def reply_queue(message: TicketMessage) -> None:
    """Send an agent's public reply to the ticket's participants."""
    ticket = message.ticket
    if not message.message_id:
        message.message_id = new_message_id(ticket)
        message.save(update_fields=["message_id"])
    _queue(ticket, template="tickets/email/reply", context={"message": message}, message_id=message.message_id, auto=False)
