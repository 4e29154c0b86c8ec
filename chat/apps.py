from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    """Live chat: conversations, routing, websocket consumers, agent console, transcripts."""

    name = "chat"
    verbose_name = _("Live chat")
    home_section = _("Your chats")
    home_empty = _("You have no open chats.")

    def open_items_for(self, user) -> list:
        return []
