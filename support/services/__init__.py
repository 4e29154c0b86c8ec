"""Every state change the shared core makes (DESIGN: services are the only writers)."""
from .accounts import agent_create, customer_create, customer_profile_update, user_role_grant
from .audit import audit_deferred, audit_event_build, audit_event_record, audit_events_record, audit_view_record
from .notifications import (
    email_deliver,
    email_queue,
    email_queue_for_user,
    email_render,
    notification_mark_read,
    notification_send,
    user_sockets_close,
)
from .sla import (
    sla_clock_breach,
    sla_clock_cancel,
    sla_clock_pause,
    sla_clock_resume,
    sla_clock_satisfy,
    sla_clock_start,
    sla_policy_for,
)

__all__ = [
    "agent_create",
    "audit_deferred",
    "audit_event_build",
    "audit_event_record",
    "audit_events_record",
    "audit_view_record",
    "customer_create",
    "customer_profile_update",
    "email_deliver",
    "email_queue",
    "email_queue_for_user",
    "email_render",
    "notification_mark_read",
    "notification_send",
    "sla_clock_breach",
    "sla_clock_cancel",
    "sla_clock_pause",
    "sla_clock_resume",
    "sla_clock_satisfy",
    "sla_clock_start",
    "sla_policy_for",
    "user_role_grant",
    "user_sockets_close",
]
