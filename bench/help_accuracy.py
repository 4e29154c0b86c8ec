"""Help-centre search accuracy: keyword, semantic and combined, top-1 and top-3, over the customer questions of
tests/helpcenter/questions.py (QUESTIONS, which mostly share words with their article, and PARAPHRASES, which
do not), in English and Chinese; the one tuned weight cross-validated; the similarity floor checked on
off-topic queries (a list used while tuning, and one written afterwards); load, embedding and query times.

    flock /tmp/bench.lock .venv/bin/python bench/help_accuracy.py [--scale 10000] [--folds 5]

Needs the semantic extra (pip install -r requirements-semantic.txt). Uses its own database
(desk_bench_help_accuracy; DATABASE_URL overrides) loaded with the seeded articles only (manage.py seed_help).
--scale N also times embedding N generated translations through the same index code (no database).
"""
import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/desk_bench_help_accuracy")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "support.settings")
os.environ.setdefault("DEBUG", "1")
os.environ["HELP_SEMANTIC"] = "on"

# Off-topic input the search box gets (greetings, chit-chat, keyboard mashing): none of it should find an article.
# Not the anchor texts of helpcenter/semantic.py, which are written differently on purpose.
OFF_TOPIC = [
    "zzzzqqq", "asdfgh", "hello", "test", "qwerty uiop", "what is the weather tomorrow", "best pizza recipe",
    "who won the football match", "how tall is mount everest", "lorem ipsum dolor sit amet", "banana", "i love my cat",
    "xyz123", "ok", "thanks", "1234", "the quick brown fox jumps over the lazy dog", "recommend a good movie",
    "what is the capital of france", "write me a poem", "my favourite colour is blue", "good night", "hahaha",
    "你好", "今天天气怎么样", "红烧肉怎么做", "世界杯谁赢了", "啊啊啊啊", "谢谢", "北京到上海的火车", "明天放假去哪玩",
    "帮我写一首诗", "法国的首都是哪里", "晚安", "哈哈哈",
]
# Written after the anchors and constants were chosen, to check the floor on input it was not tuned on.
OFF_TOPIC_HELD_OUT = [
    "tell me a joke", "can you sing a song", "who are you", "what is 1+1", "my head hurts", "best phone to buy this year",
    "how do I fix my car engine", "translate hello into french", "is it going to snow", "jkl;jkl;", "good evening everyone",
    "i am bored", "recommend a book to read", "how many legs does a spider have", "where can I buy cheap shoes",
    "讲个笑话", "你是谁", "一加一等于几", "我头疼", "今年买什么手机好", "汽车发动机怎么修", "会下雪吗", "我好无聊", "推荐一本书",
    "哪里买便宜的鞋", "蜘蛛有几条腿", "大家晚上好", "嗯嗯", "在吗", "???",
]
WEIGHTS = [round(0.1 * i, 1) for i in range(11)]


def ensure_database(url: str) -> None:
    if not url.startswith(("postgres://", "postgresql://")):
        return
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def language_of(question: str) -> str:
    return "zh-hans" if any("\u4e00" <= c <= "\u9fff" for c in question) else "en"


