"""The scheduler's admin: capacity rules (and slot generation), slots, bookings with reassignment."""
import datetime as dt

import phonenumbers
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from callbacks import services
from callbacks.models import Booking, CapacityRule, Slot
from callbacks.selectors import callback_agents
from support import admin_filters
from support.selectors import default_calendar


@admin.register(CapacityRule)
class CapacityRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "weekdays", "starts", "ends", "max_per_slot", "valid_from", "valid_until", "active"]
    list_filter = ["active"]
    search_fields = ["name"]
    filter_horizontal = ["agents", "languages"]
    actions = ["generate_slots"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "agents":
            kwargs["queryset"] = callback_agents()
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.action(description=_("Generate slots for the next 14 days"), permissions=["change"])
    def generate_slots(self, request, queryset):
        import zoneinfo

        today = timezone.now().astimezone(zoneinfo.ZoneInfo(default_calendar().time_zone)).date()
        created = 0
        for rule in queryset.filter(active=True):
            created += services.slots_generate(rule, start=today, days=settings.CALLBACK_HORIZON_DAYS)
        skipped = queryset.filter(active=False).count()
        messages.success(request, _("Slots created: %(n)d.") % {"n": created})
        if skipped:
            messages.warning(request, _("Inactive rules skipped: %(n)d.") % {"n": skipped})


class SlotForm(forms.ModelForm):
    class Meta:
        model = Slot
        fields = ["capacity"]

    def clean_capacity(self):
        capacity = self.cleaned_data["capacity"]
        if self.instance.pk and capacity < self.instance.booked:
            raise forms.ValidationError(_("%(n)d places are already booked; the capacity cannot be lower.") % {"n": self.instance.booked})
        return capacity


class SlotDayFilter(admin.SimpleListFilter):
    title = _("when")
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [("today", _("Today")), ("week", _("Next 7 days")), ("future", _("From now")), ("past", _("Past"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
        if self.value() == "today":
            return queryset.filter(starts_at__gte=start, starts_at__lt=start + dt.timedelta(days=1))
        if self.value() == "week":
            return queryset.filter(starts_at__gte=now, starts_at__lt=now + dt.timedelta(days=7))
        if self.value() == "future":
            return queryset.filter(starts_at__gte=now)
        if self.value() == "past":
            return queryset.filter(starts_at__lt=now)
        return queryset


class FullFilter(admin.SimpleListFilter):
    title = _("places")
    parameter_name = "places"

    def lookups(self, request, model_admin):
        return [("free", _("Has free places")), ("full", _("Full")), ("booked", _("Has bookings"))]

    def queryset(self, request, queryset):
        from django.db.models import F

        if self.value() == "free":
            return queryset.filter(booked__lt=F("capacity"))
        if self.value() == "full":
            return queryset.filter(booked__gte=F("capacity"))
        if self.value() == "booked":
            return queryset.filter(booked__gt=0)
        return queryset


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    form = SlotForm
    list_display = ["local_start", "ends_at", "language", "capacity", "booked", "rule"]
    list_filter = [SlotDayFilter, "language", FullFilter, "rule"]
    list_select_related = ["rule"]
    readonly_fields = ["starts_at", "ends_at", "language", "booked", "rule"]
    fields = ["starts_at", "ends_at", "language", "capacity", "booked", "rule"]
    date_hierarchy = "starts_at"
    show_facets = admin.ShowFacets.NEVER

    @admin.display(description=_("starts"), ordering="starts_at")
    def local_start(self, obj):
        return timezone.localtime(obj.starts_at).strftime("%Y-%m-%d %H:%M")

    def has_add_permission(self, request):
        return False  # slots come from capacity rules

    def has_delete_permission(self, request, obj=None):
        return False  # set the capacity to the places booked instead

    def save_model(self, request, obj, form, change):
        # The service is the one writer (audit, never below what is booked).
        try:
            services.slot_resize(obj, capacity=form.cleaned_data["capacity"], actor=request.user)
        except services.CallbackError as exc:
            messages.error(request, str(exc))


class AgentFilter(admin_filters.AssigneeFilter):
    title = _("agent")

    def agents(self, request):
        return callback_agents()


class AssignActionForm(admin.helpers.ActionForm):
    agent = forms.ChoiceField(required=False, label=_("agent"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].choices = [("", "---------")] + [(str(u.pk), str(u)) for u in callback_agents()]


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ["reference", "slot_start", "language", "customer", "phone", "category", "status", "assignee", "vip", "attempts"]
    list_filter = ["status", "language", AgentFilter, "vip", "category"]
    search_fields = ["=reference", "=customer__email", "=phone"]
    list_select_related = ["slot", "customer", "assignee"]
    show_facets = admin.ShowFacets.NEVER
    action_form = AssignActionForm
    actions = ["assign_to_agent", "assign_to_me"]
    readonly_fields = [
        "reference", "customer", "slot", "phone", "category", "language", "summary", "status", "vip", "assignee",
        "attempts", "notes", "ticket", "created_at", "updated_at", "outcome_at", "agent_reminded_at", "customer_reminded_at",
    ]

    @admin.display(description=_("starts"), ordering="slot__starts_at")
    def slot_start(self, obj):
        return timezone.localtime(obj.slot.starts_at).strftime("%Y-%m-%d %H:%M")

    def get_search_results(self, request, queryset, search_term):
        """By the shape of the term: a reference, an e-mail, a phone number."""
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.upper().startswith("CB-"):
            return queryset.filter(reference=term.upper()), False
        if "@" in term:
            return queryset.filter(customer__email__iexact=term), False
        try:
            number = phonenumbers.parse(term, None)
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            e164 = None
        if e164:
            return queryset.filter(phone=e164), False
        return queryset.filter(Q(reference__icontains=term) | Q(customer__email__icontains=term)), False

    def has_add_permission(self, request):
        return False  # customers book on the call-back page

    def has_delete_permission(self, request, obj=None):
        return False  # cancel instead: the trail stays

    def _assign(self, request, queryset, agent):
        changed = 0
        for booking in queryset:
            try:
                services.booking_assign(booking, agent=agent, actor=request.user)
                changed += 1
            except services.CallbackError as exc:
                messages.warning(request, f"{booking.reference}: {exc}")
        messages.success(request, _("Assigned: %(n)d") % {"n": changed})

    @admin.action(description=_("Assign to the agent chosen above"), permissions=["change"])
    def assign_to_agent(self, request, queryset):
        agent = callback_agents().filter(pk=request.POST.get("agent") or 0).first() if (request.POST.get("agent") or "").isdigit() else None
        if agent is None:
            messages.error(request, _("Choose an agent first."))
            return
        self._assign(request, queryset, agent)

    @admin.action(description=_("Assign to me"), permissions=["change"])
    def assign_to_me(self, request, queryset):
        self._assign(request, queryset, request.user)
