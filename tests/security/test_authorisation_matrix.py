"""Who may reach what: every URL pattern (from the URL conf) and every API operation (from the OpenAPI
schema), for each role, against objects that belong to customer A.

The expectations are the tables below. A pattern or operation missing from them fails the test, so a new
endpoint cannot ship without someone deciding who may use it. Codes: "200" etc. as returned, "login" for a
redirect to a login page, "302" for any other redirect. Another customer's object must look missing (404).
"""
import datetime as dt
import io
import json
import uuid
from types import SimpleNamespace

import pytest
import time_machine
from django.contrib import admin
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from PIL import Image

from tests.factories import AgentFactory, CustomerFactory, UserFactory, make_ticket

pytestmark = pytest.mark.django_db
ROLES = ("anon", "A", "B", "agent", "supervisor", "scheduler", "reviewer")
STAFF = ("agent", "supervisor", "scheduler", "reviewer")


# Enumeration ----------------------------------------------------------------------------------------------


def url_patterns(resolver=None, prefix="", namespace=""):
    """(route, name, pattern) for every pattern of the URL conf, recursively; name is namespaced."""
    resolver = resolver or get_resolver()
    for item in resolver.url_patterns:
        if isinstance(item, URLResolver):
            ns = f"{namespace}{item.namespace}:" if item.namespace else namespace
            yield from url_patterns(item, prefix + str(item.pattern), ns)
        else:
            yield prefix + str(item.pattern), f"{namespace}{item.name}" if item.name else None, item


ADMIN_MODEL_VIEWS = ("changelist", "add", "change", "history", "delete")


def admin_model_route(name: str | None):
    """(model admin, view) when `name` is one of the generic views of a registered model, else None."""
    for model, model_admin in admin.site._registry.items():
        base = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        if name and name.startswith(base) and name[len(base):] in ADMIN_MODEL_VIEWS:
            return model_admin, name[len(base):]
    return None


def api_operations():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in schema["paths"].items():
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                yield method.upper(), path


# Customer A's world, and the people who come knocking --------------------------------------------------------


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def world(db, settings):
    from callbacks import services as callback_services
    from callbacks.models import CapacityRule
    from chat import services as chat_services
    from chat.models import ChatAttachment, Conversation
    from complaints.services import complaint_open
    from helpcenter import content as help_content
    from helpcenter.services import content_load as help_content_load
    from kyc import services as kyc_services
    from support.models import Language
    from support.services.notifications import notification_send
    from tests.callbacks.conftest import MONDAY_8AM, at, book
    from tests.kyc.conftest import fill_details, submitted
    from tickets.attachments import IncomingFile

    settings.AXES_ENABLED = False  # hundreds of logins from one IP are the point here
    with time_machine.travel(MONDAY_8AM, tick=False):
        a, b = CustomerFactory(), CustomerFactory()
        users = {
            "A": a.user,
            "B": b.user,
            "agent": AgentFactory().user,
            "supervisor": AgentFactory(user__roles=("agent", "supervisor")).user,
            "scheduler": UserFactory(is_staff=True, roles=("scheduler",)),
            "reviewer": AgentFactory(user__roles=("agent", "document_reviewer")).user,
        }
        ticket = make_ticket(a.user, attachments=[IncomingFile("statement.png", "image/png", png())])
        conversation = Conversation.objects.create(customer=a.user, category="funds", language="en")
        chat_services.conversation_message_post(
            conversation, author=a.user, body="see the screenshot", client_id=uuid.uuid4(), files=[IncomingFile("s.png", "image/png", png())]
        )
        rule = CapacityRule.objects.create(name="Every day", weekdays="0,1,2,3,4,5,6", starts=dt.time(5), ends=dt.time(23, 30))
        rule.languages.set(Language.objects.filter(code="en"))
        rule.agents.set([users["agent"]])
        callback_services.slots_generate(rule, start=MONDAY_8AM.date(), days=2)
        booking = book(a.user, at(10))
        case = fill_details(kyc_services.case_get_or_create(a), a.user)
        document = submitted(case, a.user)
        complaint = complaint_open(a.user, source_type="ticket", source_reference=ticket.reference, reason="Nobody answered my withdrawal question.")
        notification = notification_send(a.user, kind="ticket", message="Your ticket was answered", url=f"/tickets/{ticket.reference}/")
        help_content_load(help_content.CATEGORIES[:1], help_content.ARTICLES[:1])  # one public help article
    return SimpleNamespace(
        users=users, profile=a, ticket=ticket, attachment=ticket.messages.first().attachments.first(),
        conversation=conversation, chat_attachment=ChatAttachment.objects.get(conversation=conversation),
        booking=booking, document=document, page=document.pages.first(), complaint=complaint, notification=notification,
        reset=(urlsafe_base64_encode(force_bytes(a.user.pk)), default_token_generator.make_token(a.user)),
    )


