"""Call-back pages: the customer's (book, list, detail, reschedule, cancel), the agent's day, the schedule."""
import datetime as dt
import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from callbacks import services
from callbacks.forms import AssignForm, BookingForm, OutcomeForm, RescheduleForm
from callbacks.models import Booking
from callbacks.permissions import can_act_on_booking, can_reassign, can_view_schedule, is_callback_agent, is_callback_supervisor
from callbacks.selectors import (
    booking_get_for,
    bookings_for_agent_day,
    bookings_for_customer,
    callback_agents,
    free_slots,
    schedule_slots,
)
from support.models import User
from support.models.accounts import SUPPORT_LANGUAGES
from support.permissions import require_customer

LANGUAGE_CODES = {code for code, _name in SUPPORT_LANGUAGES}


def _customer(request):
    return require_customer(request.user, _("Call-back pages are for customers; agents use the call-backs page for agents."))


def _own_booking(request, reference) -> Booking:
    booking = booking_get_for(request.user, reference)
    if booking.customer_id != request.user.pk:
        raise Http404  # staff use the agent and schedule pages; these show a customer's own call-backs only
    return booking


def _add_error(form, exc: services.CallbackError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


def _changeable(booking: Booking) -> bool:
    return booking.is_upcoming and booking.slot.starts_at > timezone.now()


# Customer pages ------------------------------------------------------------------------------


@login_required
@require_GET
def booking_list(request):
    _customer(request)
    bookings = list(bookings_for_customer(request.user)[:200])
    upcoming = sorted((b for b in bookings if b.is_upcoming), key=lambda b: b.slot.starts_at)
    past = [b for b in bookings if not b.is_upcoming]
    return render(request, "callbacks/list.html", {"upcoming": upcoming, "past": past})


@login_required
def booking_new(request):
    profile = _customer(request)
    language = request.POST.get("language") or request.GET.get("language") or profile.language
    if language not in LANGUAGE_CODES:
        language = profile.language
    slots = free_slots(language=language)
    initial = {"language": language, "phone": str(profile.phone) if profile.phone else ""}
    form = BookingForm(request.POST or None, slots=slots, tz_name=profile.time_zone, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            starts_at = services.local_slot_start(data["slot"], profile.time_zone)
            booking = services.booking_create(
                request.user,
                starts_at=starts_at,
                language=data["language"],
                phone=data["phone"],
                category=data["category"],
                summary=data["summary"],
            )
        except services.CallbackError as exc:
            _add_error(form, exc)
        else:
            if booking.secrets_removed:
                from safety.services import customer_language, secrets_notice

                messages.warning(request, secrets_notice(booking.secrets_removed, language=customer_language(request.user)))
            return redirect("callbacks:booked", reference=booking.reference)
    return render(
        request,
        "callbacks/new.html",
        {
            "form": form,
            "language": language,
            "call_languages": SUPPORT_LANGUAGES,
            "has_slots": len(form.fields["slot"].widget.choices) > 1,
            "tz_name": profile.time_zone,
        },
    )


@login_required
@require_GET
def booking_booked(request, reference):
    profile = _customer(request)
    booking = _own_booking(request, reference)
    return render(request, "callbacks/booked.html", {"booking": booking, "tz_name": profile.time_zone})


def _detail(request, booking, profile, reschedule_form=None, status=200):
    changeable = _changeable(booking)
    if changeable and reschedule_form is None:
        slots = free_slots(language=booking.language).exclude(pk=booking.slot_id)
        reschedule_form = RescheduleForm(slots=slots, tz_name=profile.time_zone)
    return render(
        request,
        "callbacks/detail.html",
        {"booking": booking, "changeable": changeable, "reschedule_form": reschedule_form, "tz_name": profile.time_zone},
        status=status,
    )


@login_required
@require_GET
def booking_detail(request, reference):
    profile = _customer(request)
    return _detail(request, _own_booking(request, reference), profile)


@login_required
@require_POST
def booking_reschedule(request, reference):
    profile = _customer(request)
    booking = _own_booking(request, reference)
    slots = free_slots(language=booking.language).exclude(pk=booking.slot_id)
    form = RescheduleForm(request.POST, slots=slots, tz_name=profile.time_zone)
    if form.is_valid():
        try:
            starts_at = services.local_slot_start(form.cleaned_data["slot"], profile.time_zone)
            booking = services.booking_reschedule(booking, actor=request.user, starts_at=starts_at)
        except services.CallbackError as exc:
            _add_error(form, exc)
        else:
            messages.success(
                request,
                _("Your call-back is moved to %(time)s. We e-mailed an updated calendar invitation.")
                % {"time": timezone.localtime(booking.slot.starts_at).strftime("%Y-%m-%d %H:%M")},
            )
            return redirect("callbacks:detail", reference=booking.reference)
    return _detail(request, booking, profile, reschedule_form=form)


@login_required
@require_POST
def booking_cancel(request, reference):
    _customer(request)
    booking = _own_booking(request, reference)
    try:
        services.booking_cancel(booking, actor=request.user)
    except services.CallbackError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Your call-back is cancelled."))
    return redirect("callbacks:detail", reference=booking.reference)


# Agent page ----------------------------------------------------------------------------------


def _staff_tz(user: User) -> zoneinfo.ZoneInfo:
    profile = getattr(user, "agent_profile", None)
    try:
        return zoneinfo.ZoneInfo(profile.time_zone if profile else settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _agent_booking(request, reference) -> Booking:
    """A booking the agent may act on; anyone else's is a 404 (a supervisor may act on any)."""
    if not is_callback_agent(request.user):
        raise PermissionDenied(_("This page is for call-back agents."))
    booking = booking_get_for(request.user, reference)
    if not can_act_on_booking(request.user, booking):
        raise Http404
    return booking


def _same_number(booking: Booking, profile) -> bool:
    return bool(profile and profile.phone) and str(profile.phone) == str(booking.phone)


@login_required
@require_GET
def agent_day(request):
    """My call-backs today (in my time zone), with the customer's context and an identity check."""
    from tickets.selectors import customer_open_tickets

    if not is_callback_agent(request.user):
        raise PermissionDenied(_("This page is for call-back agents."))
    agent = request.user
    if request.GET.get("agent", "").isdigit() and is_callback_supervisor(request.user):
        agent = User.objects.filter(pk=int(request.GET["agent"])).first() or request.user
    tz = _staff_tz(request.user)
    today = timezone.now().astimezone(tz).date()
    rows = []
    for booking in bookings_for_agent_day(agent, day=today, tz=tz):
        profile = getattr(booking.customer, "customer_profile", None)
        rows.append(
            {
                "booking": booking,
                "profile": profile,
                "phone_differs": not _same_number(booking, profile),
                "open_tickets": list(customer_open_tickets(booking.customer).only("reference", "subject", "status")[:5]),
                "outcome_form": OutcomeForm(prefix=booking.reference) if booking.is_upcoming else None,
            }
        )
    return render(request, "callbacks/agent.html", {"rows": rows, "day": today, "agent": agent, "tz": tz})


@login_required
@require_POST
def agent_outcome(request, reference):
    booking = _agent_booking(request, reference)
    form = OutcomeForm(request.POST, prefix=booking.reference)
    if form.is_valid():
        try:
            services.booking_outcome(booking, agent=request.user, outcome=form.cleaned_data["outcome"], notes=form.cleaned_data["notes"])
        except services.CallbackError as exc:
            messages.error(request, f"{booking.reference}: {exc}")
        else:
            messages.success(request, _("%(ref)s: outcome recorded.") % {"ref": booking.reference})
    else:
        messages.error(request, _("%(ref)s: choose an outcome.") % {"ref": booking.reference})
    return redirect("callbacks:agent")


@login_required
@require_POST
def agent_convert(request, reference):
    booking = _agent_booking(request, reference)
    ticket = services.booking_convert(booking, agent=request.user)
    messages.success(request, _("%(ref)s: ticket %(ticket)s opened.") % {"ref": booking.reference, "ticket": ticket.reference})
    return redirect("callbacks:agent")


# Schedule page -------------------------------------------------------------------------------


def _schedule_params(request) -> tuple[dt.date, str]:
    view = request.GET.get("view") or request.POST.get("view") or "day"
    view = view if view in ("day", "week") else "day"
    raw = request.GET.get("day") or request.POST.get("day") or ""
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        day = timezone.localdate()
    if view == "week":
        day -= dt.timedelta(days=day.weekday())
    return day, view


def _schedule_url(day: dt.date, view: str) -> str:
    return f"{reverse('callbacks:schedule')}?day={day.isoformat()}&view={view}"


@login_required
@require_GET
def schedule(request):
    """Slots of a day or a week with booked/capacity and the bookings per agent; reassign per booking."""
    if not can_view_schedule(request.user):
        raise PermissionDenied(_("The call-back schedule is for schedulers and supervisors."))
    day, view = _schedule_params(request)
    tz = timezone.get_current_timezone()
    count = 7 if view == "week" else 1
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    slots = list(schedule_slots(start=start, end=dt.datetime.combine(day + dt.timedelta(days=count), dt.time(0), tzinfo=tz)))
    reassign = can_reassign(request.user)
    agents = list(callback_agents()) if reassign else None
    days = []
    for offset in range(count):
        date = day + dt.timedelta(days=offset)
        rows: dict[dt.datetime, list] = {}
        per_agent: dict[str, int] = {}
        for slot in slots:
            local = timezone.localtime(slot.starts_at, tz)
            if local.date() != date:
                continue
            bookings = []
            for booking in slot.bookings.all():
                name = str(booking.assignee) if booking.assignee else _("Unassigned")
                per_agent[name] = per_agent.get(name, 0) + 1
                form = AssignForm(agents=agents, prefix=booking.reference, initial={"agent": booking.assignee_id}) if reassign and booking.is_upcoming else None
                bookings.append({"booking": booking, "form": form})
            rows.setdefault(local, []).append({"slot": slot, "bookings": bookings})
        days.append({"date": date, "rows": sorted(rows.items()), "per_agent": sorted(per_agent.items())})
    step = dt.timedelta(days=count)
    return render(
        request,
        "callbacks/schedule.html",
        {
            "days": days,
            "day": day,
            "view": view,
            "previous": _schedule_url(day - step, view),
            "next": _schedule_url(day + step, view),
            "day_url": _schedule_url(day, "day"),
            "week_url": _schedule_url(day, "week"),
            "tz": tz,
        },
    )


@login_required
@require_POST
def schedule_assign(request, reference):
    if not can_reassign(request.user):
        raise PermissionDenied(_("Only schedulers and supervisors reassign call-backs."))
    booking = booking_get_for(request.user, reference)
    day, view = _schedule_params(request)
    form = AssignForm(request.POST, agents=list(callback_agents()), prefix=booking.reference)
    if form.is_valid():
        try:
            services.booking_assign(booking, agent=form.cleaned_data["agent"], actor=request.user)
        except services.CallbackError as exc:
            messages.error(request, f"{booking.reference}: {exc}")
        else:
            messages.success(request, _("%(ref)s is now assigned to %(agent)s.") % {"ref": booking.reference, "agent": form.cleaned_data["agent"]})
    else:
        messages.error(request, _("%(ref)s: choose an agent.") % {"ref": booking.reference})
    return redirect(_schedule_url(day, view))
