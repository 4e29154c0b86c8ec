from django.utils.translation import gettext_lazy as _

# Imported as a module: a second AppConfig class in this namespace would stop Django choosing ours.
from support import channel_apps


class TicketsConfig(channel_apps.ChannelAppConfig):
    """Tickets, their threads and attachments, e-mail intake and outbound mail."""

    name = "tickets"
    verbose_name = _("Tickets")
    home_section = _("Your tickets")
    home_empty = _("You have no open tickets.")
