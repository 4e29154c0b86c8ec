"""Celery tasks of the shared core: thin, take ids, safe to run twice."""
import datetime as dt

from celery import shared_task
from django.core.management import call_command
from django.utils import timezone

from support.models import OutboundEmail


@shared_task(autoretry_for=(Exception,), retry_backoff=30, retry_backoff_max=600, max_retries=5, acks_late=True)
def email_send(email_id: int) -> None:
    from support.services import email_deliver

    email_deliver(email_id)


@shared_task(acks_late=True)
def email_outbox_retry() -> int:
    """Requeue outbox rows whose send task was lost (a broker restart): nothing queued is forgotten."""
    stale = timezone.now() - dt.timedelta(minutes=5)
    ids = list(
        OutboundEmail.objects.filter(status=OutboundEmail.Status.QUEUED, created_at__lt=stale).values_list("pk", flat=True)[:500]
    )
    for email_id in ids:
        email_send.delay(email_id)
    return len(ids)


@shared_task(acks_late=True)
def clear_expired_sessions() -> None:
    call_command("clearsessions")


@shared_task(acks_late=True, ignore_result=True)
def sla_scan() -> dict:
    """Every 15 s (beat): warn and breach due clocks. Exactly once per clock, however often it runs."""
    from support.services.escalation import sla_scan as scan

    result = scan()
    return {"warnings": result.warnings, "breaches": result.breaches}


@shared_task(acks_late=True, ignore_result=True)
def dashboard_rollups() -> dict:
    """Every 10 minutes (beat): roll up the days that closed, rebuild the rolled days changed since.
    Safe to run twice and from two workers at once (one builds, the other returns)."""
    from support.services.rollups import dashboard_rollups_build

    result = dashboard_rollups_build()
    return {"days": len(result.days), "dropped": len(result.dropped), "skipped": result.skipped}
