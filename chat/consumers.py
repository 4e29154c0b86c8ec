"""Chat websockets (protocol: docs/chat-protocol.md). A consumer parses and authorises each frame,
calls a service and replies; the database is the truth, the channel layer only a fast path."""
import asyncio
import functools
import json
import time
import uuid
from types import SimpleNamespace

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils.functional import LazyObject, empty

from chat import events, fastpath, selectors, services
from chat.layers import SKIP_KEY
from chat.models import AgentPresence, ChatMessage, Conversation
from chat.permissions import (
    can_accept_conversation,
    can_view_conversation,
    can_write_conversation,
    is_chat_agent,
    is_chat_supervisor,
)
from support.models import User
from support.services.notifications import user_group
from support.services.outbound_links import CredentialLinkRefused, outbound_check

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
ROLE_RECHECK_SECONDS = 15


class FrameError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


class TokenBucket:
    """Frames allowed per connection: `rate` a second on average, bursts up to `burst`."""

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def _client_id(frame: dict) -> uuid.UUID:
    try:
        return uuid.UUID(str(frame.get("client_id")))
    except ValueError:
        raise FrameError("invalid", "client_id must be a UUID") from None


def _body(frame: dict) -> str:
    body = frame.get("body")
    if not isinstance(body, str) or not body.strip():
        raise FrameError("invalid", "body must be a non-empty string")
    if len(body.encode()) > settings.CHAT_MAX_TEXT:
        raise FrameError("too_large", f"a message holds at most {settings.CHAT_MAX_TEXT} bytes of text")
    return body


def _collecting(fn, args):
    """On the DB thread: run `fn`, keeping the events its commits send (they are published from the loop)."""
    with events.collect() as collected:
        try:
            return fn(*args), None, collected
        except Exception as exc:
            return None, exc, collected


