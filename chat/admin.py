"""Chats in the admin: history and search for supervisors; live work happens in the console."""
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from chat.models import AgentPresence, ChatMessage, Conversation
from support.admin import LargeTableAdmin
from support.admin_filters import AssigneeFilter


class ChatMessageInline(admin.TabularInline):
    model = ChatMessage
    fields = ["seq", "kind", "author", "body", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["seq"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Conversation)
class ConversationAdmin(LargeTableAdmin):
    list_display = ["public_id", "customer", "category", "language", "vip", "status", "outcome", "assignee", "queued_at", "rating"]
    list_filter = ["status", "outcome", "category", "language", "vip", AssigneeFilter, "queued_at"]  # agents by role, not a DISTINCT over the chats
    search_fields = ["public_id", "customer__email", "customer__customer_profile__account_number"]
    list_select_related = ["customer", "assignee"]
    readonly_fields = [f.name for f in Conversation._meta.fields] + ["ticket_link"]
    exclude = ["declined_by"]
    inlines = [ChatMessageInline]

    @admin.display(description=_("ticket"))
    def ticket_link(self, obj):
        from django.utils.html import format_html

        if not obj.ticket_id:
            return "—"
        return format_html('<a href="/admin/tickets/ticket/{}/change/">{}</a>', obj.ticket_id, obj.ticket.reference)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AgentPresence)
class AgentPresenceAdmin(admin.ModelAdmin):
    list_display = ["agent", "status", "last_seen", "last_offered_at"]
    list_filter = ["status"]
    readonly_fields = ["last_seen", "last_offered_at"]
