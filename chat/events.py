"""Websocket fan-out of chat events, sent after the database commit that made them true.

Channel-layer delivery is at-most-once: the database is the truth and clients fill gaps by
sequence number (docs/chat-protocol.md), so a failed send is logged, never retried here.
"""
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


logger = logging.getLogger(__name__)

AGENTS_GROUP = "chat.agents"  # every agent console: queue changes


def agent_group(user_id: int) -> str:
    """An agent's consoles: offers and assignment changes (kept apart from the notifications group)."""
    return f"chat.u.{user_id}"


def conversation_group(conversation_id: int) -> str:
    return f"chat.c.{conversation_id}"


def _send(group: str, event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:
        logger.exception("chat event to %s not delivered", group)


def frame_to_conversation(conversation_id: int, frame: dict, *, staff_only: bool = False) -> None:
    """After commit, send `frame` to every socket watching the conversation (customers skip staff-only frames)."""
    event = {"type": "chat.frame", "frame": frame, "staff_only": staff_only}
    transaction.on_commit(lambda: _send(conversation_group(conversation_id), event))


def frame_to_user(user_id: int, frame: dict) -> None:
    event = {"type": "chat.frame", "frame": frame, "staff_only": False}
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
            _send(conversation_group(conversation_id), {"type": "chat.frame", "frame": position, "customer_only": True})

    transaction.on_commit(push)
