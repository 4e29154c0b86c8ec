"""Poll an IMAP mailbox: store new messages raw and commit (a batch at a time), flag them on the server, then process.

A message is fetched once per (mailbox, UIDVALIDITY, UID). When the server's UIDVALIDITY changes the
stored UIDs no longer name the same messages: everything is fetched again and the Message-ID check
turns the ones already handled into duplicates, so nothing is lost or doubled.
"""
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import IntegrityError
from imap_tools import MailBox, MailBoxUnencrypted
from imap_tools.consts import MailMessageFlags

from tickets.mail.intake import BatchStorer, IntakeResult, batched, inbound_process, inbound_process_each, inbound_store
from tickets.models import InboundEmail

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImapAccount:
    host: str
    port: int
    user: str
    password: str
    mailbox: str = "INBOX"
    ssl: bool = True
    batch: int = 100


def _connect(account: ImapAccount):
    box_class = MailBox if account.ssl else MailBoxUnencrypted
    return box_class(account.host, account.port, timeout=30).login(account.user, account.password, initial_folder=account.mailbox)


def imap_poll(account: ImapAccount) -> list[IntakeResult]:
    """Fetch and process up to `batch` messages not seen before; returns what intake did with each."""
    results = []
    source_name = f"imap://{account.user}@{account.host}:{account.port}/{account.mailbox}"
    with _connect(account) as box:
        uidvalidity = int(box.folder.status(account.mailbox, ["UIDVALIDITY"])["UIDVALIDITY"])
        server_uids = [int(uid) for uid in box.uids("ALL")]
        known = set(
            InboundEmail.objects.filter(imap_mailbox=account.mailbox, imap_uidvalidity=uidvalidity, imap_uid__in=server_uids)
            .values_list("imap_uid", flat=True)
        )
        new_uids = [uid for uid in server_uids if uid not in known][: account.batch]

        def fetched():
            for uid in new_uids:
                raw = _fetch_raw(box, uid)
                if raw is not None:  # else expunged meanwhile
                    yield uid, raw
                raw = None  # the previous message is not held while the next one is fetched

        with BatchStorer() as storer:
            for batch in batched(fetched(), size=lambda message: len(message[1])):
                messages = [(raw, f"{source_name}#{uid}", (account.mailbox, uidvalidity, uid)) for uid, raw in batch]
                del batch
                if len(messages) == 1:
                    results.extend(_one_by_one(box, messages))
                    continue
                try:
                    stored, parsed = storer.store_many(messages)  # parsed while the store's commit is awaited
                except Exception:  # noqa: BLE001 - e.g. another poller stored one of them: one by one, as always
                    logger.warning("storing %d IMAP messages at once failed; one by one now", len(messages), exc_info=True)
                    results.extend(_one_by_one(box, messages))
                    continue
                del messages
                # Stored and committed: only now may the server consider them handled.
                box.flag([str(inbound.imap_uid) for inbound in stored], [MailMessageFlags.SEEN], True)
                results.extend(inbound_process_each(stored, parsed))
    return results


def _one_by_one(box, messages: list[tuple[bytes, str, tuple[str, int, int]]]) -> Iterator[IntakeResult]:
    messages.reverse()
    while messages:
        raw, source, imap = messages.pop()
        try:
            inbound = inbound_store(raw, source=source, imap=imap)
        except IntegrityError:
            continue  # another poller stored it first
        del raw
        # Stored and committed: only now may the server consider it handled.
        box.flag([str(imap[2])], [MailMessageFlags.SEEN], True)
        yield inbound_process(inbound)


def _fetch_raw(box, uid: int) -> bytes | None:
    """The exact bytes on the server; BODY.PEEK leaves the message unseen until we have stored it."""
    status, data = box.client.uid("FETCH", str(uid), "(BODY.PEEK[])")
    if status != "OK":
        return None
    for part in data:
        if isinstance(part, tuple) and len(part) == 2 and isinstance(part[1], bytes):
            return part[1]
    return None
