"""Login throttling (django-axes): an e-mail + IP pair is locked out after AXES_FAILURE_LIMIT failures on
every way in — the login page, the admin login and the API token endpoint — and the cool-off ends it."""
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.test import Client

from tests.factories import PASSWORD, AgentFactory, CustomerFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
ATTACKER = "203.0.113.7"
ELSEWHERE = "198.51.100.20"


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)


def page_login(client, email, password, ip=ATTACKER):
    return client.post("/accounts/login/", {"username": email, "password": password}, REMOTE_ADDR=ip)


def admin_login(client, email, password, ip=ATTACKER):
    return client.post("/admin/login/?next=/admin/", {"username": email, "password": password}, REMOTE_ADDR=ip)


def token(client, email, password, ip=ATTACKER):
    return client.post("/api/auth/token/", {"username": email, "password": password}, REMOTE_ADDR=ip, content_type="application/json")


def test_login_page_locks_the_email_and_ip_out_and_says_so():
    user = CustomerFactory().user
    client = Client()
    for _ in range(2):
        response = page_login(client, user.email, "wrong-guess")
        assert response.status_code == 200 and b"errors" in response.content  # the form's usual error
    response = page_login(client, user.email, "wrong-guess")
    assert response.status_code == 429
    assert "Too many login attempts" in response.content.decode()
    assert "Try again in 15 minutes." in response.content.decode()
    assert "templates" not in response.content.decode()  # the page, not a traceback
    # Now even the right password is refused from there, and no session is made.
    response = page_login(client, user.email, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_email_and_ip_so_the_owner_elsewhere_still_logs_in():
    user, bystander = CustomerFactory().user, CustomerFactory().user
    for _ in range(3):
        page_login(Client(), user.email, "wrong-guess")
    assert page_login(Client(), user.email, PASSWORD).status_code == 429
    response = page_login(Client(), user.email, PASSWORD, ip=ELSEWHERE)
    assert response.status_code == 302 and response.url == "/"
    assert page_login(Client(), bystander.email, PASSWORD).status_code == 302


def test_changing_the_case_of_the_email_does_not_reset_the_count():
    user = CustomerFactory().user
    for variant in (user.email.upper(), f" {user.email} ", user.email.title()):
        page_login(Client(), variant, "wrong-guess")
    assert page_login(Client(), user.email, PASSWORD).status_code == 429


def test_the_cool_off_ends_the_lockout_and_a_success_resets_the_count():
    user = CustomerFactory().user
    for _ in range(3):
        page_login(Client(), user.email, "wrong-guess")
    assert page_login(Client(), user.email, PASSWORD).status_code == 429
    with time_machine.travel(dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=16)):
        assert page_login(Client(), user.email, PASSWORD).status_code == 302
        # AXES_RESET_ON_SUCCESS: the next mistakes start from zero.
        for _ in range(2):
            assert page_login(Client(), user.email, "wrong-guess").status_code == 200
        assert page_login(Client(), user.email, PASSWORD).status_code == 302


def test_admin_login_locks_out_too():
    agent = AgentFactory().user
    client = Client()
    for _ in range(3):
        response = admin_login(client, agent.email, "wrong-guess")
    assert response.status_code == 429
    assert admin_login(client, agent.email, PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session
    assert admin_login(Client(), agent.email, PASSWORD, ip=ELSEWHERE).status_code == 302


def test_api_token_endpoint_locks_out_too():
    user = CustomerFactory().user
    client = Client()
    assert token(client, user.email, PASSWORD).status_code == 200
    for _ in range(3):
        response = token(client, user.email, "wrong-guess")
    assert response.status_code == 429
    refused = token(client, user.email, PASSWORD)
    assert refused.status_code == 429
    assert b"token" not in refused.content
    assert token(Client(), user.email, PASSWORD, ip=ELSEWHERE).status_code == 200


def test_failures_on_one_way_in_count_on_the_others():
    user = CustomerFactory().user
    page_login(Client(), user.email, "wrong-guess")
    admin_login(Client(), user.email, "wrong-guess")
    token(Client(), user.email, "wrong-guess")
    assert page_login(Client(), user.email, PASSWORD).status_code == 429


def test_limit_and_cool_off_come_from_the_environment(tmp_path):
    probe = "import django; django.setup(); from django.conf import settings; print(settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME.total_seconds())"
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
    env.update({"DJANGO_SETTINGS_MODULE": "support.settings", "DESK_VAR_DIR": str(tmp_path), "AXES_FAILURE_LIMIT": "7", "AXES_COOLOFF_MINUTES": "30"})
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["7", "1800.0"]
    del env["AXES_FAILURE_LIMIT"], env["AXES_COOLOFF_MINUTES"]
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.split()[-2:] == ["5", "900.0"]


def test_the_test_clients_login_still_works_without_a_request():
    # Code calling authenticate() without a request (the test client, a shell) has no IP to count.
    user = CustomerFactory().user
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    assert not client.login(email=user.email, password="wrong-guess")
