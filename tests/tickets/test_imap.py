"""IMAP polling against a real dovecot started on loopback for these tests."""
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from imap_tools import MailBoxUnencrypted

from tickets.mail.intake import inbound_store

from tickets.mail.imap import ImapAccount, imap_poll
from tickets.models import InboundEmail, Ticket

pytestmark = [pytest.mark.imap, pytest.mark.django_db(transaction=True)]
DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def imap_server():
    root = Path(tempfile.mkdtemp(prefix="desk-dovecot-"))
    root.chmod(0o755)
    # Dovecot refuses uid 0 for mail: as root, deliver as the 'mail' user; otherwise as ourselves.
    mail_user = pwd.getpwnam("mail") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())
    for sub in ("run", "state", "home"):
        (root / sub).mkdir()
    shutil.chown(root / "home", mail_user.pw_uid, mail_user.pw_gid)
    (root / "users").write_text("desk:{PLAIN}secret\n")
    port = _free_port()
    (root / "dovecot.conf").write_text(f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={root}/home/%u
}}
mail_location = maildir:{root}/home/%u/Maildir
first_valid_uid = {mail_user.pw_uid}
first_valid_gid = {mail_user.pw_gid}
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
""")
    conf = str(root / "dovecot.conf")
    subprocess.run([DOVECOT, "-c", conf], check=True)
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield ImapAccount(host="127.0.0.1", port=port, user="desk", password="secret", ssl=False)
    subprocess.run(["doveadm", "-c", conf, "stop"], check=False)
    shutil.rmtree(root, ignore_errors=True)


def append(account: ImapAccount, raw: bytes) -> None:
    with MailBoxUnencrypted(account.host, account.port).login(account.user, account.password) as box:
        box.append(raw, "INBOX")


def server_flags(account: ImapAccount) -> list[tuple]:
    with MailBoxUnencrypted(account.host, account.port).login(account.user, account.password) as box:
        return [m.flags for m in box.fetch(mark_seen=False)]


MESSAGE = (
    b"From: Wang Fang <wang@example.com>\r\nTo: support@desk.localhost\r\nSubject: =?utf-8?B?5o+Q546w?= pending\r\n"
    b"Message-ID: <imap-1@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nMy withdrawal is pending.\r\n"
)


def test_poll_stores_raw_flags_seen_and_creates_a_ticket(imap_server):
    append(imap_server, MESSAGE)
    [result] = imap_poll(imap_server)
    assert result.outcome == "created"
    inbound = InboundEmail.objects.get()
    assert bytes(inbound.raw).replace(b"\r\n", b"\n") == MESSAGE.replace(b"\r\n", b"\n")  # byte-exact but line endings
    assert inbound.imap_uid == 1 and inbound.imap_uidvalidity
    assert Ticket.objects.get().subject == "提现 pending"
    assert server_flags(imap_server) == [("\\Seen",)]


def test_second_poll_fetches_nothing_new(imap_server):
    append(imap_server, MESSAGE)
    imap_poll(imap_server)
    assert imap_poll(imap_server) == []
    assert InboundEmail.objects.count() == 1


def test_uidvalidity_change_refetches_but_creates_no_duplicate(imap_server):
    append(imap_server, MESSAGE)
    imap_poll(imap_server)
    InboundEmail.objects.update(imap_uidvalidity=1)  # as if the server's mailbox had been rebuilt
    [again] = imap_poll(imap_server)
    assert again.outcome == "duplicate"
    assert Ticket.objects.count() == 1


def test_message_stays_unseen_when_storing_fails(imap_server, monkeypatch):
    append(imap_server, MESSAGE)

    def broken_store(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr("tickets.mail.imap.inbound_store", broken_store)
    with pytest.raises(RuntimeError):
        imap_poll(imap_server)
    assert server_flags(imap_server) == [()]  # still unseen: the next poll picks it up


def message(n: int) -> bytes:
    return MESSAGE.replace(b"<imap-1@", f"<imap-{n}@".encode()).replace(b"Wang Fang <wang@", f"W{n} <w{n}@".encode())


def test_poll_stores_new_messages_with_one_commit_then_flags_and_processes_them(imap_server, monkeypatch):
    import threading

    import tickets.mail.intake as intake

    for n in range(1, 5):
        append(imap_server, message(n))
    inserts, real_insert = [], intake._insert
    monkeypatch.setattr(intake, "_insert", lambda rows: (inserts.append((len(rows), threading.current_thread().name)),
                                                         real_insert(rows))[1])
    results = imap_poll(imap_server)
    from django.db import connection

    # one INSERT (one commit); on PostgreSQL on the thread that stores while we parse (SQLite stores in line)
    assert inserts == [(4, "intake-store_0" if connection.vendor == "postgresql" else "MainThread")]
    assert [r.outcome for r in results] == ["created"] * 4
    assert [r.sender for r in results] == [f"w{n}@example.com" for n in range(1, 5)]
    assert sorted(InboundEmail.objects.values_list("imap_uid", flat=True)) == [1, 2, 3, 4]
    assert server_flags(imap_server) == [("\\Seen",)] * 4


def test_a_batch_another_poller_got_into_first_is_stored_one_by_one(imap_server, monkeypatch):
    for n in range(1, 4):
        append(imap_server, message(n))
    import tickets.mail.intake as intake

    real = intake._store

    def other_poller_first(rows):  # between our "known" check and our INSERT, another poller stores UID 2
        if len(rows) > 1:
            uid2 = rows[1]
            real([intake._inbound_row(bytes(uid2.raw), uid2.source, (uid2.imap_mailbox, uid2.imap_uidvalidity, uid2.imap_uid))])
        return real(rows)

    monkeypatch.setattr(intake, "_store", other_poller_first)
    results = imap_poll(imap_server)
    assert [r.sender for r in results] == ["w1@example.com", "w3@example.com"]  # UID 2 is the other poller's
    assert InboundEmail.objects.count() == 3 and Ticket.objects.count() == 2
    assert server_flags(imap_server) == [("\\Seen",), (), ("\\Seen",)]


def test_no_message_of_a_batch_is_flagged_when_the_database_is_down(imap_server, monkeypatch):
    for n in range(1, 4):
        append(imap_server, message(n))

    def broken_store(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr("tickets.mail.intake._store", broken_store)  # every store: a batch's and one by one
    with pytest.raises(RuntimeError):
        imap_poll(imap_server)
    assert server_flags(imap_server) == [(), (), ()]
    assert not InboundEmail.objects.exists()
