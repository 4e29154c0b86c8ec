"""Notifications websocket: the origin check, authentication, frames checked like requests."""
import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser

from support.asgi import application
from support.models import Notification
from support.services import notification_send
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)
ALLOWED = b"https://desk.example.com"


def communicator(user, origin=ALLOWED, path="/ws/notifications/"):
    headers = [(b"origin", origin)] if origin is not None else []
    comm = WebsocketCommunicator(application, path, headers=headers)
    # The session cookie is what AuthMiddlewareStack reads; tests put the user in scope directly.
    comm.scope["user"] = user
    return comm


@database_sync_to_async
def make_customer():
    return CustomerFactory().user


async def test_foreign_origin_is_rejected():
    user = await make_customer()
    comm = communicator(user, origin=b"https://evil.example.net")
    connected, _ = await comm.connect()
    assert not connected
    await comm.disconnect()


async def test_missing_origin_is_rejected():
    comm = communicator(await make_customer(), origin=None)
    connected, _ = await comm.connect()
    assert not connected
    await comm.disconnect()


async def test_lookalike_origin_is_rejected():
    comm = communicator(await make_customer(), origin=b"https://desk.example.com.evil.net")
    connected, _ = await comm.connect()
    assert not connected
    await comm.disconnect()


async def test_anonymous_is_closed():
    comm = communicator(AnonymousUser())
    connected, code = await comm.connect()
    assert not connected and code == 4401
    await comm.disconnect()


async def test_logged_in_user_gets_unread_count_and_live_notifications():
    user = await make_customer()
    await database_sync_to_async(Notification.objects.create)(recipient=user, kind="test", message="old")
    comm = communicator(user)
    connected, _ = await comm.connect()
    assert connected
    assert await comm.receive_json_from() == {"type": "hello", "unread": 1}
    await database_sync_to_async(notification_send)(user, kind="ticket.reply", message="An agent replied", url="/t/1")
    frame = await comm.receive_json_from(timeout=5)
    assert frame["type"] == "notification"
    assert frame["notification"]["message"] == "An agent replied"
    await comm.disconnect()


async def test_other_users_notifications_do_not_arrive():
    user, other = await make_customer(), await make_customer()
    comm = communicator(user)
    await comm.connect()
    await comm.receive_json_from()
    await database_sync_to_async(notification_send)(other, kind="x", message="not for you")
    assert await comm.receive_nothing(timeout=0.5)
    await comm.disconnect()


async def test_mark_read_and_someone_elses_notification_is_not_found():
    user, other = await make_customer(), await make_customer()
    mine = await database_sync_to_async(Notification.objects.create)(recipient=user, kind="k", message="m")
    theirs = await database_sync_to_async(Notification.objects.create)(recipient=other, kind="k", message="m")
    comm = communicator(user)
    await comm.connect()
    await comm.receive_json_from()
    await comm.send_json_to({"type": "mark_read", "id": mine.pk})
    assert await comm.receive_json_from() == {"type": "read", "id": mine.pk, "unread": 0}
    await comm.send_json_to({"type": "mark_read", "id": theirs.pk})
    assert await comm.receive_json_from() == {"type": "error", "error": "notification not found"}
    await theirs.arefresh_from_db()
    assert theirs.read_at is None
    await comm.disconnect()


@pytest.mark.parametrize(
    "raw",
    ["not json", "[1, 2]", json.dumps({"no": "type"}), json.dumps({"type": "explode"}), json.dumps({"type": "mark_read", "id": "1"})],
)
async def test_malformed_frames_get_an_error_frame_and_the_socket_stays_open(raw):
    comm = communicator(await make_customer())
    await comm.connect()
    await comm.receive_json_from()
    await comm.send_to(text_data=raw)
    frame = await comm.receive_json_from()
    assert frame["type"] == "error" and frame["error"]
    await comm.send_to(text_data=json.dumps({"type": "mark_read", "id": 999999}))
    assert (await comm.receive_json_from())["error"] == "notification not found"
    await comm.disconnect()


async def test_session_cookie_authenticates_through_the_real_middleware_stack():
    """No scope injection: the browser's session cookie, read by AuthMiddlewareStack."""
    from django.conf import settings
    from django.test import Client

    user = await make_customer()
    client = Client()
    await database_sync_to_async(client.force_login)(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()
    comm = WebsocketCommunicator(application, "/ws/notifications/", headers=[(b"origin", ALLOWED), (b"cookie", cookie)])
    connected, _ = await comm.connect()
    assert connected
    assert (await comm.receive_json_from())["type"] == "hello"
    await comm.disconnect()
    await database_sync_to_async(client.logout)()
    comm = WebsocketCommunicator(application, "/ws/notifications/", headers=[(b"origin", ALLOWED), (b"cookie", cookie)])
    connected, code = await comm.connect()
    assert not connected and code == 4401  # the logged-out session no longer opens a socket
    await comm.disconnect()


async def test_logout_closes_the_notification_socket():
    from support.services import user_sockets_close

    user = await make_customer()
    comm = communicator(user)
    await comm.connect()
    await comm.receive_json_from()
    await database_sync_to_async(user_sockets_close)(user.pk)
    output = await comm.receive_output(timeout=3)
    assert output == {"type": "websocket.close", "code": 4401}
    await comm.disconnect()


def test_logout_view_closes_that_sessions_sockets(client, monkeypatch):
    from django.urls import reverse

    from tests.factories import CustomerFactory

    closed = []
    monkeypatch.setattr("support.views.user_sockets_close", lambda user_id, session_key: closed.append((user_id, session_key)))
    user = CustomerFactory().user
    client.force_login(user)
    session_key = client.session.session_key
    response = client.post(reverse("logout"))
    assert response.status_code == 302, response.status_code
    assert closed == [(user.pk, session_key)]
