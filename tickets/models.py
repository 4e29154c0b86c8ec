"""Tickets, their message threads and attachments, and every inbound e-mail as received."""
import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from support.categories import Category
from support.models.accounts import SUPPORT_LANGUAGES
from support.models.sla import Priority
from support.storage import private_storage

# Crockford base32 without look-alikes (no I, L, O, U): easy to read out on a call.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference() -> str:
    """SUP- and 8 characters of the 32-letter alphabet: 40 random bits, 5 a character, from one read of the
    system's random source (secrets.choice read it once a character, which a batch of new tickets felt)."""
    bits = int.from_bytes(secrets.token_bytes(5), "big")
    return "SUP-" + "".join(REFERENCE_ALPHABET[(bits >> shift) & 31] for shift in range(0, 40, 5))


def new_reply_token() -> str:
    return secrets.token_hex(10)




class Ticket(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        WAITING_ON_CUSTOMER = "waiting", _("Waiting on customer")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    class Origin(models.TextChoices):
        EMAIL = "email", _("E-mail")
        WEB = "web", _("Web form")
        CHAT = "chat", _("Chat")
        CALLBACK = "callback", _("Call-back")
        API = "api", _("API")

    OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING_ON_CUSTOMER)
    Category = Category
    Priority = Priority

    reference = models.CharField(_("reference"), max_length=16, unique=True, default=new_reference, editable=False)
    reply_token = models.CharField(max_length=32, unique=True, default=new_reply_token, editable=False)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("customer"), on_delete=models.PROTECT, null=True, blank=True, related_name="tickets"
    )
    requester_email = models.EmailField(_("requester e-mail"))
    unverified_sender = models.BooleanField(
        _("unverified sender"), default=False, help_text=_("Written from an address that is not a registered customer's.")
    )
    subject = models.CharField(_("subject"), max_length=255)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices, default=Category.TECHNICAL)
    priority = models.CharField(_("priority"), max_length=16, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NEW)
    channel = models.CharField(_("channel of origin"), max_length=16, choices=Origin.choices, default=Origin.EMAIL)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    language = models.CharField(_("language"), max_length=10, choices=SUPPORT_LANGUAGES, default="en")
    vip = models.BooleanField(_("VIP"), default=False)
    # Structured fields the category asks for (SPEC "What a customer should provide").
    account_number = models.CharField(_("trading account number / UID"), max_length=32, blank=True)
    transaction_id = models.CharField(_("transaction ID or hash"), max_length=128, blank=True, db_index=True)
    amount = models.DecimalField(_("amount"), max_digits=24, decimal_places=8, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=12, blank=True)
    payment_method = models.CharField(_("payment method"), max_length=64, blank=True)
    order_reference = models.CharField(_("order number / pair"), max_length=64, blank=True)
    occurred_at = models.DateTimeField(_("when it happened"), null=True, blank=True)

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # The earliest due time of the ticket's running SLA clocks; kept by the services so the
    # queue orders and filters by it with an index instead of joining the clocks.
    sla_due_at = models.DateTimeField(_("SLA due"), null=True, blank=True)
    merged_into = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_tickets")
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("claimed by")
    )
    locked_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        _("satisfaction rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_comment = models.TextField(_("rating comment"), blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["sla_due_at", "-id"]
        indexes = [
            # The agent queue's order (SLA due time, nulls last, newest first among equals): the first
            # page and the SLA filters read this index instead of sorting the table.
            models.Index(fields=["sla_due_at", "-id"], name="ticket_due_order_idx"),
            models.Index(fields=["status", "sla_due_at"], name="ticket_status_due_idx"),
            # The queue filtered by status and priority (the capped count and the page in due order).
            models.Index(fields=["status", "priority", "sla_due_at", "-id"], name="ticket_status_prio_due_idx"),
            models.Index(fields=["assignee", "sla_due_at", "-id"], name="ticket_assignee_due_idx"),
            models.Index(fields=["customer", "-created_at"], name="ticket_customer_idx"),
            # Queue search by shape of the term (TicketAdmin.get_search_results).
            models.Index(fields=["account_number"], name="ticket_account_idx"),
            models.Index(fields=["requester_email"], name="ticket_requester_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5), name="ticket_rating_1_5"
            )
        ]

    def __str__(self):
        return f"{self.reference} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class TicketParticipant(models.Model):
    class Role(models.TextChoices):
        REQUESTER = "requester", _("Requester")
        CC = "cc", _("CC")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="participants")
    email = models.EmailField(_("e-mail"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.CC)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [models.UniqueConstraint(fields=["ticket", "email"], name="participant_once")]

    def __str__(self):
        return self.email


class InboundEmail(models.Model):
    """A received message, stored raw before anything parses it: nothing is ever lost."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PROCESSED = "processed", _("Processed")
        QUARANTINED = "quarantined", _("Quarantined")

    class Outcome(models.TextChoices):
        CREATED = "created", _("Created a ticket")
        THREADED = "threaded", _("Joined a ticket")
        DUPLICATE = "duplicate", _("Duplicate")
        AUTOREPLY = "autoreply", _("Auto-reply")
        BOUNCE = "bounce", _("Bounce")
        QUARANTINED = "quarantined", _("Quarantined")

    raw = models.BinaryField(_("raw message"))
    sha256 = models.CharField(max_length=64, db_index=True)
    source = models.CharField(_("source"), max_length=255, help_text=_("Where it came from: a file, stdin, an IMAP mailbox."))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=998, blank=True)
    from_email = models.CharField(_("from"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound_emails")
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # IMAP origin, so a message is fetched once per (mailbox, UIDVALIDITY, UID).
    imap_mailbox = models.CharField(max_length=255, blank=True)
    imap_uidvalidity = models.BigIntegerField(null=True, blank=True)
    imap_uid = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("inbound e-mail")
        verbose_name_plural = _("inbound e-mails")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["message_id"], name="inbound_message_id_idx"),
            models.Index(fields=["received_at"], condition=models.Q(status="quarantined"), name="inbound_quarantine_idx"),
            # recovery's scan for rows left pending (tickets/mail/recovery.py): only the few unprocessed rows
            models.Index(fields=["received_at", "id"], condition=models.Q(status="pending"), name="inbound_pending_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["imap_mailbox", "imap_uidvalidity", "imap_uid"],
                condition=models.Q(imap_uid__isnull=False),
                name="inbound_imap_once",
            )
        ]

    def __str__(self):
        return f"{self.from_email or '?'}: {self.subject or '(no subject)'} [{self.get_status_display()}]"


class TicketMessage(models.Model):
    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("From the customer")
        REPLY = "reply", _("Public reply")
        NOTE = "note", _("Internal note")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    from_email = models.CharField(_("from"), max_length=320, blank=True)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML (sanitised)"), blank=True)
    message_id = models.CharField(max_length=998, blank=True, db_index=True)
    inbound_email = models.ForeignKey(InboundEmail, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="message_thread_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} on {self.ticket_id}"

    @property
    def is_public(self) -> bool:
        return self.kind != self.Kind.NOTE


def attachment_path(instance, filename):
    return f"tickets/{instance.ticket_id}/{secrets.token_hex(8)}"


class TicketAttachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(TicketMessage, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(storage=private_storage, upload_to=attachment_path, max_length=255)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=127)
    size = models.PositiveBigIntegerField(_("size"))
    md5 = models.CharField(max_length=32)
    sha256 = models.CharField(max_length=64)
    content_id = models.CharField(max_length=255, blank=True)
    inline = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["id"]

    def __str__(self):
        return self.filename


class CannedReply(models.Model):
    """A reusable answer; {customer_name}, {reference}, {agent_name} and {subject} are filled in."""

    title = models.CharField(_("title"), max_length=120)
    language = models.CharField(_("language"), max_length=10, choices=SUPPORT_LANGUAGES, default="en")
    category = models.CharField(_("category"), max_length=32, choices=Category.choices, blank=True)
    body = models.TextField(_("text"))

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["title"]

    def __str__(self):
        return self.title


class TicketMailId(models.Model):
    """A Message-ID the desk put on mail about a ticket: replies that reference it thread back."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="mail_ids")
    message_id = models.CharField(max_length=255, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the mail carrying it went to the outbox; NULL while an acknowledgement waits for its task.
    queued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sent Message-ID")
        verbose_name_plural = _("sent Message-IDs")
        indexes = [
            # The sweeper's "acknowledgements still waiting for their task".
            models.Index(fields=["created_at"], condition=models.Q(queued_at__isnull=True), name="mailid_unqueued_idx")
        ]

    def __str__(self):
        return self.message_id
