"""Celery tasks of the tickets app: thin, safe to run twice."""
import datetime as dt
import logging

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=30, max_retries=3)
def imap_poll_task() -> int:
    """Beat: fetch new mail from the support mailbox (when IMAP_HOST is configured)."""
    if not settings.IMAP_HOST:
        return 0
    from tickets.mail.imap import ImapAccount, imap_poll

    # One poller at a time; the (mailbox, UIDVALIDITY, UID) constraint covers a race anyway.
    if not cache.add("tickets:imap-poll", 1, timeout=300):
        return 0
    try:
        results = imap_poll(
            ImapAccount(
                host=settings.IMAP_HOST,
                port=settings.IMAP_PORT,
                user=settings.IMAP_USER,
                password=settings.IMAP_PASSWORD,
                mailbox=settings.IMAP_MAILBOX,
                ssl=settings.IMAP_SSL,
            )
        )
    finally:
        cache.delete("tickets:imap-poll")
    return len(results)


@shared_task(acks_late=True)
def inbound_recover_task() -> int:
    """Beat: stored mail still pending after the grace period (its run was killed) is processed now."""
    from tickets.mail.recovery import inbound_recover

    return len(inbound_recover(older_than=dt.timedelta(seconds=settings.INTAKE_RECOVERY_GRACE_SECONDS)))


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=30, retry_backoff_max=600, max_retries=5)
def ticket_acknowledge_task(mail_id: int) -> bool:
    """After a ticket's commit: render and queue its acknowledgement (once; a second run does nothing)."""
    from tickets.mail.outbound import acknowledgement_send

    return acknowledgement_send(mail_id)


@shared_task(acks_late=True)
def ticket_acknowledge_many_task(mail_ids: list[int]) -> int:
    """After a batch of new tickets' commit (an e-mail intake group): each acknowledgement as
    `ticket_acknowledge_task` sends it, one task a batch instead of one a ticket. One that fails gets a
    retried task of its own, so it neither holds up nor repeats the others. Returns how many were sent."""
    from tickets.mail.outbound import acknowledgement_send

    sent = 0
    for mail_id in mail_ids:
        try:
            sent += bool(acknowledgement_send(mail_id))
        except Exception:  # noqa: BLE001 - retried on its own (and by ticket_acknowledgements_retry)
            logger.warning("acknowledgement %s failed; retrying it alone", mail_id, exc_info=True)
            ticket_acknowledge_task.delay(mail_id)
    return sent


@shared_task(acks_late=True)
def ticket_acknowledgements_retry() -> int:
    """Beat: acknowledgements whose task was lost get it again (nothing promised is forgotten)."""
    from tickets.mail.outbound import acknowledgements_unsent

    ids = acknowledgements_unsent()
    for mail_id in ids:
        ticket_acknowledge_task.delay(mail_id)
    return len(ids)
