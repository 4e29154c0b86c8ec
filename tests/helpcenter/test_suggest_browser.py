"""Live suggestions in a real browser (Debian's Chromium under Playwright, daphne as its own process): a
customer writing a ticket sees articles as they type and ends the attempt with "This solved it"; the chat
widget's question box suggests articles too, and starting the chat anyway counts the attempt as sent.
Screenshots land in tests/artifacts/ (gitignored)."""
import pytest

from tests.chat.conftest import chat_open, desk  # noqa: F401  (fixtures: chat open 24x7; daphne serving the desk)
from tests.chat.test_browser import ARTIFACTS, TIMEOUT, _logged_in_page, chromium
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def _shot(page, name: str):
    page.screenshot(path=str(ARTIFACTS / f"suggest-{name}.png"), full_page=True)


def _seed():
    from helpcenter import content
    from helpcenter.services import content_load

    content_load(content.CATEGORIES, content.ARTICLES)


def test_ticket_form_suggests_articles_and_this_solved_it_ends_the_attempt(desk):  # noqa: F811
    from helpcenter.models import HelpSearch

    _seed()
    customer = CustomerFactory().user
    errors = []
    with chromium() as browser:
        page = _logged_in_page(browser, desk, customer, errors, "customer", width=1100)
        page.set_default_timeout(TIMEOUT)
        page.goto("/tickets/new/?category=funds")
        box = page.locator("[data-help-suggest][data-context=ticket]")
        assert box.locator("[data-suggest-list]").is_hidden()
        page.get_by_label("Subject").press_sequentially("withdrawal not arrived", delay=15)
        suggestion = box.locator("li", has=page.locator("a[href='/help/a/withdrawal-delayed/']"))
        suggestion.wait_for()
        assert box.locator("li").count() <= 3
        assert suggestion.locator("mark").count() >= 1  # the words that matched are highlighted
        _shot(page, "1-ticket-suggestions")
        suggestion.get_by_role("button", name="This solved it").click()
        box.get_by_text("Glad that helped. Nothing was sent to support.").wait_for()
        assert page.locator("#ticket-form").is_hidden()
        _shot(page, "2-ticket-solved")

        # Still stuck: the form comes back, empty, with a new attempt.
        box.get_by_role("button", name="I still need help").click()
        page.locator("#ticket-form").wait_for()
        assert page.get_by_label("Subject").input_value() == ""
        assert page.locator("#ticket-form input[name=help_attempt]").input_value() != ""
    assert errors == []
    attempt = HelpSearch.objects.get(user=customer)
    assert attempt.source == "ticket" and attempt.outcome == "solved" and attempt.solved_by.slug == "withdrawal-delayed"
    assert attempt.query == "withdrawal not arrived" and attempt.hits >= 1


def test_chat_widget_suggests_articles_and_a_started_chat_counts_as_sent(desk, chat_open):  # noqa: F811
    from chat.models import Conversation
    from helpcenter.models import HelpSearch
    from tests.chat.conftest import online_agent

    _seed()
    online_agent()
    customer = CustomerFactory().user
    errors = []
    with chromium() as browser:
        page = _logged_in_page(browser, desk, customer, errors, "customer", width=1100)
        page.get_by_role("button", name="Chat with support").click()
        panel = page.get_by_role("dialog", name="Chat with support")
        panel.wait_for()
        panel.get_by_label("Topic").select_option("funds")
        panel.get_by_label("Your question").press_sequentially("my deposit is not credited", delay=15)
        box = panel.locator("[data-help-suggest][data-context=chat]")
        box.locator("a[href='/help/a/deposit-not-arrived/']").wait_for()
        _shot(page, "3-widget-suggestions")
        panel.get_by_role("button", name="Start chat").click()
        panel.locator("[data-thread-host] .chat-thread").get_by_text("my deposit is not credited").wait_for()
    assert errors == []
    assert Conversation.objects.filter(customer=customer).exists()
    attempt = HelpSearch.objects.get(user=customer)
    assert attempt.source == "chat" and attempt.outcome == "submitted"
