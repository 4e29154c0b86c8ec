"""A password change or reset ends the user's other sessions (Django's session auth hash) and closes the
websockets they opened (support.security.SocketsClosedOnPasswordChange)."""
import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from support.asgi import application
from tests.factories import PASSWORD, AgentFactory, CustomerFactory

NEW_PASSWORD = "a-fresh-Pass-2026!"
ORIGIN = b"https://desk.example.com"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def reset_password(user, password=NEW_PASSWORD):
    """The e-mailed link, followed from a browser that is not logged in."""
    client = Client()
    link = f"/accounts/reset/{urlsafe_base64_encode(force_bytes(user.pk))}/{default_token_generator.make_token(user)}/"
    form_url = client.get(link).url
    response = client.post(form_url, {"new_password1": password, "new_password2": password})
    assert response.status_code == 302 and response.url == "/accounts/reset/done/", response.status_code


@pytest.mark.django_db
def test_password_reset_logs_out_every_other_session(django_capture_on_commit_callbacks, monkeypatch):
    closed = []
    monkeypatch.setattr("support.services.notifications.user_sockets_close", lambda user_id, session_key=None: closed.append((user_id, session_key)))
    customer = CustomerFactory().user
    phone, laptop = logged_in(customer), logged_in(customer)
    assert phone.get("/").status_code == 200 and laptop.get("/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        reset_password(customer)
    for client in (phone, laptop):
        response = client.get("/")
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert closed == [(customer.pk, None)]  # every socket of the user, not one session's
    assert Client().login(email=customer.email, password=NEW_PASSWORD)


@pytest.mark.django_db
def test_admin_password_change_keeps_this_session_and_ends_the_others(django_capture_on_commit_callbacks, monkeypatch):
    closed = []
    monkeypatch.setattr("support.services.notifications.user_sockets_close", lambda user_id, session_key=None: closed.append(user_id))
    agent = AgentFactory().user
    here, elsewhere = logged_in(agent), logged_in(agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = here.post(
            "/admin/password_change/", {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
        )
    assert response.status_code == 302, response.content[:500]
    assert here.get("/admin/").status_code == 200  # update_session_auth_hash
    response = elsewhere.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response.url
    assert closed == [agent.pk]


@pytest.mark.django_db
def test_password_form_tells_the_user_other_devices_are_logged_out():
    customer = CustomerFactory().user
    client = Client()
    link = f"/accounts/reset/{urlsafe_base64_encode(force_bytes(customer.pk))}/{default_token_generator.make_token(customer)}/"
    page = client.get(client.get(link).url).content.decode()
    assert "Changing your password logs you out on your other devices." in page


@pytest.mark.django_db
def test_a_user_who_never_logged_in_needs_no_socket_closing(django_capture_on_commit_callbacks, monkeypatch):
    closed = []
    monkeypatch.setattr("support.services.notifications.user_sockets_close", lambda user_id, session_key=None: closed.append(user_id))
    with django_capture_on_commit_callbacks(execute=True):
        from support.models import User

        User.objects.create_user("fresh@example.com", NEW_PASSWORD)
    assert closed == []


@database_sync_to_async
def _customer_with_session():
    customer = CustomerFactory().user
    client = Client()
    client.force_login(customer)
    return customer, client.cookies[settings.SESSION_COOKIE_NAME].value


async def _socket(cookie: str, path: str) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(application, path, headers=[(b"origin", ORIGIN), (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode())])
    connected, _ = await comm.connect()
    assert connected
    return comm


@pytest.mark.django_db(transaction=True)
async def test_password_reset_closes_the_other_sessions_open_sockets():
    customer, cookie = await _customer_with_session()
    comm = await _socket(cookie, "/ws/notifications/")
    assert (await comm.receive_json_from())["type"] == "hello"
    await database_sync_to_async(reset_password)(customer)
    assert await comm.receive_output(timeout=3) == {"type": "websocket.close", "code": 4401}
    await comm.disconnect()
    # And the old session cannot open a new one.
    comm = WebsocketCommunicator(application, "/ws/notifications/", headers=[(b"origin", ORIGIN), (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode())])
    connected, code = await comm.connect()
    assert not connected and code == 4401
    await comm.disconnect()
