"""The secret shield applied: every inbound customer text passes here before it is stored or shown.

What the detector (safety/shield.py) finds is replaced by a marker agents see ("[seed phrase
removed]"); the value is not stored, logged, indexed, e-mailed or sent over the channel layer.
The customer is told at once, in their language, what was removed and what to do; the event is
recorded with its kind and place only.
"""
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from safety.models import SecretEvent
from safety.shield import shield
from support.models import User
from support.services.audit import audit_event_record

ADVICE = {
    "seed_phrase": _(
        "Anyone who has your seed phrase controls your wallet: move your funds to a new wallet with a new seed phrase now."
    ),
    "private_key": _("Anyone who has a private key controls its funds: move them to a new wallet now."),
    "password": _("Change your password now, and turn on two-factor authentication if it is off."),
    "otp_code": _("A one-time code is for you alone. If you did not just ask for it, change your password now."),
    "api_key": _("Delete that API key in your account settings and create a new one; check its recent activity."),
    "card_number": _("Keep an eye on your card statement and call your bank if you see payments you did not make."),
}
NAMES = {
    "seed_phrase": _("a seed phrase"),
    "private_key": _("a private key"),
    "password": _("a password"),
    "otp_code": _("a one-time code"),
    "api_key": _("an API key or secret"),
    "card_number": _("a full card number"),
}


def secrets_record(kinds: list[str], *, customer: User | None, where: str, case=None) -> None:
    SecretEvent.objects.bulk_create(SecretEvent(kind=kind, where=where, customer=customer) for kind in kinds)
    audit_event_record(
        case if case is not None else (getattr(customer, "customer_profile", None) if customer else None),
        actor=customer,
        verb="safety.secret_removed",
        data={"kinds": list(kinds), "where": where},  # never the value
    )


def secrets_notice(kinds: list[str], *, language: str) -> str:
    """What the customer reads at once: what was removed, why, and what to do now."""
    with translation.override(language):
        what = ", ".join(str(NAMES[k]) for k in kinds if k in NAMES)
        lines = [
            str(_("For your safety we removed %(what)s from your message: support never needs it, and nobody at the desk can see it.") % {"what": what}),
            *[str(ADVICE[k]) for k in kinds if k in ADVICE],
        ]
    return " ".join(lines)


def customer_language(customer: User | None) -> str:
    profile = getattr(customer, "customer_profile", None) if customer is not None else None
    return profile.language if profile else "en"


def secrets_notify(customer: User | None, kinds: list[str], *, url: str = "") -> str:
    """Tell a registered customer in-app (live) and return the notice for the channel's own reply."""
    from support.services.notifications import notification_send

    notice = secrets_notice(kinds, language=customer_language(customer))
    if customer is not None and customer.is_authenticated:
        notification_send(customer, kind="safety.secret_removed", message=notice[:500], url=url)
    return notice


def shield_fields(data: dict, fields: list[str], *, customer: User | None, where: str, record: bool = True) -> tuple[dict, list[str]]:
    """Shield several form fields at once; returns the cleaned dict and the kinds removed (recorded once,
    unless `record` is False and the caller records them)."""
    cleaned, kinds = dict(data), []
    for name in fields:
        value = cleaned.get(name)
        if isinstance(value, str) and value:
            result = shield(value)
            if result.findings:
                cleaned[name] = result.text
                kinds += [k for k in result.kinds if k not in kinds]
    if kinds and record:
        secrets_record(kinds, customer=customer, where=where)
    return cleaned, kinds


def secrets_email(*, to: str, customer: User | None, kinds: list[str], reference: str, url: str, language: str) -> None:
    """The notice by e-mail (for customers who wrote by e-mail), with their anti-phishing phrase when registered."""
    from support.services.notifications import email_queue, email_queue_for_user, email_render

    context = {"notice": secrets_notice(kinds, language=language), "reference": reference, "url": url}
    if customer is not None and getattr(customer, "customer_profile", None) is not None:
        email_queue_for_user(customer, template="safety/email/secrets_removed", context=context)
        return
    subject, text, html = email_render("safety/email/secrets_removed", context, language=language, tz="UTC")
    email_queue(to=[to], subject=subject, body_text=text, body_html=html)


TEXT_TYPES = ("text/plain", "text/csv")
PDF_PAGES_SCANNED = 30


def attachment_text(filename: str, content_type: str, payload: bytes) -> str:
    """The text the shield reads in an attachment: plain text and PDFs (screenshots are not OCR'd)."""
    name = (filename or "").lower()
    if content_type in TEXT_TYPES or name.endswith((".txt", ".csv", ".log")):
        for encoding in ("utf-8", "gb18030", "latin-1"):
            try:
                return payload[:2_000_000].decode(encoding)
            except UnicodeDecodeError:
                continue
    if content_type == "application/pdf" or name.endswith(".pdf"):
        import io
        import logging

        from pypdf import PdfReader

        logging.getLogger("pypdf").setLevel(logging.ERROR)
        try:
            reader = PdfReader(io.BytesIO(payload), strict=False)
            if reader.is_encrypted:
                reader.decrypt("")
            return "\n".join((page.extract_text() or "") for page in reader.pages[:PDF_PAGES_SCANNED])
        except Exception:  # noqa: BLE001 - an unreadable PDF has no text to shield; its other checks apply
            return ""
    return ""


def attachment_secret_kinds(filename: str, content_type: str, payload: bytes) -> list[str]:
    text = attachment_text(filename, content_type, payload)
    return shield(text).kinds if text else []
