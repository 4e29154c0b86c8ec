from django.utils.translation import gettext_lazy as _

# Imported as a module: a second AppConfig class in this namespace would stop Django choosing ours.
from support import channel_apps


class CallbacksConfig(channel_apps.ChannelAppConfig):
    """Call-back slots, capacity, bookings, reminders and outcomes."""

    name = "callbacks"
    verbose_name = _("Call-backs")
    home_section = _("Your call-backs")
    home_empty = _("You have no upcoming call-backs.")

    def open_items_for(self, user) -> list[dict]:
        from django.utils import timezone

        from callbacks.selectors import bookings_upcoming_for_customer

        return [
            {
                "label": f"{b.reference} · {timezone.localtime(b.slot.starts_at):%Y-%m-%d %H:%M}",
                "url": f"/callbacks/{b.reference}/",
                "status": b.get_status_display(),
            }
            for b in bookings_upcoming_for_customer(user)
        ]
