from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from support import admin_filters
from support.models import (
    AgentProfile,
    AuditEvent,
    BusinessCalendar,
    CustomerProfile,
    Holiday,
    Language,
    Notification,
    OutboundEmail,
    SLAClock,
    SLAEvent,
    SLAPolicy,
    Team,
    User,
    WeeklyHours,
)
from support.paginator import EstimatedCountPaginator
from support.services import audit_view_record


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only by services: visible, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(CustomerProfile)
class CustomerProfileAdmin(admin.ModelAdmin):
    list_display = ["account_number", "user", "tier", "language", "time_zone", "account_manager", "account_closed_at"]
    list_filter = ["tier", "language"]
    search_fields = ["account_number", "user__email"]
    list_select_related = ["user", "account_manager"]
    autocomplete_fields = ["user"]
    # The anti-phishing phrase is the customer's secret against fake staff: staff never see it.
    exclude = ["anti_phishing_phrase"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and self.has_view_permission(request, obj):
            audit_view_record(obj, actor=request.user, request=request, what="admin.customer")
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "chat_capacity", "handles_chat", "handles_email", "handles_callbacks", "handles_documents"]
    filter_horizontal = ["languages"]
    list_select_related = ["user"]
    search_fields = ["user__email"]


@admin.register(Language)
class LanguageAdmin(admin.ModelAdmin):
    list_display = ["code", "__str__"]


class WeeklyHoursInline(admin.TabularInline):
    model = WeeklyHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "always_open"]
    inlines = [WeeklyHoursInline, HolidayInline]


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = ["channel", "metric", "priority", "vip", "target", "warning_percent", "breach_action", "breach_raise_priority", "calendar"]
    list_filter = ["channel", "metric", "vip", "breach_action"]
    list_select_related = ["calendar"]


class LargeTableAdmin(admin.ModelAdmin):
    """A table that grows with every case (clocks, audit rows, mail, notifications, chats, searches: millions
    of rows at a million tickets). No COUNT(*) of the table (the planner's estimate, or a count capped at 200
    pages), newest first by an index, and dates by the range filter (Today, Past 7 days, ...) rather than
    date_hierarchy, whose month list is a DISTINCT over every row of the year: 2.3 s on 3 million audit rows."""

    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # a count per filter option, each over the whole table
    paginator = EstimatedCountPaginator
    ordering = ["-id"]  # the primary key's index; ids grow with time


class LogAdmin(LargeTableAdmin, ReadOnlyAdmin):
    """A large table written only by services."""


@admin.register(SLAClock)
class SLAClockAdmin(LogAdmin):
    list_display = ["__str__", "channel", "metric", "state", "vip", "started_at", "due_at", "met_at", "breached_at", "escalated_at", "assignee"]
    list_filter = ["channel", "metric", "state", "vip", "started_at", "due_at"]
    list_select_related = ["assignee"]


@admin.register(SLAEvent)
class SLAEventAdmin(LogAdmin):
    """What the enforcement scan did, once per clock and kind, and how late it noticed."""

    list_display = ["created_at", "kind", "clock", "lag"]
    list_filter = ["kind", "created_at"]
    list_select_related = ["clock"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name"]
    filter_horizontal = ["members"]


@admin.register(AuditEvent)
class AuditEventAdmin(LogAdmin):
    list_display = ["created_at", "actor_repr", "verb", "object_repr", "ip_address"]
    list_filter = [("verb", admin_filters.IndexedValuesFilter), "created_at"]
    search_fields = ["actor_repr", "object_repr", "object_id"]
    ordering = ["-created_at", "-id"]  # created_at is indexed (and the model's order)


@admin.register(OutboundEmail)
class OutboundEmailAdmin(LogAdmin):
    list_display = ["created_at", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status"]
    # The body can carry a reset link or the customer's phrase: list metadata only.
    exclude = ["body_text", "body_html"]


@admin.register(Notification)
class NotificationAdmin(LogAdmin):
    list_display = ["created_at", "recipient", "kind", "message", "read_at"]
    list_select_related = ["recipient"]
