"""Chat services: queue and routing, sequence numbers, idempotent sends, SLA clocks, out of hours,
transfer, capacity, convert to ticket, transcripts, rating."""
import datetime as dt
import uuid

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType

from chat import services
from chat.models import AgentPresence, ChatMessage, Conversation
from chat.selectors import available_agents, queue_position
from support.models import SLAClock
from tests.chat.conftest import online_agent
from tests.factories import CustomerFactory
from tickets.models import Ticket, TicketAttachment

pytestmark = pytest.mark.django_db(transaction=True)


def start(customer, body="My order is stuck", language="en", category="urgent_trading"):
    return services.conversation_start(customer, category=category, language=language, body=body, client_id=uuid.uuid4())


def clocks(conversation, metric=None):
    qs = SLAClock.objects.filter(content_type=ContentType.objects.get_for_model(Conversation), object_id=str(conversation.pk))
    return qs.filter(metric=metric) if metric else qs


def test_chat_enters_queue_with_first_message_clock_and_offer(customer, chat_agent):
    result = start(customer)
    conversation = Conversation.objects.get(pk=result.conversation.pk)
    assert result.ticket is None
    assert conversation.status == Conversation.Status.QUEUED
    assert [(m.seq, m.kind, m.body) for m in conversation.messages.all()] == [(1, "customer", "My order is stuck")]
    assert clocks(conversation, "first_response").get().state == SLAClock.State.RUNNING
    assert conversation.offered_to == chat_agent  # routed on commit


def test_one_live_chat_per_customer(customer, chat_agent):
    first = start(customer)
    again = start(customer, body="hello?")
    assert again.conversation.pk == first.conversation.pk
    assert Conversation.objects.count() == 1


def test_vip_chat_goes_ahead_of_earlier_standard_chats(chat_agent):
    standard = [start(CustomerFactory().user).conversation for _ in range(2)]
    vip = start(CustomerFactory(tier="vip").user).conversation
    assert vip.vip
    assert queue_position(vip)["position"] == 1
    assert queue_position(standard[0])["position"] == 2
    assert queue_position(standard[1])["position"] == 3


def test_routing_offers_to_a_speaker_of_the_language_round_robin(chat_open):
    russian = online_agent(languages=["ru"])
    a, b = online_agent(), online_agent()
    first = start(CustomerFactory().user).conversation
    second = start(CustomerFactory().user).conversation
    offered = {Conversation.objects.get(pk=first.pk).offered_to_id, Conversation.objects.get(pk=second.pk).offered_to_id}
    assert offered == {a.pk, b.pk}  # each agent got one; the Russian speaker none
    ru_chat = start(CustomerFactory().user, language="ru").conversation
    assert Conversation.objects.get(pk=ru_chat.pk).offered_to == russian


def test_accept_is_exclusive_and_respects_capacity(customer, chat_open):
    agent = online_agent(capacity=1)
    other = online_agent()
    conversation = start(customer).conversation
    services.conversation_accept(conversation, agent=agent)
    with pytest.raises(services.ChatError) as taken:
        services.conversation_accept(conversation, agent=other)
    assert taken.value.code == "taken"
    second = start(CustomerFactory().user).conversation
    with pytest.raises(services.ChatError) as full:
        services.conversation_accept(second, agent=agent)
    assert full.value.code == "capacity"
    assert agent not in available_agents(language="en")


def test_sequence_numbers_are_gap_free_and_resend_is_not_a_duplicate(customer, chat_agent):
    conversation = start(customer).conversation
    services.conversation_accept(conversation, agent=chat_agent)  # seq 2: system "joined"
    client_id = uuid.uuid4()
    first, created = services.conversation_message_post(conversation, author=customer, body="hi", client_id=client_id)
    again, created_again = services.conversation_message_post(conversation, author=customer, body="hi", client_id=client_id)
    assert created and not created_again and again.pk == first.pk
    services.conversation_message_post(conversation, author=chat_agent, body="hello", client_id=uuid.uuid4())
    assert list(ChatMessage.objects.filter(conversation=conversation).values_list("seq", flat=True)) == [1, 2, 3, 4]


def test_first_agent_message_meets_first_response_then_next_response_runs(customer, chat_agent):
    conversation = start(customer).conversation
    services.conversation_accept(conversation, agent=chat_agent)
    assert clocks(conversation, "first_response").get().state == SLAClock.State.RUNNING  # accepting is not answering
    services.conversation_message_post(conversation, author=chat_agent, body="Hello", client_id=uuid.uuid4())
    assert clocks(conversation, "first_response").get().state == SLAClock.State.MET
    services.conversation_message_post(conversation, author=customer, body="Still stuck", client_id=uuid.uuid4())
    assert clocks(conversation, "next_response").get().state == SLAClock.State.RUNNING
    services.conversation_message_post(conversation, author=chat_agent, body="Checking", client_id=uuid.uuid4())
    assert clocks(conversation, "next_response").get().state == SLAClock.State.MET


def test_internal_note_is_not_customer_visible_and_customer_cannot_write_one(customer, chat_agent):
    conversation = start(customer).conversation
    services.conversation_accept(conversation, agent=chat_agent)
    note, _ = services.conversation_message_post(conversation, author=chat_agent, body="VIP?", internal=True, client_id=uuid.uuid4())
    assert note.kind == ChatMessage.Kind.NOTE
    with pytest.raises(services.ChatError):
        services.conversation_message_post(conversation, author=customer, body="x", internal=True, client_id=uuid.uuid4())
    assert "VIP?" not in services.transcript_text(conversation)


