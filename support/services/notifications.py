"""In-app notifications (pushed over the notifications websocket) and the e-mail outbox."""
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from support.models import Notification, OutboundEmail, User

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def notification_payload(notification: Notification) -> dict:
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "message": notification.message,
        "url": notification.url,
        "created_at": notification.created_at.isoformat(),
        "read": notification.read_at is not None,
    }


def _push(user_id: int, payload: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(user_group(user_id), {"type": "notification.new", "notification": payload})
    except Exception:  # the row is stored; the page shows it on next load
        logger.exception("could not push notification to user %s", user_id)


def user_sockets_close(user_id: int, *, session_key: str | None = None) -> None:
    """Close the user's open websockets: those opened with `session_key`, or all of them when None."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(user_group(user_id), {"type": "session.end", "session_key": session_key})
    except Exception:  # the sockets re-check the session on their next frame anyway
        logger.exception("could not close sockets of user %s", user_id)


def notification_send(recipient: User, *, kind: str, message: str, url: str = "") -> Notification:
    """Store a notification and push it to the recipient's open pages after commit."""
    notification = Notification.objects.create(recipient=recipient, kind=kind, message=message[:500], url=url)
    payload = notification_payload(notification)
    transaction.on_commit(lambda: _push(recipient.pk, payload))
    return notification


def notification_mark_read(notification_id: int, *, user: User) -> Notification:
    """Mark one of `user`'s notifications read. Raises Notification.DoesNotExist for anyone else's."""
    notification = Notification.objects.get(pk=notification_id, recipient=user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def email_queue(
    *, to: list[str], subject: str, body_text: str, body_html: str = "", headers=None, attachments=None
) -> OutboundEmail:
    """Put a message in the outbox; a worker sends it once the caller's transaction commits.

    `attachments`: small text files as [{"filename", "content_type", "content"}].
    """
    from support.services.outbound_links import outbound_check
    from support.tasks import email_send

    outbound_check(subject, body_text, body_html)  # never a link that asks for credentials
    email = OutboundEmail.objects.create(
        to=to,
        subject=" ".join(subject.split())[:255],
        body_text=body_text,
        body_html=body_html,
        headers=headers or {},
        attachments=attachments or [],
    )
    email_send.delay_on_commit(email.pk)
    return email


def email_render(template: str, context: dict, *, language: str, tz: str, anti_phishing_phrase: str = "") -> tuple[str, str, str]:
    """(subject, text, html) of `template`_subject.txt/.txt/.html in a language and time zone."""
    context = {
        "base_url": settings.DESK_BASE_URL,
        "time_zone": tz,
        **context,
        "anti_phishing_phrase": anti_phishing_phrase,
        "desk_name": settings.DESK_NAME,
    }
    with translation.override(language), timezone.override(tz):
        subject = render_to_string(f"{template}_subject.txt", context)
        body_text = render_to_string(f"{template}.txt", context)
        body_html = render_to_string(f"{template}.html", context)
    return subject, body_text, body_html


def email_queue_for_user(user: User, *, template: str, context: dict, headers=None, attachments=None) -> OutboundEmail:
    """Queue `template` to a user in their language and time zone, with their anti-phishing phrase."""
    profile = getattr(user, "customer_profile", None)
    subject, body_text, body_html = email_render(
        template,
        {**context, "user": user},
        language=profile.language if profile else settings.LANGUAGE_CODE,
        tz=profile.time_zone if profile else settings.TIME_ZONE,
        anti_phishing_phrase=profile.anti_phishing_phrase if profile else "",
    )
    return email_queue(
        to=[user.email], subject=subject, body_text=body_text, body_html=body_html, headers=headers, attachments=attachments
    )


def email_deliver(email_id: int) -> OutboundEmail | None:
    """Send one queued e-mail. Safe to run twice: a sent row is left alone, a locked one skipped.

    A failed send is recorded on the row and then re-raised so the task retries.
    """
    error = None
    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, status=OutboundEmail.Status.QUEUED)
            .first()
        )
        if email is None:
            return None
        message = EmailMultiAlternatives(
            subject=email.subject, body=email.body_text, to=email.to, headers=email.headers or None
        )
        if email.body_html:
            message.attach_alternative(email.body_html, "text/html")
        for item in email.attachments or []:
            message.attach(item["filename"], item["content"], item["content_type"])
        email.attempts += 1
        try:
            message.send()
        except Exception as exc:  # noqa: BLE001 - any transport error is recorded, then retried
            error = exc
            email.last_error = repr(exc)[:2000]
            email.status = OutboundEmail.Status.FAILED if email.attempts >= 5 else OutboundEmail.Status.QUEUED
            email.save(update_fields=["attempts", "last_error", "status"])
        else:
            email.status = OutboundEmail.Status.SENT
            email.sent_at = timezone.now()
            email.save(update_fields=["status", "sent_at", "attempts"])
    if error is not None:
        raise error
    return email
