from django.utils.translation import gettext_lazy as _

# Imported as a module: a second AppConfig class in this namespace would stop Django choosing ours.
from support import channel_apps


class TicketsConfig(channel_apps.ChannelAppConfig):
    """Tickets, their threads and attachments, e-mail intake and outbound mail."""

    name = "tickets"
    verbose_name = _("Tickets")
    home_section = _("Your tickets")
    home_empty = _("You have no open tickets.")
    home_action = _("Open a ticket")
    home_action_url = "tickets:new"

    def open_items_for(self, user) -> list[dict]:
        from tickets.models import Ticket

        tickets = Ticket.objects.filter(customer=user, status__in=Ticket.OPEN_STATUSES, merged_into__isnull=True)
        return [
            {"label": f"{t.reference} · {t.subject}", "url": f"/tickets/{t.reference}/", "status": t.get_status_display()}
            for t in tickets.order_by("-created_at")[:20]
        ]

    def sla_cases(self, model, clocks) -> dict:
        from tickets.sla import cases

        return cases(clocks)

    def sla_breach_writes(self, model, clocks, infos, *, now) -> None:
        from tickets.sla import breach_writes

        breach_writes(clocks, infos, now=now)

    def csat(self, start, end, *, channel="", language="", assignee_ids=None) -> list[dict]:
        from django.db.models import Case, CharField, Value, When

        from support.csat import csat_rows
        from tickets.models import Ticket

        if channel and channel not in ("email", "web"):
            return []
        qs = Ticket.objects.filter(created_at__gte=start, created_at__lt=end, merged_into__isnull=True).annotate(
            sla_channel=Case(When(channel="email", then=Value("email")), default=Value("web"), output_field=CharField())
        )
        if channel:
            qs = qs.filter(sla_channel=channel)
        if language:
            qs = qs.filter(language=language)
        if assignee_ids is not None:
            qs = qs.filter(assignee_id__in=assignee_ids)
        return csat_rows(qs, channel_of="sla_channel")

    def csat_cases(self, start, end):
        from django.db.models import Case, CharField, F, Value, When

        from tickets.models import Ticket

        return (
            Ticket.objects.filter(created_at__gte=start, created_at__lt=end, merged_into__isnull=True)
            .annotate(
                case_start=F("created_at"),
                sla_channel=Case(When(channel="email", then=Value("email")), default=Value("web"), output_field=CharField()),
            )
            .order_by()
            .values("case_start", "sla_channel", "language", "assignee_id", "rating")
        )
