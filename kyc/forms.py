from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kyc.models import Document, VerificationCase


class DetailsForm(forms.ModelForm):
    class Meta:
        model = VerificationCase
        fields = ["legal_name", "date_of_birth", "address", "country"]
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}),
            "address": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"legal_name": _("As written on your identity document.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = True

    def clean_date_of_birth(self):
        value = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        age = today.year - value.year - ((today.month, today.day) < (value.month, value.day))
        if age < 18:
            raise forms.ValidationError(_("You must be at least 18 years old to trade."))
        if value.year < 1900:
            raise forms.ValidationError(_("Enter your real date of birth."))
        return value


class StartForm(forms.Form):
    kind = forms.ChoiceField(choices=Document.Kind.choices)
    doc_type = forms.ChoiceField(label=_("Document"), choices=Document.Type.choices)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"), allow_empty_file=True)


class ReviewForm(forms.Form):
    DECISIONS = [("approve", _("Approve")), ("reject", _("Reject"))]

    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS, widget=forms.RadioSelect)
    reason = forms.ChoiceField(label=_("Rejection reason"), choices=[("", "—"), *Document.Reason.choices], required=False)
    issue_date = forms.DateField(
        label=_("Issue date on the document"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=_("Note to the customer (optional)"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not data.get("reason"):
            self.add_error("reason", _("Choose the reason the customer will read."))
        return data
