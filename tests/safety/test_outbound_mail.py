"""What the desk sends: every e-mail to a customer shows their anti-phishing phrase, and no message
(e-mail or chat) carries a link that asks for credentials."""
import datetime as dt
import re

import pytest

from support.models import OutboundEmail
from support.services import email_queue
from support.services.outbound_links import CredentialLinkRefused, credential_links
from tests.factories import AgentFactory, make_ticket

pytestmark = pytest.mark.django_db
PHRASE = "blue heron 42"
URL = re.compile(r"""https?://[^\s"'<>]+""")


@pytest.mark.parametrize(
    "text,refused",
    [
        ("Track it here: https://etherscan.io/tx/0xabc123", False),
        ("Your request: http://localhost:8000/tickets/SUP-7K3QX9/", False),
        ("Reset: http://localhost:8000/reset/MQ/c9x-1a2b3c/", False),  # the reset the customer asked for
        ("Please log in at http://localhost:8000/accounts/login/ to confirm", True),
        ("Verify here: https://okx-verify-account.com/", True),
        ("https://example.com/signin?next=/wallet", True),
        ("Enter your seed at https://wallet-recover.io/restore", True),
        ("www.example.com/login", True),
    ],
)
def test_credential_links_are_recognised(settings, text, refused):
    settings.DESK_BASE_URL = "http://localhost:8000"
    assert bool(credential_links(text)) is refused


def test_an_email_with_a_credential_link_is_not_queued():
    with pytest.raises(CredentialLinkRefused):
        email_queue(to=["someone@example.com"], subject="Hi", body_text="Log in at https://evil.example/login")
    assert not OutboundEmail.objects.exists()


def test_agent_reply_with_a_login_link_is_refused_and_nothing_is_sent(customer):
    from tickets.services import TicketError, ticket_reply

    agent = AgentFactory().user
    ticket = make_ticket(customer)
    with pytest.raises(TicketError, match="never sends links"):
        ticket_reply(ticket, author=agent, body="Please sign in here: https://desk-help.example/sign-in")
    assert not ticket.messages.filter(kind="reply").exists() and not OutboundEmail.objects.exists()


def test_agent_chat_message_with_a_login_link_is_refused(customer):
    from chat import services
    from chat.models import Conversation

    agent = AgentFactory().user
    conversation = Conversation.objects.create(customer=customer, status="active", assignee=agent)
    with pytest.raises(services.ChatError):
        services.conversation_message_post(conversation, author=agent, body="Verify your account: https://x.example/verify-account")


def test_every_email_to_the_customer_shows_their_phrase_and_links_only_to_the_desk(
    customer, supervisor, settings, client, django_capture_on_commit_callbacks
):
    """Drive the flows that write to a customer and read every message they produced."""
    from complaints.services import complaint_acknowledge, complaint_open, complaint_resolve
    from kyc import services as kyc
    from tests.kyc.conftest import fill_details, submitted
    from tickets.services import ticket_reply

    profile = customer.customer_profile
    profile.anti_phishing_phrase = PHRASE
    profile.save()
    agent = AgentFactory(user__roles=("agent", "document_reviewer")).user
    with django_capture_on_commit_callbacks(execute=True):  # the acknowledgement is rendered after commit
        ticket = make_ticket(customer, acknowledge=True)
    ticket_reply(ticket, author=agent, body="We found your deposit: https://etherscan.io/tx/0xabc")
    complaint = complaint_open(customer, source_type="ticket", source_reference=ticket.reference, reason="Nobody answered for days.")
    complaint_acknowledge(complaint, actor=supervisor, message="Looking into it.")
    complaint_resolve(complaint, actor=supervisor, resolution="Sorted, sorry.")
    document = submitted(fill_details(kyc.case_get_or_create(profile), customer), customer)
    kyc.document_reject(document, reviewer=agent, reason="blurry")
    make_ticket(customer, body_text="my password is Hunter2Hunter2!")  # the secret-shield notice (web: in-app only)
    from tickets.mail.intake import ingest_raw

    ingest_raw(
        (f"From: {customer.email}\r\nTo: {settings.DESK_EMAIL_ADDRESS}\r\nSubject: 2FA\r\nMessage-ID: <otp@example.com>\r\n\r\n"
         "my 2FA code is 482913\r\n").encode(),
        source="test",
    )
    client.post("/accounts/password-reset/", {"email": customer.email})

    mails = list(OutboundEmail.objects.filter(to=[customer.email]))
    subjects = " | ".join(m.subject for m in mails)
    assert len(mails) >= 8, subjects
    own_host = settings.DESK_BASE_URL.split("://", 1)[1].split("/", 1)[0]
    for mail in mails:
        assert PHRASE in mail.body_text, mail.subject
        if mail.body_html:
            assert PHRASE in mail.body_html, mail.subject
        assert not credential_links(mail.body_text, mail.body_html), mail.subject
        for url in URL.findall(mail.body_text + mail.body_html):
            assert own_host in url or url.startswith("https://etherscan.io/"), (mail.subject, url)


def test_password_reset_link_uses_the_desk_address_not_the_request_host(client, customer, settings):
    settings.DESK_BASE_URL = "https://desk.example.com"
    settings.ALLOWED_HOSTS = ["*"]
    client.post("/accounts/password-reset/", {"email": customer.email}, HTTP_HOST="evil.example")
    mail = OutboundEmail.objects.get(to=[customer.email])
    assert "https://desk.example.com/accounts/reset/" in mail.body_text and "evil.example" not in mail.body_text
