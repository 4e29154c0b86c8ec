"""The personal area of the shared core: home, profile, contact page, language switch."""
import zoneinfo

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language

from django.apps import apps

from support.channel_apps import ChannelAppConfig
from support.forms import ProfileForm
from support.permissions import customer_profile_of
from support.selectors import channel_start_url, channel_statuses, customer_home_sections, recommended_channels
from support.services import customer_profile_update, user_sockets_close


def _customer_or_redirect(request):
    profile = customer_profile_of(request.user)
    if profile is None:
        if request.user.is_staff:
            return None, redirect("admin:index")
        raise PermissionDenied(_("The personal area is for customers."))
    return profile, None


@login_required
def home(request):
    profile, response = _customer_or_redirect(request)
    if response:
        return response
    return render(request, "support/home.html", {"profile": profile, "sections": customer_home_sections(request.user)})


@login_required
def profile_edit(request):
    profile, response = _customer_or_redirect(request)
    if response:
        return response
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        # The form validated a copy; the service is the one writer.
        fresh = type(profile).objects.get(pk=profile.pk)
        customer_profile_update(fresh, actor=request.user, request=request, **form.cleaned_data)
        with translation.override(fresh.language):
            messages.success(request, _("Your profile was saved."))
        return redirect("profile")
    return render(request, "support/profile.html", {"profile": profile, "form": form})


def _viewer_time_zone(request) -> str:
    profile = customer_profile_of(request.user)
    if profile is not None:
        return profile.time_zone
    requested = request.GET.get("tz", "")
    if requested in zoneinfo.available_timezones():
        return requested
    return timezone.get_current_timezone_name()


@require_GET
def contact(request):
    tz_name = _viewer_time_zone(request)
    profile = customer_profile_of(request.user)
    statuses = channel_statuses(vip=bool(profile and profile.is_vip))
    rows = [(status, channel_start_url(status.channel)) for status in statuses]
    peaks = [notice for config in apps.get_app_configs() if isinstance(config, ChannelAppConfig) if (notice := config.peak_notice())]
    with timezone.override(zoneinfo.ZoneInfo(tz_name)):
        return render(
            request,
            "support/contact.html",
            {"statuses": statuses, "rows": rows, "recommended": recommended_channels(), "tz_name": tz_name, "now": timezone.now(), "peaks": peaks},
        )


@require_POST
def language_set(request):
    """Switch the UI language; a customer's choice is also saved to their profile (and used for e-mail)."""
    profile = customer_profile_of(request.user)
    code = request.POST.get("language", "")
    if profile is not None and translation.check_for_language(code):
        try:
            customer_profile_update(profile, actor=request.user, request=request, language=code)
        except ValidationError:
            pass
    return set_language(request)


@require_GET
def healthz(request):
    """Liveness for load balancers: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})



class LogoutView(auth_views.LogoutView):
    """Log out and close the websockets this session opened (chat, notifications)."""

    def post(self, request, *args, **kwargs):
        user_id = request.user.pk if request.user.is_authenticated else None
        session_key = request.session.session_key
        response = super().post(request, *args, **kwargs)
        if user_id is not None:
            user_sockets_close(user_id, session_key=session_key)
        return response


# Notifications ---------------------------------------------------------------------------------


@login_required
@require_GET
def notification_list(request):
    """The user's notifications, newest first; new ones arrive live over the notifications socket."""
    from support.models import Notification

    items = list(Notification.objects.filter(recipient=request.user).order_by("-created_at", "-id")[:100])
    return render(request, "support/notifications.html", {"items": items, "unread": sum(1 for n in items if n.read_at is None)})


@login_required
@require_POST
def notification_open(request, notification_id: int):
    """Mark one read and follow its link (links are the desk's own paths; anything else goes to the list)."""
    from support.models import Notification
    from support.services.notifications import notification_mark_read

    try:
        notification = notification_mark_read(notification_id, user=request.user)
    except Notification.DoesNotExist:
        from django.http import Http404

        raise Http404 from None
    url = notification.url
    return redirect(url if url.startswith("/") and not url.startswith("//") else "notifications")


@login_required
@require_POST
def notification_read_all(request):
    from support.models import Notification

    Notification.objects.filter(recipient=request.user, read_at__isnull=True).update(read_at=timezone.now())
    return redirect("notifications")