def clients(world) -> dict[str, Client]:
    out = {"anon": Client()}
    for role, user in world.users.items():
        out[role] = Client()
        out[role].force_login(user)
    return out


def page_kwargs(name: str, world) -> dict:
    """Values for a pattern's arguments: customer A's objects of the kind the pattern names."""
    ns = name.split(":")[0] if ":" in name else ""
    reference = {
        "tickets": world.ticket.reference, "callbacks": world.booking.reference, "complaints": world.complaint.reference,
    }.get(ns)
    public_id = {"chat": world.conversation.public_id, "kyc": world.document.public_id}.get(ns)
    attachment_id = {"tickets": world.attachment.pk, "chat": world.chat_attachment.pk}.get(ns)
    values = {
        "reference": reference, "public_id": public_id, "attachment_id": attachment_id, "page_id": world.page.public_id,
        "notification_id": world.notification.pk, "fmt": "txt", "uidb64": world.reset[0], "token": world.reset[1],
        "slug": "account" if name == "helpcenter:category" else "support-hours",
    }
    return values


def outcome(response) -> str:
    if 300 <= response.status_code < 400:
        location = response.headers.get("Location", "")
        return "login" if location.startswith(("/accounts/login/", "/admin/login/")) else "302"
    return str(response.status_code)


def concrete(name: str, pattern: URLPattern, world) -> str:
    from django.urls import reverse

    wanted = set(pattern.pattern.regex.groupindex)
    values = page_kwargs(name, world)
    return reverse(name, kwargs={k: values[k] for k in wanted})


def observe(url: str, who: dict[str, Client], method="get", roles=ROLES, **extra) -> dict[str, str]:
    return {role: outcome(getattr(who[role], method)(url, **extra)) for role in roles}


def site_patterns():
    """The personal area, staff pages and accounts: everything but the admin and the API."""
    for route, name, pattern in url_patterns():
        if not route.startswith(("admin/", "api/")):
            yield route, name, pattern


# The tables ------------------------------------------------------------------------------------------------
# One row per pattern: the outcome of a GET for anon, A, B, agent, supervisor, scheduler, reviewer (document
# reviewer), in that order. 405: the page only takes POST (see UNSAFE below). Staff "302": sent to the admin.


def row(codes: str) -> dict[str, str]:
    values = codes.split()
    assert len(values) == len(ROLES), codes
    return dict(zip(ROLES, values))


