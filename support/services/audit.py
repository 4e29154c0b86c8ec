from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib.contenttypes.models import ContentType

from support.models import AuditEvent

# Rows queued by audit_deferred(), or None: written at once.
_DEFERRED: ContextVar[list | None] = ContextVar("audit_deferred", default=None)


def _client_ip(request):
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_event_record(obj, *, actor, verb: str, data: dict | None = None, request=None) -> AuditEvent:
    """Append one row to the audit trail. `actor` None means the system (a task, intake)."""
    event = audit_event_build(obj, actor=actor, verb=verb, data=data, request=request)
    audit_events_record([event])
    return event


def audit_events_record(events: list[AuditEvent]) -> None:
    """Append built rows (`audit_event_build`): one INSERT, or queued inside `audit_deferred()`."""
    queued = _DEFERRED.get()
    if queued is not None:
        queued.extend(events)
    elif len(events) == 1:
        events[0].save(force_insert=True)
    elif events:
        AuditEvent.objects.bulk_create(events)


@contextmanager
def audit_deferred():
    """Inside the block, audit rows are queued and written with one INSERT when it ends without an error.

    For work that writes many rows in one transaction (e-mail intake applying a batch): use it inside
    that transaction, so the rows commit or roll back with what they record. A queued row has no pk yet.
    """
    queued: list[AuditEvent] = []
    token = _DEFERRED.set(queued)
    try:
        yield
    finally:
        _DEFERRED.reset(token)
    if queued:
        AuditEvent.objects.bulk_create(queued)


def audit_event_build(obj, *, actor, verb: str, data: dict | None = None, request=None) -> AuditEvent:
    """The row `audit_event_record` appends, unsaved (several go in with one bulk_create)."""
    known = actor is not None and actor.is_authenticated
    # By column (actor_id, content_type_id): the related-object setters cost more than the rest of the row,
    # and intake builds one of these for every ticket and reply.
    return AuditEvent(
        actor_id=actor.pk if known else None,
        actor_repr=(actor.email if known else "system")[:255],
        verb=verb,
        content_type_id=ContentType.objects.get_for_model(obj).pk if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:255] if obj is not None else "",
        data=data or {},
        ip_address=_client_ip(request),
    )


def audit_view_record(obj, *, actor, request=None, what: str = "") -> AuditEvent:
    """Record that `actor` looked at a sensitive object."""
    return audit_event_record(obj, actor=actor, verb="viewed", data={"what": what} if what else None, request=request)
