import zoneinfo

from django.conf import settings
from django.utils import timezone, translation

from support.permissions import customer_profile_of

_UI_LANGUAGES = {code for code, _name in settings.LANGUAGES}


class UserPreferencesMiddleware:
    """Use the logged-in person's profile: time zone for every date, a customer's language for the UI."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tz_name = None
        user = getattr(request, "user", None)
        # Staff have an agent profile, customers a customer profile: one lookup, not two.
        is_staff = user is not None and user.is_authenticated and user.is_staff
        profile = customer_profile_of(user) if user is not None and not is_staff else None
        if profile is not None:
            tz_name = profile.time_zone
            try:
                language = translation.get_supported_language_variant(profile.language)
            except LookupError:  # a support language the UI is not translated into: keep the request's
                language = None
            if language in _UI_LANGUAGES:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        elif is_staff and hasattr(user, "agent_profile"):
            tz_name = user.agent_profile.time_zone
        if tz_name:
            try:
                timezone.activate(zoneinfo.ZoneInfo(tz_name))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)
