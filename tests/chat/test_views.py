"""Chat over HTTP: start (open, out of hours), state, uploads, downloads, transcripts, rating, the
console — and every URL a 404 for another customer."""
import datetime as dt
import uuid

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from chat import services
from chat.models import ChatAttachment, ChatMessage, Conversation
from tests.chat.conftest import online_agent
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def start(client, **data):
    payload = {"category": "technical", "language": "en", "body": "Chart frozen", "client_id": str(uuid.uuid4())}
    payload.update(data)
    return client.post("/chat/start/", payload)


def test_start_returns_the_socket_and_state_resumes_it(client, customer, chat_agent):
    client.force_login(customer)
    response = start(client)
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "queued" and body["ws_url"] == f"/ws/chat/{body['conversation']}/"
    state = client.get("/chat/state/").json()
    assert state["open"] is True and state["live"]["conversation"] == body["conversation"]


def test_start_checks_input_and_attachments_storing_nothing(client, customer, chat_agent):
    client.force_login(customer)
    assert start(client, category="nope").status_code == 400
    assert start(client, body="").status_code == 400
    assert start(client, body="x" * 5000).json()["code"] == "too_large"
    bad = start(client, files=[SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")])
    assert bad.status_code == 400 and "run.exe" in bad.json()["error"]
    assert not Conversation.objects.exists() and not ChatAttachment.objects.exists()


SUNDAY_NOON_SHANGHAI = dt.datetime(2026, 11, 29, 4, 0, tzinfo=dt.timezone.utc)


def test_out_of_hours_start_says_when_support_opens_in_the_customers_time_zone(client, customer):
    online_agent()
    profile = customer.customer_profile
    profile.time_zone = "Europe/Moscow"
    profile.save()
    client.force_login(customer)
    with time_machine.travel(SUNDAY_NOON_SHANGHAI, tick=False):
        assert client.get("/chat/state/").json()["open"] is False
        body = start(client, body="Where is my withdrawal?").json()
    assert body["status"] == "closed"
    ticket = Ticket.objects.get(reference=body["ticket"])
    assert ticket.channel == "chat" and ticket.customer == customer
    # Monday 06:00 in Shanghai is 01:00 in Moscow.
    assert body["next_open"].startswith("2026-11-30T01:00:00+03:00")


def test_customer_uploads_a_screenshot_and_only_participants_download_it(client, customer, other_customer, chat_agent):
    client.force_login(customer)
    public_id = start(client).json()["conversation"]
    client_id = str(uuid.uuid4())
    upload = client.post(f"/chat/{public_id}/upload/", {"client_id": client_id, "files": [SimpleUploadedFile("s.png", PNG, content_type="image/png")]})
    assert upload.status_code == 201 and upload.json()["seq"] == 2
    attachment = ChatAttachment.objects.get()
    url = f"/chat/{public_id}/attachments/{attachment.pk}/"
    assert client.get(url).status_code == 200
    client.force_login(other_customer)
    assert client.get(url).status_code == 404
    client.force_login(online_agent())  # an agent it is neither assigned nor offered to
    assert client.get(url).status_code == 404
    client.force_login(chat_agent)  # offered to this one
    assert client.get(url).status_code == 200


def test_rejected_upload_stores_nothing(client, customer, chat_agent):
    client.force_login(customer)
    public_id = start(client).json()["conversation"]
    response = client.post(
        f"/chat/{public_id}/upload/",
        {"client_id": str(uuid.uuid4()), "files": [SimpleUploadedFile("a.html", b"<script>", content_type="text/html")]},
    )
    assert response.status_code == 400 and "a.html" in response.json()["error"]
    assert ChatMessage.objects.count() == 1 and not ChatAttachment.objects.exists()


@pytest.mark.parametrize(
    "method, suffix",
    [("get", "/"), ("get", "/transcript.txt"), ("get", "/transcript.html"), ("post", "/transcript/email/"), ("post", "/rate/"), ("post", "/upload/")],
)
def test_another_customers_chat_is_a_404(client, customer, other_customer, chat_agent, method, suffix):
    conversation = services.conversation_start(customer, category="funds", language="en", body="x").conversation
    client.force_login(other_customer)
    response = getattr(client, method)(f"/chat/{conversation.public_id}{suffix}", {"rating": 5, "client_id": str(uuid.uuid4())})
    assert response.status_code == 404


def test_transcripts_and_rating_after_the_chat(client, customer, chat_agent):
    conversation = services.conversation_start(customer, category="funds", language="en", body="Deposit <b>missing</b>").conversation
    services.conversation_accept(conversation, agent=chat_agent)
    services.conversation_message_post(conversation, author=chat_agent, body="Found it", client_id=uuid.uuid4())
    services.conversation_message_post(conversation, author=chat_agent, body="secret note", internal=True, client_id=uuid.uuid4())
    services.conversation_close(conversation, actor=chat_agent)
    client.force_login(customer)
    text = client.get(f"/chat/{conversation.public_id}/transcript.txt")
    assert text["Content-Disposition"].startswith("attachment") and "Found it" in text.content.decode()
    html = client.get(f"/chat/{conversation.public_id}/transcript.html").content.decode()
    assert "Deposit &lt;b&gt;missing&lt;/b&gt;" in html and "secret note" not in html and "secret note" not in text.content.decode()
    page = client.get(f"/chat/{conversation.public_id}/")
    assert "How did we do?" in page.content.decode()
    client.post(f"/chat/{conversation.public_id}/rate/", {"rating": 5, "comment": "fast"})
    assert Conversation.objects.get(pk=conversation.pk).rating == 5


def test_console_is_for_agents_only(client, customer, chat_agent):
    client.force_login(customer)
    assert client.get("/chat/console/").status_code == 403
    client.force_login(chat_agent)
    page = client.get("/chat/console/")
    assert page.status_code == 200 and b"chat-console-config" in page.content


def test_my_chats_lists_own_chats_only(client, customer, other_customer, chat_agent):
    mine = services.conversation_start(customer, category="funds", language="en", body="mine").conversation
    services.conversation_start(other_customer, category="funds", language="en", body="theirs")
    client.force_login(customer)
    page = client.get("/chat/").content.decode()
    assert mine.public_id in page and page.count("/chat/") >= 1
    assert Conversation.objects.exclude(customer=customer).get().public_id not in page
