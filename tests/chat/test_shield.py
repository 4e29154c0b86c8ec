"""The secret shield in live chat: the agent's frame, the stored message and the channel layer carry
the marker; the customer reads why at once, in the chat."""
import pytest
from channels.db import database_sync_to_async

from chat.models import ChatMessage
from safety.models import SecretEvent
from tests.chat.test_consumers import connect_agent, connect_customer, receive, send, setup_chat


@pytest.mark.django_db(transaction=True)
async def test_chat_message_is_shielded_before_the_agent_sees_it():
    customer, agent, conversation = await setup_chat()
    cust, _hello = await connect_customer(customer, conversation)
    ag, _ = await connect_agent(agent)
    await send(ag, type="watch", conversation=conversation.public_id)
    await receive(ag, "watching")
    await send(cust, type="message", client_id="6f1a1d52-3b4e-4d8e-9c55-7a1b2c3d4e5f", body="验证码 483920, please hurry")
    ack = await receive(cust, "ack")
    assert ack["body"] == "验证码 [one-time code removed], please hurry"  # no echo: the ack shows what was saved
    seen = await receive(ag, "message")
    while seen["kind"] != "customer":
        seen = await receive(ag, "message")
    assert seen["body"] == "验证码 [one-time code removed], please hurry"
    notice = await receive(cust, "message")
    while notice["kind"] != "system" or "one-time code" not in notice["body"]:
        notice = await receive(cust, "message")
    assert "change your password" in notice["body"]
    stored = await database_sync_to_async(lambda: list(ChatMessage.objects.filter(conversation=conversation).values_list("body", flat=True)))()
    assert not any("483920" in b for b in stored) and ack["duplicate"] is False
    assert await database_sync_to_async(lambda: SecretEvent.objects.filter(kind="otp_code", where="chat").count())() == 1
    await cust.disconnect()
    await ag.disconnect()
