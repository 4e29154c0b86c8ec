"""The agent queue: tickets by SLA due time, filters, bulk actions, and a ticket page to work from."""
import contextvars
import datetime as dt
import re

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import quote
from django.contrib.admin.views.main import ChangeList
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Substr
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, gettext_lazy as _

from helpcenter.assist import suggestions_for_ticket
from support.models import User
from support import admin_filters
from support.paginator import EstimatedCountPaginator
from tickets import services
from tickets.models import CannedReply, InboundEmail, Ticket
from tickets.selectors import canned_fill, customer_open_tickets, ticket_placeholders, ticket_thread


# The request being served, so the agents list is read once per request (filter and action form).
_request: contextvars.ContextVar = contextvars.ContextVar("ticket_admin_request", default=None)


def _agents() -> list[User]:
    request = _request.get()
    cached = getattr(request, "_desk_agents", None)
    if cached is None:
        cached = list(admin_filters.agents_by_role())
        if request is not None:
            request._desk_agents = cached
    return cached


class AgentChoiceField(forms.ChoiceField):
    def clean(self, value):
        value = super().clean(value)
        return next((u for u in _agents() if str(u.pk) == value), None)


REFERENCE_RE = re.compile(r"^SUP-[0-9A-Z]{8}$", re.IGNORECASE)
BARE_REFERENCE_RE = re.compile(r"^[0-9A-Z]{8}$", re.IGNORECASE)
TX_RE = re.compile(r"^(0x)?[0-9a-fA-F]{16,}$|^[0-9A-Za-z]{20,}$")  # chain hashes, payment references


