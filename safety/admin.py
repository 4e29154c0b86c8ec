from django.contrib import admin

from safety.models import OfficialContact, SecretEvent
from support.admin import ReadOnlyAdmin


@admin.register(OfficialContact)
class OfficialContactAdmin(admin.ModelAdmin):
    """Supervisors keep the registry customers check contacts against."""

    list_display = ["kind", "platform", "value", "label", "active", "updated_at"]
    list_filter = ["kind", "active"]
    search_fields = ["value", "label"]


@admin.register(SecretEvent)
class SecretEventAdmin(ReadOnlyAdmin):
    """What the shield removed: kinds and places only, never a value."""

    list_display = ["created_at", "kind", "where", "customer"]
    list_filter = ["kind", "where"]
    date_hierarchy = "created_at"