PAGES = {
    # The personal area's shared core.
    "home": row("login 200 200 302 302 302 302"),
    "profile": row("login 200 200 302 302 302 302"),
    "contact": row("200 200 200 200 200 200 200"),
    "notifications": row("login 200 200 200 200 200 200"),  # everyone's own
    "notifications_read": row("login 405 405 405 405 405 405"),
    "notification_open": row("login 405 405 405 405 405 405"),
    "set_language": row("405 405 405 405 405 405 405"),
    "healthz": row("200 200 200 200 200 200 200"),
    "safety:check": row("200 200 200 200 200 200 200"),  # the public "is this really support?" checker
    # The help centre: public, read-only but for the helpful vote (POST).
    "helpcenter:home": row("200 200 200 200 200 200 200"),
    "helpcenter:search": row("200 200 200 200 200 200 200"),
    "helpcenter:category": row("200 200 200 200 200 200 200"),
    "helpcenter:article": row("200 200 200 200 200 200 200"),
    "helpcenter:vote": row("405 405 405 405 405 405 405"),
    # Supervisor pages.
    "supervisor:dashboard": row("login 403 403 403 200 403 403"),
    "supervisor:at_risk": row("login 403 403 403 200 403 403"),
    "supervisor:csv": row("login 403 403 403 200 403 403"),
    "supervisor:escalations": row("login 403 403 403 200 403 403"),
    # Accounts.
    "login": row("200 302 302 302 302 302 302"),
    "logout": row("405 405 405 405 405 405 405"),
    "password_reset": row("200 200 200 200 200 200 200"),
    "password_reset_done": row("200 200 200 200 200 200 200"),
    "password_reset_confirm": row("200 200 200 200 200 200 200"),  # A's link: whoever holds it (the e-mail)
    "password_reset_complete": row("200 200 200 200 200 200 200"),
    # Tickets: customers' own pages; staff work tickets in the admin. Files: whoever may see the ticket.
    "tickets:list": row("login 200 200 403 403 403 403"),
    "tickets:new": row("login 200 200 403 403 403 403"),
    "tickets:detail": row("login 200 404 403 403 403 403"),
    "tickets:close": row("login 405 405 405 405 405 405"),
    "tickets:reopen": row("login 405 405 405 405 405 405"),
    "tickets:rate": row("login 200 404 404 404 404 404"),
    "tickets:attachment": row("login 200 404 200 200 404 200"),
    # Chat: a customer's own conversation; staff see a chat's files when it is theirs (supervisors: all).
    "chat:list": row("login 200 200 403 403 403 403"),
    "chat:state": row("login 200 200 403 403 403 403"),
    "chat:start": row("login 405 405 405 405 405 405"),
    "chat:console": row("login 403 403 200 200 403 200"),
    "chat:detail": row("login 200 404 403 403 403 403"),
    "chat:upload": row("login 405 405 405 405 405 405"),
    "chat:attachment": row("login 200 404 404 200 404 404"),
    "chat:transcript": row("login 200 404 404 404 404 404"),
    "chat:transcript_email": row("login 405 405 405 405 405 405"),
    "chat:rate": row("login 405 405 405 405 405 405"),
    # Call-backs: the customer's bookings; the agent's day and the schedule for staff who take call-backs.
    "callbacks:list": row("login 200 200 403 403 403 403"),
    "callbacks:new": row("login 200 200 403 403 403 403"),
    "callbacks:agent": row("login 403 403 200 200 200 200"),
    "callbacks:outcome": row("login 405 405 405 405 405 405"),
    "callbacks:convert": row("login 405 405 405 405 405 405"),
    "callbacks:schedule": row("login 403 403 200 200 200 200"),
    "callbacks:assign": row("login 405 405 405 405 405 405"),
    "callbacks:detail": row("login 200 404 403 403 403 403"),
    "callbacks:booked": row("login 200 404 403 403 403 403"),
    "callbacks:reschedule": row("login 405 405 405 405 405 405"),
    "callbacks:cancel": row("login 405 405 405 405 405 405"),
    # Verification: the customer's own documents; page files to the owner and to reviewers only (audited);
    # the unprocessed original to reviewers only.
    "kyc:home": row("login 200 200 403 403 403 403"),
    "kyc:start": row("login 405 405 405 405 405 405"),
    "kyc:document": row("login 200 404 403 403 403 403"),
    "kyc:upload": row("login 405 405 405 405 405 405"),
    "kyc:remove": row("login 405 405 405 405 405 405"),
    "kyc:submit": row("login 405 405 405 405 405 405"),
    "kyc:file": row("login 200 404 404 200 404 200"),
    "kyc:file_original": row("login 404 404 404 200 404 200"),
    # Complaints.
    "complaints:list": row("login 200 200 403 403 403 403"),
    "complaints:new": row("login 200 200 403 403 403 403"),
    "complaints:detail": row("login 200 404 403 403 403 403"),
}

