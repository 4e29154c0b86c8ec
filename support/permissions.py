"""Who may see what: the same functions serve views, the API, the admin and consumers."""
from django.core.exceptions import PermissionDenied

from support.models import CustomerProfile, User


def customer_profile_of(user: User) -> CustomerProfile | None:
    if not user.is_authenticated:
        return None
    try:
        return user.customer_profile
    except CustomerProfile.DoesNotExist:
        return None


def require_customer(user: User, message) -> CustomerProfile:
    """The customer's profile; PermissionDenied(message) for anyone else (staff have their own pages)."""
    profile = customer_profile_of(user)
    if profile is None:
        raise PermissionDenied(message)
    return profile


def is_customer(user: User) -> bool:
    return customer_profile_of(user) is not None


def can_view_customer(user: User, profile: CustomerProfile) -> bool:
    """The customer themself, or staff allowed to browse customers (supervisors).

    Agents see a customer's context only through a case assigned to them (later apps), not by lookup.
    """
    if not user.is_authenticated or not user.is_active:
        return False
    return profile.user_id == user.pk or user.has_perm("support.view_customerprofile")
