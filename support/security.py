"""Account safety glue: login lockout (django-axes) and what a password change does to open sockets."""
from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.db import transaction
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import Throttled, ValidationError
from django.utils.translation import gettext as _


def login_username(request, credentials) -> str | None:
    """The e-mail being tried, as stored (lower-case, trimmed): `Bob@X.com ` and `bob@x.com` share one counter."""
    credentials = credentials or {}
    value = credentials.get("username") or credentials.get("email")
    if value is None:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        value = data.get("username") or data.get("email")
    return value.strip().lower() if isinstance(value, str) else None


class LockoutBackend(AxesStandaloneBackend):
    """Axes first in AUTHENTICATION_BACKENDS: a locked-out e-mail + IP is refused before any password is checked.

    Every HTTP login (the login page, the admin login, /api/auth/token/) passes its request and is counted;
    tests/security/test_lockout.py proves each. A call without a request is code, not a client (the test
    client's login(), a shell): there is no IP to count, so it is left to the next backend.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class SocketsClosedOnPasswordChange:
    """Not a rule: AUTH_PASSWORD_VALIDATORS' `password_changed` hook runs after every saved password change
    (reset, the admin's change forms, `changepassword`). Django already ends the user's other sessions (their
    session hash no longer matches); this closes the websockets those sessions opened."""

    def validate(self, password, user=None):
        return None

    def password_changed(self, password, user=None):
        if user is None or user.pk is None or user.last_login is None:  # never logged in: no session, no socket
            return
        from support.services.notifications import user_sockets_close

        user_id = user.pk
        transaction.on_commit(lambda: user_sockets_close(user_id))

    def get_help_text(self):
        return _("Changing your password logs you out on your other devices.")


class TokenView(ObtainAuthToken):
    """POST /api/auth/token/: an API token for an e-mail and password, counted by the lockout like the login page.

    Axes flags the lockout on DRF's request wrapper, which its middleware never sees: answer 429 here."""

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError:
            if getattr(request, "axes_locked_out", False):
                raise Throttled(wait=settings.AXES_COOLOFF_TIME.total_seconds()) from None
            raise
