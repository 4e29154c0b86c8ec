"""The batch door alone, quickly: N messages of intake_throughput's mix through `ingest_many`, acknowledgements
stubbed (a worker's job), against one pass of the bare stdlib parse of the same bytes in the same run.

    .venv/bin/python bench/intake_batch_door.py 2000 [none|cumulative|tottime]

For comparing two trees in turn (each its own database, e.g. BENCH_DATABASE_URL=…/desk_bench_intake_old):
DESK_ROOT=/path/to/other/tree runs that tree's code. The full benchmark (`intake_throughput.py`) takes the
faster of two bare-parse passes per message, so its ratios run a little higher than this script's.
Environment knobs for experiments: BATCH_BYTES, BATCH_MESSAGES (the door's batch limits).
"""
import gc
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(os.environ.get("DESK_ROOT", Path(__file__).resolve().parents[1]))
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
os.chdir(ROOT)

import intake_throughput as bench  # noqa: E402


def main(n: int, mode: str) -> None:
    url = bench.configure(Path(tempfile.mkdtemp(prefix="desk-bench-door-")))
    bench.ensure_database(url)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    import tickets.mail.intake as intake
    import tickets.mail.outbound as outbound

    call_command("migrate", verbosity=0, interactive=False)
    outbound.acknowledgement_send = lambda *args, **kwargs: None
    for name in ("BATCH_BYTES", "BATCH_MESSAGES"):
        if os.environ.get(name):
            setattr(intake, name, int(os.environ[name]))
    bench.reset_database(Path(settings.PRIVATE_STORAGE_ROOT))
    customers = bench.ensure_customers()
    for index, raw in enumerate(bench.history_messages(customers, max(60, n // 20))):
        intake.ingest_raw(raw, source=f"bench:history/{index}")
    raws = [item.raw for item in bench.generate(n, 0, customers, bench.fix_history(bench.SEED + 2))[:n]]
    bare = 0.0
    for raw in raws:
        began = time.perf_counter()
        bench.bare_parse(raw)
        bare += time.perf_counter() - began
    gc.collect()
    profiler = None
    if mode in ("cumulative", "tottime"):
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    began, cpu = time.perf_counter(), time.process_time()
    outcomes = Counter(str(r.outcome) for r in intake.ingest_many((f"bench:{i}", raw) for i, raw in enumerate(raws)))
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats(mode).print_stats(45)
    print(dict(outcomes))
    print(f"{n} msgs {elapsed / n * 1e3:.3f} ms/msg cpu {cpu / n * 1e3:.3f} bare {bare / n * 1e3:.3f} ratio {elapsed / bare:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000, sys.argv[2] if len(sys.argv) > 2 else "none")
