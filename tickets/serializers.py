import datetime as dt

from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from tickets.attachments import AttachmentRejected, files_from_uploads

from tickets.forms import CATEGORY_FIELDS, STRUCTURED_FIELDS
from tickets.models import Ticket, TicketAttachment, TicketMessage

EARLIEST_OCCURRED = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = TicketAttachment
        fields = ["id", "filename", "content_type", "size", "md5", "url"]

    def get_url(self, obj) -> str:
        return reverse("api-ticket-attachment", args=[obj.ticket.reference, obj.pk])


class MessageSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = TicketMessage
        fields = ["id", "kind", "author", "body_text", "created_at", "attachments"]

    def get_author(self, obj) -> str:
        if obj.kind == TicketMessage.Kind.CUSTOMER:
            return obj.from_email
        return obj.author.get_full_name() if obj.author else "Support"


class TicketListSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ticket
        fields = ["reference", "subject", "category", "priority", "status", "channel", "created_at", "updated_at", "sla_due_at"]


class TicketDetailSerializer(serializers.ModelSerializer):
    messages = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "reference", "subject", "category", "priority", "status", "channel", "language",
            *STRUCTURED_FIELDS, "created_at", "updated_at", "first_response_at", "resolved_at", "closed_at",
            "rating", "messages",
        ]

    def get_messages(self, obj) -> list[dict]:
        return MessageSerializer(self.context["thread"], many=True).data


class AttachmentsMixin(serializers.Serializer):
    """`attachments`: files sent as multipart/form-data, all checked before anything is stored."""

    attachments = serializers.ListField(child=serializers.FileField(), required=False, default=list, write_only=True)

    def validate_attachments(self, uploads):
        try:
            return files_from_uploads(uploads)
        except AttachmentRejected as exc:
            raise serializers.ValidationError(str(exc)) from exc


class TicketCreateSerializer(AttachmentsMixin):
    category = serializers.ChoiceField(choices=Ticket.Category.choices)
    subject = serializers.CharField(max_length=255)
    body = serializers.CharField(max_length=20000)
    account_number = serializers.CharField(max_length=32, required=False, allow_blank=True)
    transaction_id = serializers.CharField(max_length=128, required=False, allow_blank=True)
    amount = serializers.DecimalField(max_digits=24, decimal_places=8, required=False, allow_null=True)
    currency = serializers.CharField(max_length=12, required=False, allow_blank=True)
    payment_method = serializers.CharField(max_length=64, required=False, allow_blank=True)
    order_reference = serializers.CharField(max_length=64, required=False, allow_blank=True)
    occurred_at = serializers.DateTimeField(required=False, allow_null=True)

    def validate_occurred_at(self, value):
        # A year-1075 time came back in Shanghai's local mean time (+08:05:43), which is no RFC 3339 offset.
        if value is not None and not (EARLIEST_OCCURRED <= value <= timezone.now() + dt.timedelta(days=1)):
            raise serializers.ValidationError("Give a time from 2000 until now.")
        return value

    def validate(self, data):
        wanted = CATEGORY_FIELDS.get(data["category"], ())
        required = [f for f in ("transaction_id", "amount") if f in wanted]
        missing = [f for f in required if data.get(f) in (None, "")]
        if missing:
            raise serializers.ValidationError({f: "This category needs it." for f in missing})
        return data

    def structured(self) -> dict:
        wanted = CATEGORY_FIELDS.get(self.validated_data["category"], ())
        return {f: self.validated_data[f] for f in STRUCTURED_FIELDS if f in wanted and self.validated_data.get(f) not in (None, "")}


class MessageCreateSerializer(AttachmentsMixin):
    body = serializers.CharField(max_length=20000)
    internal = serializers.BooleanField(default=False)


class RatingSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)
