"""Roles are Django groups with permissions; kept in step after every migrate."""
from django.contrib.auth.models import Group, Permission

_CALENDAR_VIEW = ["support.view_businesscalendar", "support.view_weeklyhours", "support.view_holiday"]
_CALENDAR_EDIT = [
    f"support.{action}_{model}"
    for action in ("add", "change", "delete")
    for model in ("businesscalendar", "weeklyhours", "holiday")
]

_TICKETS_WORK = [
    "tickets.view_ticket",
    "tickets.change_ticket",
    "tickets.view_ticketmessage",
    "tickets.view_ticketattachment",
    "tickets.view_inboundemail",
    "tickets.change_inboundemail",  # re-run a quarantined message
    "tickets.view_cannedreply",
]
_TICKETS_MANAGE = [f"tickets.{action}_cannedreply" for action in ("add", "change", "delete")]
_CALLBACKS_WORK = ["callbacks.view_booking", "callbacks.change_booking", "callbacks.view_slot"]
_CALLBACKS_SCHEDULE = [
    *[f"callbacks.{action}_capacityrule" for action in ("view", "add", "change", "delete")],
    "callbacks.view_slot", "callbacks.change_slot", "callbacks.view_booking", "callbacks.change_booking",
]
_KYC_REVIEW = [
    "kyc.view_document", "kyc.change_document", "kyc.review_document", "kyc.view_documentpage",
    "kyc.view_verificationcase",
]
_CHAT_WORK = ["chat.view_conversation", "chat.change_conversation", "chat.view_chatmessage", "chat.view_agentpresence"]

# Each app's permissions per role (tickets now; chat, callbacks, kyc as they arrive).
ROLES: dict[str, list[str]] = {
    "customer": [],
    "agent": [
        *_CALENDAR_VIEW,
        "support.view_slapolicy",
        "support.view_slaclock",
        "support.view_agentprofile",
        *_TICKETS_WORK,
        *_CHAT_WORK,
        *_CALLBACKS_WORK,
    ],
    "supervisor": [
        *_CALENDAR_VIEW,
        *_CALENDAR_EDIT,
        "support.view_slapolicy",
        "support.change_slapolicy",
        "support.view_slaclock",
        "support.view_agentprofile",
        "support.change_agentprofile",
        "support.view_customerprofile",
        "support.change_customerprofile",
        "support.view_auditevent",
        "support.view_sla_dashboard",
        *[f"safety.{action}_officialcontact" for action in ("view", "add", "change", "delete")],
        "safety.view_secretevent",
        "complaints.view_complaint",
        "complaints.change_complaint",
        "support.view_slaevent",
        *[f"support.{action}_team" for action in ("view", "add", "change", "delete")],
        "support.view_outboundemail",
        *_TICKETS_WORK,
        *_TICKETS_MANAGE,
        *_CHAT_WORK,
        "chat.supervise_conversation",
        *_CALLBACKS_SCHEDULE,
        "chat.change_agentpresence",
        *_KYC_REVIEW,
    ],
    # Agents who review identity documents (AgentProfile.handles_documents) also hold this role.
    "document_reviewer": [*_KYC_REVIEW, "support.view_slaclock"],
    "scheduler": [*_CALENDAR_VIEW, "support.view_agentprofile", *_CALLBACKS_SCHEDULE],
}
STAFF_ROLES = ("agent", "supervisor", "scheduler", "document_reviewer")


def roles_sync(**_kwargs) -> None:
    """Create the role groups and give each exactly its permissions (post_migrate)."""
    for role, perms in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            found = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if found is not None:
                wanted.append(found)
        group.permissions.set(wanted)