# POST to the pages that take only POST, with an empty form, by everyone but A: "ok" marks a role allowed to do
# it (not sent: it would change A's case; the apps' own tests cover it). Anything sent must leave A's objects
# as they were.
UNSAFE = {
    "notifications_read": row("login ok 302 302 302 302 302"),  # marks one's own read
    "notification_open": row("login ok 404 404 404 404 404"),
    "set_language": row("302 ok 302 302 302 302 302"),
    "logout": row("ok ok ok ok ok ok ok"),  # ends one's own session (tests/support/test_consumers.py)
    "tickets:close": row("login ok 404 404 404 404 404"),
    "tickets:reopen": row("login ok 404 404 404 404 404"),
    "chat:start": row("login ok 400 403 403 403 403"),  # B: its own (empty) start
    "chat:upload": row("login ok 404 404 409 404 404"),  # a supervisor may watch but not write
    "chat:transcript_email": row("login ok 404 404 404 404 404"),
    "chat:rate": row("login ok 404 404 404 404 404"),
    "callbacks:outcome": row("login 403 403 ok ok 404 404"),  # the booking's agent, supervisors
    "callbacks:convert": row("login 403 403 ok ok 404 404"),
    "callbacks:assign": row("login 403 403 403 ok ok 403"),  # the schedule keepers
    "callbacks:reschedule": row("login ok 404 403 403 403 403"),
    "callbacks:cancel": row("login ok 404 403 403 403 403"),
    "kyc:start": row("login ok 302 403 403 403 403"),  # B: its own document
    "kyc:upload": row("login ok 404 403 403 403 403"),
    "kyc:remove": row("login ok 404 403 403 403 403"),
    "kyc:submit": row("login ok 404 403 403 403 403"),
    "helpcenter:vote": row("302 302 302 302 302 302 302"),  # anyone's own vote (no answer given: nothing stored)
}

# Every operation of the OpenAPI schema. GETs are sent by everyone; other methods (an empty JSON body) by every
# role not marked "ok", and must leave A's objects as they were. DRF answers an anonymous caller 403 (session
# authentication comes first). Ticket staff may work A's ticket through the API as in the admin.
API = {
    ("GET", "/api/me/"): row("403 200 200 200 200 200 200"),
    ("PATCH", "/api/me/"): row("403 ok ok 400 400 400 400"),  # one's own profile; staff have none here
    ("GET", "/api/customers/{account_number}/"): row("403 200 404 404 200 404 404"),
    # Agent assistance for one case named in the query (AGENT_SUGGESTIONS below); without one, 400 for agents.
    ("GET", "/api/agent/suggestions/"): row("403 403 403 400 400 403 400"),
    ("GET", "/api/contact/"): row("200 200 200 200 200 200 200"),
    ("GET", "/api/check/"): row("400 400 400 400 400 400 400"),  # public; 400: no value given
    ("GET", "/api/help/search/"): row("400 400 400 400 400 400 400"),  # public; 400: no question given
    ("GET", "/api/help/articles/{slug}/"): row("200 200 200 200 200 200 200"),  # public
    ("GET", "/api/help/suggest/"): row("200 200 200 200 200 200 200"),  # public; no question: no suggestions
    ("POST", "/api/help/suggest/solved/"): row("403 400 400 400 400 400 400"),  # one's own attempt only
    ("POST", "/api/auth/token/"): row("400 400 400 400 400 400 400"),  # public; 400: no credentials
    ("GET", "/api/tickets/"): row("403 200 200 200 200 200 200"),  # one's own, or the queue for staff
    ("POST", "/api/tickets/"): row("403 ok 400 403 403 403 403"),
    ("GET", "/api/tickets/{reference}/"): row("403 200 404 200 200 404 200"),
    ("GET", "/api/tickets/{reference}/attachments/{attachment_id}/"): row("403 200 404 200 200 404 200"),
    ("POST", "/api/tickets/{reference}/messages/"): row("403 ok 404 400 400 404 400"),
    ("POST", "/api/tickets/{reference}/close/"): row("403 ok 404 ok ok 404 ok"),
    ("POST", "/api/tickets/{reference}/reopen/"): row("403 ok 404 ok ok 404 ok"),
    ("POST", "/api/tickets/{reference}/rate/"): row("403 ok 404 400 400 404 400"),
    ("GET", "/api/callbacks/"): row("403 200 200 403 403 403 403"),
    ("POST", "/api/callbacks/"): row("403 ok 400 403 403 403 403"),
    ("GET", "/api/callbacks/slots/"): row("403 200 200 403 403 403 403"),
    ("GET", "/api/callbacks/{reference}/"): row("403 200 404 404 404 404 404"),
    ("POST", "/api/callbacks/{reference}/reschedule/"): row("403 ok 404 404 404 404 404"),
    ("POST", "/api/callbacks/{reference}/cancel/"): row("403 ok 404 404 404 404 404"),
    ("GET", "/api/kyc/"): row("403 200 200 403 403 403 403"),
    ("PUT", "/api/kyc/"): row("403 ok 400 403 403 403 403"),
    ("GET", "/api/kyc/documents/"): row("403 200 200 403 403 403 403"),
    ("POST", "/api/kyc/documents/"): row("403 ok 400 403 403 403 403"),
    ("GET", "/api/kyc/documents/{public_id}/"): row("403 200 404 403 403 403 403"),
    ("POST", "/api/kyc/documents/{public_id}/pages/"): row("403 ok 404 403 403 403 403"),
    ("DELETE", "/api/kyc/documents/{public_id}/pages/{page_id}/"): row("403 ok 404 403 403 403 403"),
    ("POST", "/api/kyc/documents/{public_id}/submit/"): row("403 ok 404 403 403 403 403"),
    ("GET", "/api/kyc/files/{page_id}/"): row("403 200 404 404 200 404 200"),
    ("GET", "/api/complaints/"): row("403 200 200 403 403 403 403"),
    ("POST", "/api/complaints/"): row("403 ok 400 403 403 403 403"),
    ("GET", "/api/complaints/{reference}/"): row("403 200 404 403 403 403 403"),
}
# URL patterns under api/ that are not operations of the schema.
API_OUTSIDE_SCHEMA = {"api-schema": row("200 200 200 200 200 200 200"), "api-docs": row("200 200 200 200 200 200 200")}

