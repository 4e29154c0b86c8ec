"""The secret shield on every way a customer's words come in: what is stored, sent over the channel
layer, e-mailed and shown holds the marker, never the secret; the customer is told; the event is recorded."""
import pytest
from django.db import connection

from complaints.services import complaint_open
from safety.models import SecretEvent
from support.models import AuditEvent, Notification, OutboundEmail
from tests.factories import make_ticket

SEED = "legal winner thank year wave sausage worth useful legal winner thank yellow"  # BIP-39 test vector
CARD = "4111 1111 1111 1111"
TXID = "3a1f5c0e9b7d4a2f8e6c1b0d9a8f7e6d5c4b3a291807f6e5d4c3b2a1908f7e6d"


def nowhere(secret: str) -> bool:
    """The secret is in no text column of any table (agents, indexes and exports all read from these)."""
    needle = secret.split()[0] + " " + secret.split()[1] if " " in secret else secret
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND data_type IN ('text', 'character varying', 'jsonb')"
        )
        columns = cursor.fetchall()
        for table, column in columns:
            cursor.execute(f'SELECT 1 FROM "{table}" WHERE "{column}"::text LIKE %s LIMIT 1', [f"%{needle}%"])
            if cursor.fetchone():
                return False
        cursor.execute("SELECT 1 FROM tickets_inboundemail WHERE position(%s::bytea in raw) > 0", [needle.encode()])
        return cursor.fetchone() is None


@pytest.mark.django_db
@pytest.mark.postgres
def test_web_ticket_with_a_seed_phrase(client, customer):
    client.force_login(customer)
    response = client.post(
        "/tickets/new/",
        {"category": "funds", "subject": "Wallet", "body": f"Please help, my wallet words are {SEED} and funds are gone. TXID {TXID}",
         "account_number": customer.customer_profile.account_number, "transaction_id": TXID, "amount": "250", "currency": "USDT"},
        follow=True,
    )
    text = response.content.decode()
    assert "we removed a seed phrase" in text and "move your funds to a new wallet" in text
    from tickets.models import TicketMessage

    body = TicketMessage.objects.filter(kind="customer").get().body_text
    assert "[seed phrase removed]" in body and TXID in body  # the TXID passes untouched
    assert nowhere(SEED)
    assert list(SecretEvent.objects.values_list("kind", "where")) == [("seed_phrase", "web")]
    event = AuditEvent.objects.get(verb="safety.secret_removed")
    assert event.data == {"kinds": ["seed_phrase"], "where": "web"}
    assert Notification.objects.filter(recipient=customer, kind="safety.secret_removed").exists()


@pytest.mark.django_db
@pytest.mark.postgres
def test_email_with_a_password_is_redacted_in_the_raw_copy_and_the_sender_is_told(customer):
    from tickets.mail.intake import ingest_raw
    from tickets.models import InboundEmail, TicketMessage

    profile = customer.customer_profile
    profile.anti_phishing_phrase = "blue heron 42"
    profile.save()
    raw = (
        f"From: {customer.email}\r\nTo: support@desk.localhost\r\nSubject: Login problem\r\nMessage-ID: <pw@example.com>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nI cannot log in. My password is Tr0ub4dor&3xyz please check.\r\n"
    ).encode()
    result = ingest_raw(raw, source="test")
    assert result.outcome == "created"
    message = TicketMessage.objects.get(kind="customer")
    assert "[password removed]" in message.body_text and "Tr0ub4dor" not in message.body_text
    inbound = InboundEmail.objects.get()
    assert b"Tr0ub4dor" not in bytes(inbound.raw) and b"X-Desk-Redacted: password" in bytes(inbound.raw)
    assert b"<pw@example.com>" in bytes(inbound.raw)  # threading headers kept
    notice = OutboundEmail.objects.get(subject__contains="removed sensitive information")
    assert notice.to == [customer.email] and "Change your password now" in notice.body_text and "blue heron 42" in notice.body_text
    assert nowhere("Tr0ub4dor&3xyz")


@pytest.mark.django_db
def test_a_message_saved_in_utf16_is_redacted_with_its_threading_headers(customer):
    """The redacted raw copy reads the headers as parse_message does (the stored bytes were UTF-16)."""
    from tickets.mail.intake import ingest_raw
    from tickets.models import InboundEmail, TicketMessage

    raw = (
        f"From: {customer.email}\r\nSubject: Login\r\nMessage-ID: <u16@example.com>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nMy password is Tr0ub4dor&3xyz please check.\r\n"
    ).encode("utf-16")
    assert ingest_raw(raw, source="test").outcome == "created"
    assert "[password removed]" in TicketMessage.objects.get(kind="customer").body_text
    stored = bytes(InboundEmail.objects.get().raw)
    assert b"Tr0ub4dor" not in stored and b"X-Desk-Redacted: password" in stored
    assert b"Message-ID: <u16@example.com>" in stored and customer.email.encode() in stored


@pytest.mark.django_db
def test_attachments_with_secrets_are_not_stored(client, customer):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from pypdf import PdfWriter

    client.force_login(customer)
    note = SimpleUploadedFile("keys.txt", f"backup: {SEED}\n".encode(), content_type="text/plain")
    response = client.post("/tickets/new/", {"category": "technical", "subject": "Keys", "body": "See attached", "attachments": [note]})
    assert response.status_code == 200 and "keys.txt was not stored" in response.content.decode()
    from tickets.models import Ticket

    assert not Ticket.objects.exists()
    assert SecretEvent.objects.filter(kind="seed_phrase", where="attachment").exists()


@pytest.mark.django_db
def test_call_back_summary_and_complaint_reason_are_shielded(customer):
    ticket = make_ticket(customer)
    complaint = complaint_open(
        customer, source_type="ticket", source_reference=ticket.reference,
        reason=f"The agent asked for my card {CARD} and my 2FA code is 482913 — is that normal?",
    )
    assert "[card number removed]" in complaint.reason and "[one-time code removed]" in complaint.reason
    assert "4111" not in complaint.reason and "482913" not in complaint.reason
    assert set(SecretEvent.objects.values_list("kind", flat=True)) == {"card_number", "otp_code"}


@pytest.mark.django_db
def test_innocent_messages_are_untouched(customer):
    body = f"Deposit of 1,250.50 USDT to 0x52908400098527886E0F7030069857D2E4169EE7 on 2026-11-20, TXID {TXID}, order 58213344."
    ticket = make_ticket(customer, body_text=body)
    assert ticket.messages.get().body_text == body
    assert not SecretEvent.objects.exists()
