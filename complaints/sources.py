"""The case a complaint is about: only one of the customer's own (anything else looks missing)."""
from django.http import Http404
from django.urls import reverse

from complaints.models import Complaint


class SourceNotFound(Exception):
    pass


def source_check(user, source_type: str, reference: str) -> str:
    """The case's canonical reference if `user` is its customer; SourceNotFound otherwise."""
    reference = (reference or "").strip()
    if source_type == Complaint.Source.OTHER:
        return ""
    try:
        if source_type == Complaint.Source.TICKET:
            from tickets.selectors import ticket_get_for

            found = ticket_get_for(user, reference)
            owner, canonical = found.customer_id, found.reference
        elif source_type == Complaint.Source.CHAT:
            from chat.selectors import conversation_get_for

            found = conversation_get_for(user, reference)
            owner, canonical = found.customer_id, found.public_id
        elif source_type == Complaint.Source.CALLBACK:
            from callbacks.selectors import booking_get_for

            found = booking_get_for(user, reference)
            owner, canonical = found.customer_id, found.reference
        elif source_type == Complaint.Source.DOCUMENT:
            from kyc.selectors import document_get_for_customer

            found = document_get_for_customer(user, reference)
            owner, canonical = user.pk, str(found.public_id)
        else:
            raise SourceNotFound
    except Http404:
        raise SourceNotFound from None
    if owner != user.pk:
        raise SourceNotFound  # staff may see the case, but a complaint is the customer's own
    return canonical


def source_url(complaint: Complaint, *, staff: bool) -> str:
    """Where the case lives: the customer's page, or the staff page."""
    ref = complaint.source_reference
    if not ref:
        return ""
    if complaint.source_type == Complaint.Source.TICKET:
        if staff:
            from tickets.models import Ticket

            pk = Ticket.objects.filter(reference=ref).values_list("pk", flat=True).first()
            return reverse("admin:tickets_ticket_change", args=[pk]) if pk else ""
        return reverse("tickets:detail", args=[ref])
    if complaint.source_type == Complaint.Source.CHAT:
        return "/chat/console/" if staff else f"/chat/{ref}/"
    if complaint.source_type == Complaint.Source.CALLBACK:
        return "/callbacks/agent/" if staff else f"/callbacks/{ref}/"
    if complaint.source_type == Complaint.Source.DOCUMENT:
        if staff:
            from kyc.models import Document

            pk = Document.objects.filter(public_id=ref).values_list("pk", flat=True).first()
            return reverse("admin:kyc_document_change", args=[pk]) if pk else ""
        return f"/verification/documents/{ref}/"
    return ""
