"""The live chat in a real browser: a customer starts a chat in the widget, an agent takes it in the
console and answers, the customer sees the answer, and the chat ends with transcript and rating.

Daphne runs as its own process against the test database and the real Redis channel layer (pytest-django's
live_server speaks no websockets); Chromium is Debian's (`apt-get install chromium`), driven by Playwright.
Screenshots of every step land in tests/artifacts/ (gitignored), with daphne's log.
"""
import contextlib
import os
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES
from tests.factories import PASSWORD, AgentFactory, CustomerFactory, SupervisorFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
TIMEOUT = 15_000  # ms: a frame through Redis and a render, with room for a slow CI machine


def _need(condition: bool, message: str):
    if not condition:
        if REQUIRE_SERVICES:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@contextlib.contextmanager
def chromium():
    """Debian's Chromium under Playwright. Started after the test's own database work: Playwright's sync API
    runs an event loop in this thread, and Django refuses ORM calls while one runs."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need(False, "needs playwright (requirements.txt)")
    _need(os.path.exists(CHROMIUM), f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def _shot(page, name: str):
    page.screenshot(path=str(ARTIFACTS / f"chat-{name}.png"), full_page=True)


def test_customer_starts_chat_agent_accepts_and_answers(desk, chat_open, client):
    from tickets.models import CannedReply

    customer = CustomerFactory(user__first_name="Mei", user__last_name="Chen", account_number="70012345").user
    agent = AgentFactory(user__first_name="Alex", user__last_name="Morgan", languages=["en"]).user
    CannedReply.objects.create(title="Greeting", language="en", body="Hi {customer_name}, {agent_name} here. Ticket {reference}?")

    # The agent: a session made by force_login, handed to the browser as its cookie.
    client.force_login(agent)
    agent_session = client.cookies["sessionid"].value
    errors = []
    with chromium() as browser:
        agent_context = browser.new_context(base_url=desk, viewport={"width": 1400, "height": 900})
        agent_context.add_cookies([{"name": "sessionid", "value": agent_session, "url": desk}])
        console = agent_context.new_page()
        console.set_default_timeout(TIMEOUT)
        console.on("pageerror", lambda exc: errors.append(f"console: {exc}"))
        console.on("dialog", lambda dialog: dialog.accept())
        console.goto("/chat/console/")
        console.get_by_role("status").filter(has_text="Connected").wait_for()
        availability = console.get_by_role("switch", name="Available")
        assert availability.get_attribute("aria-checked") == "false"
        availability.click()
        console.wait_for_selector("[data-availability][aria-checked=true]")
        _shot(console, "1-agent-available")

        # The customer logs in through the login page; the widget sits on every personal-area page.
        customer_context = browser.new_context(base_url=desk, viewport={"width": 1100, "height": 900})
        widget_page = customer_context.new_page()
        widget_page.set_default_timeout(TIMEOUT)
        widget_page.on("pageerror", lambda exc: errors.append(f"widget: {exc}"))
        widget_page.goto("/accounts/login/")
        widget_page.get_by_label("E-mail address").fill(customer.email)
        widget_page.get_by_label("Password").fill(PASSWORD)
        widget_page.get_by_role("button", name="Log in").click()
        widget_page.wait_for_url(f"{desk}/")
        assert widget_page.locator("#chat-widget-panel").is_hidden()
        widget_page.get_by_role("button", name="Chat with support").click()
        panel = widget_page.get_by_role("dialog", name="Chat with support")
        panel.wait_for()
        assert panel.get_by_text("Support never asks for your password or 2FA/SMS codes.").is_visible()
        panel.get_by_label("Topic").select_option("funds")
        panel.get_by_label("Your question").fill("My withdrawal of 100 USDT has not arrived.")
        _shot(widget_page, "2-customer-start-form")
        panel.get_by_role("button", name="Start chat").click()
        thread = panel.locator("[data-thread-host] .chat-thread")
        thread.get_by_text("My withdrawal of 100 USDT has not arrived.").wait_for()
        panel.get_by_text("Waiting for an agent…").wait_for()
        _shot(widget_page, "3-customer-waiting")

        # The agent is offered the chat (and sees it in the queue), accepts it and sees the question.
        offer = console.locator(".chat-offer")
        offer.get_by_text("Mei Chen").wait_for()
        console.locator("[data-queue] tr", has_text="Mei Chen").wait_for()
        _shot(console, "4-agent-offer")
        offer.get_by_role("button", name="Accept").click()
        pane = console.locator("[data-pane]")
        pane.get_by_role("heading", name="Mei Chen").wait_for()
        pane.get_by_text("My withdrawal of 100 USDT has not arrived.").wait_for()
        context_panel = console.locator("[data-context]")
        context_panel.get_by_text("70012345").wait_for()
        assert console.locator(".chat-offer").count() == 0

        # The customer learns who answers.
        panel.get_by_text("You are chatting with Alex.").wait_for()

        # A canned reply fills in the customer's and the agent's names, and leaves other placeholders alone.
        console.get_by_label("Canned replies").select_option(label="Greeting")
        reply = console.get_by_label("Reply")
        assert reply.input_value() == "Hi Mei Chen, Alex here. Ticket {reference}?"
        reply.fill("")
        reply.press_sequentially("Let me check", delay=20)
        panel.get_by_text("Support is typing…").wait_for()
        _shot(widget_page, "5-customer-sees-typing")
        reply.fill("Hello Mei, I am checking your withdrawal now.")
        console.get_by_role("button", name="Send", exact=True).click()
        _shot(console, "6-agent-answered")

        # The customer sees the answer; the agent sees it was read.
        answer = thread.locator(".chat-msg--agent", has_text="Hello Mei, I am checking your withdrawal now.")
        answer.wait_for()
        assert "Alex" in answer.locator(".chat-msg__author").inner_text()
        assert not panel.get_by_text("Support is typing…").is_visible()
        console.locator(".chat-msg--out.chat-msg--read", has_text="I am checking").wait_for()
        thread.locator(".chat-msg--out.chat-msg--read", has_text="100 USDT").wait_for()
        _shot(widget_page, "7-customer-sees-answer")

        # Another page of the personal area: the chat reopens with its history, each message once.
        widget_page.goto("/tickets/")
        answer.wait_for()
        assert thread.locator(".chat-msg", has_text="100 USDT").count() == 1
        assert thread.locator(".chat-msg", has_text="I am checking").count() == 1

        # An internal note stays with the staff.
        console.get_by_label("Internal note").check()
        reply.fill("Checked the chain: tx pending.")
        reply.press("Enter")
        console.locator(".chat-msg--note", has_text="tx pending").wait_for()
        console.locator(".chat-msg--note:not(.chat-msg--pending)", has_text="tx pending").wait_for()

        # The customer answers; then the agent ends the chat and the customer gets transcript and rating.
        message = panel.get_by_label("Message")
        message.fill("Thank you!")
        message.press("Enter")
        pane.get_by_text("Thank you!").wait_for()
        console.get_by_role("button", name="End chat").click()
        panel.get_by_text("This chat has ended.").wait_for()
        console.get_by_text("Support ended the chat.").wait_for()
        console.wait_for_timeout(1000)  # a late frame the server refuses would show as an error here
        assert console.locator("[data-toast]").is_hidden(), console.locator("[data-toast]").inner_text()
        assert panel.get_by_role("link", name="Download as text (.txt)").get_attribute("href").endswith("/transcript.txt")
        assert panel.get_by_role("button", name="Send rating").is_visible()
        assert thread.get_by_text("tx pending").count() == 0
        _shot(widget_page, "8-customer-chat-ended")
        _shot(console, "9-agent-chat-ended")

        panel.get_by_role("radio", name="5").check()
        panel.get_by_role("button", name="Send rating").click()
        widget_page.get_by_text("Thank you for rating the chat.").wait_for()
        _shot(widget_page, "10-customer-rated")
    assert errors == []

    from chat.models import Conversation

    conversation = Conversation.objects.get(customer=customer)
    assert conversation.category == "funds" and conversation.status == Conversation.Status.CLOSED
    assert conversation.assignee == agent
    assert conversation.rating == 5
    kinds = list(conversation.messages.order_by("seq").values_list("kind", flat=True))
    assert kinds.count("note") == 1 and "agent" in kinds


def _logged_in_page(browser, desk, user, errors, name, width=1400):
    """A fresh browser context logged in through the login page."""
    page = browser.new_context(base_url=desk, viewport={"width": width, "height": 900}).new_page()
    page.set_default_timeout(TIMEOUT)
    page.on("pageerror", lambda exc: errors.append(f"{name}: {exc}"))
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page


def _active_chat(first_message: str):
    """A customer chatting with an agent, made through the services (the first test covers doing it by hand)."""
    from chat import services
    from chat.models import AgentPresence

    customer = CustomerFactory(user__first_name="Li").user
    agent = AgentFactory(user__first_name="Ann", languages=["en"]).user
    services.agent_presence_set(agent, status=AgentPresence.Status.AVAILABLE)
    conversation = services.conversation_start(customer, category="technical", language="en", body=first_message).conversation
    services.conversation_accept(conversation, agent=agent)
    return customer, agent, conversation


def _closed_until_the_day_after_tomorrow():
    """Chat on a calendar that opens only two days from now, 09:00-17:00 UTC."""
    import datetime as dt

    from django.utils import timezone

    from support.models import BusinessCalendar, SLAPolicy, WeeklyHours

    calendar = BusinessCalendar.objects.create(name="Opens later", time_zone="UTC")
    weekday = (timezone.now().weekday() + 2) % 7
    WeeklyHours.objects.create(calendar=calendar, weekday=weekday, opens=dt.time(9), closes=dt.time(17))
    SLAPolicy.objects.filter(channel="chat").update(calendar=calendar)


@pytest.mark.parametrize(
    "why, before, after",
    [
        ("no agent", "No agent who speaks this language is available right now", "No agent who speaks this language is available now"),
        ("closed", "Support is closed now and opens", "Support opens"),
    ],
    ids=["no-agent", "closed"],
)
def test_out_of_hours_or_without_an_agent_the_message_becomes_a_ticket(desk, chat_open, why, before, after):
    from tickets.models import Ticket

    if why == "closed":
        _closed_until_the_day_after_tomorrow()
    customer = CustomerFactory().user
    errors = []
    with chromium() as browser:
        page = _logged_in_page(browser, desk, customer, errors, "widget", width=1100)
        page.get_by_role("button", name="Chat with support").click()
        panel = page.get_by_role("dialog", name="Chat with support")
        panel.get_by_text(before).wait_for()
        panel.get_by_label("Your question").fill("Is my deposit credited?")
        panel.get_by_role("button", name="Start chat").click()
        panel.get_by_text("we will answer by e-mail").wait_for()
        _shot(page, f"ticket-{why.replace(' ', '-')}")
        text = panel.locator("[data-offline-text]").inner_text()
        ticket_link = panel.locator("[data-offline-text] a")
        reference, href = ticket_link.inner_text(), ticket_link.get_attribute("href")
    assert errors == []
    assert text.startswith(after) and f"your message is ticket {reference}" in text
    if why == "closed":
        assert "17:00" in text  # 09:00 UTC in the customer's Asia/Shanghai
    assert href == f"/tickets/{reference}/"
    assert Ticket.objects.filter(reference=reference, customer=customer).exists()


def test_unacked_message_is_resent_once_after_the_socket_drops(desk, chat_open):
    from chat.models import ChatMessage

    customer, _agent, conversation = _active_chat("First")
    errors = []
    lost = {"on": False}
    routes = []

    def relay(route):
        # Between page and server: while `lost` is on, what the page sends never arrives.
        server = route.connect_to_server()
        routes.append(route)
        route.on_message(lambda message: None if lost["on"] else server.send(message))

    with chromium() as browser:
        page = _logged_in_page(browser, desk, customer, errors, "widget", width=1100)
        page.route_web_socket("**/ws/chat/*/", relay)
        page.reload()
        panel = page.get_by_role("dialog", name="Chat with support")
        panel.get_by_text("First").wait_for()  # the live chat reopened on page load
        lost["on"] = True
        panel.get_by_label("Message").fill("Sent into the void")
        panel.get_by_label("Message").press("Enter")
        page.wait_for_timeout(1000)
        assert panel.locator(".chat-msg--pending", has_text="Sent into the void").count() == 1
        lost["on"] = False
        routes[-1].close(code=4000, reason="link lost")
        panel.locator(".chat-msg--out:not(.chat-msg--pending)", has_text="Sent into the void").wait_for()
        assert panel.locator(".chat-msg", has_text="Sent into the void").count() == 1
        _shot(page, "resent-after-reconnect")
    assert errors == []
    assert ChatMessage.objects.filter(conversation=conversation, body="Sent into the void").count() == 1


def test_supervisor_watches_takes_over_and_requeues(desk, chat_open, tmp_path):
    customer, agent, _conversation = _active_chat("Chart frozen")
    supervisor = SupervisorFactory(user__first_name="Sam").user
    screenshot = tmp_path / "screen.png"
    screenshot.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    errors = []
    with chromium() as browser:
        boss = _logged_in_page(browser, desk, supervisor, errors, "supervisor")
        boss.goto("/chat/console/")
        console = _logged_in_page(browser, desk, agent, errors, "agent")
        console.goto("/chat/console/")
        console.locator("[data-pane]").get_by_text("Chart frozen").wait_for()
        page = _logged_in_page(browser, desk, customer, errors, "widget", width=1100)
        panel = page.get_by_role("dialog", name="Chat with support")
        panel.get_by_text("You are chatting with Ann.").wait_for()

        # A screenshot from the customer reaches the agent as a link.
        page.set_input_files("#chat-widget-files", str(screenshot))
        console.locator("[data-pane] .chat-msg__files a", has_text="screen.png").wait_for()
        panel.locator(".chat-msg__files a", has_text="screen.png").wait_for()

        # The supervisor watches (read-only), then takes over and writes.
        boss.locator("[data-live] tr").first.get_by_role("button", name="Watch").click()
        boss.locator("[data-pane]").get_by_text("Chart frozen").wait_for()
        assert boss.locator("[data-composer]").is_hidden()
        _shot(boss, "supervisor-watching")
        boss.locator("[data-takeover]").click()
        boss.get_by_label("Reply").fill("Sam here, I will take it from now.")
        boss.get_by_label("Reply").press("Enter")
        panel.get_by_text("Sam here, I will take it from now.").wait_for()
        console.get_by_text("Transferred to a colleague").first.wait_for()
        _shot(boss, "supervisor-took-over")

        # Back to the English queue: the customer waits again.
        boss.get_by_label("Transfer", exact=True).select_option("language:en")
        boss.get_by_role("button", name="Transfer", exact=True).click()
        panel.get_by_text("Waiting for an agent…").wait_for()
        _shot(page, "customer-requeued")
    assert errors == []


def test_agent_sees_suggested_articles_and_inserts_a_link_at_the_cursor(desk, chat_open):
    from helpcenter import content
    from helpcenter.services import content_load

    content_load(content.CATEGORIES, content.ARTICLES)
    customer, agent, _conversation = _active_chat("I can't log in, the app says my password is wrong")
    errors = []
    with chromium() as browser:
        console = _logged_in_page(browser, desk, agent, errors, "agent")
        console.goto("/chat/console/")
        console.locator("[data-pane]").get_by_text("the app says my password is wrong").wait_for()
        panel = console.get_by_role("region", name="Suggested articles")
        login = panel.get_by_role("listitem").filter(has_text="I can't log in: what to try first")
        login.wait_for()
        url = login.get_by_role("link", name="Open article").get_attribute("href")
        assert url.startswith("http") and url.endswith("/help/a/login-problems/")
        _shot(console, "suggested-articles")

        # The agent has written a sentence and puts the caret where the link belongs.
        reply = console.get_by_label("Reply")
        reply.fill("Hello Li, please read and tell me if it helps.")
        reply.evaluate("(box) => box.setSelectionRange(21, 21)")  # after "please read"
        login.get_by_role("button", name="Insert link").click()
        link_text = f"I can't log in: what to try first: {url}"
        assert reply.input_value() == f"Hello Li, please read {link_text} and tell me if it helps."
        assert reply.evaluate("(box) => box.selectionStart") == len("Hello Li, please read ") + len(link_text)
        _shot(console, "suggested-article-inserted")

        # The customer writes about something else: a moment later the panel follows.
        page = _logged_in_page(browser, desk, customer, errors, "widget", width=1100)
        widget = page.get_by_role("dialog", name="Chat with support")
        widget.get_by_text("You are chatting with Ann.").wait_for()
        widget.get_by_label("Message").fill("And how do I turn on two-factor authentication?")
        widget.get_by_label("Message").press("Enter")
        console.locator("[data-pane]").get_by_text("turn on two-factor authentication").wait_for()
        panel.get_by_role("listitem").filter(has_text="Protect your account with two-factor authentication").wait_for()
        assert reply.input_value() == f"Hello Li, please read {link_text} and tell me if it helps."  # what was typed stays
    assert errors == []
