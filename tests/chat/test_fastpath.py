"""The message hot path over real sockets (chat/fastpath.py with PostgreSQL, the service elsewhere): the
same guarantees as the service — gap-free seqs under concurrency, resends stored once, SLA clocks moved
by the messages that move them, ended chats refused."""
import asyncio
import json
import uuid

import pytest
from channels.db import database_sync_to_async
from django.contrib.contenttypes.models import ContentType

from chat import fastpath, services
from chat.models import ChatMessage, Conversation
from support.models import SLAClock
from tests.chat.conftest import online_agent
from tests.chat.test_consumers import connect_agent, connect_customer, setup_chat

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def clock_states(conversation, metric):
    qs = SLAClock.objects.filter(
        content_type=ContentType.objects.get_for_model(Conversation), object_id=str(conversation.pk), metric=metric
    )
    return sorted(qs.values_list("state", flat=True))


@database_sync_to_async
def stored(conversation):
    return list(ChatMessage.objects.filter(conversation=conversation).order_by("seq").values_list("seq", "client_id", "kind"))


class Inbox:
    """A socket's frames by type, none skipped: waiting for an ack keeps the messages that came first."""

    def __init__(self, comm):
        self.comm, self.kept = comm, []

    async def next(self, type_, timeout=3):
        for n, frame in enumerate(self.kept):
            if frame["type"] == type_:
                return self.kept.pop(n)
        while True:
            frame = json.loads(await self.comm.receive_from(timeout=timeout))
            if frame["type"] == type_:
                return frame
            self.kept.append(frame)


async def post(comm, conversation=None, client_id=None, **extra):
    client_id = client_id or str(uuid.uuid4())
    frame = {"type": "message", "client_id": client_id, "body": extra.pop("body", f"text {client_id[:6]}"), **extra}
    if conversation is not None:
        frame["conversation"] = conversation.public_id
    await comm.send_to(text_data=json.dumps(frame))
    return client_id


async def test_answers_and_follow_ups_move_the_sla_clocks_as_the_service_does():
    customer, agent, conversation = await setup_chat()
    cust, _ = await connect_customer(customer, conversation)
    ag, _ = await connect_agent(agent)
    receive = {cust: Inbox(cust).next, ag: Inbox(ag).next}
    cust_next, ag_next = receive[cust], receive[ag]
    await post(cust)  # no answer yet: nothing to start
    assert (await cust_next("ack"))["seq"] == 3
    await post(ag, conversation, body="Looking into it")  # the first response
    assert (await ag_next("ack"))["seq"] == 4
    assert await clock_states(conversation, "first_response") == [SLAClock.State.MET]
    await post(ag, conversation, body="One more thing")  # nothing awaited: no clock moves
    assert (await ag_next("ack"))["seq"] == 5
    await post(cust, body="Thanks, and?")  # starts the next-response clock
    assert (await cust_next("ack"))["seq"] == 6
    assert await clock_states(conversation, "next_response") == [SLAClock.State.RUNNING]
    await post(cust, body="Hello?")  # already awaited
    assert (await cust_next("ack"))["seq"] == 7
    await post(ag, conversation, body="Fixed")  # meets it
    assert (await ag_next("ack"))["seq"] == 8
    assert await clock_states(conversation, "next_response") == [SLAClock.State.MET]
    got = [await cust_next("message") for _ in range(3)]  # the agent's; its own it knows from the acks
    assert [m["seq"] for m in got] == [4, 5, 8]
    assert [m["author"] for m in got if m["kind"] == "agent"] == [agent.first_name] * 3
    assert [(await ag_next("message"))["seq"] for _ in range(3)] == [3, 6, 7]
    assert [kind for _seq, _cid, kind in await stored(conversation)][2:] == ["customer", "agent", "agent", "customer", "customer", "agent"]
    await cust.disconnect()
    await ag.disconnect()


