"""Who may see or change a ticket: one set of checks for pages, downloads, the API and the admin."""
from support.models import User
from tickets.models import Ticket


def is_ticket_staff(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.has_perm("tickets.view_ticket")


def can_view_ticket(user: User, ticket: Ticket) -> bool:
    """The customer who owns it, or agents and supervisors. Anyone else must get a 404."""
    if not user.is_authenticated or not user.is_active:
        return False
    return ticket.customer_id == user.pk or is_ticket_staff(user)


def can_work_ticket(user: User, ticket: Ticket) -> bool:
    """Reply, note, assign, change status: staff with change permission."""
    return user.is_authenticated and user.is_active and user.has_perm("tickets.change_ticket")
