from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    """Tickets, their threads and attachments, e-mail intake and outbound mail."""

    name = "tickets"
    verbose_name = _("Tickets")
    home_section = _("Your tickets")
    home_empty = _("You have no open tickets.")

    def open_items_for(self, user) -> list:
        # Tickets arrive with the tickets issue; until then the customer has none.
        return []
