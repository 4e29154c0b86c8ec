"""Stored mail whose processing never finished is processed again: nothing stored is ever left behind.

A message is committed raw before it is parsed (`inbound_store`), so a process killed after that
commit, or a PostgreSQL crash that loses an asynchronously committed apply, leaves a PENDING row.
Beat runs `inbound_recover` every minute on rows older than INTAKE_RECOVERY_GRACE_SECONDS.
"""
import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone

from tickets.mail.intake import IntakeResult, Outcome, _quarantine, inbound_process
from tickets.models import InboundEmail

logger = logging.getLogger(__name__)

_RECOVERY_LOCK = 0x1D_E5C0  # namespace of the per-row session advisory locks (two-key form)


@contextmanager
def _row_claimed(pk: int) -> Iterator[bool]:
    """A claim on one row that dies with its session: a killed recovery run leaves nothing locked."""
    if connection.vendor != "postgresql":
        yield True  # SQLite: one writer at a time; the conditional UPDATEs decide
        return
    key = [_RECOVERY_LOCK, pk & 0x7FFFFFFF]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
        claimed = cursor.fetchone()[0]
    try:
        yield claimed
    finally:
        if claimed:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)


def inbound_recover(*, older_than: dt.timedelta, limit: int = 200) -> list[IntakeResult]:
    """Process stored messages that are still PENDING `older_than` after they were stored.

    Such a row's run never finished: the process was killed after the raw store or during processing,
    or PostgreSQL lost an asynchronously committed apply in a crash. Safe with several recovery runs at
    once (each row is claimed with a session advisory lock, then taken only if still PENDING) and with
    a run still working on the row (the Message-ID lock and `_finish`'s conditional UPDATE: one result).
    A row claimed INTAKE_RECOVERY_ATTEMPTS times without finishing is quarantined instead: a message
    that kills the process must not kill it every minute.
    """
    cutoff = timezone.now() - older_than
    # The partial index inbound_pending_idx holds only the unprocessed rows, in this order.
    pending = list(
        InboundEmail.objects.filter(status=InboundEmail.Status.PENDING, received_at__lt=cutoff)
        .order_by("received_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    results = []
    for pk in pending:
        with _row_claimed(pk) as claimed:
            if not claimed:
                continue  # another recovery run has it
            # Counts the run that never finished; `_finish` counts this one.
            still_pending = InboundEmail.objects.filter(pk=pk, status=InboundEmail.Status.PENDING)
            if not still_pending.update(attempts=F("attempts") + 1):
                continue  # finished meanwhile
            inbound = InboundEmail.objects.get(pk=pk)
            if inbound.attempts >= settings.INTAKE_RECOVERY_ATTEMPTS:
                reason = f"intake was started {inbound.attempts} times and never finished (the process was killed?)"
                result = IntakeResult(source=inbound.source, outcome=Outcome.QUARANTINED)
                results.append(_quarantine(inbound, result, reason))
                continue
            logger.warning("processing inbound e-mail %s, stored %s and never processed", pk, inbound.received_at)
            results.append(inbound_process(inbound))
    return results
