"""Every change to a chat. Each is atomic, writes the audit log where a person acted, keeps the SLA
clocks in step and pushes websocket frames only after commit (chat/events.py)."""
import datetime as dt
import dataclasses
import logging
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _, gettext_lazy

from chat import events
from chat.models import AgentPresence, ChatAttachment, ChatMessage, Conversation
from chat.permissions import can_accept_conversation, is_chat_supervisor
from chat.selectors import (
    agents_online_for,
    available_agents,
    message_frame,
    queued,
)
from support import hours
from support.models import Channel, CustomerProfile, SLAClock, User
from support.services import (
    audit_event_record,
    email_queue_for_user,
    notification_send,
    sla_clock_cancel,
    sla_clock_satisfy,
    sla_clock_start,
    sla_policy_for,
)
from support.services.outbound_links import CredentialLinkRefused, outbound_check
from support.services.sla import sla_clocks_assign
from tickets.attachments import IncomingFile, attachment_check

logger = logging.getLogger(__name__)
_UI_LANGUAGES = {code for code, _name in settings.LANGUAGES}
Status = Conversation.Status
Kind = ChatMessage.Kind
FIRST_RESPONSE = SLAClock.Metric.FIRST_RESPONSE
NEXT_RESPONSE = SLAClock.Metric.NEXT_RESPONSE


class ChatError(Exception):
    """A change the chat's state does not allow; `code` is the protocol's error code, the text fit to show."""

    def __init__(self, message: str, code: str = "not_allowed"):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ChatStart:
    conversation: Conversation
    ticket: object | None = None  # the ticket an out-of-hours chat became
    next_open: dt.datetime | None = None  # when support opens, if it is closed now
    reason: str = ""  # why it became a ticket: "closed" or "no_agent"
    secrets_removed: list = dataclasses.field(default_factory=list)  # kinds the secret shield took out of the first message


def _profile(user: User) -> CustomerProfile | None:
    return getattr(user, "customer_profile", None)


def chat_calendar():
    policy = sla_policy_for(channel=Channel.CHAT, metric=FIRST_RESPONSE)
    if policy is None:
        from support.selectors import default_calendar

        return default_calendar()
    return policy.calendar


def chat_is_open(*, language: str, at: dt.datetime | None = None) -> tuple[bool, dt.datetime | None]:
    """Whether a new chat in `language` reaches an agent now; if not, when support next opens."""
    at = at or timezone.now()
    calendar = chat_calendar()
    if not hours.is_open(calendar, at):
        return False, hours.next_open(calendar, at)
    if not agents_online_for(language):
        return False, None
    return True, None


_SEQ_COLUMNS = ("last_seq", "status", "first_response_at", "awaiting_agent_since")


def _next_seq(conversation_id: int) -> dict:
    """Take the conversation's next sequence number and read its state in one statement.

    The row stays locked until commit, so numbers are gap-free and in commit order.
    """
    table = Conversation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_seq = last_seq + 1 WHERE id = %s RETURNING {', '.join(_SEQ_COLUMNS)}",
            [conversation_id],
        )
        row = dict(zip(_SEQ_COLUMNS, cursor.fetchone()))
    for field in ("first_response_at", "awaiting_agent_since"):  # SQLite returns text here
        if isinstance(row[field], str):
            row[field] = dt.datetime.fromisoformat(row[field])
    return row


def _store(conversation: Conversation, *, kind: str, body: str, author: User | None, client_id=None, files=(), live_only=False) -> ChatMessage:
    state = _next_seq(conversation.pk)
    if live_only and state["status"] not in Conversation.LIVE_STATUSES:
        raise ChatError(_("This chat has ended."), code="closed")
    seq = state["last_seq"]
    conversation.last_seq = seq
    message = ChatMessage.objects.create(
        conversation=conversation, seq=seq, client_id=client_id, kind=kind, author=author, body=body
    )
    stored = []
    for file in files:
        attachment = ChatAttachment(
            conversation=conversation,
            message=message,
            filename=file.filename,
            content_type=file.content_type,
            size=file.size,
            md5=file.md5,
        )
        attachment.file.save(file.filename, ContentFile(file.payload), save=False)
        attachment.save()
        stored.append(attachment)
    _broadcast(conversation, message, stored)
    message.conversation_state = state
    return message


