from django.utils.translation import gettext_lazy as _

# Imported as a module: a second AppConfig class in this namespace would stop Django choosing ours.
from support import channel_apps


class CallbacksConfig(channel_apps.ChannelAppConfig):
    """Call-back slots, capacity, bookings, reminders and outcomes."""

    name = "callbacks"
    verbose_name = _("Call-backs")
    home_section = _("Your call-backs")
    home_empty = _("You have no upcoming call-backs.")
    home_action = _("Book a call-back")
    home_action_url = "callbacks:new"

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

    def sla_cases(self, model, clocks) -> dict:
        from callbacks.models import Booking
        from support.services.escalation import CaseInfo

        ids = [int(c.object_id) for c in clocks if c.object_id.isdigit()]
        bookings = {str(b["pk"]): b for b in Booking.objects.filter(pk__in=ids).values("pk", "reference", "assignee_id")}
        return {
            clock.id: CaseInfo(label=f"Call-back {booking['reference']}", url="/callbacks/agent/", assignee_id=booking["assignee_id"])
            for clock in clocks
            if (booking := bookings.get(clock.object_id)) is not None
        }
