"""What an agent sees beside a case: help articles and canned replies that fit it.

The query is the case's own words: the subject and the customer's latest messages (quoted e-mail, links,
addresses and long codes taken out), cut to what the search reads; the case's category ranks the hits. Articles come in the
customer's language (English where an article is not translated) with a link that opens in that language;
canned replies of the case's category and language come first, then general ones, placeholders filled.
Everything here stays agent-side; the case's text is never logged.
"""
import html
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation
from django.utils.html import strip_tags

from helpcenter.models import FALLBACK_LANGUAGE, Article
from helpcenter.rendering import plain_text
from helpcenter.selectors import articles_search, translation_for
from support.categories import Category

QUERY_CHARS = 200  # what articles_search reads
MESSAGES = 3
SNIPPET_CHARS = 160
MIN_SHARE_OF_BEST = 0.25
# A hit in the help category that matches the case's category is worth a little more.
CATEGORY_BOOST = 1.25
HELP_CATEGORIES = {
    Category.URGENT_TRADING: ("trading",),
    Category.VERIFICATION: ("verification",),
    Category.FUNDS: ("funds",),
    Category.TECHNICAL: ("trading", "account"),
    Category.ACCOUNT_SETTINGS: ("account", "security"),
    Category.COMPLAINT: ("account",),
}


@dataclass
class ArticleSuggestion:
    slug: str
    title: str  # in the customer's language, or English when the article is not translated
    language: str  # of the title and of the page the link opens
    snippet: str  # plain text
    url: str  # absolute, on the desk's own address
    insert_text: str  # "Title: URL", what "Insert link" puts into the reply


@dataclass
class CannedSuggestion:
    id: int
    title: str
    language: str
    category: str
    body: str  # placeholders filled for the case
    match: str  # "category" or "general"


@dataclass
class Suggestions:
    language: str  # the case's
    articles: list[ArticleSuggestion] = field(default_factory=list)
    canned: list[CannedSuggestion] = field(default_factory=list)


# The case's words -------------------------------------------------------------------------------------------

_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|sv|回复|答复|转发)\s*[:：]\s*|\[[^\]]{0,40}\]\s*)+", re.IGNORECASE)
# Where a reply's quoted part begins: the attribution line, an Outlook header block, a forwarded-message rule.
_QUOTE_START = re.compile(
    r"^[ \t]*(?:"
    r"On\b[^\n]{0,300}(?:\n[^\n]{0,200})?\bwrote:"
    r"|在[^\n]{0,200}写道[:：]"
    r"|-{2,}\s*(?:Original Message|Forwarded message|原始邮件|转发的邮件)\s*-{2,}"
    r"|_{10,}"
    r"|(?:From|发件人)\s*[:：][^\n]*\n[ \t]*(?:Sent|Date|To|发送时间|时间|收件人)\s*[:：]"
    r")",
    re.IGNORECASE | re.MULTILINE,
)
_SIGNATURE = re.compile(r"^-- ?$", re.MULTILINE)
_NOISE = re.compile(
    r"https?://\S+|www\.\S+|\S+@\S+"  # links and addresses
    r"|\b(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{9,}\b"  # hashes, account numbers, references: no help article has them
)


def strip_quoted(text: str) -> str:
    """The new part of an e-mail: what comes before the quoted message, without '>' lines or the signature."""
    text = (text or "").replace("\r\n", "\n")
    for pattern in (_QUOTE_START, _SIGNATURE):
        found = pattern.search(text)
        if found:
            text = text[: found.start()]
    return "\n".join(line for line in text.split("\n") if not line.lstrip().startswith(">"))


def _clean(text: str) -> str:
    return " ".join(_NOISE.sub(" ", text or "").split())


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return cut[:space] if space > limit // 2 else cut  # a whole word where there are words (Chinese has none)


def case_query(*, subject: str = "", category: str = "", language: str, messages: list[str]) -> str:
    """One search query from a case: the subject, then the customer's latest messages (newest first).

    The category's name is searched only when the case has no words yet: as words it outweighs what the
    customer wrote ("Platform technical fault" beats "I can't log in"), so it ranks the hits instead."""
    parts = [_clean(_REPLY_PREFIX.sub("", subject or ""))]
    parts += [_clean(strip_quoted(message)) for message in messages]
    query = " ".join(p for p in parts if p)
    if not query and category in Category.values:
        with translation.override(language):
            query = str(Category(category).label)
    return _cut(query, QUERY_CHARS)


