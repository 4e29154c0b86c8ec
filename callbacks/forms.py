"""Forms of the call-back pages. Slots are offered as wall-clock times in the customer's time zone;
the view turns the posted time into an instant (services.local_slot_start) and the service decides."""
import datetime as dt
import zoneinfo
from collections.abc import Iterable

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from callbacks.models import Booking, Slot
from support.categories import Category
from support.models.accounts import SUPPORT_LANGUAGES

SLOT_FORMAT = "%Y-%m-%dT%H:%M"


def slot_choices(slots: Iterable[Slot], tz_name: str) -> list:
    """Slots grouped by local day: [(day label, [(local "YYYY-MM-DDTHH:MM", "10:00–10:30 · 2 free"), ...]), ...]."""
    tz = zoneinfo.ZoneInfo(tz_name)
    groups: dict[dt.date, list] = {}
    for slot in slots:
        start, end = slot.starts_at.astimezone(tz), slot.ends_at.astimezone(tz)
        free = ngettext("%(n)d place free", "%(n)d places free", slot.free) % {"n": slot.free}
        label = f"{start:%H:%M}–{end:%H:%M} · {free}"
        groups.setdefault(start.date(), []).append((start.strftime(SLOT_FORMAT), label))
    return [(formats.date_format(day, "l, j F Y"), options) for day, options in groups.items()]


class SlotField(forms.CharField):
    """The local wall-clock start posted by the slot picker, as a naive datetime (its zone is the customer's)."""

    widget = forms.Select

    def __init__(self, *, choices=(), **kwargs):
        super().__init__(**kwargs)
        self.widget.choices = [("", _("Choose a time"))] + list(choices)

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return dt.datetime.strptime(value, SLOT_FORMAT)
        except ValueError:
            raise forms.ValidationError(_("Choose one of the times offered.")) from None


class BookingForm(forms.Form):
    language = forms.ChoiceField(label=_("Language of the call"), choices=SUPPORT_LANGUAGES, widget=forms.HiddenInput)
    category = forms.ChoiceField(label=_("What is it about?"), choices=Category.choices)
    slot = SlotField(label=_("Time (your time zone)"))
    phone = forms.CharField(
        label=_("Number to call"), max_length=32, help_text=_("A mobile number with its country code, e.g. +86 139 1234 5678.")
    )
    summary = forms.CharField(label=_("What should we know before we call?"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, slots: Iterable[Slot], tz_name: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].widget.choices = [("", _("Choose a time"))] + slot_choices(slots, tz_name)
        self.fields["category"].initial = Category.FUNDS


class RescheduleForm(forms.Form):
    slot = SlotField(label=_("New time (your time zone)"))

    def __init__(self, *args, slots: Iterable[Slot], tz_name: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].widget.choices = [("", _("Choose a time"))] + slot_choices(slots, tz_name)


OUTCOME_CHOICES = [
    (Booking.Status.COMPLETED, _("Completed")),
    (Booking.Status.NO_ANSWER, _("No answer (try again within the slot)")),
    (Booking.Status.WRONG_NUMBER, _("Wrong number")),
    (Booking.Status.CANCELLED, _("Customer cancelled")),
]


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=OUTCOME_CHOICES)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class AssignForm(forms.Form):
    """Pick an agent from a list read once per page (one form per booking on the schedule)."""

    agent = forms.ChoiceField(label=_("Agent"))

    def __init__(self, *args, agents: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.agents = {str(a.pk): a for a in agents}
        self.fields["agent"].choices = [("", "---------")] + [(pk, str(a)) for pk, a in self.agents.items()]

    def clean_agent(self):
        return self.agents[self.cleaned_data["agent"]]
