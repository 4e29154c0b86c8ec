"""Websocket routes of the live chat (docs/chat-protocol.md), and the web process's garbage collector."""
import gc

from django.conf import settings
from django.urls import path, re_path

from chat.consumers import AgentChatConsumer, CustomerChatConsumer

websocket_urlpatterns = [
    path("ws/chat/agent/", AgentChatConsumer.as_asgi()),
    re_path(r"^ws/chat/(?P<public_id>[A-Za-z0-9_-]{8,24})/$", CustomerChatConsumer.as_asgi()),
]

# Only the ASGI application imports these routes, so this tunes the web processes alone. With Python's
# thresholds (700, 10, 10) the objects of the messages in flight were caught alive by the frequent young
# collections and promoted so fast that a full collection ran every 8-15 s under load, stopping the event
# loop for 85-212 ms with 1,000 sockets open: the p99 latency (docs/performance.md, live chat). A larger
# young generation lets them die by reference counting first, and a full collection waits for 100 middle
# ones. CHAT_GC_THRESHOLDS = None keeps Python's.
GC_THRESHOLDS = (50_000, 20, 100)


def tune_gc() -> None:
    thresholds = getattr(settings, "CHAT_GC_THRESHOLDS", GC_THRESHOLDS)
    if thresholds:
        gc.set_threshold(*thresholds)


tune_gc()
