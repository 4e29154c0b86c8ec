"""The reviewers' admin: the review queue (most urgent first) and the review page beside the registered details."""
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kyc import services
from kyc.forms import ReviewForm
from kyc.models import Document, VerificationCase
from kyc.permissions import can_review
from kyc.selectors import review_document_get
from support.admin import ReadOnlyAdmin
from support.services.audit import audit_event_record


class QueueFilter(admin.SimpleListFilter):
    """The queue by default: documents waiting for a decision; "all" shows decided ones too."""

    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("waiting", _("Waiting for review")), ("second", _("Waiting for a second reviewer")), ("all", _("All"))]

    def value(self):
        return super().value() or "waiting"

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(status__in=Document.UNDER_REVIEW)
        if self.value() == "second":
            return queryset.filter(status=Document.Status.SECOND_REVIEW)
        return queryset


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["review_link", "account", "doc_type", "status", "vip", "submitted_at", "due", "first_reviewer", "fraud_flag"]
    list_filter = [QueueFilter, "kind", "vip", "status", "rejection_reason"]
    search_fields = ["=case__customer__account_number", "=case__customer__user__email"]
    list_select_related = ["case__customer__user", "first_reviewer"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    review_template = "admin/kyc/document/review.html"

    def get_ordering(self, request):
        from django.db.models import F

        return [F("due_at").asc(nulls_last=True), "pk"]  # kyc_review_queue_idx

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(case__customer__user=request.user)  # never one's own account

    def has_module_permission(self, request):
        return can_review(request.user)

    def has_view_permission(self, request, obj=None):
        return can_review(request.user)

    def has_change_permission(self, request, obj=None):
        return can_review(request.user)

    def has_add_permission(self, request):
        return False  # customers upload documents

    def has_delete_permission(self, request, obj=None):
        return False  # retention deletes files; the trail stays

    @admin.display(description=_("document"))
    def review_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:kyc_document_change", args=[obj.pk]), obj.get_doc_type_display())

    @admin.display(description=_("account"), ordering="case__customer__account_number")
    def account(self, obj):
        return obj.case.customer.account_number

    @admin.display(description=_("review due"), ordering="due_at")
    def due(self, obj):
        if obj.due_at is None:
            return "—"
        overdue = obj.under_review and obj.due_at < timezone.now()
        return format_html(
            '<span style="color:{}">{}</span>', "#a33" if overdue else "inherit", timezone.localtime(obj.due_at).strftime("%Y-%m-%d %H:%M")
        )

    @admin.display(description=_("same file elsewhere"), boolean=True)
    def fraud_flag(self, obj):
        return obj.seen_on_other_account

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The review page: pages beside the registered details, and the decision form."""
        if not can_review(request.user):
            raise PermissionDenied
        try:
            document = review_document_get(request.user, int(object_id))
        except ValueError:
            raise PermissionDenied from None
        case = document.case
        own = case.customer.user_id == request.user.pk
        form = ReviewForm(request.POST or None, initial={"issue_date": document.issue_date})
        if request.method == "POST" and not own and form.is_valid():
            data = form.cleaned_data
            try:
                if data["decision"] == "approve":
                    services.document_approve(document, reviewer=request.user, issue_date=data["issue_date"], note=data["note"])
                else:
                    services.document_reject(
                        document, reviewer=request.user, reason=data["reason"], note=data["note"], issue_date=data["issue_date"]
                    )
            except services.KycError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                document.refresh_from_db()
                messages.success(request, _("%(document)s: %(status)s.") % {"document": document, "status": document.get_status_display()})
                return HttpResponseRedirect(reverse("admin:kyc_document_changelist"))
        if not own:
            audit_event_record(document, actor=request.user, verb="kyc.review_opened", request=request)
        submitted = timezone.localdate(document.submitted_at) if document.submitted_at else timezone.localdate()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Review: %(document)s") % {"document": document},
            "document": document,
            "case": case,
            "customer": case.customer,
            "pages": [] if own else list(document.pages.all()),
            "own_account": own,
            "form": form,
            "can_decide": document.under_review and not own and document.purged_at is None,
            "second_review": document.status == Document.Status.SECOND_REVIEW,
            "oldest_issue_date": services.months_before(submitted, 3) if document.kind == Document.Kind.ADDRESS else None,
            "address_too_old": bool(
                document.issue_date and services.address_proof_too_old(document.issue_date, submitted=submitted)
            ),
            "history": case.documents.exclude(pk=document.pk).exclude(status=Document.Status.DRAFT).order_by("-submitted_at")[:20],
        }
        return TemplateResponse(request, self.review_template, context)


@admin.register(VerificationCase)
class VerificationCaseAdmin(ReadOnlyAdmin):
    list_display = ["customer", "status", "legal_name", "country", "verified_at", "updated_at"]
    list_filter = ["status"]
    search_fields = ["=customer__account_number", "=customer__user__email"]
    list_select_related = ["customer__user"]
    readonly_fields = ["customer", "status", "legal_name", "date_of_birth", "address", "country", "verified_at", "created_at", "updated_at"]
    show_full_result_count = False

    def has_module_permission(self, request):
        return can_review(request.user)

    def has_view_permission(self, request, obj=None):
        return can_review(request.user)  # read-only: the customer keeps their details; reviewers decide documents
