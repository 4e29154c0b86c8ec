"""The personal area: login, home, profile, contact page, language switch, password reset, admin access."""
import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse

from support.models import AuditEvent, OutboundEmail
from tests.factories import PASSWORD, CustomerFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def test_home_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_customer_logs_in_with_email_and_sees_empty_sections(client, customer):
    response = client.post("/accounts/login/", {"username": customer.email.upper(), "password": PASSWORD})
    assert response.status_code == 302 and response.url == "/"
    page = client.get("/").content.decode()
    assert customer.customer_profile.account_number in page
    for text in ("Your tickets", "Your chats", "Your call-backs", "Your verification"):
        assert text in page
    assert "You have no open tickets." in page


def test_home_queries_do_not_grow(client, customer):
    """One query per channel section, whatever the customer has open in each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from complaints.services import complaint_open
    from tests.factories import make_ticket

    client.force_login(customer)
    with CaptureQueriesContext(connection) as empty:
        client.get("/")
    for _ in range(3):
        ticket = make_ticket(customer)
        complaint_open(customer, source_type="ticket", source_reference=ticket.reference, reason="Nobody answered me.")
    with CaptureQueriesContext(connection) as full:
        page = client.get("/")
    assert page.content.decode().count("/complaints/CMP-") == 3
    assert len(full) == len(empty) <= 10


def test_wrong_password_is_refused(client, customer):
    response = client.post("/accounts/login/", {"username": customer.email, "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post(client, customer):
    client.force_login(customer)
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_staff_opening_the_personal_area_go_to_admin(client, agent):
    client.force_login(agent)
    response = client.get("/")
    assert response.status_code == 302 and response.url == reverse("admin:index")


def test_customer_cannot_open_the_admin(client, customer):
    client.force_login(customer)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response.url
    response = client.get("/admin/support/customerprofile/")
    assert response.status_code == 302
    login = client.post("/admin/login/", {"username": customer.email, "password": PASSWORD})
    assert login.status_code == 200  # the admin login refuses non-staff
    assert client.get("/admin/").status_code == 302


def test_agent_cannot_browse_customers_in_the_admin(client, agent, customer):
    client.force_login(agent)
    assert client.get("/admin/support/customerprofile/").status_code == 403
    assert client.get(f"/admin/support/customerprofile/{customer.customer_profile.pk}/change/").status_code == 403


def test_supervisor_opening_a_customer_in_the_admin_is_audited(client, supervisor, customer):
    client.force_login(supervisor)
    response = client.get(f"/admin/support/customerprofile/{customer.customer_profile.pk}/change/")
    assert response.status_code == 200
    assert "anti_phishing_phrase" not in response.content.decode()
    assert AuditEvent.objects.filter(verb="viewed", actor=supervisor).count() == 1


def test_profile_change_switches_language_and_time_zone(client, customer):
    client.force_login(customer)
    response = client.post(
        "/profile/",
        {"language": "zh-hans", "time_zone": "Europe/London", "phone": "+8613912345678", "anti_phishing_phrase": "blue-tiger"},
    )
    assert response.status_code == 302
    profile = customer.customer_profile
    profile.refresh_from_db()
    assert (profile.language, profile.time_zone, profile.anti_phishing_phrase) == ("zh-hans", "Europe/London", "blue-tiger")
    page = client.get("/profile/").content.decode()
    assert "个人资料" in page  # "Profile" in the customer's language
    assert "已保存" in page


def test_profile_rejects_a_bad_phone_and_keeps_the_old_one(client, customer):
    client.force_login(customer)
    response = client.post("/profile/", {"language": "en", "time_zone": "Asia/Shanghai", "phone": "call me"})
    assert response.status_code == 200
    assert "phone" in response.context["form"].errors
    customer.customer_profile.refresh_from_db()
    assert str(customer.customer_profile.phone) == "+8613912345678"


def test_language_switcher_saves_the_customers_language(client, customer):
    client.force_login(customer)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    customer.customer_profile.refresh_from_db()
    assert customer.customer_profile.language == "zh-hans"
    assert "您的工单" in client.get("/").content.decode()


def test_customer_asking_support_in_a_language_without_ui_gets_english(client):
    client.force_login(CustomerFactory(language="ru").user)
    assert "Your tickets" in client.get("/").content.decode()


def test_language_switcher_for_visitors(client):
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/contact/"})
    assert "联系我们" in client.get("/contact/").content.decode()


@time_machine.travel(dt.datetime(2026, 11, 22, 10, 0, tzinfo=SH), tick=False)  # Sunday: closed
def test_contact_page_when_closed_in_two_time_zones(client):
    shanghai = CustomerFactory(time_zone="Asia/Shanghai").user
    new_york = CustomerFactory(time_zone="America/New_York").user
    client.force_login(shanghai)
    page = client.get("/contact/").content.decode()
    chat = _row(page, "chat")
    assert "Closed" in chat
    assert "Monday 23 Nov, 06:00" in chat  # next opening in Shanghai time
    assert "2 minutes" in chat
    assert "24 business hours" in _row(page, "email")
    assert "You can still write to us" in _row(page, "email")
    client.force_login(new_york)
    chat = _row(client.get("/contact/").content.decode(), "chat")
    assert "Sunday 22 Nov, 17:00" in chat  # the same instant in New York (EST, UTC-5)


@time_machine.travel(dt.datetime(2026, 11, 24, 10, 0, tzinfo=SH), tick=False)  # Tuesday: open
def test_contact_page_when_open_and_for_a_vip(client):
    vip = CustomerFactory(tier="vip").user
    client.force_login(vip)
    page = client.get("/contact/").content.decode()
    assert "Open now" in _row(page, "chat")
    assert "1 minute" in _row(page, "chat")
    assert "12 business hours" in _row(page, "email")
    assert "12 hours" in _row(page, "complaint")  # acknowledged in calendar hours


@time_machine.travel(dt.datetime(2026, 11, 22, 10, 0, tzinfo=SH), tick=False)
def test_contact_page_for_visitors_takes_a_time_zone(client):
    page = client.get("/contact/?tz=Europe/London").content.decode()
    assert "Sunday 22 Nov, 22:00" in _row(page, "chat")
    assert "Urgent trading problem" in page


def _row(page: str, channel: str) -> str:
    match = re.search(rf'<tr id="channel-{channel}".*?</tr>', page, re.S)
    assert match, f"no row for {channel}"
    return match.group(0)


def test_password_reset_mail_goes_through_the_outbox_in_the_users_language(client, customer, django_capture_on_commit_callbacks):
    profile = customer.customer_profile
    profile.language, profile.anti_phishing_phrase = "zh-hans", "blue-tiger"
    profile.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password-reset/", {"email": customer.email})
    assert response.status_code == 302
    email = OutboundEmail.objects.get()
    assert email.status == OutboundEmail.Status.SENT
    [sent] = mail.outbox
    assert sent.to == [customer.email]
    assert "重置" in sent.subject
    assert "blue-tiger" in sent.body
    link = re.search(re.escape(settings.DESK_BASE_URL) + r"(/accounts/reset/\S+/)", sent.body).group(1)  # the desk's address
    response = client.get(link, follow=True)
    response = client.post(response.redirect_chain[-1][0], {"new_password1": "a-new-Pass-2026", "new_password2": "a-new-Pass-2026"})
    assert response.status_code == 302
    assert client.login(username=customer.email, password="a-new-Pass-2026")


def test_password_reset_for_unknown_address_sends_nothing(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password-reset/", {"email": "nobody@example.com"})
    assert not mail.outbox and not OutboundEmail.objects.exists()


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_notification_page_lists_opens_and_marks_read(client, customer, other_customer):
    from support.models import Notification
    from support.services import notification_send

    mine = notification_send(customer, kind="kyc.decision", message="Your passport has been approved.", url="/verification/")
    external = notification_send(customer, kind="x", message="Elsewhere", url="https://evil.example/")
    theirs = notification_send(other_customer, kind="x", message="Not yours", url="/")
    client.force_login(customer)
    page = client.get("/notifications/").content.decode()
    assert "Your passport has been approved." in page and "Not yours" not in page
    opened = client.post(f"/notifications/{mine.pk}/open/")
    assert opened.status_code == 302 and opened["Location"] == "/verification/"
    assert client.post(f"/notifications/{external.pk}/open/")["Location"] == "/notifications/"  # never off-site
    assert client.post(f"/notifications/{theirs.pk}/open/").status_code == 404
    client.post("/notifications/read/")
    assert not Notification.objects.filter(recipient=customer, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_admin_pages_show_the_live_notification_bell(client, supervisor):
    client.force_login(supervisor)
    text = client.get("/admin/").content.decode()
    assert 'data-notifications-url="/ws/notifications/"' in text and "/supervisor/" in text
