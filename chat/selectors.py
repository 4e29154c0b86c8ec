"""Read queries for chat shared by the consumers, the console, the customer pages and the admin."""
import datetime as dt

from django.conf import settings
from django.db.models import Avg, Count, F, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from chat.models import AgentPresence, ChatMessage, Conversation
from chat.permissions import can_view_conversation
from support.models import User

Status = Conversation.Status


def conversation_get_for(user: User, public_id: str) -> Conversation:
    """The conversation if `user` may see it, else Http404 (someone else's chat looks missing)."""
    conversation = (
        Conversation.objects.select_related("customer", "assignee", "offered_to").filter(public_id=public_id).first()
    )
    if conversation is None or not can_view_conversation(user, conversation):
        raise Http404
    return conversation


def conversation_messages(conversation: Conversation, *, after: int = 0, include_notes: bool, limit: int = 500) -> QuerySet:
    qs = ChatMessage.objects.filter(conversation=conversation, seq__gt=after).select_related("author").prefetch_related(
        "attachments"
    )
    if not include_notes:
        qs = qs.exclude(kind=ChatMessage.Kind.NOTE)
    return qs.order_by("seq")[:limit]


def conversation_latest_customer_texts(conversation: Conversation, *, limit: int = 3) -> list[str]:
    """The customer's latest messages in the chat, newest first (text only; notes and attachments left out)."""
    rows = (
        ChatMessage.objects.filter(conversation=conversation, kind=ChatMessage.Kind.CUSTOMER)
        .exclude(body="")
        .order_by("-seq")
        .values_list("body", flat=True)[:limit]
    )
    return list(rows)


def author_label(message: ChatMessage, *, for_staff: bool) -> str:
    if message.kind == ChatMessage.Kind.CUSTOMER:
        if for_staff and message.author:
            return message.author.get_full_name() or message.author.email
        return str(_("You"))
    if message.kind == ChatMessage.Kind.SYSTEM or message.author is None:
        return str(_("Support"))
    # Customers see an agent's first name only.
    return message.author.get_full_name() if for_staff else (message.author.first_name or str(_("Support")))


def message_frame(message: ChatMessage, conversation: Conversation, *, for_staff: bool, attachments=None) -> dict:
    """The `message` frame; pass `attachments` when known to spare the query."""
    attachments = message.attachments.all() if attachments is None else attachments
    return {
        "type": "message",
        "conversation": conversation.public_id,
        "seq": message.seq,
        "client_id": str(message.client_id) if message.client_id else None,
        "kind": message.kind,
        "author": author_label(message, for_staff=for_staff),
        "body": message.body,
        "created_at": message.created_at.isoformat(),
        "attachments": [
            {
                "id": a.pk,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "url": f"/chat/{conversation.public_id}/attachments/{a.pk}/",
            }
            for a in attachments
        ],
    }


def live_conversations_for_customer(user: User) -> QuerySet[Conversation]:
    return Conversation.objects.filter(customer=user, status__in=Conversation.LIVE_STATUSES)


def conversations_for_customer(user: User) -> QuerySet[Conversation]:
    return Conversation.objects.filter(customer=user).order_by("-queued_at")


def queued() -> QuerySet[Conversation]:
    """The waiting queue: VIP first, then longest waiting (index chat_queue_idx)."""
    return Conversation.objects.filter(status=Status.QUEUED).order_by("-vip", "queued_at", "id")


def _first_response_due(conversation_ids: list[int]) -> dict[int, dt.datetime]:
    from django.contrib.contenttypes.models import ContentType

    from support.models import SLAClock

    clocks = SLAClock.objects.filter(
        content_type=ContentType.objects.get_for_model(Conversation),
        object_id__in=[str(i) for i in conversation_ids],
        metric=SLAClock.Metric.FIRST_RESPONSE,
        state__in=[SLAClock.State.RUNNING, SLAClock.State.PAUSED],
    ).values_list("object_id", "due_at")
    return {int(object_id): due for object_id, due in clocks}


def average_wait(*, now: dt.datetime | None = None) -> dt.timedelta:
    """How long chats accepted in the last hour waited for an agent (a floor of 30 s)."""
    now = now or timezone.now()
    waited = Conversation.objects.filter(accepted_at__gte=now - dt.timedelta(hours=1)).aggregate(
        avg=Avg(F("accepted_at") - F("queued_at"))
    )["avg"]
    return max(waited or dt.timedelta(0), dt.timedelta(seconds=30))


def queue_entries(*, now: dt.datetime | None = None) -> list[dict]:
    """The queue as the agent console shows it (JSON-ready)."""
    now = now or timezone.now()
    rows = list(queued().select_related("customer", "offered_to")[: settings.CHAT_QUEUE_SHOWN])
    dues = _first_response_due([c.pk for c in rows])
    entries = []
    for position, c in enumerate(rows, start=1):
        due = dues.get(c.pk)
        entries.append(
            {
                "conversation": c.public_id,
                "id": c.pk,
                "position": position,
                "customer": c.customer.get_full_name() or c.customer.email,
                "category": c.category,
                "language": c.language,
                "vip": c.vip,
                "queued_at": c.queued_at.isoformat(),
                "waited_seconds": int((now - c.queued_at).total_seconds()),
                "sla_due_at": due.isoformat() if due else None,
                "offered_to": c.offered_to_id,
            }
        )
    return entries


