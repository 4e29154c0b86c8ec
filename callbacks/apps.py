from django.utils.translation import gettext_lazy as _

# Imported as a module: a second AppConfig class in this namespace would stop Django choosing ours.
from support import channel_apps


class CallbacksConfig(channel_apps.ChannelAppConfig):
    """Call-back slots, capacity, bookings, reminders and outcomes."""

    name = "callbacks"
    verbose_name = _("Call-backs")
    home_section = _("Your call-backs")
    home_empty = _("You have no upcoming call-backs.")
