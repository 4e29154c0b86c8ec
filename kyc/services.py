"""Every change to a verification case: details, uploads, submission, review decisions, reads, retention."""
import calendar
import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kyc import vault
from kyc.models import Document, DocumentPage, VerificationCase
from kyc.permissions import can_review
from kyc.texts import REASON_HELP, decision_message
from support.models import CustomerProfile, SLAClock, User
from support.services.audit import audit_event_record
from support.services.notifications import email_queue_for_user, notification_send
from support.services.sla import sla_clock_cancel, sla_clock_satisfy, sla_clock_start


class KycError(Exception):
    """A request the rules do not allow; the message is shown as it is."""

    def __init__(self, message, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self):
        return str(self.message)


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier (the 31st becomes the month's last day)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def address_proof_too_old(issue_date: dt.date, *, submitted: dt.date) -> bool:
    return issue_date < months_before(submitted, settings.KYC_ADDRESS_PROOF_MONTHS)


# Customer side -------------------------------------------------------------------------------


def case_get_or_create(profile: CustomerProfile) -> VerificationCase:
    case, _created = VerificationCase.objects.get_or_create(customer=profile)
    return case


@transaction.atomic
def case_details_update(
    case: VerificationCase, *, actor: User, legal_name: str, date_of_birth: dt.date, address: str, country: str
) -> VerificationCase:
    """Record the details the documents must match; frozen while documents are under review or once verified."""
    case = VerificationCase.objects.select_for_update().get(pk=case.pk)
    if case.status in (VerificationCase.Status.PENDING, VerificationCase.Status.VERIFIED) or case.documents.filter(
        status__in=Document.UNDER_REVIEW
    ).exists():
        raise KycError(_("Your details cannot be changed while documents are being reviewed or after verification. Contact support to change them."))
    from safety.services import secrets_notify, shield_fields

    cleaned, removed = shield_fields(
        {"legal_name": legal_name, "address": address, "country": country}, ["legal_name", "address", "country"],
        customer=actor, where="kyc",
    )
    if removed:
        secrets_notify(actor, removed, url="/verification/")
    case.legal_name = " ".join(cleaned["legal_name"].split())
    case.date_of_birth = date_of_birth
    case.address = cleaned["address"].strip()
    case.country = cleaned["country"].strip()
    case.save(update_fields=["legal_name", "date_of_birth", "address", "country", "updated_at"])
    audit_event_record(case, actor=actor, verb="kyc.details_updated")
    return case


def _kind_blocked(case: VerificationCase, kind: str) -> bool:
    return case.documents.filter(kind=kind, status__in=[*Document.UNDER_REVIEW, Document.Status.APPROVED]).exists()


@transaction.atomic
def document_start(case: VerificationCase, *, actor: User, kind: str, doc_type: str) -> Document:
    """A draft document of `kind` the customer adds pages to; the open draft of that kind is reused."""
    if kind not in Document.Kind.values or doc_type not in Document.TYPES_BY_KIND[Document.Kind(kind)]:
        raise KycError(_("Choose one of the documents listed for this step."), field="doc_type")
    if _kind_blocked(case, kind):
        raise KycError(_("A document of this kind is already under review or approved."))
    draft = case.documents.filter(kind=kind, status=Document.Status.DRAFT).first()
    if draft is not None:
        if draft.doc_type != doc_type:
            draft.doc_type = doc_type
            draft.save(update_fields=["doc_type"])
        return draft
    document = Document.objects.create(case=case, kind=kind, doc_type=doc_type, vip=case.customer.is_vip)
    audit_event_record(document, actor=actor, verb="kyc.document_started", data={"kind": kind, "type": doc_type})
    return document


def document_page_add(document: Document, *, actor: User, upload, filename: str = "") -> DocumentPage:
    """Check an upload and add it as the next page of a draft.

    Raises UploadRejected (the file's own problem) or KycError (the document's); in both cases
    nothing is stored. The checks run before any lock is taken; the encrypted files are written
    before the row and removed again if the row cannot be written.
    """
    from kyc.checks import UploadRejected, check_upload  # Pillow and pypdf load on the first upload, not at start-up

    if document.status != Document.Status.DRAFT:
        raise KycError(_("This document has been submitted; start a new one to upload again."))
    checked = check_upload(upload, filename=filename or getattr(upload, "name", "") or "")
    case = document.case
    earlier = DocumentPage.objects.filter(sha256=checked.sha256).select_related("document__case")
    for page in earlier:
        if page.document.case_id == case.pk and page.document.purged_at is None:
            if page.document_id == document.pk:
                raise KycError(_("You have already added this file to this document."))
            raise UploadRejected(
                "duplicate",
                _("You uploaded this exact file before (%(date)s). If it was rejected, take a new photo or scan instead of sending it again.")
                % {"date": timezone.localtime(page.uploaded_at).date().isoformat()},
            )
    elsewhere = any(page.document.case_id != case.pk for page in earlier)
    folder = str(document.public_id)
    original_name = vault.vault_put(checked.original, folder=folder)
    try:
        clean_name = vault.vault_put(checked.clean, folder=folder)
    except Exception:
        vault.vault_delete(original_name)
        raise
    try:
        with transaction.atomic():
            locked = Document.objects.select_for_update().get(pk=document.pk)
            if locked.status != Document.Status.DRAFT:
                raise KycError(_("This document has been submitted; start a new one to upload again."))
            count = locked.pages.count()
            if count >= settings.KYC_MAX_PAGES_PER_DOCUMENT:
                raise KycError(_("A document can have at most %(n)d pages.") % {"n": settings.KYC_MAX_PAGES_PER_DOCUMENT})
            last = locked.pages.order_by("-number").values_list("number", flat=True).first() or 0
            page = DocumentPage.objects.create(
                document=locked,
                number=last + 1,
                original_name=(filename or getattr(upload, "name", "") or "upload")[-200:],
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
                width=checked.width,
                height=checked.height,
                page_count=checked.pages,
                blur_score=checked.blur_score,
                blurry=checked.blurry,
                original_file=original_name,
                clean_file=clean_name,
                clean_content_type=checked.clean_content_type,
            )
            if elsewhere and not locked.seen_on_other_account:
                locked.seen_on_other_account = True
                locked.save(update_fields=["seen_on_other_account"])
            audit_event_record(
                locked,
                actor=actor,
                verb="kyc.page_uploaded",
                data={"page": page.number, "type": checked.content_type, "size": checked.size, "blurry": checked.blurry},
            )
    except Exception:
        vault.vault_delete(original_name)
        vault.vault_delete(clean_name)
        raise
    return page


@transaction.atomic
def document_page_remove(page: DocumentPage, *, actor: User) -> None:
    """Take a page out of a draft (a retake); its files are deleted once the removal commits."""
    document = Document.objects.select_for_update().get(pk=page.document_id)
    if document.status != Document.Status.DRAFT:
        raise KycError(_("Pages of a submitted document cannot be removed."))
    names = [page.original_file, page.clean_file]
    number = page.number
    page.delete()
    audit_event_record(document, actor=actor, verb="kyc.page_removed", data={"page": number})
    transaction.on_commit(lambda: [vault.vault_delete(name) for name in names])


@transaction.atomic
def document_submit(document: Document, *, actor: User) -> Document:
    """Send a draft for review: starts the review clock (24 business hours; VIP faster)."""
    document = Document.objects.select_for_update().select_related("case__customer").get(pk=document.pk)
    if document.status != Document.Status.DRAFT:
        raise KycError(_("This document has already been submitted."))
    case = document.case
    if not case.has_details:
        raise KycError(_("Fill in your registered details first: reviewers compare the document with them."))
    pages = document.pages.count()
    if pages < document.pages_required:
        raise KycError(
            _("%(document)s needs %(n)d pages (front and back); you have added %(have)d.")
            % {"document": document.get_doc_type_display(), "n": document.pages_required, "have": pages}
        )
    if _kind_blocked(case, document.kind):
        raise KycError(_("A document of this kind is already under review or approved."))
    now = timezone.now()
    clock = sla_clock_start(
        document, channel=SLAClock.Channel.DOCUMENT, metric=SLAClock.Metric.DOCUMENT_REVIEW, vip=document.vip, at=now,
        category="verification", language=case.customer.language,
    )
    document.status = Document.Status.PENDING
    document.submitted_at = now
    document.due_at = clock.due_at
    document.save(update_fields=["status", "submitted_at", "due_at"])
    audit_event_record(document, actor=actor, verb="kyc.document_submitted", data={"pages": pages})
    case_status_refresh(case)
    return document


# Reviewer side -------------------------------------------------------------------------------


def _lock_for_review(document: Document, reviewer: User) -> Document:
    if not can_review(reviewer):
        raise KycError(_("You do not have permission to review documents."))
    document = Document.objects.select_for_update().select_related("case__customer__user").get(pk=document.pk)
    if document.case.customer.user_id == reviewer.pk:
        raise KycError(_("You cannot review documents of your own account."))
    if not document.under_review:
        raise KycError(_("This document is not waiting for review (someone may have decided it already)."))
    return document


@transaction.atomic
def document_approve(document: Document, *, reviewer: User, issue_date: dt.date | None = None, note: str = "") -> Document:
    """Approve; with four eyes on, the first approval waits for a second, different reviewer.

    A proof of residence needs its issue date, which must be within 3 months of the submission.
    """
    document = _lock_for_review(document, reviewer)
    now = timezone.now()
    if document.kind == Document.Kind.ADDRESS:
        issue_date = issue_date or document.issue_date
        if issue_date is None:
            raise KycError(_("Enter the issue date shown on the proof of residence."), field="issue_date")
        submitted = timezone.localdate(document.submitted_at or now)
        if issue_date > submitted:
            raise KycError(_("The issue date is after the document was submitted."), field="issue_date")
        if address_proof_too_old(issue_date, submitted=submitted):
            raise KycError(
                _("Issued more than %(n)d months before submission: reject it as too old.") % {"n": settings.KYC_ADDRESS_PROOF_MONTHS},
                field="issue_date",
            )
        document.issue_date = issue_date
    fields = ["status", "issue_date", "note"]
    document.note = note.strip() or document.note
    if settings.KYC_FOUR_EYES and document.status == Document.Status.PENDING:
        document.status = Document.Status.SECOND_REVIEW
        document.first_reviewer = reviewer
        document.first_approved_at = now
        document.save(update_fields=[*fields, "first_reviewer", "first_approved_at"])
        audit_event_record(document, actor=reviewer, verb="kyc.first_approval")
        return document
    if document.status == Document.Status.SECOND_REVIEW and document.first_reviewer_id == reviewer.pk:
        raise KycError(_("A second, different reviewer must confirm this approval."))
    document.status = Document.Status.APPROVED
    document.reviewer = reviewer
    document.decided_at = now
    document.save(update_fields=[*fields, "reviewer", "decided_at"])
    _decided(document, actor=reviewer, at=now)
    return document


@transaction.atomic
def document_reject(document: Document, *, reviewer: User, reason: str, note: str = "", issue_date: dt.date | None = None) -> Document:
    """Reject with a standard reason (and a note); the customer sees the reason in plain words and uploads again."""
    if reason not in Document.Reason.values:
        raise KycError(_("Choose a standard rejection reason."), field="reason")
    document = _lock_for_review(document, reviewer)
    now = timezone.now()
    document.status = Document.Status.REJECTED
    document.rejection_reason = reason
    document.note = note.strip()
    document.reviewer = reviewer
    document.decided_at = now
    if issue_date is not None:
        document.issue_date = issue_date
    document.save(update_fields=["status", "rejection_reason", "note", "reviewer", "decided_at", "issue_date"])
    _decided(document, actor=reviewer, at=now)
    return document


def _decided(document: Document, *, actor: User, at: dt.datetime) -> None:
    sla_clock_satisfy(document, metric=SLAClock.Metric.DOCUMENT_REVIEW, at=at)
    audit_event_record(
        document,
        actor=actor,
        verb="kyc.approved" if document.status == Document.Status.APPROVED else "kyc.rejected",
        data={"reason": document.rejection_reason} if document.rejection_reason else None,
    )
    case_status_refresh(document.case)
    customer = document.case.customer.user
    url = reverse("kyc:home")
    notification_send(customer, kind="kyc.decision", message=decision_message(document, language=document.case.customer.language), url=url)
    email_queue_for_user(
        customer,
        template="kyc/email/decision",
        context={
            "document": document,
            "url": url,
            "help": REASON_HELP.get(document.rejection_reason, ""),
            "case_verified": document.case.status == VerificationCase.Status.VERIFIED,
        },
    )


# The case --------------------------------------------------------------------------------------


def case_status_compute(case: VerificationCase) -> str:
    """From the latest submitted document of each required kind."""
    latest: dict[str, str] = {}
    for kind, status in (
        case.documents.exclude(status=Document.Status.DRAFT).order_by("submitted_at", "pk").values_list("kind", "status")
    ):
        latest[kind] = status
    required = settings.KYC_REQUIRED_KINDS
    statuses = [latest.get(kind) for kind in required]
    if any(s == Document.Status.REJECTED for s in statuses):
        return VerificationCase.Status.ACTION_NEEDED
    if all(s == Document.Status.APPROVED for s in statuses):
        return VerificationCase.Status.VERIFIED
    if any(s in Document.UNDER_REVIEW for s in statuses):
        return VerificationCase.Status.PENDING
    return VerificationCase.Status.UNVERIFIED


def case_status_refresh(case: VerificationCase) -> VerificationCase:
    status = case_status_compute(case)
    if status == case.status:
        return case
    previous = case.status
    case.status = status
    case.verified_at = timezone.now() if status == VerificationCase.Status.VERIFIED else None
    case.save(update_fields=["status", "verified_at", "updated_at"])
    audit_event_record(case, actor=None, verb="kyc.case_status", data={"from": previous, "to": status})
    return case


# Reading files ---------------------------------------------------------------------------------


def page_read(page: DocumentPage, *, user: User, original: bool = False, request=None) -> bytes:
    """The decrypted file, and an audit row saying who read which page. Callers check permission first."""
    if page.document.purged_at is not None:
        raise KycError(_("This document's files were deleted under the retention policy."))
    data = vault.vault_get(page.original_file if original else page.clean_file)
    audit_event_record(
        page.document,
        actor=user,
        verb="kyc.page_viewed",
        data={"page": page.number, "page_id": str(page.public_id), "copy": "original" if original else "clean"},
        request=request,
    )
    return data


# Retention -------------------------------------------------------------------------------------


def _drafts_expire(*, now: dt.datetime) -> int:
    """Drafts never submitted within KYC_DRAFT_DAYS go, files and all: nobody needs them."""
    cutoff = now - dt.timedelta(days=settings.KYC_DRAFT_DAYS)
    with transaction.atomic():
        drafts = list(
            Document.objects.select_for_update(skip_locked=True).filter(status=Document.Status.DRAFT, created_at__lt=cutoff)[:500]
        )
        names = [name for page in DocumentPage.objects.filter(document__in=drafts) for name in (page.original_file, page.clean_file)]
        for draft in drafts:
            audit_event_record(draft, actor=None, verb="kyc.draft_expired", data={"kind": draft.kind})
        Document.objects.filter(pk__in=[d.pk for d in drafts]).delete()
        transaction.on_commit(lambda: [vault.vault_delete(name) for name in names])
    return len(drafts)


def kyc_retention_purge(*, now: dt.datetime | None = None, batch: int = 200) -> int:
    """Delete the files (and the registered details) of customers whose account closed more than
    KYC_RETENTION_DAYS ago. Rows and the audit trail stay. Returns how many documents were purged."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.KYC_RETENTION_DAYS)
    purged = 0
    while True:
        with transaction.atomic():
            documents = list(
                Document.objects.select_for_update(skip_locked=True)
                .filter(purged_at__isnull=True, case__customer__account_closed_at__lte=cutoff)
                .select_related("case")[:batch]
            )
            if not documents:
                break
            names = []
            for document in documents:
                for page in document.pages.all():
                    names += [page.original_file, page.clean_file]
                document.pages.update(original_file="", clean_file="")
                if document.under_review:
                    sla_clock_cancel(document, at=now)
                document.purged_at = now
                document.save(update_fields=["purged_at"])
                audit_event_record(document, actor=None, verb="kyc.purged", data={"reason": "retention"})
            VerificationCase.objects.filter(pk__in={d.case_id for d in documents}).update(
                legal_name="", date_of_birth=None, address="", country=""
            )
            transaction.on_commit(lambda names=names: [vault.vault_delete(name) for name in names])
            purged += len(documents)
    purged += _drafts_expire(now=now)
    # Cases with details but no documents are cleared too.
    VerificationCase.objects.filter(customer__account_closed_at__lte=cutoff).filter(
        ~Q(legal_name="") | ~Q(address="") | Q(date_of_birth__isnull=False)
    ).update(legal_name="", date_of_birth=None, address="", country="")
    return purged
