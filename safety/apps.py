from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SafetyConfig(AppConfig):
    """Customer safety: the secret shield, the official-contacts checker, and what they record."""

    name = "safety"
    verbose_name = _("Customer safety")
    default_auto_field = "django.db.models.BigAutoField"
