from django.utils.translation import gettext_lazy as _

# Imported as a module: a second AppConfig class in this namespace would stop Django choosing ours.
from support import channel_apps


class KycConfig(channel_apps.ChannelAppConfig):
    """Verification cases, documents, private storage and the review queue."""

    name = "kyc"
    verbose_name = _("Document verification")
    home_section = _("Your verification")
    home_empty = _("No documents are waiting for review.")
    home_action = _("Upload your documents")
    home_action_url = "kyc:home"

    def open_items_for(self, user) -> list[dict]:
        from kyc.models import VerificationCase

        case = VerificationCase.objects.filter(customer__user=user).first()
        status = case.get_status_display() if case else VerificationCase.Status.UNVERIFIED.label
        return [{"label": _("Account verification"), "url": "/verification/", "status": status}]

    def sla_cases(self, model, clocks) -> dict:
        from kyc.sla import cases

        return cases(clocks)
