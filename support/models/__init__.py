from .accounts import AgentProfile, CustomerProfile, Language, User
from .audit import AuditEvent
from .calendar import BusinessCalendar, Holiday, WeeklyHours
from .dashboard import DashboardDay, DashboardDirty, DashboardRollup
from .escalation import SLAEvent, Team
from .notifications import Notification, OutboundEmail
from .sla import Channel, SLAClock, SLAPolicy

__all__ = [
    "AgentProfile",
    "AuditEvent",
    "BusinessCalendar",
    "Channel",
    "CustomerProfile",
    "DashboardDay",
    "DashboardDirty",
    "DashboardRollup",
    "Holiday",
    "Language",
    "Notification",
    "OutboundEmail",
    "SLAClock",
    "SLAEvent",
    "SLAPolicy",
    "Team",
    "User",
    "WeeklyHours",
]
