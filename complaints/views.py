"""The customer's complaint pages: open one about a case ("not satisfied"), follow its status."""
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from complaints import services
from complaints.models import Complaint
from complaints.sources import source_url
from support.permissions import require_customer


class ComplaintForm(forms.Form):
    source_type = forms.ChoiceField(label=gettext_lazy("About"), choices=Complaint.Source.choices)
    source_reference = forms.CharField(label=gettext_lazy("Reference of the ticket, chat or call-back"), max_length=40, required=False)
    reason = forms.CharField(
        label=gettext_lazy("What went wrong, and what would put it right?"), max_length=4000, widget=forms.Textarea(attrs={"rows": 6})
    )


def _customer(request):
    return require_customer(request.user, _("Complaint pages are for customers; supervisors use the admin."))


@login_required
@require_GET
def complaint_list(request):
    _customer(request)
    complaints = Complaint.objects.filter(customer=request.user).order_by("-created_at")[:100]
    return render(request, "complaints/list.html", {"complaints": complaints})


@login_required
def complaint_new(request):
    _customer(request)
    initial = {"source_type": request.GET.get("about", Complaint.Source.OTHER), "source_reference": request.GET.get("ref", "")}
    form = ComplaintForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            complaint = services.complaint_open(request.user, **form.cleaned_data)
        except services.ComplaintError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            return redirect("complaints:detail", reference=complaint.reference)
    return render(request, "complaints/new.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_GET
def complaint_detail(request, reference):
    _customer(request)
    complaint = Complaint.objects.filter(reference=reference.upper(), customer=request.user).first()
    if complaint is None:
        raise Http404  # someone else's complaint looks missing
    return render(request, "complaints/detail.html", {"complaint": complaint, "source_url": source_url(complaint, staff=False)})
