"""How much a business-time due date costs against plain wall-clock arithmetic, in one run.

    .venv/bin/python bench/hours_due_time.py [N]

Baseline: `start.astimezone(UTC) + target` (what a desk without business hours does).
Measured: `add_business_time(SHANGHAI_SUPPORT_HOURS, start, target)` for the SPEC targets
(chat 2 min, e-mail 24 business hours) from random instants over two years, cold day-cache
and warm. Prints per-call microseconds and the ratio to the baseline.
"""
import datetime as dt
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support import hours  # noqa: E402

UTC = dt.timezone.utc


def timed(fn, starts, target) -> float:
    began = time.perf_counter()
    for start in starts:
        fn(start, target)
    return (time.perf_counter() - began) / len(starts) * 1e6


def main(n: int) -> None:
    rng = random.Random(42)
    origin = dt.datetime(2026, 1, 1, tzinfo=UTC)
    starts = [origin + dt.timedelta(seconds=rng.randrange(2 * 365 * 86400)) for _ in range(n)]
    schedule = hours.SHANGHAI_SUPPORT_HOURS

    def baseline(start, target):
        return start.astimezone(UTC) + target

    def business(start, target):
        return hours.add_business_time(schedule, start, target)

    print(f"{'target':<27}{'baseline µs':>12}{'business µs':>13}{'ratio':>8}")
    for label, target in (("chat 2 min", dt.timedelta(minutes=2)), ("email 24 business h", dt.timedelta(hours=24))):
        base = timed(baseline, starts, target)
        hours._prepare.cache_clear()  # drops the per-schedule day cache too
        cold = timed(business, starts, target)
        warm = timed(business, starts, target)
        print(f"{label + ' (cold)':<27}{base:>12.2f}{cold:>13.2f}{cold / base:>8.1f}")
        print(f"{label + ' (warm)':<27}{base:>12.2f}{warm:>13.2f}{warm / base:>8.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
