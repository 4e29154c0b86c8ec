"""Agent assistance: articles and canned replies for the case an agent works on (helpcenter/assist.py), and the
agent-only endpoint the chat console asks (GET /api/agent/suggestions/)."""
import uuid

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from chat import services as chat_services
from chat.models import Conversation
from helpcenter import assist, content, search
from helpcenter.services import content_load
from tests.factories import AgentFactory, CustomerFactory, SupervisorFactory, UserFactory, make_ticket
from tickets.models import CannedReply

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh(settings):
    settings.DESK_BASE_URL = "https://desk.example.com"
    search.reset_index()
    cache.clear()  # the endpoint's throttle counts in the cache
    yield
    search.reset_index()


@pytest.fixture
def seeded():
    content_load(content.CATEGORIES, content.ARTICLES)


def chat(customer, *, agent, category, language, messages):
    conversation = Conversation.objects.create(
        customer=customer, category=category, language=language, status=Conversation.Status.ACTIVE, assignee=agent
    )
    for body in messages:
        chat_services.conversation_message_post(conversation, author=customer, body=body, client_id=uuid.uuid4())
    return conversation


# The query ---------------------------------------------------------------------------------------------------


def test_quoted_email_links_and_codes_stay_out_of_the_query():
    message = (
        "Still nothing. My tx is 0x9f8e7d6c5b4a39281706f5e4d3c2b1a0, see https://explorer.example/tx/1 or mail me@x.com\n"
        "-- \nMei\n\n"
        "On Mon, 1 Jan 2024 at 10:00, Support <support@desk.example.com> wrote:\n"
        "> Please send your proof of payment\n"
    )
    query = assist.case_query(subject="Re: [SUP-ABCD1234] Deposit missing", category="funds", language="en", messages=[message])
    assert query == "Deposit missing Still nothing. My tx is , see or mail"
    outlook = "Thanks, it works now.\n\nFrom: Support <support@desk.example.com>\nSent: Monday\nSubject: password reset\n"
    assert assist.strip_quoted(outlook).strip() == "Thanks, it works now."
    chinese = "还是没到账\n\n在 2024年1月1日 10:00，客服 写道：\n> 请提供交易哈希"
    assert assist.strip_quoted(chinese).strip() == "还是没到账"
    assert assist.strip_quoted("> only a quote\nmy answer").strip() == "my answer"


def test_query_is_cut_to_what_the_search_reads_newest_message_first():
    query = assist.case_query(subject="App crash", language="en", messages=["newest words " * 30, "older words"])
    assert query.startswith("App crash newest words") and "older" not in query
    assert len(query) <= assist.QUERY_CHARS and not query.endswith(" ")


def test_a_case_without_words_searches_its_category_name_in_its_language():
    assert assist.case_query(category="verification", language="en", messages=[]) == "Account verification & document review"
    assert assist.case_query(category="funds", language="zh-hans", messages=[]) != assist.case_query(category="funds", language="en", messages=[])


# Articles ----------------------------------------------------------------------------------------------------


def test_ticket_in_english_gets_the_matching_article_with_an_absolute_link(seeded, customer, agent):
    ticket = make_ticket(
        customer, subject="Cannot log in", category="technical", body_text="I can't log in, the app says my password is wrong."
    )
    found = assist.suggestions_for_ticket(ticket, agent=agent)
    assert found.language == "en"
    first = found.articles[0]
    assert first.slug == "login-problems"
    assert first.title == "I can't log in: what to try first"
    assert first.url == "https://desk.example.com/help/a/login-problems/"
    assert first.insert_text == f"{first.title}: {first.url}"
    assert first.snippet and "<" not in first.snippet
    assert len(found.articles) <= 5


