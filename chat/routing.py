"""Websocket routes of the live chat (docs/chat-protocol.md)."""
from django.urls import path, re_path

from chat.consumers import AgentChatConsumer, CustomerChatConsumer

websocket_urlpatterns = [
    path("ws/chat/agent/", AgentChatConsumer.as_asgi()),
    re_path(r"^ws/chat/(?P<public_id>[A-Za-z0-9_-]{8,24})/$", CustomerChatConsumer.as_asgi()),
]
