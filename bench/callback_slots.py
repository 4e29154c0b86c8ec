"""Call-back slots on PostgreSQL: free-slot computation against a query that only reads the bookings,
and booking throughput under concurrent clients with every slot checked for overselling.

    .venv/bin/python bench/callback_slots.py [--clients 20] [--bookings 5000]

Uses its own database (desk_bench_cb; DATABASE_URL overrides). Setup: 50 agents speaking 1-3 of
3 languages, one capacity rule (every day 00:00-24:00 Shanghai, clipped to support hours) giving
14 days of 30-minute slots, 5,000 existing bookings. Prints medians and ratios.
"""
import argparse
import datetime as dt
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/desk_bench_cb")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "support.settings")
os.environ.setdefault("DEBUG", "1")  # local bench; queries are not logged (we never read connection.queries)

LANGUAGES = ["en", "zh-hans", "ru"]


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def median_ms(fn, repeat=9) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--bookings", type=int, default=5000)
    parser.add_argument("--attempts", type=int, default=100, help="bookings each client tries")
    args = parser.parse_args()
    ensure_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    import time_machine
    from django.core.management import call_command
    from django.db import connection, connections
    from django.db.models import F

    call_command("migrate", interactive=False, verbosity=0)
    from callbacks import services
    from callbacks.models import Booking, CapacityRule, Slot
    from callbacks.selectors import free_slots
    from support.models import AgentProfile, Language, User
    from support.services import agent_create, customer_create  # noqa: F401

    rng = random.Random(7)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE callbacks_booking, callbacks_slot, callbacks_capacityrule_agents, callbacks_capacityrule_languages, callbacks_capacityrule CASCADE")
        cursor.execute("DELETE FROM support_outboundemail; DELETE FROM support_slaclock; DELETE FROM support_auditevent WHERE false")
    now = dt.datetime(2026, 12, 7, 0, 0, tzinfo=dt.timezone.utc)  # Monday 08:00 Shanghai
    traveller = time_machine.travel(now, tick=True)
    traveller.start()

    from django.contrib.auth.models import Group

    agent_group = Group.objects.get(name="agent")
    languages = {language.code: language for language in Language.objects.filter(code__in=LANGUAGES)}
    agents = []
    for n in range(50):
        user, _ = User.objects.get_or_create(email=f"bench.agent{n}@desk.invalid", defaults={"first_name": f"Agent{n}", "is_staff": True})
        user.groups.add(agent_group)
        profile, _ = AgentProfile.objects.get_or_create(user=user)
        profile.languages.set([languages[c] for c in rng.sample(LANGUAGES, rng.randint(1, 3))])
        agents.append(user)
    rule = CapacityRule.objects.create(name="bench", weekdays="0,1,2,3,4,5,6", starts=dt.time(0), ends=dt.time(23, 59), max_per_slot=None)
    rule.languages.set(languages.values())
    rule.agents.set(agents)
    start = time.perf_counter()
    created = services.slots_generate(rule, start=now.date(), days=14)
    generate_ms = (time.perf_counter() - start) * 1000

    customer_group = Group.objects.get(name="customer")
    existing = list(User.objects.filter(email__startswith="bench.customer").order_by("id"))
    need = args.bookings // 3 + args.clients * args.attempts // 3 + args.clients + 10
    if len(existing) < need:
        from support.models import CustomerProfile

        new = User.objects.bulk_create(
            [User(email=f"bench.customer{n}@desk.invalid", password="!") for n in range(len(existing), need)]
        )
        CustomerProfile.objects.bulk_create(
            [CustomerProfile(user=u, account_number=f"9{u.pk:07d}", language="en") for u in new]
        )
        Group.user_set.through.objects.bulk_create([Group.user_set.through(user_id=u.pk, group_id=customer_group.pk) for u in new])
        existing = list(User.objects.filter(email__startswith="bench.customer").order_by("id"))
    customers = existing

    # 5,000 existing bookings, spread over the slots, respecting capacity.
    slots = list(Slot.objects.all())
    places = [s for s in slots for _ in range(s.capacity)]
    rng.shuffle(places)
    chosen = places[: args.bookings]
    bookings = [
        Booking(customer=customers[i // 3], slot=slot, phone="+8613912345678", category="funds", language=slot.language, summary="bench")
        for i, slot in enumerate(chosen)
    ]
    Booking.objects.bulk_create(bookings, batch_size=2000)
    per_slot = {}
    for slot in chosen:
        per_slot[slot.pk] = per_slot.get(slot.pk, 0) + 1
    with connection.cursor() as cursor:
        cursor.executemany("UPDATE callbacks_slot SET booked = %s WHERE id = %s", [(n, pk) for pk, n in per_slot.items()])
        cursor.execute("ANALYZE callbacks_slot; ANALYZE callbacks_booking")

    horizon = now + dt.timedelta(days=14)

    def ours():
        for language in LANGUAGES:
            list(free_slots(language=language).values_list("starts_at", "capacity", "booked"))

    def baseline():
        for language in LANGUAGES:
            list(
                Booking.objects.filter(
                    language=language, status__in=Booking.UPCOMING, slot__starts_at__gt=now, slot__starts_at__lte=horizon
                ).values_list("slot_id")
            )

    ours_ms, base_ms = median_ms(ours), median_ms(baseline)
    free_count = sum(free_slots(language=language).count() for language in LANGUAGES)

    # Booking throughput: clients on their own connections book random free slots at once.
    free = list(free_slots(language="en").values_list("starts_at", flat=True)) + list(
        free_slots(language="zh-hans").values_list("starts_at", flat=True)
    )
    results = {"booked": 0, "full": 0, "other": 0}
    lock = threading.Lock()
    barrier = threading.Barrier(args.clients)
    offset = args.bookings // 3 + 1

    def client(n):
        local = random.Random(n)
        mine = customers[offset + n * (args.attempts // 3 + 1): offset + (n + 1) * (args.attempts // 3 + 1)]
        barrier.wait()
        for attempt in range(args.attempts):
            customer = mine[attempt // 3 % len(mine)]
            starts_at = local.choice(free[:40])  # crowd the first slots: contention for last places
            language = "en" if Slot.objects.filter(starts_at=starts_at, language="en").exists() else "zh-hans"
            try:
                services.booking_create(customer, starts_at=starts_at, language=language, phone="+8613912345678", category="funds", summary="bench")
                key = "booked"
            except services.CallbackError as exc:
                key = "full" if exc.field == "slot" else "other"
            with lock:
                results[key] += 1
        connections.close_all()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    traveller.stop()

    oversold = Slot.objects.filter(booked__gt=F("capacity")).count()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM callbacks_slot s WHERE s.booked <> (SELECT count(*) FROM callbacks_booking b "
            "WHERE b.slot_id = s.id AND b.status IN ('booked', 'no_answer'))"
        )
        mismatched = cursor.fetchone()[0]

    attempts = sum(results.values())
    print(f"setup: {len(agents)} agents, {created} slots generated in {generate_ms:.0f} ms, {args.bookings} bookings, {free_count} free slots")
    print(f"{'measure':44} {'baseline':>10} {'ours':>10} {'ratio':>7}")
    print(f"{'free slots, 14 days x 3 languages (ms)':44} {base_ms:10.2f} {ours_ms:10.2f} {ours_ms / base_ms:7.2f}")
    print(f"booking: {args.clients} clients x {args.attempts} attempts in {elapsed:.1f} s = {attempts / elapsed:.0f} attempts/s,"
          f" {results['booked']} booked ({results['booked'] / elapsed:.0f}/s), {results['full']} refused full, {results['other']} other")
    print(f"oversold slots: {oversold}; slots whose booked count differs from their bookings: {mismatched}")


if __name__ == "__main__":
    main()
