"""REST API: auth, /api/me/, who may see a customer, the schema and its docs page."""
import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from support.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def test_anonymous_cannot_read_me(api):
    assert api.get("/api/me/").status_code in (401, 403)


def test_customer_reads_own_profile_with_roles(api, customer):
    api.force_authenticate(customer)
    data = api.get("/api/me/").json()
    assert data["email"] == customer.email
    assert data["roles"] == ["customer"]
    assert data["customer"]["account_number"] == customer.customer_profile.account_number
    assert data["customer"]["phone"] == "+8613912345678"
    assert data["agent"] is None


def test_agent_me_lists_languages_and_channels(api, agent):
    api.force_authenticate(agent)
    data = api.get("/api/me/").json()
    assert data["agent"]["languages"] == ["en"]
    assert "chat" in data["agent"]["channels"]
    assert data["customer"] is None


def test_customer_updates_language_time_zone_and_phone(api, customer):
    api.force_authenticate(customer)
    response = api.patch(
        "/api/me/", {"language": "zh-hans", "time_zone": "Europe/Berlin", "phone": "+49 1512 3456789"}, format="json"
    )
    assert response.status_code == 200, response.json()
    profile = customer.customer_profile
    profile.refresh_from_db()
    assert (profile.language, profile.time_zone, str(profile.phone)) == ("zh-hans", "Europe/Berlin", "+4915123456789")
    event = AuditEvent.objects.get(verb="customer.profile_updated")
    assert event.actor == customer and event.data == {"fields": ["language", "phone", "time_zone"]}


@pytest.mark.parametrize(
    "payload, field",
    [({"time_zone": "Mars/Olympus"}, "time_zone"), ({"phone": "12345"}, "phone"), ({"language": "xx"}, "language")],
)
def test_invalid_profile_values_are_refused_and_nothing_changes(api, customer, payload, field):
    api.force_authenticate(customer)
    response = api.patch("/api/me/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    profile = customer.customer_profile
    profile.refresh_from_db()
    assert (profile.time_zone, str(profile.phone), profile.language) == ("Asia/Shanghai", "+8613912345678", "en")


def test_account_number_and_tier_cannot_be_changed_by_the_customer(api, customer):
    api.force_authenticate(customer)
    api.patch("/api/me/", {"account_number": "1", "tier": "vip"}, format="json")
    profile = customer.customer_profile
    profile.refresh_from_db()
    assert profile.account_number != "1" and profile.tier == "standard"


def test_agent_cannot_see_another_customers_profile(api, agent, customer):
    api.force_authenticate(agent)
    assert api.get(f"/api/customers/{customer.customer_profile.account_number}/").status_code == 404


def test_customer_cannot_see_another_customers_profile(api, customer, other_customer):
    api.force_authenticate(customer)
    other = other_customer.customer_profile.account_number
    missing = api.get("/api/customers/does-not-exist/")
    forbidden = api.get(f"/api/customers/{other}/")
    # Someone else's customer looks exactly like one that does not exist.
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.json() == missing.json()


def test_customer_sees_self_through_customer_endpoint(api, customer):
    api.force_authenticate(customer)
    response = api.get(f"/api/customers/{customer.customer_profile.account_number}/")
    assert response.status_code == 200
    assert "anti_phishing_phrase" not in response.json()


def test_supervisor_sees_a_customer_and_the_view_is_audited(api, supervisor, customer):
    customer.customer_profile.anti_phishing_phrase = "blue-tiger"
    customer.customer_profile.save()
    api.force_authenticate(supervisor)
    response = api.get(f"/api/customers/{customer.customer_profile.account_number}/")
    assert response.status_code == 200
    assert response.json()["email"] == customer.email
    assert "blue-tiger" not in response.content.decode()
    event = AuditEvent.objects.get(verb="viewed")
    assert event.actor == supervisor and event.object_id == str(customer.customer_profile.pk)


def test_token_authentication(api, customer):
    response = api.post("/api/auth/token/", {"username": customer.email, "password": "correct-horse-battery-staple"})
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(key=token).user == customer
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/me/").json()["email"] == customer.email


def test_list_pagination_is_configured(settings):
    assert settings.REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"].endswith("PageNumberPagination")


def test_contact_endpoint_is_public(api):
    data = api.get("/api/contact/").json()
    assert {row["channel"] for row in data} == {"chat", "email", "web", "callback", "document", "complaint"}


def test_schema_and_docs(api, customer):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/me/" in schema.json()["paths"]
    docs = api.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    assert b"cdn.jsdelivr" not in docs.content  # assets are served locally (sidecar)
