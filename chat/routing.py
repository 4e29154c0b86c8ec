"""Websocket routes of the live chat (filled by the chat issue: customer and agent consumers)."""
websocket_urlpatterns: list = []
