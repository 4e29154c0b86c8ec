"""The e-mail outbox: committed with the change, sent once by a task, retried when the transport fails."""
import datetime as dt
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from support.models import OutboundEmail
from support.services import email_deliver, email_queue, email_queue_for_user
from support.tasks import email_outbox_retry

pytestmark = pytest.mark.django_db


def test_nothing_is_sent_before_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        email_queue(to=["a@example.com"], subject="Hi", body_text="Body")
    assert len(callbacks) == 1 and not mail.outbox
    callbacks[0]()
    assert len(mail.outbox) == 1
    assert OutboundEmail.objects.get().status == OutboundEmail.Status.SENT


def test_delivering_twice_sends_once():
    email = OutboundEmail.objects.create(to=["a@example.com"], subject="s", body_text="b")
    assert email_deliver(email.pk) is not None
    assert email_deliver(email.pk) is None
    assert len(mail.outbox) == 1


def test_transport_failure_is_recorded_and_raised_for_retry():
    email = OutboundEmail.objects.create(to=["a@example.com"], subject="s", body_text="b")
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=ConnectionRefusedError("smtp down")):
        with pytest.raises(ConnectionRefusedError):
            email_deliver(email.pk)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.QUEUED and email.attempts == 1 and "smtp down" in email.last_error
    email_deliver(email.pk)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT and email.attempts == 2


def test_stale_queued_mail_is_requeued_by_beat():
    old = OutboundEmail.objects.create(to=["a@example.com"], subject="old", body_text="b")
    OutboundEmail.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    OutboundEmail.objects.create(to=["b@example.com"], subject="fresh", body_text="b")
    assert email_outbox_retry() == 1
    assert [m.subject for m in mail.outbox] == ["old"]


def test_mail_to_a_customer_shows_their_anti_phishing_phrase(customer, django_capture_on_commit_callbacks):
    customer.customer_profile.anti_phishing_phrase = "green-owl-42"
    customer.customer_profile.save()
    with django_capture_on_commit_callbacks(execute=True):
        email_queue_for_user(
            customer,
            template="support/email/password_reset",
            context={"protocol": "https", "domain": "desk.example.com", "uid": "MQ", "token": "abc-def"},
        )
    [sent] = mail.outbox
    assert "green-owl-42" in sent.body
    assert "green-owl-42" in sent.alternatives[0][0]
