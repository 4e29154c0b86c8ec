from django.utils.translation import gettext_lazy as _

# Imported as a module: a second AppConfig class in this namespace would stop Django choosing ours.
from support import channel_apps


class ComplaintsConfig(channel_apps.ChannelAppConfig):
    """Customer escalations ("not satisfied"): complaints with their own acknowledgement clock, handled by supervisors."""

    name = "complaints"
    verbose_name = _("Complaints")
    home_section = _("Your complaints")
    home_empty = _("You have no open complaints.")
    home_action = _("Make a complaint")
    home_action_url = "complaints:new"

    def open_items_for(self, user) -> list[dict]:
        from complaints.models import Complaint

        return [
            {"label": f"{c.reference} · {c.get_source_type_display()}", "url": f"/complaints/{c.reference}/", "status": c.get_status_display()}
            for c in Complaint.objects.filter(customer=user, status__in=Complaint.OPEN_STATUSES).order_by("-created_at")[:10]
        ]

    def sla_cases(self, model, clocks) -> dict:
        from complaints.models import Complaint
        from support.services.escalation import CaseInfo

        ids = [int(c.object_id) for c in clocks if c.object_id.isdigit()]
        found = {str(c["pk"]): c for c in Complaint.objects.filter(pk__in=ids).values("pk", "reference", "assignee_id")}
        return {
            clock.id: CaseInfo(label=f"Complaint {c['reference']}", url=f"/admin/complaints/complaint/{c['pk']}/change/", assignee_id=c["assignee_id"])
            for clock in clocks
            if (c := found.get(clock.object_id)) is not None
        }
