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


# No inline script anywhere (tests/security/test_headers.py scans the templates): scripts are static files.
# Styles allow inline: the admin's own change list and the Swagger UI page carry <style> blocks, and a few of
# our admin templates style attributes; CSS cannot run code, and every template is autoescaped.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data: blob:",
    "font-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# The verification page takes photos with the phone's camera; nothing here needs the rest.
PERMISSIONS_POLICY = "camera=(self), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), hid=(), midi=(), accelerometer=(), gyroscope=(), magnetometer=(), display-capture=()"


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response. Django's own middleware sends the rest:
    HSTS, nosniff, Referrer-Policy and Cross-Origin-Opener-Policy (SecurityMiddleware), X-Frame-Options DENY."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response.headers:
            response.headers["Content-Security-Policy"] = content_security_policy(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


def content_security_policy(request) -> str:
    directives = dict(CONTENT_SECURITY_POLICY)
    connect = ["'self'"]
    try:
        host = request.get_host()  # validated against ALLOWED_HOSTS
    except Exception:  # a bad Host header gets its 400 with the policy minus the websocket origin
        host = None
    if host:
        # The chat and notification sockets: CSP 2 browsers do not count ws(s):// as 'self'.
        connect.append(f"wss://{host}" if request.is_secure() else f"ws://{host} wss://{host}")
    directives["connect-src"] = " ".join(connect)
    return "; ".join(f"{name} {value}" for name, value in directives.items())