# Admin pages that are not a registered model's generic views (those follow the role's permissions: see
# test_admin_model_views_follow_the_roles_permissions). Customers are sent to the admin's login page.
ADMIN = {
    "admin:index": row("login login login 200 200 200 200"),
    "admin:login": row("200 200 200 302 302 302 302"),
    "admin:logout": row("302 302 302 405 405 405 405"),
    "admin:password_change": row("login login login 200 200 200 200"),
    "admin:password_change_done": row("login login login 200 200 200 200"),
    "admin:autocomplete": row("login login login 403 403 403 403"),  # 403: no field asked for
    "admin:jsi18n": row("login login login 200 200 200 200"),
    "admin:view_on_site": row("login login login 404 404 404 404"),  # tickets have no public page
    "admin:app_list": row("login login login 200 200 404 200"),  # the tickets app: ticket staff only
    "admin:catch_all": row("login login login 404 404 404 404"),
    "admin:auth_user_password_change": row("login login login 403 403 403 403"),  # A's password: superusers only
    # Answering forms: POST only; a GET goes back to the change page (POSTs: ADMIN_UNSAFE).
    "admin:tickets_ticket_reply": row("login login login 302 302 302 302"),
    "admin:tickets_ticket_claim": row("login login login 302 302 302 302"),
    "admin:complaints_complaint_answer": row("login login login 302 302 302 302"),
}


def api_url(path: str, world) -> str:
    owner = {"tickets": world.ticket.reference, "callbacks": world.booking.reference, "complaints": world.complaint.reference}
    kind = path.split("/")[2]
    return (
        path.replace("{reference}", owner.get(kind, ""))
        .replace("{public_id}", str(world.document.public_id))
        .replace("{page_id}", str(world.page.public_id))
        .replace("{attachment_id}", str(world.attachment.pk))
        .replace("{account_number}", world.profile.account_number)
        .replace("{slug}", "support-hours")
    )


def snapshot(world) -> dict:
    """What a refused request must not change about customer A's cases."""
    from callbacks.models import Booking
    from chat.models import ChatMessage, Conversation
    from kyc.models import Document, DocumentPage
    from support.models import CustomerProfile, Notification
    from tickets.models import Ticket, TicketMessage

    return {
        "ticket": list(Ticket.objects.filter(pk=world.ticket.pk).values("status", "rating", "assignee", "closed_at")),
        "ticket_messages": TicketMessage.objects.filter(ticket=world.ticket).count(),
        "conversation": list(Conversation.objects.filter(pk=world.conversation.pk).values("status", "rating", "assignee")),
        "chat_messages": ChatMessage.objects.filter(conversation=world.conversation).count(),
        "booking": list(Booking.objects.filter(pk=world.booking.pk).values("status", "slot", "assignee", "outcome_at", "notes")),
        "document": list(Document.objects.filter(pk=world.document.pk).values("status", "submitted_at")),
        "pages": DocumentPage.objects.filter(document=world.document).count(),
        "notification": list(Notification.objects.filter(pk=world.notification.pk).values("read_at")),
        "profile": list(CustomerProfile.objects.filter(pk=world.profile.pk).values()),
        "complaint": list(type(world.complaint).objects.filter(pk=world.complaint.pk).values("status", "acknowledgement", "resolution")),
    }