def test_ticket_in_chinese_gets_the_chinese_article_and_a_link_that_opens_in_chinese(seeded):
    customer = CustomerFactory(language="zh-hans").user
    ticket = make_ticket(customer, subject="双重验证", category="account_settings", body_text="怎么开启双重验证？", language="zh-hans")
    found = assist.suggestions_for_ticket(ticket)
    first = found.articles[0]
    assert (found.language, first.slug, first.language) == ("zh-hans", "two-factor-authentication", "zh-hans")
    assert first.title == "用二次验证保护您的账户"
    assert first.url == "https://desk.example.com/help/a/two-factor-authentication/?language=zh-hans"
    assert first.insert_text == f"用二次验证保护您的账户: {first.url}"


def test_chat_in_english_and_in_chinese_gets_the_matching_article(seeded, agent):
    english = chat(CustomerFactory().user, agent=agent, category="verification", language="en",
                   messages=["Hello", "My passport was rejected as blurry, what now?"])
    assert assist.suggestions_for_conversation(english, agent=agent).articles[0].slug == "document-rejected"
    chinese = chat(CustomerFactory(language="zh-hans").user, agent=agent, category="funds", language="zh-hans",
                   messages=["我昨天提现了100 USDT，到现在还没到账"])
    first = assist.suggestions_for_conversation(chinese, agent=agent).articles[0]
    assert (first.slug, first.language, first.title) == ("withdrawal-delayed", "zh-hans", "提现延迟或被拒怎么办")


def test_the_latest_customer_messages_count_and_notes_do_not(seeded, customer, agent):
    from tickets.services import ticket_customer_message, ticket_reply

    ticket = make_ticket(customer, subject="Question", category="technical", body_text="Hello")
    ticket_reply(ticket, author=agent, body="two factor authentication google authenticator", internal=True)
    assert "two-factor-authentication" not in [a.slug for a in assist.suggestions_for_ticket(ticket).articles]
    ticket_customer_message(ticket, author=customer, from_email=customer.email, body_text="How do I set up two-factor authentication?")
    assert assist.suggestions_for_ticket(ticket).articles[0].slug == "two-factor-authentication"


def test_an_article_not_yet_translated_is_offered_in_english_with_an_english_link(seeded):
    from helpcenter.models import ArticleTranslation

    ArticleTranslation.objects.filter(article__slug="login-problems", language="zh-hans").delete()
    customer = CustomerFactory(language="zh-hans").user
    ticket = make_ticket(customer, subject="login problems", body_text="I can't log in", category="technical", language="zh-hans")
    first = assist.suggestions_for_ticket(ticket).articles[0]
    assert (first.slug, first.language, first.url) == ("login-problems", "en", "https://desk.example.com/help/a/login-problems/")


def test_the_link_opens_the_article_in_the_language_it_names(seeded, client):
    page = client.get("/help/a/two-factor-authentication/?language=zh-hans").content.decode()
    assert "用二次验证保护您的账户" in page and "Protect your account with two-factor authentication" not in page
    page = client.get("/help/a/two-factor-authentication/?language=xx").content.decode()  # unknown: the reader's own
    assert "Protect your account with two-factor authentication" in page


# Canned replies ----------------------------------------------------------------------------------------------


def test_canned_replies_of_the_case_category_and_language_come_first_then_general_ones_filled_in(customer):
    agent = AgentFactory(user__first_name="Alex", user__last_name="Morgan").user
    customer.first_name, customer.last_name = "Mei", "Chen"
    customer.save()
    CannedReply.objects.create(title="A general", language="en", body="Hi {customer_name}, {agent_name} here.")
    CannedReply.objects.create(title="B funds", language="en", category="funds", body="About {reference} ({subject}): {amount}")
    CannedReply.objects.create(title="C verification", language="en", category="verification", body="Not this one")
    CannedReply.objects.create(title="D funds zh", language="zh-hans", category="funds", body="Not this language")
    ticket = make_ticket(customer, category="funds")
    canned = assist.suggestions_for_ticket(ticket, agent=agent).canned
    assert [(c.title, c.match) for c in canned] == [("B funds", "category"), ("A general", "general")]
    assert canned[0].body == f"About {ticket.reference} (Withdrawal not received): {{amount}}"
    assert canned[1].body == "Hi Mei Chen, Alex Morgan here."


