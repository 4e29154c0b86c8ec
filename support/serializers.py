from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from support.models import AgentProfile, CustomerProfile, User
from support.services import customer_profile_update


class CustomerProfileSerializer(serializers.ModelSerializer):
    """A customer's own profile, as they see and edit it."""

    is_vip = serializers.BooleanField(read_only=True)
    account_manager = serializers.StringRelatedField(read_only=True)
    phone = serializers.CharField(allow_blank=True, required=False)

    class Meta:
        model = CustomerProfile
        fields = ["account_number", "phone", "language", "time_zone", "tier", "is_vip", "account_manager", "anti_phishing_phrase"]
        read_only_fields = ["account_number", "tier"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["phone"] = str(instance.phone) if instance.phone else ""
        return data

    def update(self, instance, validated_data):
        request = self.context["request"]
        try:
            return customer_profile_update(instance, actor=request.user, request=request, **validated_data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict if hasattr(exc, "message_dict") else exc.messages)


class CustomerStaffViewSerializer(serializers.ModelSerializer):
    """A customer as staff see them: never the anti-phishing phrase (a fake agent must not learn it)."""

    email = serializers.EmailField(source="user.email", read_only=True)
    name = serializers.CharField(source="user.get_full_name", read_only=True)
    phone = serializers.SerializerMethodField()
    account_manager = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = CustomerProfile
        fields = ["account_number", "email", "name", "phone", "language", "time_zone", "tier", "account_manager"]

    def get_phone(self, obj) -> str:
        return str(obj.phone) if obj.phone else ""


class AgentProfileSerializer(serializers.ModelSerializer):
    languages = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    channels = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = AgentProfile
        fields = ["languages", "channels", "chat_capacity", "time_zone"]


class MeSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()
    customer = serializers.SerializerMethodField()
    agent = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "roles", "customer", "agent"]

    def get_roles(self, obj) -> list[str]:
        return sorted(group.name for group in obj.groups.all())

    def get_customer(self, obj) -> dict | None:
        profile = getattr(obj, "customer_profile", None)
        return CustomerProfileSerializer(profile, context=self.context).data if profile else None

    def get_agent(self, obj) -> dict | None:
        profile = getattr(obj, "agent_profile", None)
        return AgentProfileSerializer(profile).data if profile else None


class ChannelStatusSerializer(serializers.Serializer):
    channel = serializers.CharField()
    label = serializers.CharField()
    is_open = serializers.BooleanField()
    next_open = serializers.DateTimeField(allow_null=True)
    accepts_requests = serializers.BooleanField()
    promise = serializers.CharField()
    business_time = serializers.BooleanField()
    note = serializers.CharField()
