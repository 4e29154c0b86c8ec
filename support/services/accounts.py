from django.contrib.auth.models import Group
from django.db import transaction

from support.models import AgentProfile, CustomerProfile, Language, User
from support.roles import ROLES

from .audit import audit_event_record


def user_role_grant(user: User, *, role: str, actor=None) -> None:
    """Put `user` in the role's group; staff roles may open the admin."""
    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}")
    user.groups.add(Group.objects.get(name=role))
    if role != "customer" and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    audit_event_record(user, actor=actor, verb="role.granted", data={"role": role})


@transaction.atomic
def customer_create(
    email: str,
    *,
    password: str | None,
    account_number: str,
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    language: str = "en",
    time_zone: str = "Asia/Shanghai",
    tier: str = CustomerProfile.Tier.STANDARD,
    account_manager: User | None = None,
    actor=None,
) -> CustomerProfile:
    user = User.objects.create_user(email, password, first_name=first_name, last_name=last_name)
    profile = CustomerProfile(
        user=user,
        account_number=account_number,
        phone=phone,
        language=language,
        time_zone=time_zone,
        tier=tier,
        account_manager=account_manager,
    )
    profile.full_clean(exclude=["user"])
    profile.save()
    user_role_grant(user, role="customer", actor=actor)
    audit_event_record(profile, actor=actor, verb="customer.created", data={"account_number": account_number})
    return profile


@transaction.atomic
def agent_create(
    email: str,
    *,
    password: str | None,
    languages: list[str],
    first_name: str = "",
    last_name: str = "",
    roles: tuple[str, ...] = ("agent",),
    chat_capacity: int = 3,
    handles_callbacks: bool = False,
    handles_documents: bool = False,
    time_zone: str = "Asia/Shanghai",
    actor=None,
) -> AgentProfile:
    user = User.objects.create_user(email, password, first_name=first_name, last_name=last_name)
    profile = AgentProfile.objects.create(
        user=user,
        chat_capacity=chat_capacity,
        handles_callbacks=handles_callbacks,
        handles_documents=handles_documents,
        time_zone=time_zone,
    )
    profile.languages.set(Language.objects.filter(code__in=languages))
    for role in roles:
        user_role_grant(user, role=role, actor=actor)
    audit_event_record(profile, actor=actor, verb="agent.created", data={"roles": list(roles), "languages": languages})
    return profile


_EDITABLE_BY_CUSTOMER = ("language", "time_zone", "phone", "anti_phishing_phrase")


@transaction.atomic
def customer_profile_update(profile: CustomerProfile, *, actor, request=None, **changes) -> CustomerProfile:
    """Change the fields a customer may edit themselves; validates and audits what changed.

    Raises ValidationError for an invalid value, ValueError for a field outside the editable set.
    """
    unknown = set(changes) - set(_EDITABLE_BY_CUSTOMER)
    if unknown:
        raise ValueError(f"Not editable here: {', '.join(sorted(unknown))}")
    changed = {}
    for field, value in changes.items():
        old = getattr(profile, field)
        if str(old or "") != str(value or ""):
            setattr(profile, field, value)
            changed[field] = field
    if not changed:
        return profile
    profile.full_clean(exclude=["user", "account_manager"])
    profile.save(update_fields=[*changed, "updated_at"])
    # The phrase itself is a secret of the customer's: record that it changed, not its value.
    audit_event_record(profile, actor=actor, verb="customer.profile_updated", data={"fields": sorted(changed)}, request=request)
    return profile
