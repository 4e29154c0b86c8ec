"""Call-backs over REST for customers: free slots, book, list, detail, reschedule, cancel.
Another customer's booking is a 404, as on the pages."""
import datetime as dt

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from callbacks import services
from callbacks.models import Booking
from callbacks.selectors import booking_get_for, bookings_for_customer, free_slots
from support.categories import Category
from support.models.accounts import SUPPORT_LANGUAGES
from support.permissions import customer_profile_of


class SlotSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    language = serializers.CharField()
    free = serializers.IntegerField()


class BookingSerializer(serializers.ModelSerializer):
    starts_at = serializers.DateTimeField(source="slot.starts_at")
    ends_at = serializers.DateTimeField(source="slot.ends_at")
    phone = serializers.CharField()
    ticket = serializers.SerializerMethodField()

    class Meta:
        model = Booking
        fields = ["reference", "starts_at", "ends_at", "language", "category", "phone", "summary", "status", "created_at", "ticket"]

    def get_ticket(self, obj) -> str | None:
        return obj.ticket.reference if obj.ticket_id else None


class BookingCreateSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField(help_text="The slot's start, with its UTC offset (as listed by /api/callbacks/slots/).")
    language = serializers.ChoiceField(choices=SUPPORT_LANGUAGES)
    category = serializers.ChoiceField(choices=Category.choices)
    phone = serializers.CharField(max_length=32)
    summary = serializers.CharField(max_length=1000)


class RescheduleSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()


def _customer(request):
    if customer_profile_of(request.user) is None:
        raise PermissionDenied("Call-backs are booked by customers.")


def _own(request, reference) -> Booking:
    booking = booking_get_for(request.user, reference)
    if booking.customer_id != request.user.pk:
        from django.http import Http404

        raise Http404
    return booking


def _refused(exc: services.CallbackError) -> ValidationError:
    field = exc.field if exc.field in ("slot", "phone") else "detail"
    return ValidationError({"starts_at" if field == "slot" else field: [str(exc)]})


class SlotListView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("language", str, description="Support language code; default the profile's")],
        responses=SlotSerializer(many=True),
    )
    def get(self, request):
        _customer(request)
        language = request.query_params.get("language") or request.user.customer_profile.language
        if language not in dict(SUPPORT_LANGUAGES):
            raise ValidationError({"language": ["Unknown language."]})
        slots = free_slots(language=language)[:2000]
        return Response(SlotSerializer(slots, many=True).data)


class BookingListView(APIView):
    @extend_schema(responses=BookingSerializer(many=True))
    def get(self, request):
        _customer(request)
        return Response(BookingSerializer(bookings_for_customer(request.user)[:200], many=True).data)

    @extend_schema(request=BookingCreateSerializer, responses={201: BookingSerializer})
    def post(self, request):
        _customer(request)
        serializer = BookingCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            booking = services.booking_create(
                request.user,
                starts_at=data["starts_at"].astimezone(dt.timezone.utc),
                language=data["language"],
                phone=data["phone"],
                category=data["category"],
                summary=data["summary"],
            )
        except services.CallbackError as exc:
            raise _refused(exc) from exc
        return Response(BookingSerializer(booking).data, status=status.HTTP_201_CREATED)


class BookingDetailView(APIView):
    @extend_schema(responses=BookingSerializer)
    def get(self, request, reference):
        return Response(BookingSerializer(_own(request, reference)).data)


class BookingRescheduleView(APIView):
    @extend_schema(request=RescheduleSerializer, responses=BookingSerializer)
    def post(self, request, reference):
        booking = _own(request, reference)
        serializer = RescheduleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            booking = services.booking_reschedule(
                booking, actor=request.user, starts_at=serializer.validated_data["starts_at"].astimezone(dt.timezone.utc)
            )
        except services.CallbackError as exc:
            raise _refused(exc) from exc
        return Response(BookingSerializer(booking).data)


class BookingCancelView(APIView):
    @extend_schema(request=None, responses=BookingSerializer)
    def post(self, request, reference):
        booking = _own(request, reference)
        try:
            booking = services.booking_cancel(booking, actor=request.user)
        except services.CallbackError as exc:
            raise _refused(exc) from exc
        return Response(BookingSerializer(booking).data)
