"""Reads for the help centre: the reader's language, articles with English fallback, search."""
import logging
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from django.db.models import Count, Max, Q
from django.utils import translation

from helpcenter import search
from helpcenter import semantic as hc_semantic
from helpcenter.models import FALLBACK_LANGUAGE, Article, ArticleTranslation, Category, HelpSearch
from helpcenter.rendering import plain_text, render_markdown
from helpcenter.search import Hit
from support.models.accounts import SUPPORT_LANGUAGES

LANGUAGE_CODES = {code for code, _ in SUPPORT_LANGUAGES}
logger = logging.getLogger(__name__)


def language_of(request=None, requested: str | None = None) -> str:
    """A support language: the one asked for, else the UI language, else the customer's profile, else English."""
    for candidate in (requested, translation.get_language() if request is None else getattr(request, "LANGUAGE_CODE", None)):
        code = (candidate or "").lower()
        if code in LANGUAGE_CODES:
            return code
        if code.split("-")[0] in LANGUAGE_CODES:
            return code.split("-")[0]
    profile = getattr(getattr(request, "user", None), "customer_profile", None) if request is not None else None
    if profile is not None and profile.language in LANGUAGE_CODES:
        return profile.language
    return FALLBACK_LANGUAGE


@dataclass
class ArticleView:
    article: Article
    language: str  # the language shown
    title: str
    body_html: str
    translated: bool  # False when the reader's language is missing and English is shown


def translation_for(article: Article, language: str) -> ArticleTranslation | None:
    found = {t.language: t for t in article.translations.all()}
    return found.get(language) or found.get(FALLBACK_LANGUAGE) or next(iter(found.values()), None)


def article_get(slug: str, *, language: str, include_drafts: bool = False) -> ArticleView | None:
    articles = Article.objects.select_related("category").prefetch_related("translations")
    if not include_drafts:
        articles = articles.filter(status=Article.Status.PUBLISHED)
    article = articles.filter(slug=slug).first()
    if article is None:
        return None
    shown = translation_for(article, language)
    if shown is None:
        return None
    return ArticleView(article, shown.language, shown.title, render_markdown(shown.body), shown.language == language)


def titled(articles, language: str) -> list[dict]:
    """Published articles as {slug, title, language, url} in the reader's language (English when missing)."""
    out = []
    for article in articles:
        shown = translation_for(article, language)
        if shown is not None:
            out.append({"slug": article.slug, "title": shown.title, "language": shown.language, "url": article.get_absolute_url()})
    return out


def related_articles(article: Article, *, language: str) -> list[dict]:
    return titled(article.related.filter(status=Article.Status.PUBLISHED).prefetch_related("translations"), language)


def categories_list(*, language: str) -> list[dict]:
    published = Q(articles__status=Article.Status.PUBLISHED)
    return [
        {"slug": c.slug, "name": c.name_in(language), "count": c.n, "url": c.get_absolute_url()}
        for c in Category.objects.annotate(n=Count("articles", filter=published)).filter(n__gt=0)
    ]


def category_articles(category: Category, *, language: str) -> list[dict]:
    return titled(category.articles.filter(status=Article.Status.PUBLISHED).prefetch_related("translations"), language)


def articles_popular(*, language: str, limit: int = 6) -> list[dict]:
    """Most "helpful" votes first, then the editors' order."""
    articles = (
        Article.objects.filter(status=Article.Status.PUBLISHED)
        .annotate(helpful=Count("votes", filter=Q(votes__helpful=True)))
        .order_by("-helpful", "category__order", "order", "slug")
        .prefetch_related("translations")[:limit]
    )
    return titled(articles, language)


