from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KycConfig(AppConfig):
    """Verification cases, documents, private storage and the review queue."""

    name = "kyc"
    verbose_name = _("Document verification")
    home_section = _("Your verification")
    home_empty = _("No documents are waiting for review.")

    def open_items_for(self, user) -> list:
        return []
