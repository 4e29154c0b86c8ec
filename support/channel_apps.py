from django.apps import AppConfig


class ChannelAppConfig(AppConfig):
    """A channel app (tickets, chat, call-backs, KYC): it adds a section to the customer's home page."""

    default_auto_field = "django.db.models.BigAutoField"
    home_section = ""
    home_empty = ""

    def open_items_for(self, user) -> list[dict]:
        """The customer's open items as {"label", "url", "status"}; an app with no cases yet has none."""
        return []
