from django.utils.translation import gettext_lazy as _

# Imported as a module: a second AppConfig class in this namespace would stop Django choosing ours.
from support import channel_apps


class ChatConfig(channel_apps.ChannelAppConfig):
    """Live chat: conversations, routing, websocket consumers, agent console, transcripts."""

    name = "chat"
    verbose_name = _("Live chat")
    home_section = _("Your chats")
    home_empty = _("You have no open chats.")
    home_action = _("Start a live chat")
    home_action_url = "chat:list"

    def open_items_for(self, user) -> list[dict]:
        from chat.models import Conversation

        live = Conversation.objects.filter(customer=user, status__in=Conversation.LIVE_STATUSES).order_by("-queued_at")[:5]
        return [
            {"label": f"{c.get_category_display()} · {c.queued_at:%Y-%m-%d %H:%M}", "url": f"/chat/{c.public_id}/", "status": c.get_status_display()}
            for c in live
        ]

    def sla_cases(self, model, clocks) -> dict:
        """A chat's label and the console; a waiting chat has no holder yet (supervisors hear of a breach)."""
        from chat.models import Conversation
        from support.services.escalation import CaseInfo

        ids = [int(c.object_id) for c in clocks if c.object_id.isdigit()]
        chats = {str(c["pk"]): c for c in Conversation.objects.filter(pk__in=ids).values("pk", "public_id", "category", "assignee_id")}
        return {
            clock.id: CaseInfo(label=f"Chat {chat['public_id']} ({chat['category']})", url="/chat/console/", assignee_id=chat["assignee_id"])
            for clock in clocks
            if (chat := chats.get(clock.object_id)) is not None
        }

    def csat(self, start, end, *, channel="", language="", assignee_ids=None) -> list[dict]:
        from django.db.models import CharField, Value

        from chat.models import Conversation
        from support.csat import csat_rows

        if channel and channel != "chat":
            return []
        qs = Conversation.objects.filter(queued_at__gte=start, queued_at__lt=end).annotate(
            sla_channel=Value("chat", output_field=CharField())
        )
        if language:
            qs = qs.filter(language=language)
        if assignee_ids is not None:
            qs = qs.filter(assignee_id__in=assignee_ids)
        return csat_rows(qs, channel_of="sla_channel")

    def csat_cases(self, start, end):
        from django.db.models import CharField, F, Value

        from chat.models import Conversation

        return (
            Conversation.objects.filter(queued_at__gte=start, queued_at__lt=end)
            .annotate(case_start=F("queued_at"), sla_channel=Value("chat", output_field=CharField()))
            .order_by()
            .values("case_start", "sla_channel", "language", "assignee_id", "rating")
        )

    def peak_notice(self) -> dict | None:
        from chat.selectors import peak_status

        status = peak_status()
        return {"channel": "chat", **status} if status["peak"] else None