def message_event(conversation: Conversation, message: ChatMessage, attachments=()) -> dict:
    """The `chat.frame` event of a saved message: staff see notes and full names, customers neither."""
    frame = message_frame(message, conversation, for_staff=True, attachments=attachments)
    if message.kind == Kind.NOTE:
        event = events.frame_event(frame, staff_only=True)
    else:
        customer_frame = message_frame(message, conversation, for_staff=False, attachments=attachments)
        event = events.frame_event({"staff": frame, "customer": customer_frame})
    if message.client_id:
        event["client_id"] = str(message.client_id)  # the consumer that sent it marks the event to skip its socket
    return event


def _broadcast(conversation: Conversation, message: ChatMessage, attachments: list) -> None:
    events.event_to_conversation(conversation.pk, message_event(conversation, message, attachments))


def _system(conversation: Conversation, text, **params) -> ChatMessage:
    """A line from the desk, written in the chat's language when the desk speaks it (else English)."""
    language = conversation.language if conversation.language in _UI_LANGUAGES else "en"
    with translation.override(language):
        body = str(text) % {key: str(value) for key, value in params.items()} if params else str(text)
    return _store(conversation, kind=Kind.SYSTEM, body=body, author=None)


def _agent_code(agent: User | None) -> str | None:
    profile = getattr(agent, "agent_profile", None) if agent is not None else None
    return profile.public_code if profile else None


def _status_frame(conversation: Conversation) -> dict:
    agent = conversation.assignee
    return {
        "type": "status",
        "conversation": conversation.public_id,
        "status": conversation.status,
        "outcome": conversation.outcome,
        "agent": (agent.first_name or "Support") if agent else None,
        # The agent's public code: the customer can check it on /check/ (fake support cannot show one).
        "agent_code": _agent_code(agent),
        "ticket": conversation.ticket.reference if conversation.ticket_id else None,
    }


def _push_status(conversation: Conversation) -> None:
    events.frame_to_conversation(conversation.pk, _status_frame(conversation))


@transaction.atomic
def conversation_start(
    customer: User, *, category: str, language: str, body: str, client_id: uuid.UUID | None = None, files=()
) -> ChatStart:
    """Open a chat, or, while support is closed or nobody speaks the language, take the message as a ticket.

    A customer has at most one live chat: asking again returns it. Files are checked before anything is stored.
    """
    from support.categories import Category
    from support.models.accounts import SUPPORT_LANGUAGES

    if category not in Category.values or language not in dict(SUPPORT_LANGUAGES):
        raise ChatError(_("Choose a category and a language."), code="invalid")
    for file in files:
        attachment_check(file)
    live = Conversation.objects.select_for_update().filter(customer=customer, status__in=Conversation.LIVE_STATUSES).first()
    if live is not None:
        return ChatStart(live)
    profile = _profile(customer)
    vip = bool(profile and profile.is_vip)
    now = timezone.now()
    is_open, next_open = chat_is_open(language=language, at=now)
    conversation = Conversation.objects.create(customer=customer, category=category, language=language, vip=vip)
    body, removed = shield_customer_text(body)
    _store(conversation, kind=Kind.CUSTOMER, body=body, author=customer, client_id=client_id, files=files)
    if removed:
        conversation_secrets_told(conversation, kinds=removed)
    if not is_open:
        ticket = _offline_ticket(conversation, customer, files=files)
        audit_event_record(conversation, actor=customer, verb="chat.offline", data={"ticket": ticket.reference})
        return ChatStart(conversation, ticket=ticket, next_open=next_open, reason="closed" if next_open else "no_agent", secrets_removed=removed)
    sla_clock_start(
        conversation, channel=Channel.CHAT, metric=FIRST_RESPONSE, vip=vip, at=now, category=category, language=language
    )
    audit_event_record(conversation, actor=customer, verb="chat.started", data={"category": category, "language": language})
    transaction.on_commit(lambda: conversation_route_task(conversation.pk))
    events.queue_changed()
    return ChatStart(conversation, secrets_removed=removed)


def shield_customer_text(body: str) -> tuple[str, list[str]]:
    """The secret shield on a customer's chat text before it is stored or sent over the channel layer."""
    from safety.shield import shield

    result = shield(body)
    return result.text, result.kinds


