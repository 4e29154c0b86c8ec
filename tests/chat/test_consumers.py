"""Chat websockets through the real ASGI stack (origin check, auth middleware, routing) and, in CI,
the real Redis channel layer: authorisation on connect and per frame, delivery, idempotent resend,
resume without gaps, bad frames, session end and role loss."""
import json
import uuid

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Group

from chat import services
from chat.models import ChatMessage, Conversation
from support.asgi import application
from support.services import user_sockets_close
from tests.chat.conftest import online_agent
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = [(b"origin", b"https://desk.example.com")]


def communicator(user, path):
    comm = WebsocketCommunicator(application, path, headers=ORIGIN)
    comm.scope["user"] = user
    return comm


async def receive(comm, type_, timeout=3):
    """The next frame of `type_`, skipping others (queue updates, status, typing)."""
    while True:
        frame = json.loads(await comm.receive_from(timeout=timeout))
        if frame["type"] == type_:
            return frame


async def frames_until_quiet(comm, timeout=0.5):
    frames = []
    while not await comm.receive_nothing(timeout=timeout):  # (a receive timeout would kill the app)
        frames.append(json.loads(await comm.receive_from()))
    return frames


@database_sync_to_async
def setup_chat(*, accept=True):
    from support.models import BusinessCalendar, SLAPolicy

    SLAPolicy.objects.filter(channel="chat").update(calendar=BusinessCalendar.objects.get(name="Always open"))
    agent = online_agent()
    customer = CustomerFactory().user
    conversation = services.conversation_start(customer, category="technical", language="en", body="Chart frozen").conversation
    if accept:
        services.conversation_accept(conversation, agent=agent)
    return customer, agent, Conversation.objects.get(pk=conversation.pk)


async def connect_customer(customer, conversation):
    comm = communicator(customer, f"/ws/chat/{conversation.public_id}/")
    connected, code = await comm.connect()
    assert connected, code
    hello = await receive(comm, "hello")
    return comm, hello


async def connect_agent(agent):
    comm = communicator(agent, "/ws/chat/agent/")
    connected, code = await comm.connect()
    assert connected, code
    return comm, await receive(comm, "hello")


async def send(comm, **frame):
    await comm.send_to(text_data=json.dumps(frame))


async def test_customer_and_agent_exchange_messages_and_notes_stay_internal():
    customer, agent, conversation = await setup_chat()
    cust, hello = await connect_customer(customer, conversation)
    assert hello["status"] == "active" and hello["last_seq"] == 2
    ag, agent_hello = await connect_agent(agent)
    assert [c["conversation"] for c in agent_hello["conversations"]] == [conversation.public_id]

    client_id = str(uuid.uuid4())
    await send(cust, type="message", client_id=client_id, body="Still frozen")
    ack = await receive(cust, "ack")
    created_at = ack.pop("created_at")
    assert ack == {"type": "ack", "client_id": client_id, "seq": 3, "duplicate": False}
    got = await receive(ag, "message")
    assert (got["seq"], got["body"], got["kind"]) == (3, "Still frozen", "customer")
    assert got["created_at"] == created_at  # the sender shows the saved time without an echo

    await send(ag, type="message", conversation=conversation.public_id, client_id=str(uuid.uuid4()), body="internal", internal=True)
    await receive(ag, "ack")
    await send(ag, type="message", conversation=conversation.public_id, client_id=str(uuid.uuid4()), body="Please reload")
    await receive(ag, "ack")
    seen = [await receive(cust, "message")]  # not its own message (acked), not seq 4, the note
    assert [m["seq"] for m in seen] == [5]
    reply = seen[-1]
    assert (reply["body"], reply["kind"]) == ("Please reload", "agent")
    assert reply["author"] == agent.first_name  # customers see a first name only
    await cust.disconnect()
    await ag.disconnect()


async def test_resend_is_acked_with_the_same_seq_and_stored_once():
    customer, agent, conversation = await setup_chat()
    cust, _ = await connect_customer(customer, conversation)
    client_id = str(uuid.uuid4())
    await send(cust, type="message", client_id=client_id, body="once")
    first = await receive(cust, "ack")
    await send(cust, type="message", client_id=client_id, body="once")
    again = await receive(cust, "ack")
    assert again["seq"] == first["seq"] and again["duplicate"] is True
    assert await database_sync_to_async(ChatMessage.objects.filter(body="once").count)() == 1
    await cust.disconnect()


