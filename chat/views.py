"""Chat over HTTP: the widget's start/state calls, uploads, transcripts, rating, the agent console page."""
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from chat import selectors, services
from chat.models import ChatAttachment, Conversation
from chat.permissions import can_write_conversation, is_chat_agent, is_chat_supervisor
from helpcenter import services as help_services
from support.categories import Category
from support.models.accounts import SUPPORT_LANGUAGES
from support.permissions import require_customer
from tickets.attachments import AttachmentRejected, files_from_uploads
from tickets.views import attachment_response


def _customer(request):
    return require_customer(request.user, _("The chat widget is for customers; agents use the chat console."))


def _own(request, public_id) -> Conversation:
    conversation = selectors.conversation_get_for(request.user, public_id)
    if conversation.customer_id != request.user.pk:
        raise Http404
    return conversation


def _error(message: str, status: int = 400, code: str = "invalid") -> JsonResponse:
    return JsonResponse({"error": message, "code": code}, status=status)


def _ws_url(conversation: Conversation) -> str:
    return f"/ws/chat/{conversation.public_id}/"


def _start_payload(start: services.ChatStart, profile) -> dict:
    conversation = start.conversation
    payload = {
        "conversation": conversation.public_id,
        "status": conversation.status,
        "ws_url": _ws_url(conversation),
        "last_seq": conversation.last_seq,
        "secrets_removed": start.secrets_removed,  # kinds only; the notice is in the chat
    }
    if start.ticket is not None:
        payload["ticket"] = start.ticket.reference
        payload["ticket_url"] = f"/tickets/{start.ticket.reference}/"
        payload["reason"] = start.reason
        if start.next_open:
            local = timezone.localtime(start.next_open, timezone=_tz(profile))
            payload["next_open"] = local.isoformat()
            payload["next_open_display"] = date_format(local, "l j F, H:i")
    return payload


def _tz(profile):
    import zoneinfo

    return zoneinfo.ZoneInfo(profile.time_zone if profile else "UTC")


@login_required
@require_GET
def chat_state(request):
    """What the widget needs on page load: a live chat to resume, and whether chat is open now."""
    profile = _customer(request)
    live = selectors.live_conversations_for_customer(request.user).first()
    language = request.GET.get("language") or (profile.language if profile else "en")
    is_open, next_open = services.chat_is_open(language=language if language in dict(SUPPORT_LANGUAGES) else "en")
    payload = {
        "open": is_open,
        "next_open": timezone.localtime(next_open, timezone=_tz(profile)).isoformat() if next_open else None,
        "categories": [{"value": c.value, "label": str(c.label)} for c in Category],
        "languages": [{"value": code, "label": str(label)} for code, label in SUPPORT_LANGUAGES],
        "language": profile.language,
        "live": None,
        "peak": selectors.peak_status() if is_open else None,
    }
    if live is not None:
        payload["live"] = {"conversation": live.public_id, "status": live.status, "ws_url": _ws_url(live), "last_seq": live.last_seq}
    return JsonResponse(payload)


@login_required
@require_POST
def chat_start(request):
    """Start a chat (multipart or form: category, language, body, client_id, optional files)."""
    profile = _customer(request)
    category = request.POST.get("category", "")
    language = request.POST.get("language", "") or profile.language
    body = (request.POST.get("body") or "").strip()
    if category not in Category.values:
        return _error(_("Choose a category."))
    if language not in dict(SUPPORT_LANGUAGES):
        return _error(_("Choose a language."))
    if not body:
        return _error(_("Write your question first."))
    if len(body.encode()) > 4096:
        return _error(_("A chat message holds at most 4 KB of text."), code="too_large")
    try:
        client_id = uuid.UUID(request.POST.get("client_id") or str(uuid.uuid4()))
    except ValueError:
        return _error("client_id must be a UUID")
    try:
        files = files_from_uploads(request.FILES.getlist("files"))
        start = services.conversation_start(
            request.user, category=category, language=language, body=body, client_id=client_id, files=files
        )
    except AttachmentRejected as exc:
        return _error(str(exc), code="rejected")
    help_services.attempt_submitted(request.POST.get("help_attempt"), user=request.user)
    return JsonResponse(_start_payload(start, profile), status=201)


