"""What the customer reads about a decision: the reason in plain words and how to put it right."""
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from kyc.models import Document

REASON_HELP = {
    Document.Reason.BLURRY: _(
        "We could not read the document because the photo is blurry. Take a new photo in good light, "
        "hold the phone steady and tap the screen to focus; make sure all text is sharp."
    ),
    Document.Reason.INCOMPLETE: _(
        "Part of the document is missing. All four corners (and every page) must be visible: lay it flat on a "
        "dark surface and leave a small margin around it."
    ),
    Document.Reason.ADDRESS_TOO_OLD: _(
        "The proof of residence must have been issued within the last 3 months. Upload a more recent utility "
        "bill, bank statement or tenancy agreement that shows your name and address."
    ),
    Document.Reason.THIRD_PARTY: _(
        "The payment method must be your own: the card or account has to be in your name. Upload proof of a "
        "payment method that belongs to you."
    ),
    Document.Reason.MISMATCH: _(
        "The name, date of birth or address on the document does not match the details you registered. Check "
        "your details on this page, or upload a document that shows them exactly."
    ),
    Document.Reason.WRONG_DOCUMENT: _(
        "This is not one of the documents we can accept for this step. Choose one from the list and upload it."
    ),
}


def reason_help(reason: str) -> str:
    return str(REASON_HELP.get(reason, ""))


def decision_message(document: Document, *, language: str) -> str:
    """One line for the in-app notification, in the customer's language."""
    with translation.override(language):
        if document.status == Document.Status.APPROVED:
            return str(_("Your %(document)s has been approved.") % {"document": document.get_doc_type_display()})
        return str(
            _("Your %(document)s was not accepted: %(reason)s. See how to fix it on your verification page.")
            % {"document": document.get_doc_type_display(), "reason": document.get_rejection_reason_display()}
        )