def _seq(frame: dict, key: str) -> int:
    value = frame.get(key, 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise FrameError("invalid", f"{key} must be a non-negative integer")
    return value


class BaseChatConsumer(AsyncWebsocketConsumer):
    """Framing, limits, errors, the user's personal group and session end, shared by both sides."""

    handlers: dict[str, str] = {}
    is_staff = False

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        # The user itself rather than the scope's lazy proxy: every attribute read of a frame went through it.
        self.user: User = user._wrapped if isinstance(user, LazyObject) and user._wrapped is not empty else user
        self.session_key = getattr(self.scope.get("session"), "session_key", None)
        self.bucket = TokenBucket(*settings.CHAT_RATE)
        fastpath.warm()
        self.groups_joined: set[str] = set()
        if not await self.authorise():
            return
        await self.join(user_group(user.pk))
        await self.accept()
        await self.send_json(await self.hello())

    async def __call__(self, scope, receive, send):
        """AsyncConsumer.__call__ with a leaner loop than await_many_dispatch (asyncio.wait and a new task
        for every frame and event): one reader per source, handlers still one at a time, in arrival order."""
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        if self.channel_layer is None:
            return await super().__call__(scope, receive, send)
        self.scope = scope
        self.channel_name = await self.channel_layer.new_channel()
        self.channel_receive = functools.partial(self.channel_layer.receive, self.channel_name)
        self.base_send = send
        turn = asyncio.Lock()

        async def pump(source):
            while True:
                message = await source()
                async with turn:
                    await self.dispatch(message)

        readers = [asyncio.ensure_future(pump(receive)), asyncio.ensure_future(pump(self.channel_receive))]
        try:
            done, _ = await asyncio.wait(readers, return_when=asyncio.FIRST_COMPLETED)
            for reader in done:
                reader.result()
        except StopConsumer:
            pass
        finally:
            for reader in readers:
                reader.cancel()
            for reader in readers:
                try:
                    await reader
                except (asyncio.CancelledError, StopConsumer):
                    pass

    async def dispatch(self, message):
        # AsyncConsumer.dispatch first runs close_old_connections on the shared DB thread for every
        # frame and every channel-layer event. Every database call here goes through
        # database_sync_to_async, which does that itself on its way in and out, so the hop is skipped.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def db(self, fn, *args, sent=None):
        """Run `fn` on the DB thread, then publish the events its commits produced, from here.

        `sent`: the client_id of a message this socket sent; its `message` frame skips this socket (the ack tells it)."""
        result, exc, collected = await database_sync_to_async(_collecting)(fn, args)
        if sent is not None:
            for _group, event in collected:
                if event.get("client_id") == str(sent):
                    event[SKIP_KEY] = self.channel_name
        await events.apublish(collected, self.channel_layer)
        if exc is not None:
            raise exc
        return result

    async def publish_message(self, saved: fastpath.Saved, *, public_id: str, kind: str, body: str, client_id) -> None:
        """Fan out a message saved by the fast path (the service's _broadcast does it for the others)."""
        # What message_frame reads of a message and a conversation; cheaper than model instances.
        message = SimpleNamespace(
            pk=saved.id, seq=saved.seq, client_id=client_id, kind=kind, author=self.user, body=body, created_at=saved.created_at
        )
        conversation = SimpleNamespace(pk=saved.conversation_id, public_id=public_id)
        event = services.message_event(conversation, message)
        event[SKIP_KEY] = self.channel_name  # the sender has its ack
        await events.apublish([(events.conversation_group(saved.conversation_id), event)], self.channel_layer)

    async def join(self, group: str):
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.add(group)

    async def leave(self, group: str):
        await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined.discard(group)

    async def disconnect(self, code):
        for group in list(getattr(self, "groups_joined", ())):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        ref = conversation = None
        try:
            if not self.bucket.take():  # every frame counts, garbage included
                raise FrameError("rate_limited", "too many frames; slow down")
            if text_data is None:
                raise FrameError("malformed", "frames are JSON text")
            if len(text_data.encode()) > settings.CHAT_MAX_FRAME:
                raise FrameError("too_large", f"a frame holds at most {settings.CHAT_MAX_FRAME} bytes")
            try:
                frame = json.loads(text_data)
            except ValueError:
                raise FrameError("malformed", "not JSON") from None
            if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
                raise FrameError("malformed", "expected a JSON object with a type")
            ref = frame.get("client_id") if isinstance(frame.get("client_id"), str) else None
            conversation = frame.get("conversation") if isinstance(frame.get("conversation"), str) else None
            handler = self.handlers.get(frame["type"])
            if handler is None:
                raise FrameError("unknown_type", f"unknown frame type {frame['type'][:40]!r}")
            if not await self.still_allowed():
                return
            await getattr(self, handler)(frame)
        except FrameError as exc:
            await self.send_error(exc.code, str(exc), ref, conversation)
        except services.ChatError as exc:
            await self.send_error(exc.code, str(exc), ref, conversation)
        except (Http404, Conversation.DoesNotExist):
            await self.send_error("not_found", "no such conversation", ref, conversation)

    async def still_allowed(self) -> bool:
        return True

    async def send_error(self, code: str, message: str, ref=None, conversation=None):
        frame = {"type": "error", "code": code, "error": message}
        if ref:
            frame["client_id"] = ref
        if conversation:
            frame["conversation"] = conversation
        await self.send_json(frame)

    async def send_json(self, content):
        await self.send(text_data=json.dumps(content, default=str))

    async def frame_ping(self, frame):
        await self.send_json({"type": "pong"})

    # Channel-layer events -------------------------------------------------------------------

    async def chat_frame(self, event):
        if event.get(SKIP_KEY) == self.channel_name:
            return  # our own message: the ack carried its seq (a layer that delivers it anyway)
        if event.get("staff_only") and not self.is_staff:
            return
        if event.get("customer_only") and self.is_staff:
            return
        text = event.get("text")
        if text is None:  # from a process of the previous release, during a deploy
            text = events.frame_event(event["frame"])["text"]
        if isinstance(text, dict):
            text = text["staff" if self.is_staff else "customer"]
        await self.send(text_data=text)  # encoded once by the sender, the same text for every socket

    async def session_end(self, event):
        if event.get("session_key") in (None, self.session_key):
            await self.close(code=CLOSE_UNAUTHENTICATED)

    async def chat_join(self, event):
        pass

    async def chat_leave(self, event):
        pass

    async def chat_queue(self, event):
        pass

    async def notification_new(self, event):
        pass  # shares the user's group with the notifications socket


class CustomerChatConsumer(BaseChatConsumer):
    """ws/chat/<public_id>/: the customer's own conversation, nothing else."""

    handlers = {
        "message": "frame_message",
        "typing": "frame_typing",
        "read": "frame_read",
        "resume": "frame_resume",
        "close": "frame_close",
        "ping": "frame_ping",
    }

    async def authorise(self) -> bool:
        public_id = self.scope["url_route"]["kwargs"]["public_id"]
        self.conversation = await database_sync_to_async(self._own_conversation)(public_id)
        if self.conversation is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return False
        await self.join(events.conversation_group(self.conversation.pk))
        return True

    def _own_conversation(self, public_id: str) -> Conversation | None:
        conversation = Conversation.objects.select_related("assignee", "ticket").filter(public_id=public_id).first()
        # Staff watch through the console socket; this one is the owner's only.
        if conversation is None or conversation.customer_id != self.user.pk or not can_view_conversation(self.user, conversation):
            return None
        return conversation

    @database_sync_to_async
    def hello(self) -> dict:
        conversation = Conversation.objects.select_related("assignee", "ticket").get(pk=self.conversation.pk)
        self.conversation = conversation
        frame = services._status_frame(conversation)
        frame.update(type="hello", last_seq=conversation.last_seq, agent_read_seq=conversation.agent_read_seq)
        if conversation.status == Conversation.Status.QUEUED:
            frame["queue"] = selectors.queue_position(conversation)
        return frame

    async def frame_message(self, frame):
        client_id, body = _client_id(frame), _body(frame)
        # The secret shield, before the text is stored or published (a resend is shielded the same way).
        body, removed = services.shield_customer_text(body)
        public_id = self.conversation.public_id
        cid = str(client_id)  # the canonical text, once
        async with fastpath.conversation_lock(public_id):
            saved = await fastpath.message_post(
                conversation=self.conversation.pk, author_id=self.user.pk, kind=ChatMessage.Kind.CUSTOMER, body=body, client_id=client_id
            )
            if saved is None:
                message, created = await self.db(self._post, client_id, body, sent=client_id)  # already shielded: told below
                seq, duplicate, created_at, stored = message.seq, not created, message.created_at, message.body
            else:
                seq, duplicate, created_at, stored = saved.seq, saved.duplicate, saved.created_at, body
                if not duplicate:
                    await self.publish_message(saved, public_id=public_id, kind=ChatMessage.Kind.CUSTOMER, body=body, client_id=cid)
        ack = {"type": "ack", "client_id": cid, "seq": seq, "duplicate": duplicate, "created_at": created_at.isoformat()}
        if removed:
            ack["body"] = stored  # the text as saved: the sender's copy shows what the agent reads
        await self.send_json(ack)
        if removed and not duplicate:
            await self.db(self._secrets_told, removed)

    def _secrets_told(self, kinds):
        with transaction.atomic():
            conversation = Conversation.objects.select_related("customer").get(pk=self.conversation.pk)
            services.conversation_secrets_told(conversation, kinds=kinds)

    def _post(self, client_id, body):
        # Ownership was checked on connect and cannot change; the service refuses a chat that has ended.
        # A fresh row: a clock this message starts is the current agent's, not the one at connect time.
        conversation = Conversation.objects.select_related("assignee", "ticket").get(pk=self.conversation.pk)
        return services.conversation_message_post(conversation, author=self.user, body=body, client_id=client_id)

    async def frame_typing(self, frame):
        typing = bool(frame.get("typing", True))
        await self.channel_layer.group_send(
            events.conversation_group(self.conversation.pk),
            events.frame_event({"type": "typing", "conversation": self.conversation.public_id, "who": "customer", "typing": typing}, staff_only=True),
        )

    async def frame_read(self, frame):
        seq = _seq(frame, "seq")

        def mark():
            # A fresh row: the mark is capped at last_seq, which has grown since this socket connected.
            services.conversation_mark_read(Conversation.objects.get(pk=self.conversation.pk), reader=self.user, seq=seq)

        await self.db(mark)

    async def frame_resume(self, frame):
        after = _seq(frame, "after")
        frames = await database_sync_to_async(self._after)(after)
        await self.send_json({"type": "history", "conversation": self.conversation.public_id, "messages": frames[0], "more": frames[1]})

    def _after(self, after: int):
        limit = 500
        messages = list(selectors.conversation_messages(self.conversation, after=after, include_notes=False, limit=limit + 1))
        frames = [selectors.message_frame(m, self.conversation, for_staff=False) for m in messages[:limit]]
        return frames, len(messages) > limit

    async def frame_close(self, frame):
        await self.db(lambda: services.conversation_close(self.conversation, actor=self.user))


class AgentChatConsumer(BaseChatConsumer):
    """ws/chat/agent/: one socket per console, carrying every chat the agent works or is offered."""

    is_staff = True
    handlers = {
        "message": "frame_message",
        "typing": "frame_typing",
        "read": "frame_read",
        "resume": "frame_resume",
        "accept": "frame_accept",
        "decline": "frame_decline",
        "transfer": "frame_transfer",
        "convert": "frame_convert",
        "close": "frame_close",
        "watch": "frame_watch",
        "context": "frame_context",
        "availability": "frame_availability",
        "live": "frame_live",
        "ping": "frame_ping",
    }

    async def authorise(self) -> bool:
        if not await database_sync_to_async(is_chat_agent)(self.user):
            await self.close(code=CLOSE_FORBIDDEN)
            return False
        self.takes_chats = True  # the role, as of the last check (every ROLE_RECHECK_SECONDS)
        self.checked_at = time.monotonic()
        self.supervisor = await database_sync_to_async(is_chat_supervisor)(self.user)
        self.languages = await database_sync_to_async(self._languages)()
        await self.join(events.AGENTS_GROUP)
        await self.join(events.agent_group(self.user.pk))
        for conversation_id in await database_sync_to_async(self._assigned_ids)():
            await self.join(events.conversation_group(conversation_id))
        await database_sync_to_async(services.agent_presence_seen)(self.user)
        return True

    def _languages(self) -> set[str]:
        profile = getattr(self.user, "agent_profile", None)
        return set(profile.languages.values_list("code", flat=True)) if profile else set()

    def _assigned_ids(self) -> list[int]:
        return list(selectors.agent_conversations(self.user).values_list("pk", flat=True))

    async def still_allowed(self) -> bool:
        """Re-read the user now and then: a deactivated agent or one whose role was removed is cut off."""
        if time.monotonic() - self.checked_at < ROLE_RECHECK_SECONDS:
            return True
        self.checked_at = time.monotonic()
        allowed = await database_sync_to_async(self._recheck)()
        self.takes_chats = allowed
        if not allowed:
            await self.send_error("forbidden", "you no longer take chats")
            await self.close(code=CLOSE_FORBIDDEN)
        return allowed

    def _recheck(self) -> bool:
        user = User.objects.filter(pk=self.user.pk).first()
        if user is None or not is_chat_agent(user):
            return False
        self.user = user
        services.agent_presence_seen(user)
        return True

    @database_sync_to_async
    def hello(self) -> dict:
        presence = AgentPresence.objects.filter(agent=self.user).first()
        mine = [
            {
                "conversation": c.public_id,
                "customer": c.customer.get_full_name() or c.customer.email,
                "category": c.category,
                "language": c.language,
                "vip": c.vip,
                "last_seq": c.last_seq,
                "customer_read_seq": c.customer_read_seq,
            }
            for c in selectors.agent_conversations(self.user)
        ]
        return {
            "type": "hello",
            "agent": self.user.get_full_name() or self.user.email,
            "supervisor": self.supervisor,
            "availability": presence.status if presence else AgentPresence.Status.AWAY,
            "conversations": mine,
            "queue": self._visible_queue(selectors.queue_entries()),
            "live": self._live() if self.supervisor else [],
        }

    def _live(self) -> list[dict]:
        return [
            {"conversation": c.public_id, "status": c.status, "agent": c.assignee.get_full_name() if c.assignee else None, "language": c.language, "vip": c.vip}
            for c in selectors.live_conversations()[:200]
        ]

    def _visible_queue(self, entries: list[dict]) -> list[dict]:
        if self.supervisor:
            return entries
        return [e for e in entries if e["language"] in self.languages or e["offered_to"] == self.user.pk]

    # Helpers -------------------------------------------------------------------------------

    def _conversation(self, frame: dict) -> Conversation:
        public_id = frame.get("conversation")
        if not isinstance(public_id, str):
            raise FrameError("invalid", "conversation must be a conversation id")
        conversation = Conversation.objects.select_related("customer", "assignee", "ticket").filter(public_id=public_id).first()
        if conversation is None:
            raise Http404
        return conversation

    def _viewable(self, frame: dict) -> Conversation:
        conversation = self._conversation(frame)
        if not can_view_conversation(self.user, conversation):
            raise Http404  # not theirs: looks missing
        return conversation

    # Frames --------------------------------------------------------------------------------

    async def frame_message(self, frame):
        client_id, body = _client_id(frame), _body(frame)
        internal = bool(frame.get("internal", False))
        kind = ChatMessage.Kind.NOTE if internal else ChatMessage.Kind.AGENT
        if kind == ChatMessage.Kind.AGENT:
            try:
                outbound_check(body)  # the desk never sends a link that asks for credentials
            except CredentialLinkRefused as exc:
                raise FrameError("invalid", str(exc)) from None
        public_id = frame.get("conversation")
        async with fastpath.conversation_lock(public_id if isinstance(public_id, str) else ""):
            saved = None
            if isinstance(public_id, str) and self.takes_chats:
                # The statement itself checks that the chat is live and assigned to this agent.
                saved = await fastpath.message_post(conversation=public_id, author_id=self.user.pk, kind=kind, body=body, client_id=client_id)
            if saved is None:
                public_id, message, created = await self.db(self._post, frame, client_id, body, internal, sent=client_id)
                seq, duplicate, created_at = message.seq, not created, message.created_at
            else:
                seq, duplicate, created_at = saved.seq, saved.duplicate, saved.created_at
                if not duplicate:
                    await self.publish_message(saved, public_id=public_id, kind=kind, body=body, client_id=client_id)
        await self.send_json(
            {"type": "ack", "conversation": public_id, "client_id": str(client_id), "seq": seq, "duplicate": duplicate, "created_at": created_at.isoformat()}
        )

    def _post(self, frame, client_id, body, internal):
        conversation = self._viewable(frame)
        if not can_write_conversation(self.user, conversation):
            raise services.ChatError("Accept or take over the chat before writing.", code="forbidden")
        message, created = services.conversation_message_post(
            conversation, author=self.user, body=body, client_id=client_id, internal=internal
        )
        return conversation.public_id, message, created

    async def frame_typing(self, frame):
        conversation = await database_sync_to_async(self._writable)(frame)
        await self.channel_layer.group_send(
            events.conversation_group(conversation.pk),
            events.frame_event({"type": "typing", "conversation": conversation.public_id, "who": "agent", "typing": bool(frame.get("typing", True))}),
        )

    def _writable(self, frame) -> Conversation:
        conversation = self._viewable(frame)
        if not can_write_conversation(self.user, conversation):
            raise services.ChatError("Accept or take over the chat first.", code="forbidden")
        return conversation

    async def frame_read(self, frame):
        seq = _seq(frame, "seq")

        def mark():
            # The chat's agent, live or just ended: a read mark racing the close is not an error.
            conversation = self._viewable(frame)
            if conversation.assignee_id != self.user.pk:
                raise services.ChatError("Accept or take over the chat first.", code="forbidden")
            services.conversation_mark_read(conversation, reader=self.user, seq=seq)

        await self.db(mark)

    async def frame_resume(self, frame):
        after = _seq(frame, "after")

        def history():
            conversation = self._viewable(frame)
            messages = list(selectors.conversation_messages(conversation, after=after, include_notes=True, limit=501))
            return conversation.public_id, [selectors.message_frame(m, conversation, for_staff=True) for m in messages[:500]], len(messages) > 500

        public_id, frames, more = await database_sync_to_async(history)()
        await self.send_json({"type": "history", "conversation": public_id, "messages": frames, "more": more})

    async def frame_accept(self, frame):
        def accept():
            conversation = self._conversation(frame)
            if not can_accept_conversation(self.user, conversation):
                if conversation.status != Conversation.Status.QUEUED and can_view_conversation(self.user, conversation):
                    raise services.ChatError("Another agent has taken this chat.", code="taken")
                raise Http404
            conversation = services.conversation_accept(conversation, agent=self.user)
            return conversation

        conversation = await self.db(accept)
        await self.join(events.conversation_group(conversation.pk))
        context = await database_sync_to_async(selectors.customer_context)(conversation)
        await self.send_json({"type": "accepted", "conversation": conversation.public_id, "last_seq": conversation.last_seq, "customer": context})

    async def frame_decline(self, frame):
        def decline():
            conversation = self._conversation(frame)
            if conversation.offered_to_id != self.user.pk:
                raise Http404
            services.conversation_decline(conversation, agent=self.user)

        await self.db(decline)

    async def frame_transfer(self, frame):
        def transfer():
            conversation = self._viewable(frame)
            if not (conversation.assignee_id == self.user.pk or self.supervisor):
                raise services.ChatError("Only the chat's agent or a supervisor transfers it.", code="forbidden")
            to_agent = to_language = None
            if frame.get("to_agent") is not None:
                if not isinstance(frame["to_agent"], int):
                    raise FrameError("invalid", "to_agent must be a user id")
                to_agent = User.objects.filter(pk=frame["to_agent"]).first()
                if to_agent is None:
                    raise services.ChatError("That person does not take chats.", code="invalid")
            elif isinstance(frame.get("to_language"), str):
                to_language = frame["to_language"]
                from support.models.accounts import SUPPORT_LANGUAGES

                if to_language not in dict(SUPPORT_LANGUAGES):
                    raise FrameError("invalid", "unknown language")
            else:
                raise FrameError("invalid", "transfer needs to_agent or to_language")
            return services.conversation_transfer(conversation, actor=self.user, to_agent=to_agent, to_language=to_language)

        conversation = await self.db(transfer)
        if conversation.assignee_id != self.user.pk:
            await self.leave(events.conversation_group(conversation.pk))
        else:
            await self.join(events.conversation_group(conversation.pk))
        await self.send_json({"type": "transferred", "conversation": conversation.public_id, "status": conversation.status})

    async def frame_convert(self, frame):
        def convert():
            conversation = self._writable(frame)
            return services.conversation_convert(conversation, actor=self.user)

        ticket = await self.db(convert)
        await self.send_json({"type": "converted", "conversation": frame["conversation"], "ticket": ticket.reference, "url": f"/admin/tickets/ticket/{ticket.pk}/change/"})

    async def frame_close(self, frame):
        def close():
            conversation = self._viewable(frame)
            if not (conversation.assignee_id == self.user.pk or self.supervisor):
                raise services.ChatError("Only the chat's agent or a supervisor closes it.", code="forbidden")
            services.conversation_close(conversation, actor=self.user)

        await self.db(close)

    async def frame_watch(self, frame):
        """Follow a chat's frames: the agent's own or offered ones; supervisors any live chat."""

        def watch():
            conversation = self._viewable(frame)
            return conversation

        conversation = await database_sync_to_async(watch)()
        await self.join(events.conversation_group(conversation.pk))
        context = await database_sync_to_async(selectors.customer_context)(conversation)
        await self.send_json({"type": "watching", "conversation": conversation.public_id, "last_seq": conversation.last_seq, "status": conversation.status, "customer": context})

    async def frame_context(self, frame):
        def context():
            conversation = self._viewable(frame)
            return conversation.public_id, selectors.customer_context(conversation)

        public_id, context = await database_sync_to_async(context)()
        await self.send_json({"type": "context", "conversation": public_id, "customer": context})

    async def frame_availability(self, frame):
        status = frame.get("status")
        if status not in AgentPresence.Status.values:
            raise FrameError("invalid", "status must be available or away")
        await self.db(lambda: services.agent_presence_set(self.user, status=status))
        await self.send_json({"type": "availability", "status": status})

    async def frame_live(self, frame):
        """Supervisors: every live chat now."""
        if not self.supervisor:
            raise FrameError("forbidden", "only supervisors see every live chat")
        await self.send_json({"type": "live", "conversations": await database_sync_to_async(self._live)()})

    async def frame_ping(self, frame):
        await database_sync_to_async(services.agent_presence_seen)(self.user)
        await self.send_json({"type": "pong"})

    # Channel-layer events -------------------------------------------------------------------

    async def chat_join(self, event):
        await self.join(events.conversation_group(event["conversation"]))
        if "conversation" in event:
            await self.send_json({"type": "assigned", "conversation": await database_sync_to_async(self._public_id)(event["conversation"])})

    def _public_id(self, conversation_id: int) -> str:
        return Conversation.objects.filter(pk=conversation_id).values_list("public_id", flat=True).first() or ""

    async def chat_leave(self, event):
        await self.leave(events.conversation_group(event["conversation"]))
        await self.send_json({"type": "unassigned", "conversation": await database_sync_to_async(self._public_id)(event["conversation"])})

    async def chat_queue(self, event):
        await self.send_json({"type": "queue", "entries": self._visible_queue(event["entries"])})