def missing(table: dict, observed: dict) -> str:
    lines = [f'    {key!r}: row("{" ".join(codes.values())}"),' for key, codes in observed.items() if key not in table]
    return "no entry in the table for:\n" + "\n".join(lines)


def test_every_page_pattern_has_an_entry_and_each_role_gets_it(world):
    who = clients(world)
    patterns = {name: pattern for _route, name, pattern in site_patterns()}
    assert None not in patterns, "name every URL pattern, so the table can refer to it"
    unlisted = [name for name in patterns if name not in PAGES]
    if unlisted:  # decided before anything else is asked; what each role gets now, as a starting point
        suggestions = {}
        for name in unlisted:
            try:
                suggestions[name] = observe(concrete(name, patterns[name], world), who)
            except Exception as exc:
                suggestions[name] = dict.fromkeys(ROLES, f"?{type(exc).__name__}")
        pytest.fail(missing(PAGES, suggestions))
    assert set(PAGES) <= set(patterns), f"entries for patterns that no longer exist: {set(PAGES) - set(patterns)}"
    observed = {name: observe(concrete(name, pattern, world), who) for name, pattern in patterns.items()}
    wrong = {name: (PAGES[name], got) for name, got in observed.items() if got != PAGES[name]}
    assert wrong == {}


def test_post_only_pages_refuse_everyone_but_the_owner_and_change_nothing(world):
    who = clients(world)
    patterns = {name: pattern for _route, name, pattern in site_patterns()}
    post_only = {name for name, codes in PAGES.items() if codes["A"] == "405"}
    assert post_only == set(UNSAFE), f"UNSAFE must list exactly the POST-only pages: {post_only ^ set(UNSAFE)}"
    before = snapshot(world)
    wrong = {}
    for name, expected in UNSAFE.items():
        roles = [role for role in ROLES if expected[role] != "ok"]
        got = observe(concrete(name, patterns[name], world), who, method="post", roles=roles)
        if got != {role: expected[role] for role in roles}:
            wrong[name] = got
    assert wrong == {}
    assert snapshot(world) == before


def test_every_api_operation_has_an_entry_and_each_role_gets_it(world):
    who = clients(world)
    operations = list(api_operations())
    assert set(operations) <= set(API), "no entry in API for: " + ", ".join(f"{m} {p}" for m, p in operations if (m, p) not in API)
    assert set(API) <= set(operations), f"entries for operations that no longer exist: {set(API) - set(operations)}"
    before = snapshot(world)
    wrong = {}
    for method, path in operations:
        expected = API[(method, path)]
        url = api_url(path, world)
        roles = [role for role in ROLES if expected[role] != "ok"]
        if method == "GET":
            got = observe(url, who, roles=roles)
        else:
            got = observe(url, who, method=method.lower(), roles=roles, data="{}", content_type="application/json")
        if got != {role: expected[role] for role in roles}:
            wrong[(method, path)] = got
    assert wrong == {}
    assert snapshot(world) == before


def test_every_api_url_pattern_is_in_the_schema_or_listed(world):
    from django.urls import reverse

    schema_paths = {path for _method, path in api_operations()}
    who = clients(world)
    for route, name, _pattern in url_patterns():
        if not route.startswith("api/"):
            continue
        templated = "/" + route.replace("<str:", "{").replace("<int:", "{").replace(">", "}")
        if templated in schema_paths:
            continue
        assert name in API_OUTSIDE_SCHEMA, f"/{route} ({name}) is neither in the OpenAPI schema nor in API_OUTSIDE_SCHEMA"
        assert observe(reverse(name), who) == API_OUTSIDE_SCHEMA[name]


# GET /api/agent/suggestions/ for A's ticket and A's chat: agents only (customers, A included, and the scheduler
# 403); the chat is neither assigned nor offered to anyone, so only the supervisor may see it (others 404).
AGENT_SUGGESTIONS = {
    "ticket": row("403 403 403 200 200 403 200"),
    "conversation": row("403 403 403 404 200 403 404"),
}


