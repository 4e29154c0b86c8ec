"""bench/help_search.py with the semantic extra on: what semantic matching adds to search latency.

    flock /tmp/bench.lock .venv/bin/python bench/help_search_semantic.py [--articles 5000]

The same corpus (the seeded articles among N generated ones x 2 languages), questions and measurements as
bench/help_search.py, whose articles_search line is then keyword + semantic combined. Before them, in the same
run: the model load and the semantic index build for the whole corpus (timed; a server does it in the
background), articles_search with keywords alone, and typing: articles_search(limit=3) for the prefixes a
customer types (English every 3rd character from the 3rd, Chinese every character from the 2nd), each a new
query embedding, keywords alone against combined. Needs requirements-semantic.txt.
"""
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["HELP_SEMANTIC"] = "on"

from bench import help_search  # noqa: E402


def prefixes(question: str, language: str) -> list[str]:
    if language != "en":
        return [question[:i] for i in range(2, len(question) + 1)]
    ends = list(range(3, len(question) + 1, 3))
    if not ends or ends[-1] != len(question):
        ends.append(len(question))
    return [question[:i] for i in ends]


def typing(questions) -> None:
    from helpcenter import selectors, semantic

    for name, flag in (("keywords alone", False), ("combined", True)):
        semantic.query_vector.cache_clear()
        times = []
        for question, _, language in questions:
            for prefix in prefixes(question, language):
                started = time.perf_counter()
                selectors.articles_search(prefix, language=language, limit=3, semantic=flag)
                times.append((time.perf_counter() - started) * 1000)
        print(
            f"  typing, {name:<15} {len(times)} prefixes: median {statistics.median(times):6.2f} ms  "
            f"p95 {help_search.percentile(times, 95):6.2f} ms  p99 {help_search.percentile(times, 99):6.2f} ms"
        )


def main():
    measure = help_search.measure
    state = {"done": False}

    def semantic_first(name, run, questions):
        if not state["done"]:
            state["done"] = True
            from helpcenter import search, selectors, semantic

            started = time.perf_counter()
            semantic.engine()
            load = time.perf_counter() - started
            index = search.current_index()
            started = time.perf_counter()
            semantic.index_for(index, wait=True)
            build = time.perf_counter() - started
            print(f"  semantic: {semantic.MODEL}, load {load:.2f} s; {len(index.docs)} translations embedded in {build:.1f} s "
                  f"({build / max(len(index.docs), 1) * 1000:.1f} ms each)")
            measure("keywords alone", lambda q, language: [h.slug for h in selectors.articles_search(q, language=language, semantic=False)], questions)
            typing(questions)
            semantic.query_vector.cache_clear()
            print("  combined (keyword + semantic), each question embedded once:")
        return measure(name, run, questions)

    help_search.measure = semantic_first
    help_search.main()


if __name__ == "__main__":
    main()
