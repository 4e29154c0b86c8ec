from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallbacksConfig(AppConfig):
    """Call-back slots, capacity, bookings, reminders and outcomes."""

    name = "callbacks"
    verbose_name = _("Call-backs")
    home_section = _("Your call-backs")
    home_empty = _("You have no upcoming call-backs.")

    def open_items_for(self, user) -> list:
        return []