def queue_positions(entries: list[dict]) -> dict[int, dict]:
    """The `queue` frame for each waiting conversation: its place and an estimated wait."""
    if not entries:
        return {}
    per_chat = average_wait()
    online = max(1, len(available_agent_ids()))
    frames = {}
    for entry in entries:
        estimate = per_chat * entry["position"] / online
        frames[entry["id"]] = {
            "type": "queue",
            "conversation": entry["conversation"],
            "position": entry["position"],
            "estimated_wait_seconds": int(estimate.total_seconds()),
        }
    return frames


def queue_position(conversation: Conversation) -> dict:
    ahead = queued().filter(Q(vip__gt=conversation.vip) | Q(vip=conversation.vip, queued_at__lt=conversation.queued_at)).count()
    entry = {"id": conversation.pk, "conversation": conversation.public_id, "position": ahead + 1}
    return queue_positions([entry])[conversation.pk]


def _online_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(seconds=settings.CHAT_PRESENCE_TIMEOUT)


def available_agents(*, language: str | None = None, exclude: list[int] | tuple = ()) -> QuerySet[User]:
    """Agents taking chats now with free capacity, least busy then longest since an offer (round-robin)."""
    qs = (
        User.objects.filter(
            is_active=True,
            groups__name__in=["agent", "supervisor"],
            agent_profile__handles_chat=True,
            chat_presence__status=AgentPresence.Status.AVAILABLE,
            chat_presence__last_seen__gte=_online_cutoff(),
        )
        .exclude(pk__in=exclude)
        .annotate(
            active_chats=Count(
                "assigned_conversations",
                filter=Q(assigned_conversations__status=Status.ACTIVE),
                distinct=True,
            )
        )
        .filter(active_chats__lt=F("agent_profile__chat_capacity"))
        .distinct()
    )
    if language:
        qs = qs.filter(agent_profile__languages__code=language)
    return qs.order_by("active_chats", F("chat_presence__last_offered_at").asc(nulls_first=True), "id")


def available_agent_ids(*, language: str | None = None) -> list[int]:
    return list(available_agents(language=language).values_list("pk", flat=True))


def agents_online_for(language: str) -> bool:
    """Someone who speaks the language is at a console now (busy or not)."""
    return User.objects.filter(
        is_active=True,
        agent_profile__handles_chat=True,
        agent_profile__languages__code=language,
        chat_presence__status=AgentPresence.Status.AVAILABLE,
        chat_presence__last_seen__gte=_online_cutoff(),
    ).exists()


def agent_active_count(agent: User) -> int:
    return Conversation.objects.filter(assignee=agent, status=Status.ACTIVE).count()


def agent_conversations(agent: User) -> QuerySet[Conversation]:
    return Conversation.objects.filter(assignee=agent, status=Status.ACTIVE).select_related("customer").order_by("accepted_at")


def live_conversations() -> QuerySet[Conversation]:
    """Every live chat (supervisors)."""
    return Conversation.objects.filter(status__in=Conversation.LIVE_STATUSES).select_related("customer", "assignee")


def customer_context(conversation: Conversation) -> dict:
    """What the console shows beside a chat: profile, VIP, open tickets, verification status."""
    from tickets.selectors import customer_open_tickets

    customer = conversation.customer
    profile = getattr(customer, "customer_profile", None)
    tickets = customer_open_tickets(customer).order_by("-created_at")[:10]
    context = {
        "name": customer.get_full_name() or customer.email,
        "email": customer.email,
        "account_number": profile.account_number if profile else "",
        "tier": profile.get_tier_display() if profile else "",
        "vip": bool(profile and profile.is_vip),
        "language": profile.language if profile else "",
        "time_zone": profile.time_zone if profile else "",
        "open_tickets": [
            {"reference": t.reference, "subject": t.subject, "status": t.get_status_display(), "url": f"/admin/tickets/ticket/{t.pk}/change/"}
            for t in tickets
        ],
        "previous_chats": Conversation.objects.filter(customer=customer).exclude(pk=conversation.pk).count(),
        "verification": verification_status(customer),
    }
    return context


def verification_status(customer: User) -> str:
    """The customer's KYC status from the kyc app once it has one; "unknown" until then."""
    from django.apps import apps

    config = apps.get_app_config("kyc")
    status_for = getattr(config, "verification_status_for", None)
    return str(status_for(customer)) if status_for else "unknown"


def peak_status(*, now: dt.datetime | None = None) -> dict:
    """The live queue now and the expected wait for a new chat, from the recent handling rate.

    Rate: chats agents accepted in the last CHAT_PEAK_WINDOW_MINUTES. Peak: the queue is at least
    CHAT_PEAK_QUEUE long, or the expected wait is over twice the promise (2 minutes).
    """
    now = now or timezone.now()
    window = dt.timedelta(minutes=settings.CHAT_PEAK_WINDOW_MINUTES)
    waiting = queued().count()
    handled = Conversation.objects.filter(accepted_at__gte=now - window).count()
    per_minute = handled / (window.total_seconds() / 60)
    expected = dt.timedelta(minutes=(waiting + 1) / per_minute) if per_minute else None
    peak = waiting >= settings.CHAT_PEAK_QUEUE or (expected is not None and waiting > 0 and expected > dt.timedelta(minutes=4))
    return {
        "peak": peak,
        "waiting": waiting,
        "handled_per_hour": round(per_minute * 60),
        "expected_wait_minutes": max(1, round(expected.total_seconds() / 60)) if expected is not None else None,
    }
