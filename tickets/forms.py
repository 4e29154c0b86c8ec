from django import forms
from django.utils.translation import gettext_lazy as _

from support.categories import Category
from tickets.attachments import AttachmentRejected, files_from_uploads
from tickets.models import Ticket

# What each category asks for (SPEC "What a customer should provide").
CATEGORY_FIELDS: dict[str, tuple[str, ...]] = {
    Category.URGENT_TRADING: ("account_number", "order_reference", "occurred_at"),
    Category.VERIFICATION: ("account_number",),
    Category.FUNDS: ("account_number", "transaction_id", "amount", "currency", "payment_method", "occurred_at"),
    Category.TECHNICAL: ("account_number", "occurred_at"),
    Category.ACCOUNT_SETTINGS: ("account_number",),
    Category.COMPLAINT: ("account_number",),
}
STRUCTURED_FIELDS = ("account_number", "transaction_id", "amount", "currency", "payment_method", "order_reference", "occurred_at")

# Self-help first steps from SPEC, offered before the customer submits.
SELF_HELP: dict[str, list] = {
    Category.ACCOUNT_SETTINGS: [
        _("Can't log in? Clear your browser cache or try another browser."),
        _("Check that Caps Lock is off when typing your password."),
        _("Look in your mailbox (and spam folder) for a verification e-mail."),
    ],
    Category.FUNDS: [
        _("Deposit from a payment method that is verified in your account."),
        _("Check the minimum amount: $10 for bank transfer, UnionPay and local bank."),
        _("Your account must be reviewed before deposits are credited."),
        _("Card and UnionPay deposits are usually instant; allow 15-30 minutes before writing to us. Bank transfers take 1-3 business days."),
        _("Withdrawals take 1-3 business days by bank transfer or UnionPay and arrive the same day at a local bank."),
    ],
    Category.VERIFICATION: [
        _("Upload your documents on the Verification page: it checks each photo at once and tells you what to fix."),
        _("Photos must be sharp and complete, all four corners visible, with the details you registered."),
        _("Proof of residence must be issued within the last 3 months: a utility bill, bank statement or tenancy agreement."),
        _("A card or account used for payment must be your own; third-party payment methods are refused."),
    ],
    Category.TECHNICAL: [
        _("Refresh the page and check your network connection."),
        _("Try the mobile app or another device."),
        _("Clear your browser's cookies for our site and log in again."),
    ],
}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files; each is checked against the attachment limits before anything is stored."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        uploads = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        try:
            return files_from_uploads(uploads)
        except AttachmentRejected as exc:
            raise forms.ValidationError(str(exc)) from exc


class TicketCreateForm(forms.ModelForm):
    body = forms.CharField(label=_("Describe the problem and the steps you took"), widget=forms.Textarea(attrs={"rows": 8}), max_length=20000)
    attachments = AttachmentsField(label=_("Screenshots or documents"))

    class Meta:
        model = Ticket
        fields = ["category", "subject", *STRUCTURED_FIELDS]
        widgets = {"occurred_at": forms.DateTimeInput(attrs={"type": "datetime-local"})}

    def __init__(self, *args, category: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        category = category or self.data.get("category") or Category.TECHNICAL
        wanted = CATEGORY_FIELDS.get(category, ())
        for name in STRUCTURED_FIELDS:
            if name not in wanted:
                del self.fields[name]
            else:
                self.fields[name].required = name in ("account_number", "transaction_id", "amount") or (
                    name == "order_reference" and category == Category.URGENT_TRADING
                )
        self.fields["category"].initial = category

    def structured(self) -> dict:
        return {name: self.cleaned_data[name] for name in STRUCTURED_FIELDS if name in self.cleaned_data and self.cleaned_data[name] not in (None, "")}


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 5}), max_length=20000)
    attachments = AttachmentsField(label=_("Attach files"))


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(label=_("How did we do?"), choices=[(i, str(i)) for i in range(5, 0, -1)], coerce=int, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Anything to add?"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000)
