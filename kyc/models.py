"""Verification cases, the documents customers submit, and their pages (encrypted files in private storage)."""
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class VerificationCase(models.Model):
    """One per customer: the details they registered and the state of their verification."""

    class Status(models.TextChoices):
        UNVERIFIED = "unverified", _("Not verified")
        PENDING = "pending", _("Pending review")
        VERIFIED = "verified", _("Verified")
        ACTION_NEEDED = "action_needed", _("Action needed")

    customer = models.OneToOneField(
        "support.CustomerProfile", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="verification"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.UNVERIFIED)
    # The registered details the documents must match.
    legal_name = models.CharField(_("full legal name"), max_length=200, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    address = models.TextField(_("residential address"), max_length=500, blank=True)
    country = models.CharField(_("country of residence"), max_length=64, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("verification case")
        verbose_name_plural = _("verification cases")

    def __str__(self):
        return f"{self.customer.account_number} ({self.get_status_display()})"

    @property
    def has_details(self) -> bool:
        return bool(self.legal_name and self.date_of_birth and self.address and self.country)


class Document(models.Model):
    """One document a customer submits for review (an ID card with its front and back is one document)."""

    class Kind(models.TextChoices):
        IDENTITY = "identity", _("Identity document")
        ADDRESS = "address", _("Proof of residence")
        PAYMENT = "payment", _("Proof of payment method")

    class Type(models.TextChoices):
        ID_CARD = "id_card", _("National ID card")
        PASSPORT = "passport", _("Passport")
        UTILITY_BILL = "utility_bill", _("Utility bill")
        BANK_STATEMENT = "bank_statement", _("Bank statement")
        TENANCY = "tenancy", _("Tenancy agreement")
        CARD_PHOTO = "card_photo", _("Photo of the bank card")
        PAYMENT_STATEMENT = "payment_statement", _("Statement of the payment method")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Not submitted yet")
        PENDING = "pending", _("Pending review")
        SECOND_REVIEW = "second_review", _("Pending second review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    class Reason(models.TextChoices):
        BLURRY = "blurry", _("Blurry or unreadable")
        INCOMPLETE = "incomplete", _("Incomplete: corners or pages cut off")
        ADDRESS_TOO_OLD = "address_too_old", _("Proof of address older than 3 months")
        THIRD_PARTY = "third_party", _("Payment method belongs to someone else")
        MISMATCH = "mismatch", _("Details do not match the registered details")
        WRONG_DOCUMENT = "wrong_document", _("Not a document of the kind asked for")

    TYPES_BY_KIND = {
        Kind.IDENTITY: [Type.ID_CARD, Type.PASSPORT],
        Kind.ADDRESS: [Type.UTILITY_BILL, Type.BANK_STATEMENT, Type.TENANCY],
        Kind.PAYMENT: [Type.CARD_PHOTO, Type.PAYMENT_STATEMENT],
    }
    PAGES_REQUIRED = {Type.ID_CARD: 2, Type.CARD_PHOTO: 1}  # front and back of an ID card
    UNDER_REVIEW = (Status.PENDING, Status.SECOND_REVIEW)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(VerificationCase, verbose_name=_("case"), on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    doc_type = models.CharField(_("document"), max_length=24, choices=Type.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    vip = models.BooleanField(_("VIP"), default=False)
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    due_at = models.DateTimeField(_("review due"), null=True, blank=True)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    first_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("first approval by"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )
    first_approved_at = models.DateTimeField(_("first approval"), null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    rejection_reason = models.CharField(_("rejection reason"), max_length=24, choices=Reason.choices, blank=True)
    note = models.TextField(_("note to the customer"), max_length=1000, blank=True)
    seen_on_other_account = models.BooleanField(
        _("same file on another account"), default=False,
        help_text=_("A page of this document was also uploaded by a different customer."),
    )
    purged_at = models.DateTimeField(_("files deleted"), null=True, blank=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-created_at"]
        permissions = [("review_document", _("Can review identity documents"))]
        indexes = [
            models.Index(fields=["due_at"], condition=Q(status__in=["pending", "second_review"]), name="kyc_review_queue_idx"),
            models.Index(fields=["case", "kind", "status"], name="kyc_case_kind_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""), name="kyc_rejection_has_reason"
            ),
        ]

    def __str__(self):
        return f"{self.get_doc_type_display()} · {self.case.customer.account_number}"

    @property
    def pages_required(self) -> int:
        return self.PAGES_REQUIRED.get(self.doc_type, 1)

    @property
    def under_review(self) -> bool:
        return self.status in self.UNDER_REVIEW


class DocumentPage(models.Model):
    """One uploaded file of a document; the original and the reviewers' clean copy are encrypted in private storage."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="pages")
    number = models.PositiveSmallIntegerField(_("page"))
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=32)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    page_count = models.PositiveSmallIntegerField(_("pages in file"), default=1)
    blur_score = models.FloatField(null=True, blank=True)
    blurry = models.BooleanField(_("looks blurry"), default=False)
    original_file = models.CharField(max_length=200, blank=True)  # encrypted upload, as received
    clean_file = models.CharField(max_length=200, blank=True)  # encrypted re-encoded copy reviewers see
    clean_content_type = models.CharField(max_length=32)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("document page")
        verbose_name_plural = _("document pages")
        ordering = ["document", "number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="kyc_page_number_unique")]
        indexes = [models.Index(fields=["sha256"], name="kyc_page_sha256_idx")]

    def __str__(self):
        return f"{self.document} p.{self.number}"

    @property
    def is_image(self) -> bool:
        return self.clean_content_type.startswith("image/")
