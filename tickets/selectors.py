"""Read queries for tickets shared by the customer pages, the API and the admin."""
import re

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Left
from django.http import Http404

from support.models import SLAClock, User
from support.selectors import sla_running_due
from tickets.models import CannedReply, Ticket, TicketAttachment, TicketMessage
from tickets.permissions import can_view_ticket, is_ticket_staff


def tickets_for_customer(user: User) -> QuerySet[Ticket]:
    return Ticket.objects.filter(customer=user, merged_into__isnull=True).order_by("-created_at", "-id")


def tickets_visible_to(user: User) -> QuerySet[Ticket]:
    if is_ticket_staff(user):
        return Ticket.objects.all()
    if user.is_authenticated:
        return Ticket.objects.filter(customer=user)
    return Ticket.objects.none()


def ticket_get_for(user: User, reference: str) -> Ticket:
    """The ticket if `user` may see it, else Http404 (someone else's ticket looks missing)."""
    ticket = Ticket.objects.select_related("customer__customer_profile", "assignee").filter(reference=reference.upper()).first()
    if ticket is None or not can_view_ticket(user, ticket):
        raise Http404
    return ticket


def ticket_thread(ticket: Ticket, *, include_internal: bool) -> QuerySet[TicketMessage]:
    messages = TicketMessage.objects.filter(ticket=ticket).select_related("author").prefetch_related(
        Prefetch("attachments", queryset=TicketAttachment.objects.order_by("id"))
    )
    if not include_internal:
        messages = messages.exclude(kind=TicketMessage.Kind.NOTE)
    return messages.order_by("created_at", "id")


def attachment_get_for(user: User, reference: str, attachment_id: int) -> TicketAttachment:
    ticket = ticket_get_for(user, reference)
    attachment = TicketAttachment.objects.filter(pk=attachment_id, ticket=ticket).select_related("message").first()
    if attachment is None or (attachment.message.kind == TicketMessage.Kind.NOTE and not is_ticket_staff(user)):
        raise Http404
    return attachment


def customer_open_tickets(user: User, *, exclude: Ticket | None = None) -> QuerySet[Ticket]:
    qs = Ticket.objects.filter(customer=user, status__in=Ticket.OPEN_STATUSES)
    return qs.exclude(pk=exclude.pk) if exclude else qs


def ticket_latest_customer_texts(ticket: Ticket, *, limit: int = 3, chars: int = 4000) -> list[str]:
    """The customer's latest messages on the ticket, newest first, each cut to its first `chars` characters."""
    rows = (
        TicketMessage.objects.filter(ticket=ticket, kind=TicketMessage.Kind.CUSTOMER)
        .order_by("-created_at", "-id")
        .annotate(head=Left("body_text", chars))
        .values_list("head", flat=True)[:limit]
    )
    return list(rows)


# Canned replies ---------------------------------------------------------------------------------------------

CANNED_PLACEHOLDERS = ("customer_name", "reference", "agent_name", "subject")
_PLACEHOLDER = re.compile(r"\{(" + "|".join(CANNED_PLACEHOLDERS) + r")\}")


def canned_fill(body: str, values: dict[str, str | None]) -> str:
    """The reply with its known placeholders filled; one without a value (and any other {name}) stays as written."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1)) or m.group(0), body)


def ticket_placeholders(ticket: Ticket, agent: User) -> dict[str, str]:
    customer = ticket.customer
    return {
        "customer_name": (customer.get_full_name() if customer else "") or ticket.requester_email,
        "reference": ticket.reference,
        "subject": ticket.subject,
        "agent_name": agent.get_full_name() or agent.email,
    }


def canned_replies_for_case(*, category: str, language: str, limit: int = 5) -> list[CannedReply]:
    """Canned replies that fit a case, best first: its category in its language, general ones in its language,
    then the same two in English. Each reply carries `match` ("category" or "general")."""
    languages = [language] if language == "en" else [language, "en"]
    replies = (
        CannedReply.objects.filter(Q(category=category) | Q(category=""), language__in=languages)
        .annotate(
            rank=Case(
                When(category=category, language=language, then=Value(0)),
                When(category="", language=language, then=Value(1)),
                When(category=category, then=Value(2)),
                default=Value(3),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "title", "id")[:limit]
    )
    out = list(replies)
    for reply in out:
        reply.match = "category" if reply.category else "general"
    return out


# The category's structured fields, in the order the form asks for them.
_DETAIL_FIELDS = ("account_number", "transaction_id", "amount", "payment_method", "order_reference", "occurred_at")


def ticket_details(ticket: Ticket) -> list[tuple[str, object]]:
    """(label, value) of the structured fields the ticket has, as the customer gave them: the amount with its
    currency and without the column's trailing zeros (250, not 250.00000000)."""
    details = []
    for name in _DETAIL_FIELDS:
        value = getattr(ticket, name)
        if value in (None, ""):
            continue
        if name == "amount":
            value = f"{format(value.normalize(), 'f')} {ticket.currency}".strip()
        details.append((str(Ticket._meta.get_field(name).verbose_name), value))
    return details


def ticket_answer_by(ticket: Ticket):
    """When the desk promised the first answer, while that promise still runs (None once answered, paused,
    ended or overdue; the acknowledgement e-mail said the same instant)."""
    if ticket.status not in (Ticket.Status.NEW, Ticket.Status.OPEN):
        return None
    return sla_running_due(ticket, metric=SLAClock.Metric.FIRST_RESPONSE)