# Suggestions ------------------------------------------------------------------------------------------------


def _article_url(article: Article, language: str) -> str:
    url = settings.DESK_BASE_URL.rstrip("/") + article.get_absolute_url()
    return url if language == FALLBACK_LANGUAGE else f"{url}?language={language}"


def _plain(snippet_html: str) -> str:
    return " ".join(html.unescape(strip_tags(snippet_html or "")).split())


def articles_for_case(query: str, *, category: str, language: str, limit: int = 5) -> list[ArticleSuggestion]:
    if not query:
        return []
    preferred = HELP_CATEGORIES.get(category, ())
    hits = articles_search(query, language=language, limit=limit * 2)
    if hits and min(h.score for h in hits) >= 0:  # weak hits beside a strong one are noise to an agent
        best = max(h.score for h in hits)
        hits = [h for h in hits if h.score >= best * MIN_SHARE_OF_BEST]
    ranked = sorted(
        enumerate(hits), key=lambda ih: (-(ih[1].score * (CATEGORY_BOOST if ih[1].category in preferred else 1.0)), ih[0])
    )
    hits = [hit for _, hit in ranked[:limit]]
    articles = {
        a.slug: a
        for a in Article.objects.filter(slug__in=[h.slug for h in hits], status=Article.Status.PUBLISHED).prefetch_related("translations")
    }
    out = []
    for hit in hits:
        article = articles.get(hit.slug)
        shown = translation_for(article, language) if article else None
        if shown is None:
            continue
        if shown.language == hit.language:
            snippet = _plain(hit.snippet_html)
        else:  # matched in English, shown in the customer's language: the start of that translation
            body = plain_text(shown.body)
            snippet = body if len(body) <= SNIPPET_CHARS else body[:SNIPPET_CHARS].rstrip() + "…"
        url = _article_url(article, shown.language)
        out.append(ArticleSuggestion(
            slug=article.slug, title=shown.title, language=shown.language, snippet=snippet, url=url,
            insert_text=f"{shown.title}: {url}",
        ))
    return out


def _canned(*, category: str, language: str, values: dict, limit: int) -> list[CannedSuggestion]:
    from tickets.selectors import canned_fill, canned_replies_for_case

    return [
        CannedSuggestion(
            id=r.pk, title=r.title, language=r.language, category=r.category, body=canned_fill(r.body, values), match=r.match
        )
        for r in canned_replies_for_case(category=category, language=language, limit=limit)
    ]


def suggestions_for_ticket(ticket, *, agent=None, limit: int = 5) -> Suggestions:
    """Articles and canned replies for a ticket (its subject, category and the customer's latest messages)."""
    from tickets.selectors import ticket_latest_customer_texts, ticket_placeholders

    query = case_query(
        subject=ticket.subject, category=ticket.category, language=ticket.language,
        messages=ticket_latest_customer_texts(ticket, limit=MESSAGES),
    )
    values = ticket_placeholders(ticket, agent) if agent is not None else {"reference": ticket.reference, "subject": ticket.subject}
    return Suggestions(
        language=ticket.language,
        articles=articles_for_case(query, category=ticket.category, language=ticket.language, limit=limit),
        canned=_canned(category=ticket.category, language=ticket.language, values=values, limit=limit),
    )


def suggestions_for_conversation(conversation, *, agent=None, limit: int = 5) -> Suggestions:
    """Articles and canned replies for a chat (its category and the customer's latest messages).

    In chat a customer sees an agent's first name only, so {agent_name} is the first name."""
    from chat.selectors import conversation_latest_customer_texts

    query = case_query(
        category=conversation.category, language=conversation.language,
        messages=conversation_latest_customer_texts(conversation, limit=MESSAGES),
    )
    customer = conversation.customer
    values = {
        "customer_name": customer.get_full_name() or customer.email,
        "reference": conversation.ticket.reference if conversation.ticket_id else None,
        "agent_name": agent.first_name if agent is not None else None,
    }
    return Suggestions(
        language=conversation.language,
        articles=articles_for_case(query, category=conversation.category, language=conversation.language, limit=limit),
        canned=_canned(category=conversation.category, language=conversation.language, values=values, limit=limit),
    )
