from django.apps import AppConfig


class ChannelAppConfig(AppConfig):
    """A channel app (tickets, chat, call-backs, KYC): it adds a section to the customer's home page
    and tells the SLA enforcement scan about its cases."""

    default_auto_field = "django.db.models.BigAutoField"
    home_section = ""
    home_empty = ""
    home_action = ""  # what the section's link starts ("Open a ticket"), to the URL named by home_action_url
    home_action_url = ""

    def open_items_for(self, user) -> list[dict]:
        """The customer's open items as {"label", "url", "status"}; an app with no cases yet has none."""
        return []

    def sla_cases(self, model, clocks) -> dict:
        """{clock id: CaseInfo(label, url, assignee_id, pool)} for clocks on `model` cases, in a query or two.

        `clocks` have `.id` and `.object_id`. Missing entries get a generic label.
        """
        return {}

    def sla_breach_writes(self, model, clocks, infos: dict, *, now) -> None:
        """Set-based changes a breach makes to the cases (raise priority, reassign), per each clock's
        `.action` and `.raise_priority`; runs in the scan's transaction. Updates `infos` when the
        assignee changes."""

    def peak_notice(self) -> dict | None:
        """{"channel", "waiting", "expected_wait_minutes"} when this channel's live queue is long now."""
        return None

    def csat(self, start, end, *, channel: str = "", language: str = "", assignee_ids=None) -> list[dict]:
        """Ratings given to cases started in [start, end): [{"channel", "count", "average", "satisfied"}]
        (satisfied = rated 4 or 5). Apps whose cases are not rated return []."""
        return []

    def csat_cases(self, start, end):
        """The cases `csat` counts, started in [start, end), as a values() queryset of `case_start`,
        `sla_channel`, `language`, `assignee_id` and `rating` (null when not rated), for the dashboard's
        daily roll-ups; None when the app does not offer it (its CSAT is then always read live).
        A change to any of these must log its day dirty (support_dashboard_dirty trigger)."""
        return None

    def sla_escalate(self, model, clocks, *, kind: str, now) -> dict:
        infos = self.sla_cases(model, clocks)
        if kind == "breach":
            self.sla_breach_writes(model, clocks, infos, now=now)
        return infos
