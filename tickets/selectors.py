"""Read queries for tickets shared by the customer pages, the API and the admin."""
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from support.models import User
from tickets.models import Ticket, TicketAttachment, TicketMessage
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
