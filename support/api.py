"""REST endpoints of the shared core; thin callers of selectors and services."""
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from support.models import CustomerProfile, User
from support.permissions import can_view_customer, customer_profile_of
from support.selectors import channel_statuses
from support.serializers import (
    ChannelStatusSerializer,
    CustomerProfileSerializer,
    CustomerStaffViewSerializer,
    MeSerializer,
)
from support.services import audit_view_record


class MeView(APIView):
    """The logged-in user, their roles and profile; customers PATCH their own profile fields."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = User.objects.select_related("customer_profile__account_manager", "agent_profile").prefetch_related(
            "groups", "agent_profile__languages"
        ).get(pk=request.user.pk)
        return Response(MeSerializer(user, context={"request": request}).data)

    @extend_schema(request=CustomerProfileSerializer, responses=MeSerializer)
    def patch(self, request):
        profile = customer_profile_of(request.user)
        if profile is None:
            return Response({"detail": "Only customers have an editable profile here."}, status=400)
        serializer = CustomerProfileSerializer(profile, data=request.data, partial=True, context={"request": request})
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return self.get(request)


class CustomerDetailView(generics.RetrieveAPIView):
    """One customer by account number: the customer themself or a supervisor; anyone else gets 404."""

    serializer_class = CustomerStaffViewSerializer

    def get_object(self):
        profile = (
            CustomerProfile.objects.select_related("user", "account_manager")
            .filter(account_number=self.kwargs["account_number"])
            .first()
        )
        if profile is None or not can_view_customer(self.request.user, profile):
            raise Http404
        if profile.user_id != self.request.user.pk:
            audit_view_record(profile, actor=self.request.user, request=self.request, what="api.customer")
        return profile


class ContactView(APIView):
    """Channels, whether they are staffed now, when they next open, and their promised response time."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses=ChannelStatusSerializer(many=True))
    def get(self, request):
        profile = customer_profile_of(request.user)
        statuses = channel_statuses(vip=bool(profile and profile.is_vip))
        return Response(ChannelStatusSerializer(statuses, many=True).data)