def test_closed_chat_takes_no_messages_and_stops_clocks(customer, chat_agent):
    conversation = start(customer).conversation
    services.conversation_accept(conversation, agent=chat_agent)
    services.conversation_close(conversation, actor=chat_agent)
    assert not clocks(conversation).filter(state=SLAClock.State.RUNNING).exists()
    with pytest.raises(services.ChatError) as ended:
        services.conversation_message_post(conversation, author=customer, body="late", client_id=uuid.uuid4())
    assert ended.value.code == "closed"
    assert not ChatMessage.objects.filter(body="late").exists()


# Sunday in Asia/Shanghai: the support-hours calendar is closed all day.
SUNDAY = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_out_of_hours_chat_becomes_a_ticket_with_next_opening(customer, db):
    online_agent()
    with time_machine.travel(SUNDAY, tick=False):
        result = start(customer, body="Withdrawal pending since Friday")
    conversation = result.conversation
    assert result.ticket is not None and result.ticket.channel == Ticket.Origin.CHAT and result.reason == "closed"
    assert result.ticket.messages.get().body_text == "Withdrawal pending since Friday"
    assert conversation.status == Conversation.Status.CLOSED and conversation.outcome == Conversation.Outcome.OFFLINE
    # Monday 06:00 Shanghai
    assert result.next_open == dt.datetime(2026, 11, 29, 22, 0, tzinfo=dt.timezone.utc)
    assert not clocks(conversation).exists()


def test_no_agent_for_the_language_becomes_a_ticket(customer, chat_open):
    online_agent(languages=["en"])
    result = start(customer, language="vi")
    assert result.ticket is not None and result.reason == "no_agent" and result.next_open is None
    assert result.conversation.outcome == Conversation.Outcome.OFFLINE


def test_away_or_silent_agents_are_not_online(customer, chat_open):
    agent = online_agent()
    services.agent_presence_set(agent, status=AgentPresence.Status.AWAY)
    assert start(customer).ticket is not None
    services.agent_presence_set(agent, status=AgentPresence.Status.AVAILABLE)
    AgentPresence.objects.filter(agent=agent).update(last_seen=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
    assert start(CustomerFactory().user).ticket is not None


def test_transfer_to_agent_and_back_to_a_language_queue(customer, chat_open):
    first, second = online_agent(), online_agent(languages=["en", "ru"])
    conversation = start(customer).conversation
    services.conversation_accept(conversation, agent=first)
    services.conversation_transfer(conversation, actor=first, to_agent=second)
    conversation.refresh_from_db()
    assert conversation.assignee == second and conversation.status == Conversation.Status.ACTIVE
    services.conversation_transfer(conversation, actor=second, to_language="ru")
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.QUEUED and conversation.language == "ru"
    assert conversation.offered_to == second  # the only Russian speaker
    assert conversation.assignee is None


def test_offer_that_lapses_goes_to_the_next_agent(customer, chat_open, settings):
    a, b = online_agent(), online_agent()
    conversation = start(customer).conversation
    first = Conversation.objects.get(pk=conversation.pk).offered_to
    Conversation.objects.filter(pk=conversation.pk).update(offered_at=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
    assert services.offers_expire() == 1
    assert Conversation.objects.get(pk=conversation.pk).offered_to == ({a, b} - {first}).pop()


def test_convert_to_ticket_attaches_the_transcript_and_closes(customer, chat_agent):
    conversation = start(customer, body="Cannot change 2FA").conversation
    services.conversation_accept(conversation, agent=chat_agent)
    services.conversation_message_post(conversation, author=chat_agent, body="We need a document", client_id=uuid.uuid4())
    ticket = services.conversation_convert(conversation, actor=chat_agent)
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.CLOSED and conversation.outcome == Conversation.Outcome.CONVERTED
    assert ticket.channel == Ticket.Origin.CHAT and ticket.customer == customer
    attachment = TicketAttachment.objects.get(ticket=ticket)
    text = attachment.file.open("rb").read().decode()
    assert "Cannot change 2FA" in text and "We need a document" in text


def test_rating_once_after_the_chat(customer, chat_agent, other_customer):
    conversation = start(customer).conversation
    with pytest.raises(services.ChatError):
        services.conversation_rate(conversation, customer=customer, rating=5)
    services.conversation_close(conversation, actor=customer)
    assert Conversation.objects.get(pk=conversation.pk).outcome == Conversation.Outcome.ABANDONED
    with pytest.raises(services.ChatError):
        services.conversation_rate(conversation, customer=other_customer, rating=1)
    services.conversation_rate(conversation, customer=customer, rating=4, comment="quick")
    with pytest.raises(services.ChatError):
        services.conversation_rate(conversation, customer=customer, rating=5)
    assert Conversation.objects.get(pk=conversation.pk).rating == 4


def test_transcript_email_goes_to_the_registered_address(customer, chat_agent, mailoutbox):
    conversation = start(customer, body="Hello there").conversation
    services.conversation_transcript_email(conversation, customer=customer)
    [mail] = mailoutbox
    assert mail.to == [customer.email] and "Hello there" in mail.body


def test_system_lines_are_written_in_the_chats_language(chat_open):
    agent = online_agent(languages=["zh-hans"])
    agent.first_name = "Li"
    agent.save()
    conversation = start(CustomerFactory().user, language="zh-hans").conversation
    services.conversation_accept(conversation, agent=agent)
    joined = ChatMessage.objects.get(conversation=conversation, kind=ChatMessage.Kind.SYSTEM)
    assert "Li" in joined.body and "joined the chat" not in joined.body
