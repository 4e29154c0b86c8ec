"""Changes to the help centre: helpful votes, and loading articles (the seed command, imports)."""
from django.core.cache import cache
from django.db import transaction

from helpcenter.models import Article, ArticleTranslation, Category, HelpfulVote

VOTES_PER_HOUR = 30


class VoteLimited(Exception):
    pass


def vote_record(article: Article, *, language: str, helpful: bool, session_key: str, user=None, client: str = "") -> HelpfulVote:
    """One vote per session per article (a second vote changes the first); at most VOTES_PER_HOUR per client."""
    key = f"helpcenter:votes:{client or session_key}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=3600)
        count = 1
    if count > VOTES_PER_HOUR:
        raise VoteLimited
    vote, _ = HelpfulVote.objects.update_or_create(
        article=article, session_key=session_key,
        defaults={"language": language, "helpful": helpful, "user": user if getattr(user, "is_authenticated", False) else None},
    )
    return vote


@transaction.atomic
def content_load(categories: list[dict], articles: list[dict]) -> tuple[int, int]:
    """Update or create categories and articles by slug (idempotent). Returns (created, updated) articles."""
    by_slug = {}
    for c in categories:
        by_slug[c["slug"]], _ = Category.objects.update_or_create(
            slug=c["slug"], defaults={"order": c["order"], "name": c["name"], "names": c.get("names", {})}
        )
    created = updated = 0
    loaded = {}
    for order, a in enumerate(articles):
        article, was_created = Article.objects.update_or_create(
            slug=a["slug"], defaults={"category": by_slug[a["category"]], "status": Article.Status.PUBLISHED, "order": order}
        )
        created += was_created
        updated += not was_created
        for language, t in a["translations"].items():
            ArticleTranslation.objects.update_or_create(
                article=article, language=language,
                defaults={"title": t["title"], "body": t["body"].strip() + "\n", "keywords": t.get("keywords", "")},
            )
        loaded[a["slug"]] = article
    for a in articles:
        loaded[a["slug"]].related.set([loaded[s] for s in a.get("related", []) if s in loaded])
    return created, updated
