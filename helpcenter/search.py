"""Keyword search for English and Chinese, the same on PostgreSQL and SQLite.

Text becomes terms: English words lower-cased and lightly stemmed (stop words dropped); runs of Chinese
characters become overlapping character bigrams (a lone character stays a unigram), so a query without
spaces such as 提现多久到账 matches 提现 and 到账 in an article. Each published translation is indexed in
memory (title x3, keywords x2, body x1, BM25); the index is rebuilt when a translation or article
changes (one cheap aggregate query per search tells). English words of 5+ letters that are not in the
vocabulary are corrected to vocabulary words at edit distance 1 (a deletion neighbourhood).
"""
import html
import math
import re
import threading
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models import Count, Max

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
TOKEN_RE = re.compile(rf"[a-z0-9]+|[{_CJK}]+")
CJK_RUN = re.compile(rf"[{_CJK}]+")
FIELD_WEIGHTS = {"title": 3.0, "keywords": 2.0, "body": 1.0}
K1, B = 1.2, 0.75
STOP_WORDS = frozenset(
    """a an and are as at be been but by can could do does did for from had has have how i if in into is it its
    me my no not of on or our so than that the their them then there these they this to too was we were what
    when where which who why will with would you your yours am i'm im get got any all about after before just
    very also up out""".split()
)
CJK_STOP = frozenset("的了吗呢吧啊我你是在么")


def stem(word: str) -> str:
    """A light English stemmer: enough to meet withdrawals/withdrawal, verified/verify, rejected/rejection."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, repl in (
        ("ications", "ify"), ("ication", "ify"), ("ies", "y"), ("ied", "y"), ("ying", "y"), ("ings", ""), ("ing", ""),
        ("ions", ""), ("ion", ""), ("ments", ""), ("ment", ""), ("als", ""), ("al", ""), ("ers", ""), ("er", ""),
        ("ed", ""), ("es", ""), ("s", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: len(word) - len(suffix)] + repl
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiosl":
        word = word[:-1]
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def cjk_terms(run: str) -> list[str]:
    chars = [c for c in run if c not in CJK_STOP] if len(run) > 2 else list(run)
    run = "".join(chars)
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def terms(text: str) -> list[str]:
    out = []
    for token in TOKEN_RE.findall(normalise(text)):
        if token[0].isascii():
            if token not in STOP_WORDS:
                out.append(stem(token))
        else:
            out.extend(cjk_terms(token))
    return out


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


@dataclass
class Doc:
    translation_id: int
    article_id: int
    slug: str
    language: str
    title: str
    body: str
    category: str
    fields: dict  # field -> Counter of terms
    length: float
    keywords: str = ""  # raw, for the semantic index (helpcenter/semantic.py)


@dataclass
class Hit:
    slug: str
    language: str
    title: str
    title_html: str
    snippet_html: str
    category: str
    score: float


class Index:
    def __init__(self, docs: list[Doc]):
        self.docs = docs
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self.avg_length = (sum(d.length for d in docs) / len(docs)) if docs else 1.0
        for position, doc in enumerate(docs):
            weighted: Counter = Counter()
            for field, counts in doc.fields.items():
                for term, n in counts.items():
                    weighted[term] += n * FIELD_WEIGHTS[field]
            for term, tf in weighted.items():
                self.postings[term].append((position, tf))
        self.idf = {t: math.log(1 + (len(docs) - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()}
        self.by_deletes: dict[str, set[str]] = defaultdict(set)
        for term in self.postings:
            if term.isascii() and len(term) >= 4 and not term.isdigit():
                self.by_deletes[term].add(term)
                for d in _deletes(term):
                    self.by_deletes[d].add(term)

    def corrections(self, word: str) -> list[str]:
        """Vocabulary words at edit distance 1 from a 5+ letter English word the index does not know."""
        found = set(self.by_deletes.get(word, ()))
        for d in _deletes(word):
            found |= self.by_deletes.get(d, set())
        return sorted(found)[:5]

    def query_terms(self, query: str) -> dict[str, float]:
        """Query term -> weight; a typo's corrections share a reduced weight. Raw words are kept for highlighting."""
        weights: dict[str, float] = {}
        for token in TOKEN_RE.findall(normalise(query)):
            if token[0].isascii():
                if token in STOP_WORDS:
                    continue
                term = stem(token)
                if term in self.postings or len(token) < 5 or token.isdigit():
                    weights[term] = max(weights.get(term, 0), 1.0)
                    continue
                for fixed in self.corrections(term) or self.corrections(token):
                    weights[fixed] = max(weights.get(fixed, 0), 0.7)
            else:
                for term in cjk_terms(token):
                    weights[term] = max(weights.get(term, 0), 1.0)
        return weights

    def search(self, query: str, languages: list[str], limit: int) -> list[tuple[Doc, float, set[str]]]:
        weights = self.query_terms(query)
        scores: dict[int, float] = defaultdict(float)
        matched: dict[int, set[str]] = defaultdict(set)
        for term, weight in weights.items():
            idf = self.idf.get(term)
            if idf is None:
                continue
            for position, tf in self.postings[term]:
                doc = self.docs[position]
                if doc.language not in languages:
                    continue
                norm = K1 * (1 - B + B * doc.length / self.avg_length)
                scores[position] += weight * idf * tf * (K1 + 1) / (tf + norm)
                matched[position].add(term)
        # Reward documents matching more of the query's distinct terms (coordination).
        total = max(len(weights), 1)
        ranked = sorted(
            ((p, s * (0.5 + 0.5 * len(matched[p]) / total)) for p, s in scores.items()), key=lambda x: (-x[1], x[0])
        )
        out, seen = [], set()
        for position, score in ranked:
            doc = self.docs[position]
            if doc.article_id in seen:
                continue
            seen.add(doc.article_id)
            out.append((doc, score, matched[position]))
            if len(out) >= limit:
                break
        return out