def articles_search(
    query: str, *, language: str, limit: int = 10, semantic: bool = True, semantic_wait: float | None = None
) -> list[Hit]:
    """Ranked hits in the reader's language and English, one per article, highlighted (safe HTML).

    Keywords, fused with semantic matching when the optional extra is installed (helpcenter/semantic.py;
    semantic=False keeps keywords alone). A hit found by meaning only has a plain, unhighlighted snippet.
    semantic_wait bounds, in seconds, how long to wait for the query's vector once keywords are ranked; past
    it the keywords answer alone (suggestions while typing; the vector is still cached for the next call)."""
    query = (query or "").strip()[:200]
    if not query:
        return []
    languages = [language] if language == FALLBACK_LANGUAGE else [language, FALLBACK_LANGUAGE]
    vector = hc_semantic.embed_soon(query) if semantic and hc_semantic.enabled() else None  # beside the keywords
    index = search.current_index()
    results = index.search(query, languages, max(limit * 2, 20))
    if vector is not None:
        try:
            ready = vector.result(timeout=semantic_wait)
            results = hc_semantic.rank(query, languages=languages, keyword_index=index, keyword_hits=results, vector=ready)
        except FutureTimeout:
            pass  # keywords alone this time
        except Exception:  # a broken extra must not take search down: keywords alone
            logger.exception("help semantic ranking failed")
    hits = []
    for doc, score, matched in results[:limit]:
        text = plain_text(doc.body)
        hits.append(
            Hit(
                slug=doc.slug, language=doc.language, title=doc.title, title_html=search.highlight(doc.title, matched),
                snippet_html=search.snippet(text, matched), category=doc.category, score=round(score, 3),
            )
        )
    return hits


# Which suggestion attempts a dashboard channel filter means (searches on the help pages belong to no channel).
ATTEMPT_SOURCES_BY_CHANNEL = {"chat": [HelpSearch.Source.CHAT], "web": [HelpSearch.Source.TICKET]}


def deflection_figures(start, end, *, language: str = "", channel: str = "", top: int = 10) -> dict:
    """Help-centre figures for the supervisor dashboard over [start, end).

    Deflection rate = attempts an article solved / attempts that ended (solved or sent to support anyway);
    attempts with no outcome (the customer left) are counted apart. Searches = help pages, API and attempts;
    "no result" means the search, or an attempt's last query, found nothing."""
    rows = HelpSearch.objects.filter(created_at__gte=start, created_at__lt=end)
    if language:
        rows = rows.filter(language=language)
    attempts = rows.filter(attempt__isnull=False)
    if channel:
        sources = ATTEMPT_SOURCES_BY_CHANNEL.get(channel, [])
        attempts = attempts.filter(source__in=sources)
        rows = attempts  # a channel filter narrows everything to that channel's attempts
    is_attempt = Q(attempt__isnull=False)
    counts = rows.aggregate(
        solved=Count("id", filter=is_attempt & Q(outcome=HelpSearch.Outcome.SOLVED)),
        submitted=Count("id", filter=is_attempt & Q(outcome=HelpSearch.Outcome.SUBMITTED)),
        open=Count("id", filter=is_attempt & Q(outcome="")),
        searches=Count("id"),
        no_result=Count("id", filter=Q(hits=0)),
    )
    ended = counts["solved"] + counts["submitted"]
    no_result = (
        rows.filter(hits=0).values("query_key").annotate(n=Count("id"), example=Max("query"))
        .order_by("-n", "query_key")[:top]
    )
    solving = (
        attempts.filter(outcome=HelpSearch.Outcome.SOLVED, solved_by__isnull=False)
        .values("solved_by__slug").annotate(n=Count("id")).order_by("-n", "solved_by__slug")[:top]
    )
    return {
        **counts,
        "deflection_pct": round(100 * counts["solved"] / ended, 1) if ended else None,
        "no_result_pct": round(100 * counts["no_result"] / counts["searches"], 1) if counts["searches"] else None,
        "top_no_result": [{"query": r["example"], "key": r["query_key"], "n": r["n"]} for r in no_result],
        "top_solving": [{"slug": r["solved_by__slug"], "n": r["n"]} for r in solving],
    }
