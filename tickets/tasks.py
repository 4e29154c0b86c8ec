"""Celery tasks of the tickets app: thin, safe to run twice."""
from celery import shared_task
from django.conf import settings
from django.core.cache import cache


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
