"""Tickets over REST: customers see their own, staff the queue; anyone else's ticket is a 404."""
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from support.permissions import customer_profile_of
from tickets import services
from tickets.attachments import AttachmentRejected
from tickets.models import Ticket
from tickets.permissions import can_work_ticket, is_ticket_staff
from tickets.selectors import attachment_get_for, ticket_get_for, ticket_thread, tickets_visible_to
from tickets.views import attachment_response
from tickets.serializers import (
    MessageCreateSerializer,
    MessageSerializer,
    RatingSerializer,
    TicketCreateSerializer,
    TicketDetailSerializer,
    TicketListSerializer,
)


class TicketCursor(CursorPagination):
    """Keyset pagination: no COUNT(*) over the table, constant cost on deep pages."""

    ordering = "-id"
    page_size = 25
    max_page_size = 100
    page_size_query_param = "page_size"


def _detail(request, ticket: Ticket, code=status.HTTP_200_OK) -> Response:
    thread = ticket_thread(ticket, include_internal=is_ticket_staff(request.user))
    return Response(TicketDetailSerializer(ticket, context={"thread": thread}).data, status=code)


def _service_call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except (services.TicketError, AttachmentRejected) as exc:
        raise ValidationError({"detail": str(exc)}) from exc


class TicketListView(ListAPIView):
    """GET: your tickets (staff: the queue, filterable by status and `assignee=me`). POST: open a ticket."""

    serializer_class = TicketListSerializer
    pagination_class = TicketCursor

    def get_queryset(self):
        qs = tickets_visible_to(self.request.user)
        status_filter = self.request.query_params.get("status")
        if status_filter:
            qs = qs.filter(status=status_filter)
        if self.request.query_params.get("assignee") == "me":
            qs = qs.filter(assignee=self.request.user)
        # Rows as dicts: the serializer and the cursor read them alike, without a model instance each.
        return qs.values(*TicketListSerializer.Meta.fields, "id")

    @extend_schema(request=TicketCreateSerializer, responses={201: TicketDetailSerializer})
    def post(self, request):
        if customer_profile_of(request.user) is None:
            raise PermissionDenied("Only customers open tickets here.")
        serializer = TicketCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ticket = services.ticket_create(
            subject=data["subject"],
            body_text=data["body"],
            requester_email=request.user.email,
            customer=request.user,
            channel=Ticket.Origin.API,
            category=data["category"],
            fields=serializer.structured(),
            attachments=data["attachments"],
            actor=request.user,
        )
        return _detail(request, ticket, code=status.HTTP_201_CREATED)


class TicketDetailView(APIView):
    @extend_schema(responses=TicketDetailSerializer)
    def get(self, request, reference):
        return _detail(request, ticket_get_for(request.user, reference))


class TicketMessageView(APIView):
    """Add to the thread: the customer's message, or (staff) a reply or internal note."""

    @extend_schema(request=MessageCreateSerializer, responses={201: MessageSerializer})
    def post(self, request, reference):
        ticket = ticket_get_for(request.user, reference)
        serializer = MessageCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        body, internal, files = data["body"], data["internal"], data["attachments"]
        if ticket.customer_id == request.user.pk:
            if internal:
                raise PermissionDenied("Customers cannot write internal notes.")
            message = _service_call(
                services.ticket_customer_message,
                ticket,
                from_email=request.user.email,
                author=request.user,
                body_text=body,
                attachments=files,
            )
        elif can_work_ticket(request.user, ticket):
            message = _service_call(
                services.ticket_reply, ticket, author=request.user, body=body, internal=internal, attachments=files
            )
        else:
            raise PermissionDenied("You cannot write on this ticket.")
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)


class _CustomerAction(APIView):
    def ticket(self, request, reference) -> Ticket:
        ticket = ticket_get_for(request.user, reference)
        if ticket.customer_id != request.user.pk and not can_work_ticket(request.user, ticket):
            raise PermissionDenied("You cannot change this ticket.")
        return ticket


class TicketCloseView(_CustomerAction):
    @extend_schema(request=None, responses=TicketDetailSerializer)
    def post(self, request, reference):
        ticket = _service_call(services.ticket_close, self.ticket(request, reference), actor=request.user)
        return _detail(request, ticket)


class TicketReopenView(_CustomerAction):
    @extend_schema(request=None, responses=TicketDetailSerializer)
    def post(self, request, reference):
        ticket = _service_call(services.ticket_reopen, self.ticket(request, reference), actor=request.user)
        return _detail(request, ticket)


class TicketRateView(_CustomerAction):
    @extend_schema(request=RatingSerializer, responses=TicketDetailSerializer)
    def post(self, request, reference):
        ticket = self.ticket(request, reference)
        serializer = RatingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = _service_call(
            services.ticket_rate,
            ticket,
            rating=serializer.validated_data["rating"],
            comment=serializer.validated_data.get("comment", ""),
            actor=request.user,
        )
        return _detail(request, ticket)


class TicketAttachmentView(APIView):
    """The file itself, to whoever may see the ticket (internal-note files: staff only)."""

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request, reference, attachment_id):
        return attachment_response(attachment_get_for(request.user, reference, attachment_id))
