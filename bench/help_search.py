"""Help-centre keyword search on PostgreSQL: accuracy and latency of articles_search() over the seeded
articles hidden among generated ones, against the raw query run by the database in the same run.

    flock /tmp/bench.lock .venv/bin/python bench/help_search.py [--articles 5000]

Uses its own database (desk_bench_help; DATABASE_URL overrides). Setup: the seeded articles (English and
Simplified Chinese) plus N generated articles x 2 languages whose bodies mix sentences of the seeded
articles with trading filler, so every query meets many near-misses. Queries: the 100+ customer questions of
tests/helpcenter/questions.py. Baselines (same questions, same rows):
  raw ILIKE     title or body contains the raw question (what a naive search box does);
  raw FTS       PostgreSQL full text, to_tsvector('simple') @@ plainto_tsquery('simple', question), ts_rank.
Prints top-1 / top-3 accuracy, median and p95 latency per query, and the cold index build time.
"""
import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/desk_bench_help")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "support.settings")
os.environ.setdefault("DEBUG", "1")  # local bench; queries are not logged (we never read connection.queries)

FILLER_EN = (
    "leverage margin swap spread commission bonus promotion copy trading strategy indicator account type demo "
    "contract futures options spot grid bot staking savings earn launchpad referral affiliate rebate "
    "symbol session rollover hedging dividend index commodity metal energy report newsletter webinar"
).split()
FILLER_ZH = (
    "杠杆 保证金 隔夜利息 点差 手续费 赠金 活动 跟单 策略 指标 账户类型 模拟账户 合约 期货 期权 现货 网格 "
    "机器人 质押 理财 赚币 新币 推荐 返佣 品种 交易时段 对冲 分红 指数 大宗商品 贵金属 能源 报告 直播"
).split()


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def sentences(text: str, chinese: bool) -> list[str]:
    import re

    parts = re.split(r"(?<=[。!?])" if chinese else r"(?<=[.!?])\s+", " ".join(text.split()))
    return [p for p in parts if len(p) > 10]


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def measure(name, run, questions):
    """run(question, language) -> list of slugs (best first)."""
    times, top1, top3 = [], 0, 0
    for question, slug, language in questions:
        start = time.perf_counter()
        found = run(question, language)
        times.append((time.perf_counter() - start) * 1000)
        top1 += found[:1] == [slug]
        top3 += slug in found[:3]
    n = len(questions)
    print(
        f"  {name:<22} top-1 {top1 / n:6.1%}  top-3 {top3 / n:6.1%}  "
        f"median {statistics.median(times):7.2f} ms  p95 {percentile(times, 95):7.2f} ms"
    )
    return top1 / n, top3 / n


def load_corpus(n_articles: int) -> None:
    """The seeded articles plus n_articles generated ones x 2 languages (see the module doc); prints the size."""
    from django.db import connection

    from helpcenter import content, services
    from helpcenter.models import Article, ArticleTranslation, Category

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE helpcenter_helpsearch, helpcenter_helpfulvote, helpcenter_articletranslation, helpcenter_article_related, helpcenter_article, helpcenter_category CASCADE")
    services.content_load(content.CATEGORIES, content.ARTICLES)
    categories = list(Category.objects.all())
    pool = {"en": [], "zh-hans": []}
    for a in content.ARTICLES:
        for language, t in a["translations"].items():
            pool[language].extend(sentences(t["body"], language != "en"))

    rng = random.Random(9)
    start = time.perf_counter()
    articles = Article.objects.bulk_create(
        [Article(slug=f"gen-{i:05d}", category=rng.choice(categories), status="published", order=100 + i) for i in range(n_articles)],
        batch_size=1000,
    )
    rows = []
    for i, article in enumerate(articles):
        words_en = rng.sample(FILLER_EN, 3)
        words_zh = rng.sample(FILLER_ZH, 3)
        body_en = " ".join(rng.sample(pool["en"], 3) + [" ".join(rng.sample(FILLER_EN, 12)) + "." for _ in range(4)])
        body_zh = "".join(rng.sample(pool["zh-hans"], 3) + ["".join(rng.sample(FILLER_ZH, 12)) + "。" for _ in range(4)])
        rows.append(ArticleTranslation(article=article, language="en", title=f"{' '.join(words_en).capitalize()} guide {i}", body=body_en))
        rows.append(ArticleTranslation(article=article, language="zh-hans", title=f"{''.join(words_zh)}指南 {i}", body=body_zh))
    ArticleTranslation.objects.bulk_create(rows, batch_size=2000)
    total = ArticleTranslation.objects.count()
    print(f"help_search: {Article.objects.count()} articles, {total} translations (setup {time.perf_counter() - start:.1f} s)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000, help="generated articles (each in 2 languages)")
    args = parser.parse_args()
    ensure_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    from helpcenter import search, selectors
    from tests.helpcenter.questions import QUESTIONS

    load_corpus(args.articles)
    questions = [(q, slug, "zh-hans" if any("\u4e00" <= c <= "\u9fff" for c in q) else "en") for q, slug in QUESTIONS]
    print(f"  {len(questions)} questions ({sum(1 for *_, l in questions if l == 'en')} English, {sum(1 for *_, l in questions if l != 'en')} Chinese)")

    search.reset_index()
    start = time.perf_counter()
    search.current_index()
    print(f"  cold index build {time.perf_counter() - start:.2f} s (once per change of any article)")

    def ours(question, language):
        return [h.slug for h in selectors.articles_search(question, language=language, limit=10)]

    def ilike(question, language):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.slug FROM helpcenter_articletranslation t JOIN helpcenter_article a ON a.id = t.article_id "
                "WHERE a.status = 'published' AND t.language IN (%s, 'en') AND (t.title ILIKE %s OR t.body ILIKE %s) "
                "ORDER BY (t.title ILIKE %s) DESC, a.id LIMIT 10",
                [language, f"%{question}%", f"%{question}%", f"%{question}%"],
            )
            return [r[0] for r in cursor.fetchall()]

    def fts(question, language):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.slug FROM helpcenter_articletranslation t JOIN helpcenter_article a ON a.id = t.article_id, "
                "plainto_tsquery('simple', %s) q WHERE a.status = 'published' AND t.language IN (%s, 'en') "
                "AND to_tsvector('simple', t.title || ' ' || t.body) @@ q "
                "ORDER BY ts_rank(to_tsvector('simple', t.title || ' ' || t.body), q) DESC LIMIT 10",
                [question, language],
            )
            return [r[0] for r in cursor.fetchall()]

    def scoring_only(question, language):
        index = search.current_index()
        return [doc.slug for doc, _, _ in index.search(question, [language, "en"] if language != "en" else ["en"], 10)]

    def freshness_check(question, language):
        search._index_key()
        return []

    for name, run in (
        ("articles_search", ours), ("  of which scoring", scoring_only), ("  of which fresh-check", freshness_check),
        ("raw ILIKE", ilike), ("raw FTS (simple)", fts),
    ):
        measure(name, run, questions)
    en = [q for q in questions if q[2] == "en"]
    zh = [q for q in questions if q[2] != "en"]
    print("  articles_search by language:")
    measure("  English", ours, en)
    measure("  Chinese", ours, zh)


if __name__ == "__main__":
    main()