def conversation_secrets_told(conversation: Conversation, *, kinds: list[str]) -> ChatMessage:
    """Record what the shield removed (kinds only) and tell the customer at once, in the chat and in-app.

    The notice is a desk line in the chat in the customer's language: they see it straight away and
    after a reconnect, and the agent sees why a marker stands in the message.
    """
    from safety.services import customer_language, secrets_notice, secrets_notify, secrets_record

    customer = conversation.customer
    secrets_record(kinds, customer=customer, where="chat", case=conversation)
    secrets_notify(customer, kinds, url=f"/chat/{conversation.public_id}/")
    return _store(conversation, kind=Kind.SYSTEM, body=secrets_notice(kinds, language=customer_language(customer)), author=None)


def conversation_route_task(conversation_id: int) -> None:
    """After commit: offer the chat now (the beat task retries offers nobody took)."""
    try:
        conversation_offer(Conversation(pk=conversation_id))
    except Exception:
        logger.exception("routing chat %s failed; the beat task will retry", conversation_id)


def _offline_ticket(conversation: Conversation, customer: User, *, files=()):
    from tickets.services import ticket_create

    first = conversation.messages.order_by("seq").first()
    ticket = ticket_create(
        subject=f"Chat: {first.body[:80]}" if first else "Chat",
        body_text=first.body if first else "",
        requester_email=customer.email,
        customer=customer,
        channel="chat",
        category=conversation.category,
        language=conversation.language,
        attachments=list(files),
        actor=customer,
    )
    conversation.status = Status.CLOSED
    conversation.outcome = Conversation.Outcome.OFFLINE
    conversation.ticket = ticket
    conversation.closed_at = timezone.now()
    conversation.save(update_fields=["status", "outcome", "ticket", "closed_at"])
    _push_status(conversation)
    return ticket


def _locked(conversation: Conversation) -> Conversation:
    return Conversation.objects.select_for_update(of=("self",)).select_related("assignee", "customer", "ticket").get(pk=conversation.pk)


@transaction.atomic
def conversation_message_post(
    conversation: Conversation, *, author: User, body: str, client_id: uuid.UUID | None = None, internal: bool = False, files=()
) -> tuple[ChatMessage, bool]:
    """Save a message and give it the next sequence number; returns (message, created).

    A client id already used in this conversation returns the saved message (a resend, not a duplicate).
    Precondition: the caller checked can_write_conversation. Raises ChatError when the chat has ended.
    """
    # No look-up first: a resend hits the unique (conversation, client_id) and the savepoint below
    # undoes its sequence number, so the common case costs no extra query.
    for file in files:
        attachment_check(file)
    is_customer = author.pk == conversation.customer_id
    if internal and is_customer:
        raise ChatError(_("Customers cannot write internal notes."))
    removed = []
    if is_customer:
        body, removed = shield_customer_text(body)
    elif not internal:
        try:
            outbound_check(body)  # the desk never sends a link that asks for credentials
        except CredentialLinkRefused as exc:
            raise ChatError(str(exc), code="invalid") from None
    now = timezone.now()
    kind = Kind.CUSTOMER if is_customer else (Kind.NOTE if internal else Kind.AGENT)
    try:
        with transaction.atomic():
            message = _store(
                conversation, kind=kind, body=body, author=author, client_id=client_id, files=files, live_only=True
            )
    except IntegrityError:
        # The same client id raced in on another socket: that one was saved.
        existing = ChatMessage.objects.filter(conversation=conversation, client_id=client_id).first()
        if existing is None:
            raise
        return existing, False
    if removed:
        conversation_secrets_told(conversation, kinds=removed)
    live = message.conversation_state
    if kind == Kind.AGENT:
        changes = {}
        if live["first_response_at"] is None:
            changes["first_response_at"] = now
            sla_clock_satisfy(conversation, metric=FIRST_RESPONSE, at=now)
        if live["awaiting_agent_since"] is not None:
            changes["awaiting_agent_since"] = None
            sla_clock_satisfy(conversation, metric=NEXT_RESPONSE, at=now)
        if changes:
            Conversation.objects.filter(pk=conversation.pk).update(**changes)
    elif kind == Kind.CUSTOMER and live["first_response_at"] is not None and live["awaiting_agent_since"] is None:
        Conversation.objects.filter(pk=conversation.pk).update(awaiting_agent_since=now)
        sla_clock_start(
            conversation, channel=Channel.CHAT, metric=NEXT_RESPONSE, vip=conversation.vip, at=now,
            category=conversation.category, language=conversation.language, assignee=conversation.assignee,
        )
    return message, True


