"""The public "is this really support?" checker (also in the personal area and the API)."""
from django import forms
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from safety.contacts import check_contact
from safety.models import OfficialContact


class CheckForm(forms.Form):
    value = forms.CharField(
        label=_("E-mail address, website, phone number, Telegram or WeChat ID, social account or agent code"),
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "support@… / https://… / +86 … / @… / AG-…", "autocomplete": "off"}),
    )


@require_GET
def check(request):
    form = CheckForm(request.GET or None)
    verdict = check_contact(form.cleaned_data["value"]) if form.is_valid() else None
    official = OfficialContact.objects.filter(active=True).order_by("kind", "value")
    return render(request, "safety/check.html", {"form": form, "verdict": verdict, "official": official})
