"""Reads shared by the customer pages, the API, the reviewers' pages and the admin."""
import uuid

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from kyc.models import Document, DocumentPage, VerificationCase
from kyc.permissions import can_review, can_view_page
from support.models import User


def _uuid(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Http404 from None


def documents_of_case(case: VerificationCase) -> QuerySet[Document]:
    return case.documents.prefetch_related(Prefetch("pages", queryset=DocumentPage.objects.order_by("number"))).order_by(
        "-created_at"
    )


def document_get_for_customer(user: User, public_id) -> Document:
    """The customer's own document; 404 for anyone else's (reviewers use the review pages)."""
    try:
        return (
            Document.objects.select_related("case__customer")
            .prefetch_related(Prefetch("pages", queryset=DocumentPage.objects.order_by("number")))
            .get(public_id=_uuid(public_id), case__customer__user=user)
        )
    except Document.DoesNotExist:
        raise Http404 from None


def page_get_for(user: User, public_id) -> DocumentPage:
    """A page its owner or a reviewer may read; 404 for everyone else."""
    try:
        page = DocumentPage.objects.select_related("document__case__customer").get(public_id=_uuid(public_id))
    except DocumentPage.DoesNotExist:
        raise Http404 from None
    if not can_view_page(user, page):
        raise Http404
    return page


def review_queue(*, reviewer: User | None = None) -> QuerySet[Document]:
    """Documents waiting for a decision, the most urgent review first (VIP clocks are shorter, so they come first)."""
    qs = (
        Document.objects.filter(status__in=Document.UNDER_REVIEW, purged_at__isnull=True)
        .select_related("case__customer__user", "first_reviewer")
        .order_by("due_at", "pk")
    )
    if reviewer is not None:
        qs = qs.exclude(case__customer__user=reviewer)
    return qs


def review_document_get(user: User, pk: int) -> Document:
    if not can_review(user):
        raise Http404
    try:
        return (
            Document.objects.select_related("case__customer__user", "first_reviewer", "reviewer")
            .prefetch_related(Prefetch("pages", queryset=DocumentPage.objects.order_by("number")))
            .get(pk=pk)
        )
    except Document.DoesNotExist:
        raise Http404 from None