def build_doc(translation_id, article_id, slug, language, title, body, keywords, category) -> Doc:
    fields = {"title": Counter(terms(title)), "keywords": Counter(terms(keywords)), "body": Counter(terms(body))}
    length = sum(sum(c.values()) * FIELD_WEIGHTS[f] for f, c in fields.items())
    return Doc(translation_id, article_id, slug, language, title, body, category, fields, length or 1.0, keywords or "")


_lock = threading.Lock()
_cache: dict = {"key": None, "index": None}


def _index_key():
    from helpcenter.models import Article, ArticleTranslation

    t = ArticleTranslation.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    a = Article.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    return (t["n"], t["last"], a["n"], a["last"])


def current_index() -> Index:
    from helpcenter.models import Article, ArticleTranslation

    key = _index_key()
    if _cache["key"] == key and _cache["index"] is not None:
        return _cache["index"]
    with _lock:
        if _cache["key"] == key and _cache["index"] is not None:
            return _cache["index"]
        rows = ArticleTranslation.objects.filter(article__status=Article.Status.PUBLISHED).values_list(
            "id", "article_id", "article__slug", "language", "title", "body", "keywords", "article__category__slug"
        )
        index = Index([build_doc(*row) for row in rows.iterator(chunk_size=2000)])
        _cache.update(key=key, index=index)
        return index


def reset_index() -> None:
    _cache.update(key=None, index=None)


# -- highlighting ------------------------------------------------------------------------------


def match_mask(text: str, matched: set[str]) -> list[bool]:
    """Which characters of text belong to a matched term (English word by its stem, Chinese by bigram)."""
    lowered = normalise(text)
    mask = [False] * len(text)
    if len(lowered) != len(text):  # NFKC changed the length: highlight nothing rather than the wrong characters
        return mask
    for m in TOKEN_RE.finditer(lowered):
        token = m.group()
        if token[0].isascii():
            if token not in STOP_WORDS and stem(token) in matched:
                for i in range(m.start(), m.end()):
                    mask[i] = True
        elif len(token) == 1:
            if token in matched:
                mask[m.start()] = True
        else:
            for i in range(len(token) - 1):
                if token[i : i + 2] in matched:
                    mask[m.start() + i] = mask[m.start() + i + 1] = True
    return mask


def highlight(text: str, matched: set[str], mask: list[bool] | None = None) -> str:
    """HTML-escape text and wrap matched runs in <mark>."""
    mask = mask if mask is not None else match_mask(text, matched)
    out, i = [], 0
    while i < len(text):
        j = i
        while j < len(text) and mask[j] == mask[i]:
            j += 1
        piece = html.escape(text[i:j])
        out.append(f"<mark>{piece}</mark>" if mask[i] else piece)
        i = j
    return "".join(out)


def snippet(text: str, matched: set[str], width: int = 160) -> str:
    """The window of text with the most matched characters, highlighted, with ellipses where cut."""
    mask = match_mask(text, matched)
    if len(text) <= width:
        return highlight(text, matched, mask)
    best_start, best = 0, -1
    prefix = [0]
    for flag in mask:
        prefix.append(prefix[-1] + flag)
    starts = [i for i, flag in enumerate(mask) if flag and (i == 0 or not mask[i - 1])] or [0]
    for s in starts:
        s = max(0, min(s - width // 4, len(text) - width))
        score = prefix[s + width] - prefix[s]
        if score > best:
            best, best_start = score, s
    end = best_start + width
    piece = highlight(text[best_start:end], matched, mask[best_start:end])
    return ("…" if best_start > 0 else "") + piece + ("…" if end < len(text) else "")
