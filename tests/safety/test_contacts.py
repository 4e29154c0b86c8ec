"""Is this really support? The registry, the lookalikes phishers use, agent codes, the page and the API."""
import pytest
from rest_framework.test import APIClient

from safety.contacts import check_contact, lookalike_domain, skeleton
from safety.models import OfficialContact
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(settings):
    settings.DESK_BASE_URL = "https://okx-desk.example"
    settings.DESK_EMAIL_ADDRESS = "support@okx.com"
    OfficialContact.objects.create(kind="domain", value="https://www.OKX.com/", label="Main website")
    OfficialContact.objects.create(kind="email", value="Support@OKX.com", label="Support mailbox")
    OfficialContact.objects.create(kind="phone", value="+86 21 6080 1234", label="Hotline")
    OfficialContact.objects.create(kind="telegram", value="https://t.me/OKX_Official", label="Announcements")
    OfficialContact.objects.create(kind="wechat", value="okx_support_cn", label="WeChat support")
    OfficialContact.objects.create(kind="social", platform="x", value="@okx", label="X / Twitter")
    OfficialContact.objects.create(kind="telegram", value="@okx_help_old", label="Old channel", active=False)


@pytest.mark.parametrize(
    "value",
    ["support@okx.com", "SUPPORT@OKX.COM", "okx.com", "https://www.okx.com/help/verify", "help.okx.com", "+86 21 6080 1234",
     "+862160801234", "@OKX_Official", "t.me/okx_official", "okx_support_cn", "@okx"],
)
def test_official_contacts_are_recognised_in_any_spelling(registry, value):
    verdict = check_contact(value)
    assert verdict.official, (value, verdict.message)
    assert verdict.status == "official"


@pytest.mark.parametrize(
    "value,imitates",
    [
        ("okx-support-help.com", "okx.com"),  # our name with extra words
        ("support-okx.net", "okx.com"),
        ("okx.com.verify-login.io", "okx.com"),  # our domain inside theirs
        ("https://okx.com.account-check.top/login", "okx.com"),
        ("оkx.com", "okx.com"),  # Cyrillic о
        ("0kx.com", "okx.com"),  # zero for o
        ("okxx.com", "okx.com"),  # a near miss
        ("helpdesk@okx-security.com", "okx.com"),
        ("xn--kx-emc.com", "okx.com"),  # the punycode of "оkx.com" (Cyrillic о)
    ],
)
def test_lookalike_domains_are_called_out(registry, value, imitates):
    verdict = check_contact(value)
    assert not verdict.official and verdict.lookalike_of == imitates, (value, verdict)
    assert "imitates" in verdict.message and "seed phrases" in verdict.advice


def test_lookalike_handles_are_called_out(registry):
    verdict = check_contact("@OKX_0fficial")
    assert verdict.status == "lookalike"
    assert check_contact("@okx_support_desk").status == "lookalike"  # our name with extra words


def test_unrelated_contacts_are_simply_not_official(registry):
    for value in ("someone@gmail.com", "example.org", "+1 415 555 0100", "@random_trader"):
        verdict = check_contact(value)
        assert verdict.status == "not_official", value


def test_an_address_at_our_domain_that_we_do_not_use_is_not_official(registry):
    verdict = check_contact("refunds@okx.com")
    assert not verdict.official and "not an address we use" in verdict.message


def test_a_retired_contact_is_no_longer_official(registry):
    verdict = check_contact("@okx_help_old")
    assert not verdict.official and verdict.retired


def test_agent_codes_can_be_verified(registry):
    agent = AgentFactory(user__first_name="Emma")
    assert agent.public_code.startswith("AG-") and len(agent.public_code) == 9
    verdict = check_contact(agent.public_code.lower())
    assert verdict.official and "Emma" in verdict.message
    agent.user.is_active = False
    agent.user.save()
    assert not check_contact(agent.public_code).official
    assert not check_contact("AG-000000").official


def test_skeleton_maps_homoglyphs():
    assert skeleton("ОКХ.соm") == skeleton("okx.com")
    assert skeleton("paypa1") == "paypal"
    assert lookalike_domain("okx.com", ["okx.com"]) == "" and lookalike_domain("sub.okx.com", ["okx.com"]) == ""


def test_public_page_without_login(client, registry):
    page = client.get("/check/", {"value": "okx-support-help.com"})
    text = page.content.decode()
    assert page.status_code == 200 and 'data-verdict="lookalike"' in text and "okx.com" in text
    assert 'data-verdict="official"' in client.get("/check/", {"value": "support@okx.com"}).content.decode()
    assert "Our official contacts" in client.get("/check/").content.decode()


def test_api_is_public_and_validates_input(registry):
    api = APIClient()
    body = api.get("/api/check/", {"value": "okx.com.verify-login.io"}).json()
    assert body["status"] == "lookalike" and body["lookalike_of"] == "okx.com" and body["official"] is False
    assert api.get("/api/check/").status_code == 400
    assert api.get("/api/check/", {"value": "x" * 501}).status_code == 400


def test_registry_values_are_stored_normalised(registry):
    assert set(OfficialContact.objects.values_list("value", flat=True)) >= {"okx.com", "support@okx.com", "+862160801234", "okx_official", "okx"}


def test_control_characters_are_not_an_error(client, registry):
    assert APIClient().get("/api/check/", {"value": "okx\x00.com"}).status_code == 200
    assert APIClient().get("/api/check/", {"value": "\x00"}).status_code == 400
    assert client.get("/check/", {"value": "support@okx.com\x00"}).status_code == 200
