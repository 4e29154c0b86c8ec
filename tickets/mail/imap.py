"""Poll an IMAP mailbox: store each new message raw and commit, then flag it on the server, then process.

A message is fetched once per (mailbox, UIDVALIDITY, UID). When the server's UIDVALIDITY changes the
stored UIDs no longer name the same messages: everything is fetched again and the Message-ID check
turns the ones already handled into duplicates, so nothing is lost or doubled.
"""
import logging
from dataclasses import dataclass

from django.db import IntegrityError
from imap_tools import MailBox, MailBoxUnencrypted
from imap_tools.consts import MailMessageFlags

from tickets.mail.intake import IntakeResult, inbound_process, inbound_store
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
        for uid in new_uids:
            raw = _fetch_raw(box, uid)
            if raw is None:
                continue  # expunged meanwhile
            try:
                inbound = inbound_store(raw, source=f"{source_name}#{uid}", imap=(account.mailbox, uidvalidity, uid))
            except IntegrityError:
                continue  # another poller stored it first
            # Stored and committed: only now may the server consider it handled.
            box.flag([str(uid)], [MailMessageFlags.SEEN], True)
            results.append(inbound_process(inbound))
    return results


def _fetch_raw(box, uid: int) -> bytes | None:
    """The exact bytes on the server; BODY.PEEK leaves the message unseen until we have stored it."""
    status, data = box.client.uid("FETCH", str(uid), "(BODY.PEEK[])")
    if status != "OK":
        return None
    for part in data:
        if isinstance(part, tuple) and len(part) == 2 and isinstance(part[1], bytes):
            return part[1]
    return None
