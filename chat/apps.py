from django.utils.translation import gettext_lazy as _

# Imported as a module: a second AppConfig class in this namespace would stop Django choosing ours.
from support import channel_apps


class ChatConfig(channel_apps.ChannelAppConfig):
    """Live chat: conversations, routing, websocket consumers, agent console, transcripts."""

    name = "chat"
    verbose_name = _("Live chat")
    home_section = _("Your chats")
    home_empty = _("You have no open chats.")
