"""Fan-out through the consumers with chat.layers.LocalFanoutChannelLayer, one conversation's sockets spread over
two "processes" (the default layer here, a second layer instance standing for another web process): every
socket of the conversation but the sender gets each message exactly once and in seq order, the sender gets
its ack (seq, saved time) and no echo; fast path and service fallback alike."""
import json
import uuid

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from chat.consumers import AgentChatConsumer, CustomerChatConsumer
from chat.layers import LocalFanoutChannelLayer
from chat.models import ChatMessage
from tests.chat.test_consumers import connect_agent, connect_customer, receive, send, setup_chat

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


@pytest.fixture
def two_processes(settings):
    """A second channel layer alias with the same Redis and prefix: its consumers are another process's."""
    default = settings.CHANNEL_LAYERS["default"]
    settings.CHANNEL_LAYERS = {"default": default, "second": {**default, "CONFIG": dict(default.get("CONFIG", {}))}}
    assert isinstance(get_channel_layer(), LocalFanoutChannelLayer), "the shipped layer, with REDIS_URL set"
    assert get_channel_layer("second") is not get_channel_layer()


async def connect_there(consumer, user, path, **route):
    comm = WebsocketCommunicator(consumer.as_asgi(channel_layer_alias="second"), path)
    comm.scope["user"] = user
    comm.scope["url_route"] = {"args": (), "kwargs": route}
    connected, code = await comm.connect()
    assert connected, code
    return comm, await receive(comm, "hello")


async def messages_until_quiet(comm, timeout=0.6) -> list[dict]:
    frames = []
    while not await comm.receive_nothing(timeout=timeout):
        frames.append(json.loads(await comm.receive_from()))
    return [f for f in frames if f["type"] == "message"]


async def test_every_socket_but_the_sender_gets_each_message_once_in_both_processes(two_processes):
    customer, agent, conversation = await setup_chat()
    tab1, hello = await connect_customer(customer, conversation)  # this process
    tab2, _ = await connect_customer(customer, conversation)  # this process, another tab
    console_here, _ = await connect_agent(agent)
    console_there, _ = await connect_there(AgentChatConsumer, agent, "/ws/chat/agent/")
    customer_there, _ = await connect_there(CustomerChatConsumer, customer, f"/ws/chat/{conversation.public_id}/", public_id=conversation.public_id)
    sockets = {"tab1": tab1, "tab2": tab2, "console_here": console_here, "console_there": console_there, "customer_there": customer_there}
    seq = hello["last_seq"]
    steps = [
        # (sender, body): a customer before any answer (fast path); the agent's first answer (service: meets the
        # first-response clock); the customer after it (service: starts a clock), the agent meeting it (service),
        # the agent again (fast path), the customer from the other process (service: starts a clock), the agent
        # there (service), an internal note there (fast path, staff only).
        ("tab1", "one"),
        ("console_there", "two"),
        ("tab2", "three"),
        ("console_here", "four"),
        ("console_here", "five"),
        ("customer_there", "six"),
        ("console_there", "seven"),
        ("console_there", "a note"),
    ]
    for sender, body in steps:
        frame = {"type": "message", "client_id": str(uuid.uuid4()), "body": body}
        if sender.startswith("console"):
            frame["conversation"] = conversation.public_id
            frame["internal"] = body == "a note"
        await send(sockets[sender], **frame)
        ack = await receive(sockets[sender], "ack")
        seq += 1
        assert (ack["seq"], ack["duplicate"]) == (seq, False), body
        assert ack["created_at"]
        for name, comm in sockets.items():
            got = await messages_until_quiet(comm)
            if name == sender:
                assert got == [], (body, name)  # no echo: the ack told it
            elif body == "a note" and not name.startswith("console"):
                assert got == [], (body, name)  # staff only
            else:
                assert [(m["seq"], m["body"]) for m in got] == [(seq, body)], (body, name)
                assert got[0]["created_at"] == ack["created_at"]
    bodies = await database_sync_to_async(lambda: list(ChatMessage.objects.filter(conversation=conversation, seq__gt=hello["last_seq"]).order_by("seq").values_list("body", flat=True)))()
    assert bodies == [body for _sender, body in steps]
    for comm in sockets.values():
        await comm.disconnect()


async def test_a_burst_reaches_both_processes_once_each_in_seq_order(two_processes):
    customer, agent, conversation = await setup_chat()
    tab, hello = await connect_customer(customer, conversation)
    console_here, _ = await connect_agent(agent)
    console_there, _ = await connect_there(AgentChatConsumer, agent, "/ws/chat/agent/")
    client_ids = [str(uuid.uuid4()) for _ in range(20)]
    for n, client_id in enumerate(client_ids):  # under the burst limit of 30 frames
        await send(tab, type="message", client_id=client_id, body=f"burst {n}")
    acks = [await receive(tab, "ack") for _ in client_ids]
    assert [a["seq"] for a in acks] == list(range(hello["last_seq"] + 1, hello["last_seq"] + 21))
    for comm in (console_here, console_there):
        got = await messages_until_quiet(comm)
        assert [m["client_id"] for m in got] == client_ids
        assert [m["seq"] for m in got] == [a["seq"] for a in acks]
    assert await messages_until_quiet(tab) == []
    for comm in (tab, console_here, console_there):
        await comm.disconnect()


async def test_a_resend_is_acked_as_a_duplicate_and_not_delivered_again(two_processes):
    customer, agent, conversation = await setup_chat()
    tab1, _ = await connect_customer(customer, conversation)
    console_there, _ = await connect_there(AgentChatConsumer, agent, "/ws/chat/agent/")
    client_id = str(uuid.uuid4())
    await send(tab1, type="message", client_id=client_id, body="once")
    first = await receive(tab1, "ack")
    assert [m["body"] for m in await messages_until_quiet(console_there)] == ["once"]
    await send(tab1, type="message", client_id=client_id, body="once")
    again = await receive(tab1, "ack")
    assert (again["seq"], again["duplicate"], again["created_at"]) == (first["seq"], True, first["created_at"])
    assert await messages_until_quiet(console_there) == []
    for comm in (tab1, console_there):
        await comm.disconnect()
