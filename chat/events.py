"""Websocket fan-out of chat events, sent after the database commit that made them true.

Channel-layer delivery is at-most-once: the database is the truth and clients fill gaps by
sequence number (docs/chat-protocol.md), so a failed send is logged, never retried here.

Frames are JSON-encoded once, here, and every socket sends the same text (`chat.frame` events
carry `text`). Inside a consumer's database call, `collect()` keeps the events instead of sending
them from the DB thread; the consumer publishes them from the event loop once the call returned.
"""
import json
import logging
import threading
from contextlib import contextmanager

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


logger = logging.getLogger(__name__)

AGENTS_GROUP = "chat.agents"  # every agent console: queue changes
_collecting = threading.local()


def agent_group(user_id: int) -> str:
    """An agent's consoles: offers and assignment changes (kept apart from the notifications group)."""
    return f"chat.u.{user_id}"


def conversation_group(conversation_id: int) -> str:
    return f"chat.c.{conversation_id}"


def encode(frame: dict) -> str:
    return json.dumps(frame, default=str)


def frame_event(frame: dict, *, staff_only: bool = False, customer_only: bool = False) -> dict:
    """A `chat.frame` event; `frame` may be {"staff": ..., "customer": ...} when the two sides see different frames."""
    if "staff" in frame and "customer" in frame:
        text = {"staff": encode(frame["staff"]), "customer": encode(frame["customer"])}
    else:
        text = encode(frame)
    event = {"type": "chat.frame", "text": text, "staff_only": staff_only}
    if customer_only:
        event["customer_only"] = True
    return event


@contextmanager
def collect():
    """Keep the events sent (after commit) inside the block in a list instead of publishing them."""
    outer = getattr(_collecting, "events", None)
    _collecting.events = collected = []
    try:
        yield collected
    finally:
        _collecting.events = outer


async def apublish(collected: list[tuple[str, dict]], layer=None) -> None:
    """Publish collected events from the event loop, in order (through `layer`, the consumer's, else the default)."""
    layer = layer or get_channel_layer()
    if layer is None:
        return
    for group, event in collected:
        try:
            await layer.group_send(group, event)
        except Exception:
            logger.exception("chat event to %s not delivered", group)


def _send(group: str, event: dict) -> None:
    collected = getattr(_collecting, "events", None)
    if collected is not None:
        collected.append((group, event))
        return
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:
        logger.exception("chat event to %s not delivered", group)


def frame_to_conversation(conversation_id: int, frame: dict, *, staff_only: bool = False) -> None:
    """After commit, send `frame` to every socket watching the conversation (customers skip staff-only frames)."""
    event_to_conversation(conversation_id, frame_event(frame, staff_only=staff_only))


def event_to_conversation(conversation_id: int, event: dict) -> None:
    transaction.on_commit(lambda: _send(conversation_group(conversation_id), event))


def frame_to_user(user_id: int, frame: dict) -> None:
    event = frame_event(frame)
    transaction.on_commit(lambda: _send(agent_group(user_id), event))


def join_to_user(user_id: int, conversation_id: int, *, join: bool = True) -> None:
    """Tell the user's consoles to start (or stop) following a conversation's group."""
    event = {"type": "chat.join" if join else "chat.leave", "conversation": conversation_id}
    transaction.on_commit(lambda: _send(agent_group(user_id), event))


def queue_changed() -> None:
    """After commit, push the queue to agent consoles and positions to waiting customers."""

    def push():
        from chat.selectors import queue_entries, queue_positions

        entries = queue_entries()
        _send(AGENTS_GROUP, {"type": "chat.queue", "entries": entries})
        for conversation_id, position in queue_positions(entries).items():
            _send(conversation_group(conversation_id), frame_event(position, customer_only=True))

    transaction.on_commit(push)