@transaction.atomic
def conversation_offer(conversation: Conversation) -> User | None:
    """Offer a waiting chat to the best available agent who speaks its language (round-robin among equals)."""
    conversation = _locked(conversation)
    if conversation.status != Status.QUEUED:
        return None
    declined = list(conversation.declined_by.values_list("pk", flat=True))
    agent = available_agents(language=conversation.language, exclude=declined).first()
    if agent is None or agent.pk == conversation.offered_to_id:
        return None
    previous = conversation.offered_to_id
    now = timezone.now()
    conversation.offered_to = agent
    conversation.offered_at = now
    conversation.save(update_fields=["offered_to", "offered_at"])
    AgentPresence.objects.filter(agent=agent).update(last_offered_at=now)
    if previous:
        events.frame_to_user(previous, {"type": "offer_withdrawn", "conversation": conversation.public_id})
    events.frame_to_user(
        agent.pk,
        {
            "type": "offer",
            "conversation": conversation.public_id,
            "category": conversation.category,
            "language": conversation.language,
            "vip": conversation.vip,
            "customer": conversation.customer.get_full_name() or conversation.customer.email,
            "expires_in": settings.CHAT_OFFER_SECONDS,
        },
    )
    events.queue_changed()
    return agent


@transaction.atomic
def conversation_decline(conversation: Conversation, *, agent: User) -> None:
    """The agent passes on an offer; it goes to the next agent."""
    conversation = _locked(conversation)
    conversation.declined_by.add(agent)
    if conversation.offered_to_id == agent.pk:
        conversation.offered_to = None
        conversation.offered_at = None
        conversation.save(update_fields=["offered_to", "offered_at"])
    transaction.on_commit(lambda: conversation_route_task(conversation.pk))


def offers_expire() -> int:
    """Offers not taken within CHAT_OFFER_SECONDS go to the next agent; unoffered chats get one. Returns chats routed."""
    routed = 0
    cutoff = timezone.now() - dt.timedelta(seconds=settings.CHAT_OFFER_SECONDS)
    for conversation in queued()[:200]:
        if conversation.offered_to_id and conversation.offered_at and conversation.offered_at > cutoff:
            continue
        with transaction.atomic():
            if conversation.offered_to_id:
                conversation.declined_by.add(conversation.offered_to_id)
            if conversation_offer(conversation) is not None:
                routed += 1
    return routed


@transaction.atomic
def conversation_accept(conversation: Conversation, *, agent: User) -> Conversation:
    """The agent takes a waiting chat. Raises ChatError when taken already or the agent is at capacity."""
    conversation = _locked(conversation)
    if conversation.status != Status.QUEUED:
        raise ChatError(_("Another agent has taken this chat."), code="taken")
    if not can_accept_conversation(agent, conversation):
        raise ChatError(_("This chat is not offered to you."), code="forbidden")
    profile = getattr(agent, "agent_profile", None)
    capacity = profile.chat_capacity if profile else 0
    active = Conversation.objects.filter(assignee=agent, status=Status.ACTIVE).count()
    if active >= capacity and not is_chat_supervisor(agent):
        raise ChatError(_("You are at your chat capacity."), code="capacity")
    now = timezone.now()
    conversation.status = Status.ACTIVE
    conversation.assignee = agent
    conversation.accepted_at = now
    offered = conversation.offered_to_id
    conversation.offered_to = None
    conversation.offered_at = None
    conversation.save(update_fields=["status", "assignee", "accepted_at", "offered_to", "offered_at"])
    sla_clocks_assign(conversation, assignee=agent)
    _system(conversation, gettext_lazy("%(name)s joined the chat."), name=agent.first_name or gettext_lazy("An agent"))
    audit_event_record(conversation, actor=agent, verb="chat.accepted")
    if offered and offered != agent.pk:
        events.frame_to_user(offered, {"type": "offer_withdrawn", "conversation": conversation.public_id})
    events.join_to_user(agent.pk, conversation.pk)
    _push_status(conversation)
    events.queue_changed()
    return conversation


