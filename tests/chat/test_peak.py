"""Peak time: when the live queue is long, the contact page and the chat widget say how long a new chat waits."""
import datetime as dt

import pytest
from django.utils import timezone

from chat.models import Conversation
from chat.selectors import peak_status
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def make_queue(waiting: int, accepted_recently: int):
    now = timezone.now()
    for _ in range(waiting):
        Conversation.objects.create(customer=CustomerFactory().user, status=Conversation.Status.QUEUED)
    for _ in range(accepted_recently):
        c = Conversation.objects.create(customer=CustomerFactory().user, status=Conversation.Status.CLOSED)
        Conversation.objects.filter(pk=c.pk).update(accepted_at=now - dt.timedelta(minutes=10))


def test_expected_wait_follows_the_queue_and_the_recent_rate():
    make_queue(waiting=12, accepted_recently=6)  # 6 in 30 min = 0.2 a minute; 13th in line: 65 min
    status = peak_status()
    assert status == {"peak": True, "waiting": 12, "handled_per_hour": 12, "expected_wait_minutes": 65}


def test_a_short_queue_handled_quickly_is_not_peak():
    make_queue(waiting=2, accepted_recently=60)  # 2 a minute: 1.5 min
    assert peak_status()["peak"] is False


def test_contact_page_and_widget_state_show_the_peak(client, chat_agent, settings):
    settings.CHAT_PEAK_QUEUE = 3
    make_queue(waiting=4, accepted_recently=30)  # 1 a minute: 5 min
    customer = CustomerFactory().user
    client.force_login(customer)
    page = client.get("/contact/").content.decode()
    assert 'data-peak="chat"' in page and "4 customers are waiting" in page and "about 5 minutes" in page
    state = client.get("/chat/state/").json()
    assert state["peak"]["peak"] is True and state["peak"]["expected_wait_minutes"] == 5


def test_no_banner_when_quiet(client, chat_agent):
    client.force_login(CustomerFactory().user)
    assert 'data-peak="chat"' not in client.get("/contact/").content.decode()
    assert client.get("/chat/state/").json()["peak"]["peak"] is False
