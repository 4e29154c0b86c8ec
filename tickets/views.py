"""The customer's ticket pages: list, new (with self-help first), detail, reply, close, reopen, rate."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from helpcenter import selectors as help_selectors
from helpcenter import services as help_services
from support.categories import RECOMMENDED_CHANNELS, Category
from support.models.sla import Channel
from support.selectors import channel_start_url, channel_statuses
from support.permissions import require_customer
from tickets import services
from tickets.attachments import AttachmentRejected
from tickets.forms import CATEGORY_FIELDS, SELF_HELP, RatingForm, ReplyForm, TicketCreateForm
from tickets.models import Ticket
from tickets.selectors import (
    attachment_get_for,
    ticket_answer_by,
    ticket_details,
    ticket_get_for,
    ticket_thread,
    tickets_for_customer,
)


def _customer(request):
    return require_customer(request.user, _("Ticket pages are for customers; agents work tickets in the admin."))


def _own_ticket(request, reference) -> Ticket:
    ticket = ticket_get_for(request.user, reference)
    if ticket.customer_id != request.user.pk:
        raise Http404  # staff use the admin; these pages show a customer's own tickets only
    return ticket


# What the new-ticket page says of the channels recommended for a category besides e-mail (this form itself).
_CHANNEL_ACTIONS = {
    Channel.CHAT: (gettext_lazy("Live chat answers this faster, in minutes."), gettext_lazy("Start a live chat")),
    Channel.CALLBACK: (gettext_lazy("We can also call you at a time you choose."), gettext_lazy("Book a call-back")),
    Channel.DOCUMENT: (
        gettext_lazy("Documents go faster on the Verification page, which checks each photo at once."),
        gettext_lazy("Upload your documents"),
    ),
    Channel.COMPLAINT: (
        gettext_lazy("Unhappy with an answer you had? A complaint goes to senior support."), gettext_lazy("File a complaint"),
    ),
}


def _channel_offers(category: str, *, vip: bool) -> dict:
    """The ticket's promised response time, and the channels recommended for the category besides this form
    (live chat for an urgent trading problem, say), each with whether it takes a request now."""
    statuses = {status.channel: status for status in channel_statuses(vip=vip)}
    offers = [
        {"channel": channel, "url": channel_start_url(channel), "lead": _CHANNEL_ACTIONS[channel][0],
         "action": _CHANNEL_ACTIONS[channel][1], "status": statuses[channel]}
        for channel in RECOMMENDED_CHANNELS.get(category, ()) if channel in _CHANNEL_ACTIONS
    ]
    return {"ticket_promise": statuses[Channel.WEB].promise, "channel_offers": offers}


@login_required
@require_GET
def ticket_list(request):
    _customer(request)
    tickets = tickets_for_customer(request.user)[:200]
    return render(request, "tickets/list.html", {"tickets": tickets})


@login_required
def ticket_new(request):
    profile = _customer(request)
    category = request.POST.get("category") or request.GET.get("category") or Category.TECHNICAL
    if category not in Category.values:
        category = Category.TECHNICAL
    form = TicketCreateForm(request.POST or None, request.FILES or None, category=category, initial={"account_number": profile.account_number})
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.ticket_create(
                subject=form.cleaned_data["subject"],
                body_text=form.cleaned_data["body"],
                requester_email=request.user.email,
                customer=request.user,
                channel=Ticket.Origin.WEB,
                category=category,
                fields=form.structured(),
                attachments=form.cleaned_data["attachments"],
                actor=request.user,
            )
        except (AttachmentRejected, ValidationError) as exc:
            form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))
        else:
            help_services.attempt_submitted(request.POST.get("help_attempt"), user=request.user)
            messages.success(request, _("Thank you. Your request %(ref)s is registered.") % {"ref": ticket.reference})
            _warn_secrets(request, ticket.secrets_removed)
            return redirect("tickets:detail", reference=ticket.reference)
    return render(
        request,
        "tickets/new.html",
        {
            "form": form,
            "category": category,
            "categories": Category.choices,
            "self_help": SELF_HELP.get(category, []),
            **_channel_offers(category, vip=profile.is_vip),
            "asked_fields": CATEGORY_FIELDS.get(category, ()),
            "help_language": help_selectors.language_of(request),
            "help_attempt": help_services.help_attempt_param(request.POST.get("help_attempt")),
        },
    )


@login_required
def ticket_detail(request, reference):
    _customer(request)
    ticket = _own_ticket(request, reference)
    reply_form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and reply_form.is_valid():
        try:
            message = services.ticket_customer_message(
                ticket,
                from_email=request.user.email,
                author=request.user,
                body_text=reply_form.cleaned_data["body"],
                attachments=reply_form.cleaned_data["attachments"],
            )
        except (services.TicketError, AttachmentRejected) as exc:
            reply_form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your message was added."))
            _warn_secrets(request, message.secrets_removed)
            return redirect("tickets:detail", reference=ticket.reference)
    return render(
        request,
        "tickets/detail.html",
        {
            "ticket": ticket,
            "thread": ticket_thread(ticket, include_internal=False),
            "reply_form": reply_form,
            "rating_form": RatingForm(),
            "details": ticket_details(ticket),
            "answer_by": ticket_answer_by(ticket),
            "can_reopen": ticket.status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED) and services.reopenable(ticket),
        },
    )


@login_required
@require_POST
def ticket_close(request, reference):
    ticket = _own_ticket(request, reference)
    try:
        services.ticket_close(ticket, actor=request.user)
    except services.TicketError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The ticket is closed. You can reopen it within 7 days."))
    return redirect("tickets:detail", reference=ticket.reference)


@login_required
@require_POST
def ticket_reopen(request, reference):
    ticket = _own_ticket(request, reference)
    try:
        services.ticket_reopen(ticket, actor=request.user)
    except services.TicketError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The ticket is open again."))
    return redirect("tickets:detail", reference=ticket.reference)


@login_required
def ticket_rate(request, reference):
    """GET shows a confirm page (a link scanner opening the e-mail link submits nothing); POST rates."""
    ticket = _own_ticket(request, reference)
    initial = {"rating": request.GET.get("score")} if request.GET.get("score") in {"1", "2", "3", "4", "5"} else {}
    form = RatingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.ticket_rate(ticket, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"], actor=request.user)
        except services.TicketError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Thank you for rating our support."))
            return redirect("tickets:detail", reference=ticket.reference)
    return render(request, "tickets/rate.html", {"ticket": ticket, "form": form})


@login_required
@require_GET
def attachment_download(request, reference, attachment_id):
    return attachment_response(attachment_get_for(request.user, reference, attachment_id))


def attachment_response(attachment) -> FileResponse:
    """A stored attachment as a download that a browser will never render as active content."""
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename)
    response["Content-Type"] = attachment.content_type if attachment.content_type.startswith(("image/", "application/pdf", "text/plain")) else "application/octet-stream"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _warn_secrets(request, kinds) -> None:
    """The secret shield's notice on the page, straight after sending (also in the notifications)."""
    if kinds:
        from safety.services import customer_language, secrets_notice

        messages.warning(request, secrets_notice(kinds, language=customer_language(request.user)))
