"""The customer's ticket pages, and that another customer's ticket is a 404 on every one of them."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tickets import services
from tickets.models import Ticket
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def test_new_ticket_form_offers_self_help_and_asks_for_the_categorys_fields(client, customer):
    client.force_login(customer)
    page = client.get("/tickets/new/?category=funds").content.decode()
    assert "Try these first" in page and "15-30 minutes" in page
    assert 'name="transaction_id"' in page and 'name="amount"' in page
    page = client.get("/tickets/new/?category=account_settings").content.decode()
    assert "Caps Lock" in page and 'name="transaction_id"' not in page


def _desk_time(monkeypatch, moment):
    """The new-ticket page's channel states as at `moment` (the desk's hours decide whether chat is open)."""
    from tickets import views

    real = views.channel_statuses
    monkeypatch.setattr(views, "channel_statuses", lambda **kwargs: real(at=moment, **kwargs))


def test_new_ticket_form_says_when_we_answer_and_offers_the_categorys_faster_channel(client, customer, monkeypatch):
    import datetime as dt
    import zoneinfo

    _desk_time(monkeypatch, dt.datetime(2026, 3, 9, 10, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")))  # Monday morning
    client.force_login(customer)
    page = client.get("/tickets/new/?category=urgent_trading").content.decode()
    assert "We answer tickets within" in page
    assert '<a class="button" href="/chat/" data-open-chat>Start a live chat</a>' in page  # opens the widget (forms.js)
    page = client.get("/tickets/new/?category=verification").content.decode()
    assert 'href="/verification/"' in page and "all four corners" in page and "last 3 months" in page
    page = client.get("/tickets/new/?category=funds").content.decode()
    assert 'href="/callbacks/new/"' in page and "same day at a local bank" in page
    assert 'href="/complaints/new/"' in client.get("/tickets/new/?category=complaint").content.decode()
    assert "data-open-chat" not in client.get("/tickets/new/?category=verification").content.decode()


def test_contact_page_links_each_channel_that_takes_requests_now(client, customer):
    client.force_login(customer)
    page = client.get("/contact/").content.decode()
    assert 'href="/tickets/new/">Ticket (web form)</a>' in page and 'href="/callbacks/new/">Call-back</a>' in page
    assert 'href="mailto:support@desk.localhost">E-mail</a>' in page


def test_staff_navigation_leads_to_the_queue_and_not_to_the_customer_area(client, customer, agent):
    client.force_login(agent)
    page = client.get("/help/").content.decode()
    assert 'href="/admin/tickets/ticket/">Ticket queue</a>' in page and "My requests" not in page
    client.force_login(customer)
    page = client.get("/help/").content.decode()
    assert "Ticket queue" not in page and 'href="/">My requests</a>' in page


def test_pages_name_their_icon(client, customer):
    """Without one, every page's browser asked for /favicon.ico and logged a 404 in the console."""
    from django.contrib.staticfiles import finders

    client.force_login(customer)
    assert 'rel="icon" href="/static/support/favicon.svg"' in client.get("/tickets/").content.decode()
    assert finders.find("support/favicon.svg")


