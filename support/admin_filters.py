"""List filters shared by the channel apps' admin queues."""
from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class AssigneeFilter(admin.SimpleListFilter):
    """Me, unassigned, or one of the agents `agents()` names (from the role, not a DISTINCT over the table)."""

    title = _("assignee")
    parameter_name = "assignee"

    def agents(self, request):
        raise NotImplementedError

    def lookups(self, request, model_admin):
        return [("me", _("Me")), ("none", _("Unassigned"))] + [(str(u.pk), str(u)) for u in self.agents(request)]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "me":
            return queryset.filter(assignee=request.user)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if value and value.isdigit():
            return queryset.filter(assignee_id=int(value))
        return queryset