async def test_concurrent_senders_get_gap_free_seqs_and_every_socket_hears_them_in_order():
    customer, agent, conversation = await setup_chat()
    tab1, _ = await connect_customer(customer, conversation)
    tab2, _ = await connect_customer(customer, conversation)
    ag, _ = await connect_agent(agent)
    inbox = {comm: Inbox(comm) for comm in (tab1, tab2, ag)}
    sent = []
    for n in range(8):
        sent.append(await post(tab1, body=f"one {n}"))
        sent.append(await post(tab2, body=f"two {n}"))
        sent.append(await post(ag, conversation, body=f"note {n}", internal=True))
    acks = [await inbox[comm].next("ack") for comm in (tab1, tab2, ag) for _ in range(8)]
    assert sorted(a["seq"] for a in acks) == list(range(3, 27))
    rows = await stored(conversation)
    assert [seq for seq, _cid, _kind in rows] == list(range(1, 27))
    assert {str(cid) for _seq, cid, _kind in rows[2:]} == set(sent)
    seqs = {comm: sorted(a["seq"] for a in acks[k * 8 : k * 8 + 8]) for k, comm in enumerate((tab1, tab2, ag))}
    # Every socket hears the others' messages once, in seq order, and not its own (the acks gave those);
    # the customer's tabs never hear the notes.
    for comm, expected in ((ag, sorted(seqs[tab1] + seqs[tab2])), (tab1, seqs[tab2]), (tab2, seqs[tab1])):
        heard = [(await inbox[comm].next("message"))["seq"] for _ in expected]
        assert heard == expected
        assert not [f for f in inbox[comm].kept if f["type"] == "message"] and await comm.receive_nothing(timeout=0.3)
    for comm in (tab1, tab2, ag):
        await comm.disconnect()


async def test_a_resend_racing_on_two_sockets_is_stored_once():
    customer, agent, conversation = await setup_chat()
    tab1, _ = await connect_customer(customer, conversation)
    tab2, _ = await connect_customer(customer, conversation)
    client_id = str(uuid.uuid4())
    await asyncio.gather(post(tab1, client_id=client_id, body="once"), post(tab2, client_id=client_id, body="once"))
    first, second = await Inbox(tab1).next("ack"), await Inbox(tab2).next("ack")
    assert first["seq"] == second["seq"] == 3
    assert sorted([first["duplicate"], second["duplicate"]]) == [False, True]
    assert [seq for seq, _cid, _kind in await stored(conversation)] == [1, 2, 3]
    await tab1.disconnect()
    await tab2.disconnect()


async def test_an_ended_chat_refuses_messages_and_stores_nothing():
    customer, agent, conversation = await setup_chat()
    cust, _ = await connect_customer(customer, conversation)
    ag, _ = await connect_agent(agent)
    await database_sync_to_async(services.conversation_close)(conversation, actor=agent)
    client_id = await post(cust)
    error = await Inbox(cust).next("error")
    assert (error["code"], error["client_id"]) == ("closed", client_id)
    await post(ag, conversation)
    assert (await Inbox(ag).next("error"))["code"] == "forbidden"  # an agent writes live chats only
    assert len(await stored(conversation)) == 3  # the two first lines and the closing line
    await cust.disconnect()
    await ag.disconnect()


@pytest.mark.postgres
async def test_messages_of_many_chats_are_saved_together_and_resends_found():
    chats = [await setup_chat() for _ in range(6)]
    ids = [uuid.uuid4() for _ in chats]

    async def one(chat, client_id):
        customer, _agent, conversation = chat
        return await fastpath.message_post(conversation=conversation.pk, author_id=customer.pk, kind="customer", body="hi", client_id=client_id)

    saved = await asyncio.gather(*(one(chat, cid) for chat, cid in zip(chats, ids)))
    assert [(s.seq, s.duplicate) for s in saved] == [(3, False)] * 6
    again = await asyncio.gather(*(one(chat, cid) for chat, cid in zip(chats, ids)))
    assert [(s.seq, s.duplicate, s.id) for s in again] == [(3, True, s.id) for s in saved]
    stranger = await one((chats[1][0], None, chats[0][2]), uuid.uuid4())  # not this customer's chat
    assert stranger is None
    for _customer, _agent, conversation in chats:
        assert [seq for seq, _cid, _kind in await stored(conversation)] == [1, 2, 3]


async def test_a_clock_started_after_a_transfer_belongs_to_the_agent_who_has_the_chat_now():
    customer, agent, conversation = await setup_chat()
    cust, _ = await connect_customer(customer, conversation)  # the socket knew the first agent
    ag, _ = await connect_agent(agent)
    inbox = Inbox(cust)
    await post(ag, conversation, body="Hello")
    await Inbox(ag).next("ack")
    colleague = await database_sync_to_async(online_agent)()
    await database_sync_to_async(services.conversation_transfer)(conversation, actor=agent, to_agent=colleague)
    await post(cust, body="Still there?")  # starts the next-response clock
    await inbox.next("ack")

    @database_sync_to_async
    def clock_assignee():
        return SLAClock.objects.get(
            content_type=ContentType.objects.get_for_model(Conversation), object_id=str(conversation.pk), metric="next_response"
        ).assignee_id

    assert await clock_assignee() == colleague.pk
    await cust.disconnect()
    await ag.disconnect()