def score(rankings: list[list[str]], cases) -> tuple[float, float]:
    n = len(cases) or 1
    top1 = sum(r[:1] == [c[1]] for r, c in zip(rankings, cases))
    top3 = sum(c[1] in r[:3] for r, c in zip(rankings, cases))
    return top1 / n, top3 / n


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10000, help="generated translations to time embedding (0: skip)")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds for the keyword weight")
    parser.add_argument("--body-chars", type=int, default=None, help="characters of body embedded (default: semantic.BODY_CHARS)")
    args = parser.parse_args()
    ensure_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    from helpcenter import content, search, semantic, services
    from tests.helpcenter.questions import PARAPHRASES, QUESTIONS

    with connection.cursor() as cursor:
        for table in ("helpcenter_helpfulvote", "helpcenter_articletranslation", "helpcenter_article_related", "helpcenter_article", "helpcenter_category"):
            cursor.execute(f"DELETE FROM {table}")
    services.content_load(content.CATEGORIES, content.ARTICLES)

    if args.body_chars is not None:
        semantic.BODY_CHARS = args.body_chars
    started = time.perf_counter()
    engine = semantic.engine()
    load = time.perf_counter() - started
    size = os.path.getsize(engine.model_path) / 2**20
    search.reset_index()
    semantic.reset()
    kindex = search.current_index()
    started = time.perf_counter()
    semantic.index_for(kindex, wait=True)
    seed_embed = time.perf_counter() - started
    print(f"help_accuracy: model {semantic.MODEL}, {size:.0f} MB weights, load {load:.2f} s (incl. {len(semantic.ANCHORS)} anchors)")
    print(f"  {len(kindex.docs)} seeded translations (title, keywords, {semantic.BODY_CHARS} characters of body) embedded in {seed_embed:.2f} s")

    cases = [(q, slug, language_of(q), "questions") for q, slug in QUESTIONS]
    cases += [(q, slug, language_of(q), "paraphrases") for q, slug in PARAPHRASES]
    langs = {c[0]: [c[2]] if c[2] == "en" else [c[2], "en"] for c in cases}

    keyword_hits = {q: kindex.search(q, langs[q], 20) for q, *_ in cases}
    keyword = [[d.slug for d, _, _ in keyword_hits[q]] for q, *_ in cases]
    sem = [[d.slug for d, _, _ in semantic.semantic_only(q, languages=langs[q], keyword_index=kindex)] for q, *_ in cases]

    def combined(weight):
        return [
            [d.slug for d, _, _ in semantic.rank(q, languages=langs[q], keyword_index=kindex, keyword_hits=keyword_hits[q], weight=weight)]
            for q, *_ in cases
        ]

    by_weight = {w: combined(w) for w in WEIGHTS}
    chosen = semantic.KEYWORD_WEIGHT
    groups = [
        ("all", lambda c: True), ("English", lambda c: c[2] == "en"), ("Chinese", lambda c: c[2] != "en"),
        ("questions", lambda c: c[3] == "questions"), ("  English", lambda c: c[3] == "questions" and c[2] == "en"),
        ("  Chinese", lambda c: c[3] == "questions" and c[2] != "en"), ("paraphrases", lambda c: c[3] == "paraphrases"),
        ("  English", lambda c: c[3] == "paraphrases" and c[2] == "en"), ("  Chinese", lambda c: c[3] == "paraphrases" and c[2] != "en"),
    ]
    print(f"\n  top-1 / top-3 over {len(cases)} questions ({len(QUESTIONS)} + {len(PARAPHRASES)} paraphrases); combined with keyword weight {chosen}")
    print(f"  {'set':<14}{'n':>4}   {'keyword':>13}   {'semantic':>13}   {'combined':>13}")
    for name, keep in groups:
        idx = [i for i, c in enumerate(cases) if keep(c)]
        sub = [cases[i] for i in idx]
        cells = []
        for ranking in (keyword, sem, by_weight[chosen]):
            t1, t3 = score([ranking[i] for i in idx], sub)
            cells.append(f"{t1:6.1%} {t3:6.1%}")
        print(f"  {name:<14}{len(sub):>4}   " + "   ".join(cells))

    print("\n  keyword weight (0 = semantic only, 1 = keywords only, with the floor) over all questions:")
    print("  " + "  ".join(f"{w}: {score(by_weight[w], cases)[0]:.1%}/{score(by_weight[w], cases)[1]:.1%}" for w in WEIGHTS))

    # Cross-validation of the one tuned weight: pick it on k-1 folds (top-1 + top-3), measure on the held-out fold.
    order = list(range(len(cases)))
    random.Random(9).shuffle(order)
    folds = [order[i :: args.folds] for i in range(args.folds)]
    held = {"top1": 0, "top3": 0, "n": 0}
    picks = []
    for fold in folds:
        train = [i for i in order if i not in set(fold)]
        best = max(WEIGHTS, key=lambda w: (sum(score([by_weight[w][i]], [cases[i]])[0] + score([by_weight[w][i]], [cases[i]])[1] for i in train), -abs(w - 0.5)))
        picks.append(best)
        t1, t3 = score([by_weight[best][i] for i in fold], [cases[i] for i in fold])
        held["top1"] += t1 * len(fold)
        held["top3"] += t3 * len(fold)
        held["n"] += len(fold)
    print(
        f"\n  {args.folds}-fold cross-validation of the weight: picked {picks}; held-out combined "
        f"top-1 {held['top1'] / held['n']:.1%}, top-3 {held['top3'] / held['n']:.1%}"
    )

    def languages_for(q):
        return [language_of(q)] if language_of(q) == "en" else [language_of(q), "en"]

    for name, queries in (("off-topic (tuning)", OFF_TOPIC), ("off-topic (held out)", OFF_TOPIC_HELD_OUT)):
        empty_kw = sum(1 for q in queries if not kindex.search(q, languages_for(q), 20))
        empty_sem = sum(1 for q in queries if not semantic.semantic_only(q, languages=languages_for(q), keyword_index=kindex))
        empty_comb = sum(
            1 for q in queries
            if not semantic.rank(q, languages=languages_for(q), keyword_index=kindex, keyword_hits=kindex.search(q, languages_for(q), 20))
        )
        print(f"  floor, {name}: queries with no result: keyword {empty_kw}/{len(queries)}, semantic {empty_sem}/{len(queries)}, "
              f"combined {empty_comb}/{len(queries)}")
    found_comb = sum(1 for r in by_weight[chosen] if r)
    print(f"  questions with at least one result: combined {found_comb}/{len(cases)}")

    # Latency on the seeded set: a fresh query embedding (no cache), and articles_search end to end.
    from helpcenter import selectors

    embed_times = []
    for q, *_ in cases:
        started = time.perf_counter()
        engine.query(q)
        embed_times.append((time.perf_counter() - started) * 1000)
    print(f"\n  query embedding (uncached): median {statistics.median(embed_times):.1f} ms, p95 {percentile(embed_times, 95):.1f} ms")
    for name, flag in (("keyword only", False), ("combined", True)):
        semantic.query_vector.cache_clear()
        times = []
        for q, _, language, _ in cases:
            started = time.perf_counter()
            selectors.articles_search(q, language=language, semantic=flag)
            times.append((time.perf_counter() - started) * 1000)
        print(f"  articles_search {name:<13} median {statistics.median(times):6.1f} ms, p95 {percentile(times, 95):6.1f} ms (seeded set)")

    if args.scale:
        rng = random.Random(9)
        pool = [(t["title"], t.get("keywords", ""), t["body"], lang) for a in content.ARTICLES for lang, t in a["translations"].items()]
        docs = []
        for i in range(args.scale):
            title, keywords, body, lang = rng.choice(pool)
            words = keywords.split()
            rng.shuffle(words)
            docs.append(search.build_doc(10**6 + i, 10**6 + i, f"gen-{i}", lang, f"{title} ({i})", body, " ".join(words), "account"))
        big = search.Index(docs)
        semantic.reset()
        started = time.perf_counter()
        semantic.index_for(big, wait=True)
        elapsed = time.perf_counter() - started
        print(f"\n  {args.scale} generated translations embedded in {elapsed:.1f} s ({elapsed / args.scale * 1000:.1f} ms each)")
        started = time.perf_counter()
        semantic.index_for(search.Index(docs), wait=True)  # a rebuild after an unrelated edit: nothing re-embedded
        print(f"  rebuild with nothing new to embed: {time.perf_counter() - started:.2f} s")
        for q, *_ in cases:
            semantic.query_vector(q)
        qtimes = []
        for q, _, language, _ in cases:
            languages = [language] if language == "en" else [language, "en"]
            started = time.perf_counter()
            semantic.matches(q, semantic.index_for(big), languages)
            qtimes.append((time.perf_counter() - started) * 1000)
        print(f"  similarity over {args.scale} (query vectors cached): median {statistics.median(qtimes):.2f} ms, p95 {percentile(qtimes, 95):.2f} ms")


if __name__ == "__main__":
    main()