@transaction.atomic
def conversation_transfer(
    conversation: Conversation, *, actor: User, to_agent: User | None = None, to_language: str | None = None
) -> Conversation:
    """Hand a live chat to another agent, or back to the queue for a language group.

    A supervisor taking over is a transfer to themself. Raises ChatError for an agent who does not take chats.
    """
    conversation = _locked(conversation)
    if not conversation.is_live:
        raise ChatError(_("This chat has ended."), code="closed")
    previous = conversation.assignee_id
    if to_agent is not None:
        if not (to_agent.is_active and to_agent.has_perm("chat.change_conversation")):
            raise ChatError(_("That person does not take chats."), code="invalid")
        if to_agent.pk == previous:
            return conversation
        conversation.status = Status.ACTIVE
        conversation.assignee = to_agent
        conversation.accepted_at = conversation.accepted_at or timezone.now()
        conversation.offered_to = None
        conversation.save(update_fields=["status", "assignee", "accepted_at", "offered_to"])
        verb = "chat.taken_over" if to_agent.pk == actor.pk else "chat.transferred"
        _system(conversation, gettext_lazy("%(name)s joined the chat."), name=to_agent.first_name or gettext_lazy("Another agent"))
        events.join_to_user(to_agent.pk, conversation.pk)
        notification_send(to_agent, kind="chat.transfer", message="A chat was transferred to you.", url="/chat/console/")
    else:
        language = to_language or conversation.language
        conversation.status = Status.QUEUED
        conversation.assignee = None
        conversation.language = language
        conversation.offered_to = None
        conversation.offered_at = None
        conversation.save(update_fields=["status", "assignee", "language", "offered_to", "offered_at"])
        verb = "chat.requeued"
        _system(conversation, gettext_lazy("You are being transferred to a colleague; please stay in the chat."))
        transaction.on_commit(lambda: conversation_route_task(conversation.pk))
    if previous != conversation.assignee_id:
        sla_clocks_assign(conversation, assignee=conversation.assignee)
    if previous and previous != conversation.assignee_id:
        events.join_to_user(previous, conversation.pk, join=False)
    audit_event_record(
        conversation, actor=actor, verb=verb, data={"from": previous, "to": conversation.assignee_id, "language": conversation.language}
    )
    _push_status(conversation)
    events.queue_changed()
    return conversation


@transaction.atomic
def conversation_close(conversation: Conversation, *, actor: User, outcome: str = Conversation.Outcome.RESOLVED) -> Conversation:
    """End the chat; its clocks stop. Closing twice is harmless."""
    conversation = _locked(conversation)
    if not conversation.is_live:
        return conversation
    was_queued = conversation.status == Status.QUEUED
    if actor.pk == conversation.customer_id and conversation.status == Status.QUEUED:
        outcome = Conversation.Outcome.ABANDONED
    conversation.status = Status.CLOSED
    conversation.outcome = outcome
    conversation.closed_at = timezone.now()
    conversation.offered_to = None
    conversation.save(update_fields=["status", "outcome", "closed_at", "offered_to"])
    sla_clock_cancel(conversation)
    if actor.pk == conversation.customer_id:
        _system(conversation, gettext_lazy("The customer ended the chat."))
    else:
        _system(conversation, gettext_lazy("Support ended the chat."))
    audit_event_record(conversation, actor=actor, verb="chat.closed", data={"outcome": outcome})
    _push_status(conversation)
    if was_queued:
        events.queue_changed()
    elif conversation.assignee_id:
        # The agent has room for the next waiting chat.
        transaction.on_commit(chat_route_waiting_task)
    return conversation


def chat_route_waiting_task() -> None:
    """After commit: an agent has room (or came online), offer waiting chats."""
    try:
        offers_expire()
    except Exception:
        logger.exception("routing waiting chats failed; the beat task will retry")


