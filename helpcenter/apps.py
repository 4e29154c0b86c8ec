from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpcenterConfig(AppConfig):
    """Self-service: FAQ articles by category, in several languages, with keyword search and helpful votes."""

    name = "helpcenter"
    verbose_name = _("Help centre")
    default_auto_field = "django.db.models.BigAutoField"