class SLAStateFilter(admin.SimpleListFilter):
    title = _("SLA")
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [("breached", _("Overdue")), ("due_1h", _("Due within 1 hour")), ("none", _("No running clock"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "breached":
            return queryset.filter(sla_due_at__lt=now)
        if self.value() == "due_1h":
            return queryset.filter(sla_due_at__gte=now, sla_due_at__lt=now + dt.timedelta(hours=1))
        if self.value() == "none":
            return queryset.filter(sla_due_at__isnull=True)
        return queryset


class AssigneeFilter(admin_filters.AssigneeFilter):
    def agents(self, request):
        return _agents()


class PlainSelect(forms.Select):
    """A <select> written out in Python: Django renders each option through a template, which for
    the 50 agents of the action form cost more than the whole result table (docs/performance.md)."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        options = format_html_join(
            "", '<option value="{}"{}>{}</option>',
            ((key, " selected" if str(key) in chosen else "", label) for key, label in self.choices),
        )
        return format_html("<select{}>{}</select>", flatatt(self.build_attrs(self.attrs, {**(attrs or {}), "name": name})), options)


class QueueActionForm(admin.helpers.ActionForm):
    agent = AgentChoiceField(required=False, label=_("agent"), widget=PlainSelect)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].choices = [("", "---------")] + [(str(u.pk), str(u)) for u in _agents()]
        self.fields["action"].widget = PlainSelect(choices=self.fields["action"].choices)


class ReplyForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 6, "cols": 90}), label=_("Message"))
    internal = forms.BooleanField(required=False, label=_("Internal note (the customer does not see it)"))
    status = forms.ChoiceField(choices=[("", _("Waiting on customer (default)"))] + list(Ticket.Status.choices), required=False)


def _bulk(request, queryset, fn, done: str, **kwargs):
    changed = 0
    for ticket in queryset:
        try:
            fn(ticket, actor=request.user, **kwargs)
            changed += 1
        except services.TicketError as exc:
            messages.warning(request, f"{ticket.reference}: {exc}")
    messages.success(request, f"{done}: {changed}")


# Django admin's own msgid (its catalogue translates it; held in a name so this app's catalogue doesn't copy it).
_ADMIN_SELECT_LABEL = "Select this object for an action - {}"


class QueueChangeList(ChangeList):
    def url_for_result(self, result):
        # One reverse() per page instead of one per row (the same URL with the row's key).
        template = getattr(self, "_change_url_template", None)
        if template is None:
            template = self._change_url_template = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                args=("0",),
                current_app=self.model_admin.admin_site.name,
            ).rsplit("/0/", 1)
        return f"{template[0]}/{quote(getattr(result, self.pk_attname))}/{template[1]}"


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    # A lean queue row (category, channel, language and VIP are filters, and on the ticket page):
    # rendering cells is most of the page's cost (docs/performance.md).
    list_display = ["reference", "subject", "customer_account", "status", "priority", "assignee", "sla_due"]
    list_filter = ["status", "category", "priority", "channel", AssigneeFilter, "language", "vip", SLAStateFilter]
    search_fields = ["=reference", "subject", "=account_number", "=requester_email", "=transaction_id"]
    list_select_related = ["assignee"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facet counts are a COUNT per filter value over the table
    paginator = EstimatedCountPaginator
    list_per_page = 25
    action_form = QueueActionForm
    actions = ["assign_to_me", "assign_to_agent", "mark_open", "mark_waiting", "mark_resolved", "mark_closed", "priority_high", "priority_urgent", "merge"]
    readonly_fields = ["reference", "customer", "requester_email", "unverified_sender", "channel", "created_at", "updated_at", "first_response_at", "resolved_at", "closed_at", "sla_due_at", "merged_into", "locked_by", "locked_at", "rating", "rating_comment", "status", "priority", "assignee"]
    fieldsets = [
        (None, {"fields": ["reference", "subject", "category", "status", "priority", "assignee", "language", "channel"]}),
        (_("Customer"), {"fields": ["customer", "requester_email", "unverified_sender", "vip"]}),
        (_("Details"), {"fields": ["account_number", "transaction_id", "amount", "currency", "payment_method", "order_reference", "occurred_at"]}),
        # Folded: the conversation and the answer form come after the fields, and these are seldom read.
        (_("Times"), {"fields": ["created_at", "updated_at", "first_response_at", "sla_due_at", "resolved_at", "closed_at"],
                      "classes": ["collapse"]}),
        (_("Other"), {"fields": ["merged_into", "locked_by", "locked_at", "rating", "rating_comment"], "classes": ["collapse"]}),
    ]
    change_form_template = "admin/tickets/ticket/change_form.html"

    def get_ordering(self, request):
        return [F("sla_due_at").asc(nulls_last=True), "-id"]  # ticket_due_order_idx

    def get_changelist(self, request, **kwargs):
        return QueueChangeList

    def action_checkbox(self, obj):
        # The markup Django's CheckboxInput renders, without a template render per row.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(gettext(_ADMIN_SELECT_LABEL), str(obj)),
        )

    def changelist_view(self, request, extra_context=None):
        token = _request.set(request)
        try:
            return super().changelist_view(request, extra_context)
        finally:
            _request.reset(token)

    def get_search_results(self, request, queryset, search_term):
        """Search by the shape of the term, each shape on its own index: a reference, an e-mail,
        a transaction hash or ID, an account number; anything else matches the subject (trigram index)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        if REFERENCE_RE.match(term):
            return queryset.filter(reference=term.upper()), False
        if "@" in term:
            return queryset.filter(requester_email=term.lower()), False
        if term.isdigit():
            return queryset.filter(Q(account_number=term) | Q(transaction_id=term)), False
        if TX_RE.match(term):
            return queryset.filter(transaction_id=term), False
        if BARE_REFERENCE_RE.match(term):
            return queryset.filter(Q(reference=f"SUP-{term.upper()}") | Q(subject__icontains=term)), False
        return queryset.filter(Q(subject__icontains=term) | Q(transaction_id=term)), False

    def has_add_permission(self, request):
        return False  # tickets come from intake, the web form, chat and the API

    def has_delete_permission(self, request, obj=None):
        return False  # close or merge instead: the trail stays

    @admin.display(description=_("account"))
    def customer_account(self, obj):
        return obj.account_number or obj.requester_email

    @admin.display(description=_("SLA due"), ordering="sla_due_at")
    def sla_due(self, obj):
        if obj.sla_due_at is None:
            return "—"
        overdue = obj.sla_due_at < timezone.now()
        return format_html('<span style="color:{}">{}</span>', "#a33" if overdue else "inherit", timezone.localtime(obj.sla_due_at).strftime("%Y-%m-%d %H:%M"))

    # Bulk actions: each ticket through its service (audit, clocks).
    @admin.action(description=_("Assign to me"))
    def assign_to_me(self, request, queryset):
        _bulk(request, queryset, lambda t, actor: services.ticket_assign(t, assignee=actor, actor=actor), "Assigned")

    @admin.action(description=_("Assign to the agent chosen above"))
    def assign_to_agent(self, request, queryset):
        agent = next((u for u in _agents() if str(u.pk) == request.POST.get("agent", "")), None)
        if agent is None:
            messages.error(request, _("Choose an agent first."))
            return
        _bulk(request, queryset, lambda t, actor: services.ticket_assign(t, assignee=agent, actor=actor), "Assigned")

    def _status(self, request, queryset, status):
        _bulk(request, queryset, lambda t, actor: services.ticket_status_change(t, status=status, actor=actor), "Updated")

    @admin.action(description=_("Mark open"))
    def mark_open(self, request, queryset):
        self._status(request, queryset, Ticket.Status.OPEN)

    @admin.action(description=_("Mark waiting on customer"))
    def mark_waiting(self, request, queryset):
        self._status(request, queryset, Ticket.Status.WAITING_ON_CUSTOMER)

    @admin.action(description=_("Mark resolved"))
    def mark_resolved(self, request, queryset):
        self._status(request, queryset, Ticket.Status.RESOLVED)

    @admin.action(description=_("Close"))
    def mark_closed(self, request, queryset):
        self._status(request, queryset, Ticket.Status.CLOSED)

    @admin.action(description=_("Priority: high"))
    def priority_high(self, request, queryset):
        _bulk(request, queryset, lambda t, actor: services.ticket_priority_change(t, priority="high", actor=actor), "Updated")

    @admin.action(description=_("Priority: urgent"))
    def priority_urgent(self, request, queryset):
        _bulk(request, queryset, lambda t, actor: services.ticket_priority_change(t, priority="urgent", actor=actor), "Updated")

    @admin.action(description=_("Merge into the oldest selected ticket"))
    def merge(self, request, queryset):
        tickets = list(queryset.order_by("created_at", "id"))
        if len(tickets) < 2:
            messages.error(request, _("Select at least two tickets to merge."))
            return
        target, rest = tickets[0], tickets[1:]
        _bulk(request, rest, lambda t, actor: services.ticket_merge(t, into=target, actor=actor), f"Merged into {target.reference}")

    # The ticket page: thread, reply/note form, canned replies, the customer's other items, claim.
    def get_urls(self):
        return [
            path("<int:pk>/reply/", self.admin_site.admin_view(self.reply_view), name="tickets_ticket_reply"),
            path("<int:pk>/claim/", self.admin_site.admin_view(self.claim_view), name="tickets_ticket_claim"),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        ticket = self.get_object(request, object_id)
        extra = extra_context or {}
        if ticket is not None:
            suggested = suggestions_for_ticket(ticket, agent=request.user)
            placeholders = ticket_placeholders(ticket, request.user)
            extra.update(
                thread=ticket_thread(ticket, include_internal=True),
                reply_form=ReplyForm(),
                suggested_articles=suggested.articles,
                # The replies that fit this ticket first, then the rest in its language and English.
                canned_suggested=suggested.canned,
                canned=[
                    {"title": c.title, "body": canned_fill(c.body, placeholders)}
                    for c in CannedReply.objects.filter(language__in=[ticket.language, "en"]).exclude(
                        pk__in=[c.id for c in suggested.canned]
                    )[:50]
                ],
                other_items=customer_open_tickets(ticket.customer, exclude=ticket)[:20] if ticket.customer_id else [],
                claimed_by_other=_claimed_by_other(ticket, request.user),
            )
        return super().change_view(request, object_id, form_url, extra)

    def reply_view(self, request, pk):
        ticket = get_object_or_404(Ticket, pk=pk)
        if request.method != "POST" or not self.has_change_permission(request, ticket):
            return HttpResponseRedirect(reverse("admin:tickets_ticket_change", args=[pk]))
        form = ReplyForm(request.POST)
        if form.is_valid():
            try:
                services.ticket_reply(
                    ticket,
                    author=request.user,
                    body=form.cleaned_data["body"],
                    internal=form.cleaned_data["internal"],
                    status=form.cleaned_data["status"] or None,
                )
                services.ticket_release(ticket, agent=request.user)
                messages.success(request, _("Note added.") if form.cleaned_data["internal"] else _("Reply sent."))
            except services.TicketError as exc:
                messages.error(request, str(exc))
        else:
            messages.error(request, _("The message is empty."))
        return HttpResponseRedirect(reverse("admin:tickets_ticket_change", args=[pk]))

    def claim_view(self, request, pk):
        ticket = get_object_or_404(Ticket, pk=pk)
        if request.method == "POST" and self.has_change_permission(request, ticket):
            try:
                services.ticket_claim(ticket, agent=request.user, force=request.POST.get("force") == "1")
                messages.success(request, _("You are answering this ticket; colleagues see it as claimed."))
            except services.TicketLocked as exc:
                messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("admin:tickets_ticket_change", args=[pk]))


def _claimed_by_other(ticket: Ticket, agent: User) -> bool:
    try:
        services.check_claim(ticket, agent)
    except services.TicketLocked:
        return True
    return False


RAW_PREVIEW_BYTES = 20000


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin):
    # Why it ended as it did first: the page is where agents find quarantined mail (status is a filter).
    list_display = ["received_at", "outcome", "short_reason", "from_email", "subject", "ticket", "source"]
    list_filter = ["status", "outcome"]
    search_fields = ["=message_id", "from_email", "subject"]
    list_select_related = ["ticket"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator
    exclude = ["raw"]
    readonly_fields = [f.name for f in InboundEmail._meta.fields if f.name != "raw"] + ["raw_preview"]
    actions = ["rerun"]

    def get_queryset(self, request):
        # Never the raw bytes of a page of rows (a message can be megabytes; the list shows none of them).
        return super().get_queryset(request).defer("raw")

    @admin.display(description=_("reason"), ordering="reason")
    def short_reason(self, obj):
        return obj.reason if len(obj.reason) <= 120 else obj.reason[:119] + "…"

    @admin.display(description=_("raw message (first 20 kB)"))
    def raw_preview(self, obj):
        # The first 20 kB read by the database, not the whole message into this process.
        head = InboundEmail.objects.filter(pk=obj.pk).values_list(
            Substr("raw", 1, RAW_PREVIEW_BYTES, output_field=models.BinaryField()), flat=True
        ).first()
        return format_html("<pre style='white-space:pre-wrap'>{}</pre>", bytes(head or b"").decode("utf-8", "replace"))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Run intake again"), permissions=["change"])
    def rerun(self, request, queryset):
        from tickets.mail.intake import inbound_process

        for inbound in queryset.exclude(status=InboundEmail.Status.PROCESSED):
            result = inbound_process(inbound)
            messages.info(request, f"{inbound.pk}: {result.outcome} {result.ticket or ''} {result.reason}")


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ["title", "language", "category"]
    list_filter = ["language", "category"]
    search_fields = ["title", "body"]