def transcript_text(conversation: Conversation) -> str:
    lines = [f"Chat {conversation.public_id} · {conversation.get_category_display()} · {conversation.queued_at:%Y-%m-%d %H:%M} UTC", ""]
    from chat.selectors import author_label

    for message in conversation.messages.exclude(kind=Kind.NOTE).select_related("author").prefetch_related("attachments").order_by("seq"):
        who = author_label(message, for_staff=True) if message.kind == Kind.CUSTOMER else author_label(message, for_staff=False)
        files = "".join(f" [attachment: {a.filename}]" for a in message.attachments.all())
        lines.append(f"[{message.created_at:%H:%M:%S}] {who}: {message.body}{files}")
    return "\n".join(lines) + "\n"


@transaction.atomic
def conversation_convert(conversation: Conversation, *, actor: User):
    """Turn the chat into a ticket (channel chat) with the transcript attached, then close the chat."""
    from tickets.services import ticket_create

    conversation = _locked(conversation)
    if conversation.ticket_id:
        return conversation.ticket
    first = conversation.messages.filter(kind=Kind.CUSTOMER).order_by("seq").first()
    transcript = transcript_text(conversation)
    ticket = ticket_create(
        subject=f"Chat: {(first.body if first else conversation.get_category_display())[:80]}",
        body_text=transcript,
        requester_email=conversation.customer.email,
        customer=conversation.customer,
        channel="chat",
        category=conversation.category,
        language=conversation.language,
        attachments=[IncomingFile(f"chat-{conversation.public_id}.txt", "text/plain", transcript.encode())],
        actor=actor,
    )
    conversation.ticket = ticket
    conversation.save(update_fields=["ticket"])
    audit_event_record(conversation, actor=actor, verb="chat.converted", data={"ticket": ticket.reference})
    if conversation.is_live:
        _system(conversation, gettext_lazy("We opened ticket %(reference)s for this; we will answer by e-mail."), reference=ticket.reference)
        conversation_close(conversation, actor=actor, outcome=Conversation.Outcome.CONVERTED)
    return ticket


@transaction.atomic
def conversation_mark_read(conversation: Conversation, *, reader: User, seq: int) -> int:
    """Record how far the customer (or the agents) have read; returns the stored mark."""
    field = "customer_read_seq" if reader.pk == conversation.customer_id else "agent_read_seq"
    seq = max(0, min(seq, conversation.last_seq if conversation.last_seq else seq))
    updated = Conversation.objects.filter(pk=conversation.pk, **{f"{field}__lt": seq}).update(**{field: seq})
    if updated:
        side = "customer" if field == "customer_read_seq" else "agent"
        events.frame_to_conversation(conversation.pk, {"type": "read", "conversation": conversation.public_id, "by": side, "seq": seq})
    return seq


@transaction.atomic
def conversation_rate(conversation: Conversation, *, customer: User, rating: int, comment: str = "") -> Conversation:
    conversation = _locked(conversation)
    if conversation.customer_id != customer.pk:
        raise ChatError(_("Only the customer rates a chat."), code="forbidden")
    if conversation.is_live:
        raise ChatError(_("Rate the chat once it has ended."))
    if conversation.rating is not None:
        raise ChatError(_("This chat is rated already."))
    if not 1 <= rating <= 5:
        raise ChatError(_("A rating is 1 to 5."), code="invalid")
    conversation.rating = rating
    conversation.rating_comment = comment[:5000]
    conversation.save(update_fields=["rating", "rating_comment"])
    audit_event_record(conversation, actor=customer, verb="chat.rated", data={"rating": rating})
    return conversation


def conversation_transcript_email(conversation: Conversation, *, customer: User):
    """E-mail the transcript to the customer's registered address."""
    return email_queue_for_user(
        customer,
        template="chat/email/transcript",
        context={"conversation": conversation, "transcript": transcript_text(conversation)},
    )


@transaction.atomic
def agent_presence_set(agent: User, *, status: str) -> AgentPresence:
    presence, _ = AgentPresence.objects.select_for_update().get_or_create(agent=agent)
    presence.status = status
    presence.last_seen = timezone.now()
    presence.save(update_fields=["status", "last_seen"])
    if status == AgentPresence.Status.AVAILABLE:
        transaction.on_commit(chat_route_waiting_task)
    return presence


def agent_presence_seen(agent: User) -> None:
    """A console is alive (connect or heartbeat)."""
    AgentPresence.objects.update_or_create(agent=agent, defaults={"last_seen": timezone.now()})
