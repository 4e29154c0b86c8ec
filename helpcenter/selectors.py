"""Reads for the help centre: the reader's language, articles with English fallback, search."""
import logging
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import translation

from helpcenter import search
from helpcenter import semantic as hc_semantic
from helpcenter.models import FALLBACK_LANGUAGE, Article, ArticleTranslation, Category
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


def articles_search(query: str, *, language: str, limit: int = 10, semantic: bool = True) -> list[Hit]:
    """Ranked hits in the reader's language and English, one per article, highlighted (safe HTML).

    Keywords, fused with semantic matching when the optional extra is installed (helpcenter/semantic.py;
    semantic=False keeps keywords alone). A hit found by meaning only has a plain, unhighlighted snippet."""
    query = (query or "").strip()[:200]
    if not query:
        return []
    languages = [language] if language == FALLBACK_LANGUAGE else [language, FALLBACK_LANGUAGE]
    index = search.current_index()
    results = index.search(query, languages, max(limit * 2, 20))
    if semantic and hc_semantic.enabled():
        try:
            results = hc_semantic.rank(query, languages=languages, keyword_index=index, keyword_hits=results)
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