def test_a_chinese_case_gets_chinese_replies_first_then_english_ones():
    for title, language, category in [("en general", "en", ""), ("en funds", "en", "funds"), ("zh general", "zh-hans", ""),
                                       ("zh funds", "zh-hans", "funds"), ("ru funds", "ru", "funds")]:
        CannedReply.objects.create(title=title, language=language, category=category, body="{customer_name} {reference}")
    customer = CustomerFactory(language="zh-hans", user__first_name="Li", user__last_name="Wei").user
    agent = AgentFactory(user__first_name="Ann").user
    conversation = chat(customer, agent=agent, category="funds", language="zh-hans", messages=["你好"])
    canned = assist.suggestions_for_conversation(conversation, agent=agent).canned
    assert [c.title for c in canned] == ["zh funds", "zh general", "en funds", "en general"]
    # A chat has no reference until it becomes a ticket: the placeholder stays for the agent.
    assert canned[0].body == "Li Wei {reference}"


# The endpoint ------------------------------------------------------------------------------------------------


def api(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_assigned_agent_gets_suggestions_for_the_chat_and_the_ticket(seeded, customer, agent):
    conversation = chat(customer, agent=agent, category="technical", language="en", messages=["I can't log in, wrong password"])
    response = api(agent).get(f"/api/agent/suggestions/?conversation={conversation.public_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["language"] == "en"
    assert body["articles"][0]["slug"] == "login-problems"
    assert body["articles"][0]["insert_text"] == "I can't log in: what to try first: https://desk.example.com/help/a/login-problems/"
    assert set(body) == {"language", "articles", "canned"}
    ticket = make_ticket(customer)
    response = api(agent).get(f"/api/agent/suggestions/?ticket={ticket.reference.lower()}")
    assert response.status_code == 200 and response.json()["language"] == "en"


def test_another_agents_chat_is_not_found_and_a_supervisor_sees_it(customer, agent):
    conversation = chat(customer, agent=agent, category="funds", language="en", messages=["Where is my withdrawal?"])
    url = f"/api/agent/suggestions/?conversation={conversation.public_id}"
    assert api(AgentFactory().user).get(url).status_code == 404
    assert api(SupervisorFactory().user).get(url).status_code == 200
    # Offered to an agent: they may look before accepting.
    waiting = Conversation.objects.create(customer=CustomerFactory().user, offered_to=agent)
    assert api(agent).get(f"/api/agent/suggestions/?conversation={waiting.public_id}").status_code == 200
    assert api(agent).get("/api/agent/suggestions/?conversation=no-such-chat").status_code == 404
    assert api(agent).get("/api/agent/suggestions/?ticket=SUP-00000000").status_code == 404


def test_customers_and_other_staff_are_refused_even_for_their_own_case(customer, agent):
    conversation = chat(customer, agent=agent, category="funds", language="en", messages=["Where is my withdrawal?"])
    ticket = make_ticket(customer)
    scheduler = UserFactory(is_staff=True, roles=("scheduler",))
    for who in (customer, CustomerFactory().user, scheduler):
        for query in (f"conversation={conversation.public_id}", f"ticket={ticket.reference}"):
            response = api(who).get(f"/api/agent/suggestions/?{query}")
            assert response.status_code == 403, (who, query)
            assert "articles" not in response.json()
    assert api(None).get(f"/api/agent/suggestions/?ticket={ticket.reference}").status_code == 403


def test_the_endpoint_wants_exactly_one_case(agent):
    assert api(agent).get("/api/agent/suggestions/").status_code == 400
    assert api(agent).get("/api/agent/suggestions/?ticket=SUP-1&conversation=abc").status_code == 400
    assert api(agent).get("/api/agent/suggestions/?ticket=SUP%00X").status_code == 404
