"""Notifications websocket: pushes a user's notifications live; frames are checked like any request."""
import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from support.models import Notification
from support.services.notifications import notification_mark_read, user_group

CLOSE_UNAUTHENTICATED = 4401


class NotificationConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "unread": await self._unread_count()})

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        try:
            frame = json.loads(text_data) if text_data is not None else None
        except ValueError:
            frame = None
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self.send_json({"type": "error", "error": "malformed frame: expected a JSON object with a type"})
            return
        if frame["type"] == "mark_read":
            await self._mark_read(frame.get("id"))
        else:
            await self.send_json({"type": "error", "error": f"unknown frame type {frame['type'][:40]!r}"})

    async def _mark_read(self, notification_id):
        if not isinstance(notification_id, int) or isinstance(notification_id, bool):
            await self.send_json({"type": "error", "error": "mark_read needs an integer id"})
            return
        try:
            await database_sync_to_async(notification_mark_read)(notification_id, user=self.user)
        except Notification.DoesNotExist:
            # Another user's notification looks exactly like a missing one.
            await self.send_json({"type": "error", "error": "notification not found"})
            return
        await self.send_json({"type": "read", "id": notification_id, "unread": await self._unread_count()})

    async def session_end(self, event):
        if event.get("session_key") in (None, getattr(self.scope.get("session"), "session_key", None)):
            await self.close(code=CLOSE_UNAUTHENTICATED)

    async def notification_new(self, event):
        await self.send_json({"type": "notification", "notification": event["notification"]})

    async def send_json(self, content):
        await self.send(text_data=json.dumps(content))

    @database_sync_to_async
    def _unread_count(self) -> int:
        return Notification.objects.filter(recipient=self.user, read_at__isnull=True).count()
