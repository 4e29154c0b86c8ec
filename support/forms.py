import zoneinfo

from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.utils.translation import gettext_lazy as _

from support.models import CustomerProfile

TIME_ZONE_CHOICES = [(tz, tz.replace("_", " ")) for tz in sorted(zoneinfo.available_timezones()) if "/" in tz or tz == "UTC"]


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("time zone"), choices=TIME_ZONE_CHOICES)

    class Meta:
        model = CustomerProfile
        fields = ["language", "time_zone", "phone", "anti_phishing_phrase"]
        help_texts = {"phone": _("International format with country code, e.g. +86 138 0013 8000.")}


class DeskPasswordResetForm(PasswordResetForm):
    """Password reset mail goes through the outbox, in the user's language, with their anti-phishing phrase."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None):
        from urllib.parse import urlsplit

        from django.conf import settings

        from support.services import email_queue_for_user

        # The link points at the desk's configured address, never at the Host header of the request
        # that asked for it (a forged Host would otherwise send the token to someone else's site).
        base = urlsplit(settings.DESK_BASE_URL)
        context = {**context, "protocol": base.scheme or "https", "domain": base.netloc}
        email_queue_for_user(context["user"], template="support/email/password_reset", context=context)
