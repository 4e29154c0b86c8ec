"""Live chat: conversations, their numbered messages and attachments, and agents' availability."""
import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from support.categories import Category
from support.models.accounts import SUPPORT_LANGUAGES
from support.storage import private_storage


def new_public_id() -> str:
    return secrets.token_urlsafe(12)


class Conversation(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for an agent")
        ACTIVE = "active", _("With an agent")
        CLOSED = "closed", _("Closed")

    class Outcome(models.TextChoices):
        NONE = "", _("—")
        RESOLVED = "resolved", _("Answered in chat")
        CONVERTED = "converted", _("Converted to a ticket")
        OFFLINE = "offline", _("Left while support was closed")
        ABANDONED = "abandoned", _("Customer left")

    LIVE_STATUSES = (Status.QUEUED, Status.ACTIVE)

    public_id = models.CharField(max_length=24, unique=True, default=new_public_id, editable=False)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="conversations"
    )
    category = models.CharField(_("category"), max_length=32, choices=Category.choices, default=Category.TECHNICAL)
    language = models.CharField(_("language"), max_length=10, choices=SUPPORT_LANGUAGES, default="en")
    vip = models.BooleanField(_("VIP"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.NONE, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_conversations",
    )
    offered_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="offered_conversations"
    )
    offered_at = models.DateTimeField(null=True, blank=True)
    # Agents who let an offer lapse or declined it are not offered the same chat again.
    declined_by = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The ticket this chat became."),
    )
    last_seq = models.PositiveIntegerField(default=0)
    customer_read_seq = models.PositiveIntegerField(default=0)
    agent_read_seq = models.PositiveIntegerField(default=0)
    # Set while a customer message waits for an agent's answer (next-response clock).
    awaiting_agent_since = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(_("queued"), auto_now_add=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        _("rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_comment = models.TextField(_("rating comment"), blank=True)

    class Meta:
        verbose_name = _("chat")
        verbose_name_plural = _("chats")
        ordering = ["-queued_at"]
        indexes = [
            # The waiting queue: VIP first, then longest waiting.
            models.Index(fields=["-vip", "queued_at"], condition=models.Q(status="queued"), name="chat_queue_idx"),
            models.Index(fields=["assignee", "status"], name="chat_assignee_status_idx"),
            models.Index(fields=["customer", "-queued_at"], name="chat_customer_idx"),
        ]
        permissions = [("supervise_conversation", "Can see and take over every live chat")]

    def __str__(self):
        return f"chat {self.public_id}"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE_STATUSES


class ChatMessage(models.Model):
    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        AGENT = "agent", _("Agent")
        NOTE = "note", _("Internal note")
        SYSTEM = "system", _("System")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    client_id = models.UUIDField(null=True, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="chat_message_seq_unique"),
            # A resent frame finds the message already saved instead of saving it twice.
            models.UniqueConstraint(fields=["conversation", "client_id"], name="chat_message_client_id_unique"),
        ]

    def __str__(self):
        return f"{self.conversation_id}#{self.seq}"


def chat_attachment_path(instance, filename):
    return f"chat/{instance.conversation_id}/{secrets.token_hex(8)}"


class ChatAttachment(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(ChatMessage, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(storage=private_storage, upload_to=chat_attachment_path, max_length=255)
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    md5 = models.CharField(max_length=32)

    class Meta:
        verbose_name = _("chat attachment")
        verbose_name_plural = _("chat attachments")

    def __str__(self):
        return self.filename


class AgentPresence(models.Model):
    """Whether an agent takes chats now. Online means: set available and a console seen recently."""

    class Status(models.TextChoices):
        AVAILABLE = "available", _("Available")
        AWAY = "away", _("Away")

    agent = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="chat_presence")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.AWAY)
    last_seen = models.DateTimeField(null=True, blank=True)
    last_offered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("agent availability")
        verbose_name_plural = _("agent availability")

    def __str__(self):
        return f"{self.agent}: {self.status}"