def test_new_ticket_form_says_when_live_chat_opens_while_it_is_closed(client, customer, monkeypatch):
    import datetime as dt
    import zoneinfo

    _desk_time(monkeypatch, dt.datetime(2026, 3, 8, 12, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")))  # closed on Sundays
    client.force_login(customer)
    page = client.get("/tickets/new/?category=urgent_trading").content.decode()
    assert "data-open-chat" not in page and "Live chat opens Monday" in page


def test_customer_opens_a_ticket_with_a_screenshot(client, customer):
    client.force_login(customer)
    shot = SimpleUploadedFile("error.png", b"\x89PNG\r\n\x1a\nfake", content_type="image/png")
    response = client.post(
        "/tickets/new/",
        {"category": "funds", "subject": "Deposit missing", "body": "Sent 500 USDT", "account_number": "123",
         "transaction_id": "0xabc", "amount": "500", "currency": "USDT", "attachments": [shot]},
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response.url == f"/tickets/{ticket.reference}/"
    assert (ticket.channel, ticket.transaction_id, ticket.amount, ticket.customer) == ("web", "0xabc", 500, customer)
    page = client.get(response.url).content.decode()
    assert "Sent 500 USDT" in page and "error.png" in page
    # What the customer gave is on the page, the amount as written (the column keeps 8 decimals)
    assert "<dt>Transaction ID or hash</dt><dd>0xabc</dd>" in page and "<dd>500 USDT</dd>" in page


def test_ticket_page_says_when_we_will_answer_until_we_have(client, customer, agent):
    import zoneinfo

    from django.utils import timezone

    from support.models import SLAClock

    ticket = make_ticket(customer)
    clock = SLAClock.objects.get(object_id=str(ticket.pk), metric="first_response")
    client.force_login(customer)
    page = client.get(f"/tickets/{ticket.reference}/").content.decode()
    when = timezone.localtime(clock.due_at, zoneinfo.ZoneInfo(customer.customer_profile.time_zone)).strftime("%H:%M")
    assert "We will answer by" in page and when in page
    services.ticket_reply(ticket, author=agent, body="We are checking the withdrawal.")
    assert "We will answer by" not in client.get(f"/tickets/{ticket.reference}/").content.decode()


def test_missing_required_field_is_explained(client, customer):
    client.force_login(customer)
    response = client.post("/tickets/new/", {"category": "funds", "subject": "x", "body": "y", "account_number": "1"})
    assert response.status_code == 200 and not Ticket.objects.exists()
    assert "transaction_id" in response.context["form"].errors


def test_rejected_upload_stores_nothing_and_says_why(client, customer):
    client.force_login(customer)
    bad = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    response = client.post("/tickets/new/", {"category": "technical", "subject": "x", "body": "y", "account_number": "1", "attachments": [bad]})
    assert response.status_code == 200 and not Ticket.objects.exists()
    assert "not accepted" in response.content.decode()


def test_reply_close_reopen_and_rate_from_the_page(client, customer, agent):
    ticket = make_ticket(customer)
    client.force_login(customer)
    client.post(f"/tickets/{ticket.reference}/", {"body": "More details"})
    assert ticket.messages.filter(body_text="More details").exists()
    client.post(f"/tickets/{ticket.reference}/close/")
    ticket.refresh_from_db()
    assert ticket.status == "closed"
    client.post(f"/tickets/{ticket.reference}/reopen/")
    ticket.refresh_from_db()
    assert ticket.status == "open"
    services.ticket_status_change(ticket, status="resolved", actor=agent)
    # The link in an e-mail only shows a confirm page: a scanner opening it rates nothing.
    confirm = client.get(f"/tickets/{ticket.reference}/rate/?score=5")
    assert confirm.status_code == 200
    ticket.refresh_from_db()
    assert ticket.rating is None
    client.post(f"/tickets/{ticket.reference}/rate/", {"rating": "5", "comment": "Great"})
    ticket.refresh_from_db()
    assert ticket.rating == 5


def test_internal_notes_are_not_shown_to_the_customer(client, customer, agent):
    ticket = make_ticket(customer)
    services.ticket_reply(ticket, author=agent, body="Customer seems confused", internal=True)
    client.force_login(customer)
    assert "seems confused" not in client.get(f"/tickets/{ticket.reference}/").content.decode()


@pytest.mark.parametrize(
    "method, suffix",
    [("get", "/"), ("post", "/"), ("post", "/close/"), ("post", "/reopen/"), ("get", "/rate/"), ("post", "/rate/")],
)
def test_another_customers_ticket_is_a_404(client, customer, other_customer, method, suffix):
    ticket = make_ticket(other_customer)
    client.force_login(customer)
    response = getattr(client, method)(f"/tickets/{ticket.reference}{suffix}", {"body": "inject", "rating": "1"})
    assert response.status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == "new" and ticket.messages.count() == 1


def test_attachment_is_served_only_to_those_who_may_see_the_ticket(client, customer, other_customer, agent):
    from tickets.attachments import IncomingFile

    ticket = make_ticket(customer, attachments=[IncomingFile("id.pdf", "application/pdf", b"%PDF-1.4 secret")])
    attachment = ticket.attachments.get()
    url = f"/tickets/{ticket.reference}/attachments/{attachment.pk}/"
    client.force_login(other_customer)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to login
    client.force_login(customer)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 secret"
    assert response["Content-Disposition"].startswith("attachment")
    assert "no-store" in response["Cache-Control"]
    client.force_login(agent)
    assert client.get(url).status_code == 200


def test_attachments_are_stored_privately_with_owner_only_permissions(customer, settings):
    import os
    import stat

    from tickets.attachments import IncomingFile

    ticket = make_ticket(customer, attachments=[IncomingFile("a.pdf", "application/pdf", b"%PDF-1.4")])
    path = ticket.attachments.get().file.path
    assert str(settings.PRIVATE_STORAGE_ROOT) in path and str(settings.MEDIA_ROOT) not in path
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_home_lists_open_tickets(client, customer):
    ticket = make_ticket(customer)
    client.force_login(customer)
    assert ticket.reference in client.get("/").content.decode()


def test_home_offers_to_start_something_in_every_section(client, customer):
    """Each section of the home page links to where its kind of request starts (it listed only what was open)."""
    client.force_login(customer)
    page = client.get("/").content.decode()
    for link in ('href="/tickets/new/">Open a ticket', 'href="/chat/" data-open-chat>Start a live chat',
                 'href="/callbacks/new/">Book a call-back', 'href="/verification/">Upload your documents',
                 'href="/complaints/new/">Make a complaint'):
        assert f'<a class="button" {link}</a>' in page


def test_agent_using_customer_pages_is_refused(client, agent):
    client.force_login(agent)
    assert client.get("/tickets/").status_code == 403
