from django.utils.translation import gettext_lazy as _

# Imported as a module: a second AppConfig class in this namespace would stop Django choosing ours.
from support import channel_apps


class KycConfig(channel_apps.ChannelAppConfig):
    """Verification cases, documents, private storage and the review queue."""

    name = "kyc"
    verbose_name = _("Document verification")
    home_section = _("Your verification")
    home_empty = _("No documents are waiting for review.")
