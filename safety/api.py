"""The checker over REST, open to everyone (a customer's app, a browser extension), rate-limited."""
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from safety.contacts import check_contact


class CheckThrottle(AnonRateThrottle):
    rate = "60/min"


class CheckUserThrottle(UserRateThrottle):
    rate = "120/min"


class VerdictSerializer(serializers.Serializer):
    value = serializers.CharField()
    kind = serializers.CharField(help_text="What the value looked like: email, domain, phone, telegram, social, handle, agent, unknown.")
    status = serializers.ChoiceField(choices=["official", "lookalike", "not_official"])
    official = serializers.BooleanField()
    lookalike_of = serializers.CharField(allow_blank=True)
    message = serializers.CharField()
    advice = serializers.CharField()


class CheckView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [CheckThrottle, CheckUserThrottle]

    @extend_schema(parameters=[OpenApiParameter("value", str, required=True)], responses=VerdictSerializer)
    def get(self, request):
        value = "".join(ch for ch in (request.query_params.get("value") or "") if ch.isprintable()).strip()
        if not value:
            raise ValidationError({"value": ["Paste the address, number, account, site or agent code to check."]})
        if len(value) > 500:
            raise ValidationError({"value": ["At most 500 characters."]})
        verdict = check_contact(value)
        return Response(
            VerdictSerializer(
                {
                    "value": verdict.value, "kind": verdict.kind, "status": verdict.status, "official": verdict.official,
                    "lookalike_of": verdict.lookalike_of, "message": verdict.message, "advice": verdict.advice,
                }
            ).data
        )
