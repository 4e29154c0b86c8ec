"""Changes to the help centre: helpful votes, the search log and deflection attempts, loading articles."""
import re
import unicodedata
import uuid

from django.core.cache import cache
from django.db import IntegrityError, transaction

from helpcenter.models import Article, ArticleTranslation, Category, HelpfulVote, HelpSearch
from safety.shield import shield

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


# -- the search log and deflection ---------------------------------------------------------------

_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_EDGE_PUNCT = " \t\n.,;:!?\"'()[]{}<>，。；：！？、“”‘’（）【】《》"


def query_clean(query: str) -> tuple[str, str]:
    """(the query as stored: secrets replaced by markers, at most 200 characters; its grouping key)."""
    stored = shield(_SPACES.sub(" ", _CONTROL.sub("", query or "")).strip()[:400]).text[:200]
    key = unicodedata.normalize("NFKC", stored).lower().strip(_EDGE_PUNCT)[:200]
    return stored, key


def search_log(query: str, *, source: str, language: str, hits: int, user=None) -> HelpSearch | None:
    """Record one search on the help pages or the API (nothing for an empty query)."""
    stored, key = query_clean(query)
    if not key:
        return None
    return HelpSearch.objects.create(
        source=source, language=language, query=stored, query_key=key, hits=min(hits, 32767),
        user=user if getattr(user, "is_authenticated", False) else None,
    )


def attempt_update(attempt: uuid.UUID, *, user, source: str, language: str, query: str, hits: int) -> bool:
    """Keep the latest query of a customer's suggestion attempt (one row per attempt, owned by its customer).

    An attempt that already has an outcome is not changed; an id taken by someone else is ignored (False)."""
    stored, key = query_clean(query)
    if not key:
        return False
    values = {"language": language, "query": stored, "query_key": key, "hits": min(hits, 32767)}
    updated = HelpSearch.objects.filter(attempt=attempt, user=user, outcome="").update(**values)
    if updated:
        return True
    try:
        with transaction.atomic():
            HelpSearch.objects.create(attempt=attempt, user=user, source=source, **values)
    except IntegrityError:
        return False  # the id exists: this customer's closed attempt, or not theirs
    return True


def attempt_solved(attempt: uuid.UUID, *, user, article: Article) -> bool:
    """"This solved it": the customer's open attempt ends as deflected. False when there is no such open attempt."""
    return bool(
        HelpSearch.objects.filter(attempt=attempt, user=user, outcome="").update(
            outcome=HelpSearch.Outcome.SOLVED, solved_by=article
        )
    )


def help_attempt_param(value) -> str:
    """A form's attempt id as posted back, or "" when absent or not a UUID."""
    try:
        return str(uuid.UUID(str(value))) if value else ""
    except ValueError:
        return ""


def attempt_submitted(attempt, *, user) -> None:
    """The request was sent anyway (ticket created, chat started): the attempt was not deflected."""
    attempt = help_attempt_param(attempt)
    if not attempt:
        return
    HelpSearch.objects.filter(attempt=attempt, user=user, outcome="").update(outcome=HelpSearch.Outcome.SUBMITTED)