async def test_reconnect_and_resume_receives_every_message_after_the_last_seen_once():
    customer, agent, conversation = await setup_chat()
    cust, hello = await connect_customer(customer, conversation)
    seen = hello["last_seq"]
    await cust.disconnect()  # forced disconnect; the agent goes on writing
    for n in range(5):
        await database_sync_to_async(services.conversation_message_post)(
            conversation, author=agent, body=f"update {n}", client_id=uuid.uuid4()
        )
    cust, hello = await connect_customer(customer, conversation)
    await send(cust, type="resume", after=seen)
    history = await receive(cust, "history")
    seqs = [m["seq"] for m in history["messages"]]
    assert seqs == list(range(seen + 1, seen + 6)) and not history["more"]
    assert [m["body"] for m in history["messages"]] == [f"update {n}" for n in range(5)]
    await cust.disconnect()


async def test_another_customer_cannot_open_or_write_the_conversation():
    customer, agent, conversation = await setup_chat()
    stranger = await database_sync_to_async(lambda: CustomerFactory().user)()
    comm = communicator(stranger, f"/ws/chat/{conversation.public_id}/")
    connected, code = await comm.connect()
    assert not connected and code == 4404
    await comm.disconnect()


async def test_customer_cannot_use_the_agent_socket():
    customer, agent, conversation = await setup_chat()
    comm = communicator(customer, "/ws/chat/agent/")
    connected, code = await comm.connect()
    assert not connected and code == 4403
    await comm.disconnect()


async def test_agent_cannot_read_or_write_a_chat_not_assigned_or_offered():
    customer, agent, conversation = await setup_chat()
    other = await database_sync_to_async(online_agent)()
    ag, _ = await connect_agent(other)
    for frame in (
        {"type": "message", "conversation": conversation.public_id, "client_id": str(uuid.uuid4()), "body": "hi"},
        {"type": "resume", "conversation": conversation.public_id, "after": 0},
        {"type": "watch", "conversation": conversation.public_id},
        {"type": "close", "conversation": conversation.public_id},
    ):
        await send(ag, **frame)
        error = await receive(ag, "error")
        assert error["code"] == "not_found", frame
    assert await database_sync_to_async(Conversation.objects.filter(pk=conversation.pk, status="active").exists)()
    await ag.disconnect()


async def test_bad_frames_get_error_frames_and_the_socket_survives(settings):
    settings.CHAT_RATE = (0.001, 12)  # practically no refill during the test
    customer, agent, conversation = await setup_chat()
    cust, _ = await connect_customer(customer, conversation)
    cases = [
        ("not json", "malformed"),
        (json.dumps([1, 2]), "malformed"),
        (json.dumps({"type": "explode"}), "unknown_type"),
        (json.dumps({"type": "message", "client_id": "nope", "body": "x"}), "invalid"),
        (json.dumps({"type": "message", "client_id": str(uuid.uuid4()), "body": ""}), "invalid"),
        (json.dumps({"type": "message", "client_id": str(uuid.uuid4()), "body": "é" * 2049}), "too_large"),
        ("x" * 20000, "too_large"),
        (json.dumps({"type": "resume", "after": -1}), "invalid"),
    ]
    for text, code in cases:
        await cust.send_to(text_data=text)
        assert (await receive(cust, "error"))["code"] == code, text
    await send(cust, type="ping")
    assert (await receive(cust, "pong"))["type"] == "pong"
    # Flood: 9 of the 12 tokens are spent (every frame counts).
    for _ in range(6):
        await send(cust, type="typing", typing=True)
    frames = await frames_until_quiet(cust)
    assert sum(f["type"] == "error" and f["code"] == "rate_limited" for f in frames) == 3
    assert await database_sync_to_async(ChatMessage.objects.filter(conversation=conversation).count)() == 2
    await cust.disconnect()


