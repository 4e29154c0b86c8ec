"""Who may work call-backs: one set of checks for the agent page, the schedule page and the admin."""
from callbacks.models import Booking
from support.models import User


def is_callback_agent(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.has_perm("callbacks.change_booking")


def is_callback_supervisor(user: User) -> bool:
    """Supervisors (and superusers) act on any call-back, not only their own."""
    return user.is_authenticated and user.is_active and (user.is_superuser or user.groups.filter(name="supervisor").exists())


def can_view_schedule(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.is_staff and user.has_perm("callbacks.view_booking")


def can_reassign(user: User) -> bool:
    """Schedulers and supervisors move bookings between agents; agents do not hand theirs on."""
    return can_view_schedule(user) and user.has_perm("callbacks.change_slot") and user.has_perm("callbacks.change_booking")


def can_act_on_booking(user: User, booking: Booking) -> bool:
    """Record an outcome or convert: the agent it is assigned to, or a supervisor."""
    if not is_callback_agent(user):
        return False
    return booking.assignee_id == user.pk or is_callback_supervisor(user)
