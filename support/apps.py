from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = _("Support desk")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .roles import roles_sync

        # Groups need the permissions Django creates after migrate; this is setup, not business flow.
        post_migrate.connect(roles_sync, dispatch_uid="support.roles_sync")

