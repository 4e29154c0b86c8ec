"""Security headers on every kind of response, and no inline script left for the policy to trip on."""
import re
from pathlib import Path

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.factories import CustomerFactory, SupervisorFactory, make_ticket

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()}


def assert_secure_headers(response):
    csp = directives(response)
    assert csp["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval', no hosts
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'self'"
    assert csp["form-action"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["default-src"] == "'self'"
    assert csp["connect-src"].split() == ["'self'", "ws://testserver", "wss://testserver"]
    assert "unsafe-inline" not in csp["default-src"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    permissions = dict(item.strip().split("=", 1) for item in response.headers["Permissions-Policy"].split(","))
    assert permissions["camera"] == "(self)"  # the verification page's <input capture>
    assert permissions["microphone"] == permissions["geolocation"] == permissions["payment"] == "()"


def test_personal_area_page_sends_the_security_headers(client):
    customer = CustomerFactory().user
    client.force_login(customer)
    response = client.get("/verification/")
    assert response.status_code == 200
    assert_secure_headers(response)


def test_admin_pages_send_the_security_headers(client):
    supervisor = SupervisorFactory().user
    customer = CustomerFactory().user
    ticket = make_ticket(customer)
    client.force_login(supervisor)
    for url in ("/admin/", "/admin/tickets/ticket/", f"/admin/tickets/ticket/{ticket.pk}/change/", "/admin/login/"):
        response = client.get(url)
        assert response.status_code in (200, 302), url
        assert_secure_headers(response)


def test_api_responses_send_the_security_headers():
    customer = CustomerFactory().user
    api = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=customer).key}")
    response = api.get("/api/me/")
    assert response.status_code == 200
    assert_secure_headers(response)
    refused = Client().get("/api/me/")
    assert refused.status_code in (401, 403)
    assert_secure_headers(refused)


def test_login_and_error_pages_send_the_security_headers(client):
    assert_secure_headers(client.get("/accounts/login/"))
    assert_secure_headers(client.get("/no-such-page/"))


def test_https_requests_allow_only_secure_websockets(client):
    response = client.get("/accounts/login/", secure=True)
    assert directives(response)["connect-src"].split() == ["'self'", "wss://testserver"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_api_docs_page_loads_its_script_from_a_url_not_inline(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html), "Swagger UI must run from files under script-src 'self'"
    script = re.search(r'<script src="(/api/docs/\?[^"]*script=[^"]*)"', html).group(1).replace("&amp;", "&")
    init = client.get(script)
    assert init.status_code == 200 and init.headers["Content-Type"].startswith("application/javascript")


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
JAVASCRIPT_URL = re.compile(r"(href|src|action)\s*=\s*[\"']?\s*javascript:", re.I)


def test_no_template_has_inline_script_or_event_handlers():
    """script-src 'self' would block them: every behaviour lives in a static file (data attributes in HTML)."""
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text()
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER, JAVASCRIPT_URL):
            offenders += [f"{path.relative_to(ROOT)}: {m.group(0)[:60]}" for m in pattern.finditer(text)]
    assert offenders == []


@pytest.mark.parametrize("path", ["/tickets/new/", "/callbacks/new/", "/"])
def test_pages_that_submit_on_change_use_the_static_script(client, path):
    client.force_login(CustomerFactory().user)
    html = client.get(path).content.decode()
    assert "data-autosubmit" in html and "/static/support/forms.js" in html
    assert not INLINE_HANDLER.search(html)


def test_dashboard_refreshes_from_a_static_module(client):
    client.force_login(SupervisorFactory().user)
    html = client.get("/supervisor/").content.decode()
    assert '<script type="module" src="/static/support/dashboard.js"></script>' in html
    assert 'data-t-empty="Nothing is at risk."' in html
    assert not INLINE_SCRIPT.search(html)


def test_production_settings_are_secure(tmp_path):
    from tests.support.test_settings import PRODUCTION, run

    probe = (
        "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps("
        "[s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_HTTPONLY, s.DEBUG]))"
    )
    result = run(["-c", probe], PRODUCTION, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[true, true, true, 31536000, true, false]"