@login_required
@require_POST
def chat_upload(request, public_id):
    """A message with files (screenshots) from the customer or the chat's agent; same checks as tickets."""
    conversation = selectors.conversation_get_for(request.user, public_id)
    if not can_write_conversation(request.user, conversation):
        return _error(_("This chat has ended."), status=409, code="closed")
    try:
        client_id = uuid.UUID(request.POST.get("client_id") or "")
    except ValueError:
        return _error("client_id must be a UUID")
    uploads = request.FILES.getlist("files")
    if not uploads:
        return _error(_("Choose a file."))
    try:
        files = files_from_uploads(uploads)
        message, created = services.conversation_message_post(
            conversation,
            author=request.user,
            body=(request.POST.get("body") or "")[:4096],
            client_id=client_id,
            files=files,
        )
    except AttachmentRejected as exc:
        return _error(str(exc), code="rejected")
    except services.ChatError as exc:
        return _error(str(exc), status=409, code=exc.code)
    return JsonResponse({"type": "ack", "client_id": str(client_id), "seq": message.seq, "duplicate": not created}, status=201)


@login_required
@require_GET
def chat_attachment(request, public_id, attachment_id):
    conversation = selectors.conversation_get_for(request.user, public_id)
    attachment = ChatAttachment.objects.filter(pk=attachment_id, conversation=conversation).select_related("message").first()
    if attachment is None or (attachment.message.kind == "note" and conversation.customer_id == request.user.pk):
        raise Http404
    return attachment_response(attachment)


@login_required
@require_GET
def chat_list(request):
    _customer(request)
    return render(request, "chat/list.html", {"conversations": selectors.conversations_for_customer(request.user)[:100]})


@login_required
@require_GET
def chat_detail(request, public_id):
    _customer(request)
    conversation = _own(request, public_id)
    thread = selectors.conversation_messages(conversation, include_notes=False)
    return render(request, "chat/detail.html", {"conversation": conversation, "thread": thread})


def _transcript_context(conversation):
    return {"conversation": conversation, "thread": selectors.conversation_messages(conversation, include_notes=False, limit=10000)}


@login_required
@require_GET
def chat_transcript(request, public_id, fmt):
    conversation = _own(request, public_id)
    if fmt == "txt":
        response = HttpResponse(services.transcript_text(conversation), content_type="text/plain; charset=utf-8")
    else:
        html = render_to_string("chat/transcript.html", _transcript_context(conversation), request=request)
        response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="chat-{conversation.public_id}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def chat_transcript_email(request, public_id):
    conversation = _own(request, public_id)
    services.conversation_transcript_email(conversation, customer=request.user)
    messages.success(request, _("The transcript is on its way to %(email)s.") % {"email": request.user.email})
    return redirect("chat:detail", public_id=conversation.public_id)


@login_required
@require_POST
def chat_rate(request, public_id):
    conversation = _own(request, public_id)
    try:
        rating = int(request.POST.get("rating", ""))
        services.conversation_rate(conversation, customer=request.user, rating=rating, comment=request.POST.get("comment", ""))
    except (ValueError, services.ChatError) as exc:
        messages.error(request, str(exc) if isinstance(exc, services.ChatError) else _("Choose 1 to 5 stars."))
    else:
        messages.success(request, _("Thank you for rating the chat."))
    return redirect("chat:detail", public_id=conversation.public_id)


@login_required
@require_GET
def console(request):
    """The agent console: queue, my chats, the conversation, customer context."""
    if not is_chat_agent(request.user):
        raise PermissionDenied(_("The chat console is for agents."))
    from tickets.models import CannedReply

    canned = list(CannedReply.objects.values("id", "title", "body", "language"))
    from chat.models import AgentPresence

    agents = list(
        AgentPresence.objects.filter(agent__is_active=True).exclude(agent=request.user).select_related("agent").values(
            "agent_id", "agent__first_name", "agent__last_name", "agent__email", "status"
        )
    )
    config = {
        "ws_url": "/ws/chat/agent/",
        "me": request.user.pk,
        "me_first_name": request.user.first_name or request.user.email.split("@")[0],
        "categories": [{"value": c.value, "label": str(c.label)} for c in Category],
        "supervisor": is_chat_supervisor(request.user),
        "canned": canned,
        "agents": [
            {"id": a["agent_id"], "name": f"{a['agent__first_name']} {a['agent__last_name']}".strip() or a["agent__email"], "status": a["status"]}
            for a in agents
        ],
        "languages": [{"value": code, "label": str(label)} for code, label in SUPPORT_LANGUAGES],
    }
    return render(request, "chat/console.html", {"config": config})
