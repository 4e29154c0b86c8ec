"""The chat through a real server and real clients: daphne as its own process (the `desk` fixture),
customer and agent on the `websockets` library with session cookies and an Origin header, the Redis
channel layer in between. Messages both ways, a forced disconnect and resume with no gaps and no
duplicates, a resend that is not a duplicate, and a second customer refused."""
import asyncio
import json
import uuid

import pytest
from django.test import Client

from chat import services
from chat.models import ChatMessage, Conversation
from support.models import BusinessCalendar, SLAPolicy
from tests.chat.conftest import online_agent
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]
websockets = pytest.importorskip("websockets")
from websockets.asyncio.client import connect  # noqa: E402
from websockets.exceptions import ConnectionClosed, InvalidStatus  # noqa: E402


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def ws_url(origin: str, path: str) -> str:
    return origin.replace("http://", "ws://") + path


async def next_of(ws, type_, timeout=10):
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if frame["type"] == type_:
            return frame


async def send(ws, **frame):
    await ws.send(json.dumps(frame))


def test_real_clients_exchange_resume_and_are_refused_others_chats(desk):
    SLAPolicy.objects.filter(channel="chat").update(calendar=BusinessCalendar.objects.get(name="Always open"))
    agent = online_agent()
    customer, stranger = CustomerFactory().user, CustomerFactory().user
    conversation = services.conversation_start(customer, category="technical", language="en", body="Orders hang").conversation
    services.conversation_accept(conversation, agent=agent)
    cookies = {"customer": session_cookie(customer), "agent": session_cookie(agent), "stranger": session_cookie(stranger)}
    public_id = conversation.public_id
    customer_path, agent_path = f"/ws/chat/{public_id}/", "/ws/chat/agent/"

    def open_ws(who, path):
        return connect(ws_url(desk, path), origin=desk, additional_headers={"Cookie": cookies[who]}, open_timeout=10)

    async def scenario():
        results = {}
        async with open_ws("agent", agent_path) as ag:
            await next_of(ag, "hello")
            cust = await open_ws("customer", customer_path)
            hello = await next_of(cust, "hello")
            last_seen = hello["last_seq"]

            # Customer -> agent: 20 messages, every ack and every delivery, in order.
            sent = [str(uuid.uuid4()) for _ in range(20)]
            for n, client_id in enumerate(sent):
                await send(cust, type="message", client_id=client_id, body=f"c{n}")
            acks = [await next_of(cust, "ack") for _ in sent]
            delivered = []
            while len(delivered) < 20:
                frame = await next_of(ag, "message")
                if frame["kind"] == "customer":
                    delivered.append(frame)
            results["acks"] = [a["seq"] for a in acks]
            results["delivered"] = [(m["seq"], m["body"]) for m in delivered]

            # Agent -> customer.
            await send(ag, type="message", conversation=public_id, client_id=str(uuid.uuid4()), body="Try again now")
            await next_of(ag, "ack")
            while True:
                frame = await next_of(cust, "message")
                last_seen = max(last_seen, frame["seq"])
                if frame["kind"] == "agent":
                    results["reply"] = frame["body"]
                    break

            # Forced disconnect: the transport drops without a close handshake.
            cust.transport.abort()
            for n in range(10):
                await send(ag, type="message", conversation=public_id, client_id=str(uuid.uuid4()), body=f"a{n}")
                await next_of(ag, "ack")

            # Reconnect, resend the last message (never acked as far as the client knows), resume.
            async with open_ws("customer", customer_path) as cust2:
                await next_of(cust2, "hello")
                await send(cust2, type="message", client_id=sent[-1], body="c19")
                results["resend"] = await next_of(cust2, "ack")
                await send(cust2, type="resume", after=last_seen)
                history = await next_of(cust2, "history")
                results["resumed"] = [(m["seq"], m["body"]) for m in history["messages"]]
                results["resumed_after"] = last_seen

        # A second customer may not open the first one's conversation.
        try:
            async with open_ws("stranger", customer_path) as ws:
                await ws.recv()
            results["stranger"] = "connected"
        except InvalidStatus as exc:
            results["stranger"] = exc.response.status_code
        except ConnectionClosed as exc:
            results["stranger"] = exc.rcvd.code if exc.rcvd else "closed"
        return results

    results = asyncio.run(scenario())

    first = results["acks"][0]
    assert results["acks"] == list(range(first, first + 20))
    assert results["delivered"] == [(first + n, f"c{n}") for n in range(20)]
    assert results["reply"] == "Try again now"
    assert results["resend"]["duplicate"] is True and results["resend"]["seq"] == first + 19
    after = results["resumed_after"]
    assert results["resumed"] == [(after + 1 + n, f"a{n}") for n in range(10)]  # no gap, no duplicate
    assert results["stranger"] in (403, 4404)
    bodies = list(ChatMessage.objects.filter(conversation=conversation).order_by("seq").values_list("seq", flat=True))
    assert bodies == list(range(1, len(bodies) + 1))  # gap-free in the database too
    assert Conversation.objects.get(pk=conversation.pk).last_seq == len(bodies)