async def test_typing_and_read_reach_the_other_side():
    customer, agent, conversation = await setup_chat()
    cust, _ = await connect_customer(customer, conversation)
    ag, _ = await connect_agent(agent)
    await send(cust, type="typing", typing=True)
    typing = await receive(ag, "typing")
    assert typing["who"] == "customer" and typing["conversation"] == conversation.public_id
    await send(ag, type="read", conversation=conversation.public_id, seq=2)
    read = await receive(cust, "read")
    assert read["by"] == "agent" and read["seq"] == 2
    await cust.disconnect()
    await ag.disconnect()


async def test_new_chat_shows_in_agent_queue_with_an_offer_and_accept_joins_it():
    agent = await database_sync_to_async(online_agent)()
    ag, hello = await connect_agent(agent)
    assert hello["queue"] == []
    customer = await database_sync_to_async(lambda: CustomerFactory().user)()
    from support.models import BusinessCalendar, SLAPolicy

    await database_sync_to_async(
        lambda: SLAPolicy.objects.filter(channel="chat").update(calendar=BusinessCalendar.objects.get(name="Always open"))
    )()
    conversation = (
        await database_sync_to_async(services.conversation_start)(customer, category="funds", language="en", body="Deposit missing")
    ).conversation
    offer = await receive(ag, "offer")
    assert offer["conversation"] == conversation.public_id
    queue = await receive(ag, "queue")
    assert queue["entries"][0]["conversation"] == conversation.public_id and queue["entries"][0]["sla_due_at"]
    cust, hello = await connect_customer(customer, conversation)
    assert hello["queue"]["position"] == 1
    await send(ag, type="accept", conversation=conversation.public_id)
    accepted = await receive(ag, "accepted")
    assert accepted["customer"]["email"] == customer.email
    status = await receive(cust, "status")
    assert status["status"] == "active" and status["agent"] == agent.first_name
    await send(cust, type="message", client_id=str(uuid.uuid4()), body="hello")
    assert (await receive(ag, "message"))["body"] == "hello"
    await cust.disconnect()
    await ag.disconnect()


async def test_logout_closes_that_sessions_sockets():
    customer, agent, conversation = await setup_chat()
    cust, _ = await connect_customer(customer, conversation)
    await database_sync_to_async(user_sockets_close)(customer.pk)
    output = await cust.receive_output(timeout=3)
    while output["type"] != "websocket.close":
        output = await cust.receive_output(timeout=3)
    assert output["code"] == 4401
    await cust.disconnect()


async def test_agent_who_loses_the_role_is_cut_off(monkeypatch):
    from chat import consumers

    monkeypatch.setattr(consumers, "ROLE_RECHECK_SECONDS", 0)
    customer, agent, conversation = await setup_chat()
    ag, _ = await connect_agent(agent)
    await database_sync_to_async(lambda: agent.groups.remove(Group.objects.get(name="agent")))()
    await send(ag, type="message", conversation=conversation.public_id, client_id=str(uuid.uuid4()), body="after")
    output = await ag.receive_output(timeout=3)
    while output["type"] != "websocket.close":
        output = await ag.receive_output(timeout=3)
    assert output["code"] == 4403
    assert not await database_sync_to_async(ChatMessage.objects.filter(body="after").exists)()
    await ag.disconnect()


async def test_supervisor_watches_and_takes_over():
    customer, agent, conversation = await setup_chat()
    supervisor = await database_sync_to_async(online_agent)(supervisor=True)
    sup, hello = await connect_agent(supervisor)
    assert [c["conversation"] for c in hello["live"]] == [conversation.public_id]
    await send(sup, type="watch", conversation=conversation.public_id)
    assert (await receive(sup, "watching"))["customer"]["email"] == customer.email
    await send(sup, type="transfer", conversation=conversation.public_id, to_agent=supervisor.pk)
    assert (await receive(sup, "transferred"))["status"] == "active"
    await send(sup, type="message", conversation=conversation.public_id, client_id=str(uuid.uuid4()), body="I take it from here")
    assert (await receive(sup, "ack"))["seq"] > 0
    assert (await database_sync_to_async(Conversation.objects.get)(pk=conversation.pk)).assignee_id == supervisor.pk
    await sup.disconnect()
