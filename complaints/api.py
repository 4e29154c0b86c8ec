"""Complaints over REST for customers: open one about a case, list and follow them. Others' are 404."""
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints import services
from complaints.models import Complaint
from support.permissions import customer_profile_of


class ComplaintSerializer(serializers.ModelSerializer):
    class Meta:
        model = Complaint
        fields = [
            "reference", "source_type", "source_reference", "reason", "status", "created_at", "due_at",
            "acknowledgement", "acknowledged_at", "resolution", "resolved_at",
        ]


class ComplaintCreateSerializer(serializers.Serializer):
    source_type = serializers.ChoiceField(choices=Complaint.Source.choices)
    source_reference = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    reason = serializers.CharField(max_length=4000)


def _customer(request):
    if customer_profile_of(request.user) is None:
        raise PermissionDenied("Complaints are opened by customers.")


class ComplaintListView(APIView):
    @extend_schema(responses=ComplaintSerializer(many=True))
    def get(self, request):
        _customer(request)
        return Response(ComplaintSerializer(Complaint.objects.filter(customer=request.user).order_by("-created_at")[:200], many=True).data)

    @extend_schema(request=ComplaintCreateSerializer, responses={201: ComplaintSerializer})
    def post(self, request):
        _customer(request)
        serializer = ComplaintCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            complaint = services.complaint_open(request.user, **serializer.validated_data)
        except services.ComplaintError as exc:
            raise ValidationError({exc.field or "detail": [str(exc)]}) from None
        return Response(ComplaintSerializer(complaint).data, status=status.HTTP_201_CREATED)


class ComplaintDetailView(APIView):
    @extend_schema(responses=ComplaintSerializer)
    def get(self, request, reference):
        _customer(request)
        complaint = Complaint.objects.filter(reference=reference.upper(), customer=request.user).first()
        if complaint is None:
            raise Http404
        return Response(ComplaintSerializer(complaint).data)
