from django.contrib.contenttypes.models import ContentType

from support.models import AuditEvent


def _client_ip(request):
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_event_record(obj, *, actor, verb: str, data: dict | None = None, request=None) -> AuditEvent:
    """Append one row to the audit trail. `actor` None means the system (a task, intake)."""
    event = audit_event_build(obj, actor=actor, verb=verb, data=data, request=request)
    event.save(force_insert=True)
    return event


def audit_event_build(obj, *, actor, verb: str, data: dict | None = None, request=None) -> AuditEvent:
    """The row `audit_event_record` appends, unsaved (several go in with one bulk_create)."""
    return AuditEvent(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_repr=(actor.email if actor is not None and actor.is_authenticated else "system")[:255],
        verb=verb,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:255] if obj is not None else "",
        data=data or {},
        ip_address=_client_ip(request),
    )


def audit_view_record(obj, *, actor, request=None, what: str = "") -> AuditEvent:
    """Record that `actor` looked at a sensitive object."""
    return audit_event_record(obj, actor=actor, verb="viewed", data={"what": what} if what else None, request=request)
