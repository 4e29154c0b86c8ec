"""Supervisors' complaint queue: acknowledgement due first; acknowledge and resolve from the complaint page."""
from django import forms
from django.contrib import admin, messages
from django.db.models import F
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from complaints import services
from complaints.models import Complaint
from complaints.sources import source_url


class AnswerForm(forms.Form):
    text = forms.CharField(label=_("Message to the customer"), widget=forms.Textarea(attrs={"rows": 5, "cols": 80}), max_length=4000)


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = ["reference", "customer", "source_type", "source_reference", "status", "vip", "created_at", "due_at", "assignee"]
    list_filter = ["status", "source_type", "vip", "language"]
    search_fields = ["=reference", "=source_reference", "customer__email"]
    list_select_related = ["customer", "assignee"]
    readonly_fields = [
        "reference", "customer", "source_type", "source_reference", "reason", "language", "vip", "status", "assignee",
        "acknowledgement", "resolution", "created_at", "acknowledged_at", "resolved_at", "due_at",
    ]
    change_form_template = "admin/complaints/complaint/change_form.html"
    show_full_result_count = False

    def get_ordering(self, request):
        return [F("due_at").asc(nulls_last=True), "-created_at"]

    def has_add_permission(self, request):
        return False  # customers open complaints

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path("<int:pk>/answer/", self.admin_site.admin_view(self.answer_view), name="complaints_complaint_answer"),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        complaint = self.get_object(request, object_id)
        extra = extra_context or {}
        if complaint is not None:
            extra.update(answer_form=AnswerForm(), case_url=source_url(complaint, staff=True))
        return super().change_view(request, object_id, form_url, extra)

    def answer_view(self, request, pk):
        complaint = get_object_or_404(Complaint, pk=pk)
        back = HttpResponseRedirect(reverse("admin:complaints_complaint_change", args=[pk]))
        if request.method != "POST" or not self.has_change_permission(request, complaint):
            return back
        form = AnswerForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Write the message the customer will read."))
            return back
        try:
            if request.POST.get("action") == "resolve":
                services.complaint_resolve(complaint, actor=request.user, resolution=form.cleaned_data["text"])
                messages.success(request, _("Resolved; the customer has been told."))
            else:
                services.complaint_acknowledge(complaint, actor=request.user, message=form.cleaned_data["text"])
                messages.success(request, _("Acknowledged; the customer has been told."))
        except services.ComplaintError as exc:
            messages.error(request, str(exc))
        return back