def test_agent_suggestions_follow_the_case_rules(world):
    who = clients(world)
    cases = {"ticket": world.ticket.reference, "conversation": world.conversation.public_id}
    observed = {kind: observe(f"/api/agent/suggestions/?{kind}={value}", who) for kind, value in cases.items()}
    assert observed == AGENT_SUGGESTIONS


def admin_patterns():
    for route, name, pattern in url_patterns():
        if route.startswith("admin/") and not admin_model_route(name):
            yield route, name, pattern


OBJECT_REDIRECT = r"^admin/\w+/\w+/<path:object_id>/$"  # the old change-view URL, redirected to it


def admin_url(route: str, name: str | None, world) -> tuple[str, str]:
    import re

    from django.contrib.contenttypes.models import ContentType
    from django.urls import reverse

    from tickets.models import Ticket

    if name is None:
        assert route.endswith("(?P<url>.*)$"), route
        return "admin:catch_all", "/admin/no/such/page/"
    values = {
        "app_label": "tickets", "pk": world.complaint.pk if "complaint" in name else world.ticket.pk, "id": world.users["A"].pk,
        "content_type_id": ContentType.objects.get_for_model(Ticket).pk, "object_id": world.ticket.pk,
    }
    wanted = re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route)
    kwargs = {a or b: values[a or b] for a, b in wanted if (a or b) != "url"}
    return name, reverse(name, kwargs=kwargs)


def test_every_other_admin_page_has_an_entry_and_each_role_gets_it(world):
    import re

    who = clients(world)
    observed = {}
    for route, name, _pattern in admin_patterns():
        if re.match(OBJECT_REDIRECT, route):
            continue
        key, url = admin_url(route, name, world)
        observed[key] = observe(url, who)
    assert set(observed) <= set(ADMIN), missing(ADMIN, observed)
    wrong = {key: got for key, got in observed.items() if got != ADMIN[key]}
    assert wrong == {}


def test_admin_model_views_follow_the_roles_permissions(world):
    """Every registered model's change list and change view: customers are sent to log in, staff without the
    model's view or change permission get 403, and no one gets more than their role's permissions."""
    who = clients(world)
    users = {"anon": None, **world.users}
    problems = []
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        urls = [f"/admin/{opts.app_label}/{opts.model_name}/"]
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(f"/admin/{opts.app_label}/{opts.model_name}/{first.pk}/change/")
        for url in urls:
            for role in ROLES:
                got = outcome(who[role].get(url))
                user = users[role]
                if user is None or not user.is_staff:
                    ok = got == "login"
                else:
                    may = user.has_perm(f"{opts.app_label}.view_{opts.model_name}") or user.has_perm(f"{opts.app_label}.change_{opts.model_name}")
                    ok = got in ("200", "302", "403") if may else got == "403"
                if not ok:
                    problems.append((url, role, got))
    assert problems == []


# The admin's answering forms, POSTed with a real answer by the roles that must not answer ("ok": may). They
# refuse by sending the caller back to the change page (which answers them 403); the snapshot proves it.
ADMIN_UNSAFE = {
    "admin:tickets_ticket_reply": (row("login login login ok ok 302 ok"), {"body": "Please send me your seed phrase."}),
    "admin:tickets_ticket_claim": (row("login login login ok ok 302 ok"), {}),
    "admin:complaints_complaint_answer": (row("login login login 302 ok 302 302"), {"action": "resolve", "text": "Closed by someone else."}),
}


def test_admin_answer_forms_refuse_roles_without_the_permission_and_change_nothing(world):
    from django.urls import reverse

    who = clients(world)
    before = snapshot(world)
    wrong = {}
    for name, (expected, data) in ADMIN_UNSAFE.items():
        pk = world.complaint.pk if "complaint" in name else world.ticket.pk
        roles = [role for role in ROLES if expected[role] != "ok"]
        got = observe(reverse(name, kwargs={"pk": pk}), who, method="post", roles=roles, data=data)
        if got != {role: expected[role] for role in roles}:
            wrong[name] = got
    assert wrong == {}
    assert snapshot(world) == before
    assert set(ADMIN_UNSAFE) == {name for name, codes in ADMIN.items() if codes["agent"] == "302" and name.endswith(("_reply", "_claim", "_answer"))}
