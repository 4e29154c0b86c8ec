"""A ticket in a real browser, both sides: the customer opens it from the form (fields of the category, a
screenshot), the agent answers it from the admin's ticket page with a canned reply, the customer sees the
answer, closes the ticket and rates it.

Served by daphne against the test database (the chat browser tests' `desk` fixture); Debian's Chromium
under Playwright. Screenshots of every step land in tests/artifacts/ (gitignored).
"""
import struct
import zlib

import pytest

from tests.chat.conftest import chat_open, desk  # noqa: F401  (fixtures: chat open 24x7; daphne serving the desk)
from tests.chat.test_browser import ARTIFACTS, _logged_in_page, chromium
from tests.factories import AgentFactory, CustomerFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def _png(path, width=40, height=30) -> None:
    rows = b"".join(b"\x00" + bytes([200, 30, 30]) * width for _ in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    )


def _shot(page, name: str):
    page.screenshot(path=str(ARTIFACTS / f"ticket-{name}.png"), full_page=True)


def test_customer_opens_a_ticket_agent_answers_it_in_the_admin_customer_closes_and_rates(desk, chat_open, tmp_path):  # noqa: F811
    from tickets.models import CannedReply, Ticket

    customer = CustomerFactory(user__first_name="Mei", user__last_name="Chen", account_number="70012345").user
    agent = AgentFactory(user__first_name="Alex", user__last_name="Morgan", languages=["en"]).user
    CannedReply.objects.create(title="Checking", language="en", body="Hello {customer_name}, we are checking {reference}.")
    screenshot = tmp_path / "error.png"
    _png(screenshot)
    errors = []
    with chromium() as browser:
        page = _logged_in_page(browser, desk, customer, errors, "customer", width=1100)
        page.goto("/tickets/new/")
        page.get_by_label("What is it about?").select_option("funds")
        page.wait_for_url("**/tickets/new/?category=funds")
        page.get_by_role("link", name="Book a call-back").wait_for()  # the category's other channel
        form = page.locator("#ticket-form")
        form.get_by_label("Subject").fill("Withdrawal not arrived")
        form.get_by_label("Transaction ID or hash").fill("0x3a1f5c0e9b7d")
        form.get_by_label("Amount").fill("250")
        form.get_by_label("Currency").fill("USDT")
        form.get_by_label("Payment method").fill("Bank transfer")
        form.get_by_label("Describe the problem").fill("I withdrew 250 USDT on Monday and it has not arrived.")
        form.get_by_label("Screenshots or documents").set_input_files(str(screenshot))
        _shot(page, "1-customer-form")
        form.get_by_role("button", name="Send").click()
        page.get_by_text("is registered").wait_for()
        reference = page.url.rstrip("/").rsplit("/", 1)[1]  # no ORM while Playwright's loop runs in this thread
        assert reference.startswith("SUP-")
        page.get_by_text("We will answer by").wait_for()
        assert page.locator(".details dd", has_text="250 USDT").is_visible()
        assert page.get_by_role("link", name="error.png").is_visible()
        _shot(page, "2-customer-ticket")

        agent_page = _logged_in_page(browser, desk, agent, errors, "agent", width=1300)
        agent_page.goto("/admin/tickets/ticket/")
        agent_page.get_by_role("link", name=reference).click()
        agent_page.get_by_text("I withdrew 250 USDT on Monday").wait_for()
        _shot(agent_page, "3-agent-ticket")
        # The answer panel spans the page under the ticket's fields (it once shrank to a column of single words).
        answer = agent_page.locator("fieldset.ticket-answer")
        content = agent_page.locator("#content-main")
        assert answer.bounding_box()["width"] >= 0.9 * content.bounding_box()["width"]
        agent_page.get_by_role("button", name="Claim: I am answering").click()
        agent_page.get_by_role("button", name="Checking").click()  # the canned reply, placeholders filled
        body = agent_page.locator("#id_body")
        assert body.input_value() == f"Hello Mei Chen, we are checking {reference}."
        body.fill(body.input_value() + " The bank transfer left us on Tuesday.")
        agent_page.locator("fieldset.ticket-answer").get_by_role("button", name="Send").click()
        agent_page.get_by_text("The bank transfer left us on Tuesday.").wait_for()
        _shot(agent_page, "4-agent-answered")

        page.reload()
        page.get_by_text("The bank transfer left us on Tuesday.").wait_for()
        assert page.get_by_text("We will answer by").count() == 0
        page.get_by_role("button", name="My problem is solved: close the ticket").click()
        page.get_by_role("button", name="Reopen").wait_for()
        rating = page.locator("form[action$='/rate/']")  # (the chat widget has a rating of its own)
        rating.get_by_label("5").check()
        rating.get_by_label("Anything to add?").fill("Quick and clear.")
        rating.get_by_role("button", name="Rate").click()
        page.get_by_text("You rated this ticket 5 of 5").wait_for()
        _shot(page, "5-customer-closed-and-rated")
    ticket = Ticket.objects.get()
    assert ticket.reference == reference and (ticket.status, ticket.rating, ticket.rating_comment) == ("closed", 5, "Quick and clear.")
    assert ticket.messages.filter(kind="reply", author=agent).exists()
    assert errors == []
