"""The agent queue (admin changelist) and the API ticket list at 100k / 1M tickets, against raw SQL in one run.

    .venv/bin/python bench/queue_list.py [--sizes 100000,1000000] [--reuse] [--repeat 7] [--plans]
                                         [--proposed-indexes] [--only api]

Needs PostgreSQL. Works in its own database, `desk_bench_queue` on 127.0.0.1 (`--database-url` to
change), dropped and created anew unless `--reuse` keeps the tickets of an earlier run; each size
has its own schema (bench_100000, bench_1000000), migrated with call_command, so a reused run
measures at once. People: 50 agents and a supervisor (the factories), 20,000 customers with
profiles and account numbers (server-side SQL). Tickets are generated on the server with
INSERT ... SELECT generate_series, 100,000 a transaction: 10% open (new 3%, open 5%, waiting on
customer 2%), the rest resolved or closed; weighted categories, priorities, channels and languages;
most assigned; references in the model's `SUP-` + 8 Crockford base32 format, unique by
construction (a bijection of the id); SLA due times on new/open tickets around now (15% overdue,
5% due within the hour; a waiting ticket's clock is paused). Each size's table is filled in
batches, then VACUUM ANALYZE; with `--reuse` the SLA due times are shifted to stay around now.

Measured ("ours"): each GET through django.test.Client, the whole middleware stack, logged in as
a supervisor (session): the admin changelist /admin/tickets/ticket/ (first page, filters, deep
OFFSET pages, searches) and /api/tickets/ (first page, filters, a deep cursor). Median of
--repeat runs after two warm-ups; queries are counted with CaptureQueriesContext in a separate
run, and the database share of our time is summed with an execute wrapper.
Baseline ("raw"): hand-written SQL through connection.cursor() returning the same rows (same
WHERE, ORDER BY, LIMIT/OFFSET; the page's columns plus the assignee's name), timed the same way;
the run checks both return the same references in the same order. A second baseline for the
admin, "bare admin": Django's own changelist of the same rows with nothing added (one column, no
filters, search or actions; same order, page size and paginator), on an admin site the benchmark
mounts for itself: the floor of rendering a changelist page at all. A third, "bare view": a
plain Django view (no admin, no template, no DRF) behind the same session login and staff check
that runs the raw query itself and returns its rows as JSON: the floor of answering any
logged-in request on this stack (middleware, session and user loads, the query, a response).
Then EXPLAIN (ANALYZE, BUFFERS) of every ticket query of a case that took 2 ms or more.
`--proposed-indexes` measures again with candidate indexes (created for the run, dropped after).
"""
import argparse
import os
import re
import statistics
import sys
import time
import warnings
from base64 import b64encode
from pathlib import Path
from urllib.parse import quote, urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/desk_bench_queue"
BATCH = 100_000
AGENTS = 50
CUSTOMERS = 20_000
ADMIN = "/admin/tickets/ticket/"
API = "/api/tickets/"
BARE = "/bench-bare-admin/tickets/ticket/"
BARE_VIEW = "/bench-bare-view/"
EXPLAIN_FROM_S = 0.002
NOW = object()  # stands for the instant of the measured request in a raw query's parameters

# ---------------------------------------------------------------------------------------------
# Data: server-side SQL


def _reference_sql(x: str) -> str:
    """SUP- + 8 Crockford base32 digits of a 40-bit value (the model's alphabet)."""
    digits = " || ".join(f"substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (({x} >> {5 * k}) & 31)::int + 1, 1)" for k in range(7, -1, -1))
    return f"'SUP-' || {digits}"


# (g * odd constant) mod 2^40 is a bijection on 40-bit numbers: unique references that look random.
SCRAMBLE = "((g::bigint * 42528350103) & 1099511627775)"

SUBJECTS = {
    "urgent_trading": ["Order stuck, position at risk", "Cannot close my position", "Stop-loss did not trigger", "Margin call but balance is fine"],
    "verification": ["KYC documents rejected", "Verification pending for days", "Proof of address not accepted", "Selfie check keeps failing"],
    "funds": ["Withdrawal not received", "Deposit not credited", "Withdrawal pending review", "Wrong network used for deposit"],
    "technical": ["App crashes on login", "Chart does not load", "API returns 502", "2FA code not accepted"],
    "account_settings": ["Change registered phone", "Reset 2FA device", "Close my sub-account", "Update e-mail address"],
    "complaint": ["Complaint about slippage", "Complaint about support response", "Fee charged twice", "Unfair liquidation"],
}
# (value, cumulative share): drawn by comparing one random() with the cuts.
CATEGORY_CUTS = [
    ("urgent_trading", 0.10), ("verification", 0.30), ("funds", 0.60), ("technical", 0.80), ("account_settings", 0.95), ("complaint", 1.0)
]
LANGUAGE_CUTS = [
    ("en", 0.45), ("zh-hans", 0.65), ("zh-hant", 0.70), ("ru", 0.77), ("vi", 0.82), ("tr", 0.86),
    ("pt", 0.90), ("es", 0.94), ("id", 0.96), ("ja", 0.98), ("ko", 1.0),
]
FIRST_NAMES = ["Wei", "Li", "Anna", "Ivan", "Minh", "Ayse", "Joao", "Lucia", "Budi", "Yuki", "Jisoo", "Emma", "Omar", "Chen", "Olga", "Tom"]
LAST_NAMES = ["Zhang", "Wang", "Smith", "Petrov", "Nguyen", "Yilmaz", "Silva", "Garcia", "Santoso", "Sato", "Kim", "Brown", "Haddad",
              "Liu", "Ivanova", "Lee"]
DOMAINS = ["gmail.com", "qq.com", "163.com", "outlook.com", "yahoo.com", "proton.me", "mail.ru", "naver.com"]


def _pick(var: str, cuts) -> str:
    whens = " ".join(f"WHEN {var} < {cut} THEN '{value}'" for value, cut in cuts[:-1])
    return f"CASE {whens} ELSE '{cuts[-1][0]}' END"


def _array(values) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


CUSTOMERS_SQL = f"""
WITH src AS MATERIALIZED (
    SELECT n,
           ({_array(FIRST_NAMES)})[1 + mod(n, 16)] AS first_name,
           ({_array(LAST_NAMES)})[1 + mod(n / 16, 16)] AS last_name,
           ({_array(DOMAINS)})[1 + mod(n / 7, 8)] AS domain,
           {_pick('r_lang', LANGUAGE_CUTS)} AS language,
           r_tier
    FROM (SELECT n, random() AS r_lang, random() AS r_tier FROM generate_series(1, %(customers)s) AS n) AS r
), people AS MATERIALIZED (
    SELECT src.*, lower(first_name) || '.' || lower(last_name) || n || '@' || domain AS email,
           TIMESTAMPTZ '2022-01-01 00:00Z' + n * INTERVAL '1 hour' AS joined
    FROM src
), users AS (
    INSERT INTO support_user (password, last_login, is_superuser, first_name, last_name, is_staff, is_active, date_joined, email)
    SELECT '!', NULL, false, first_name, last_name, false, true, joined, email FROM people
    RETURNING id, email
), profiles AS (
    INSERT INTO support_customerprofile (
        account_number, phone, language, time_zone, tier, anti_phishing_phrase, created_at, updated_at, account_manager_id, user_id)
    SELECT '8' || lpad(n::text, 7, '0'), '+86139' || lpad(n::text, 8, '0'), language, 'Asia/Shanghai',
           CASE WHEN r_tier < 0.05 THEN 'vip' ELSE 'standard' END, '', joined, joined, NULL, users.id
    FROM people JOIN users USING (email)
    RETURNING user_id
)
INSERT INTO support_user_groups (user_id, group_id)
SELECT user_id, (SELECT id FROM auth_group WHERE name = 'customer') FROM profiles
"""

_category = _pick("r_cat", CATEGORY_CUTS)
_subjects = _array([s for cat, _cut in CATEGORY_CUTS for s in SUBJECTS[cat]])
_category_index = "CASE " + " ".join(f"WHEN category = '{cat}' THEN {i}" for i, (cat, _cut) in enumerate(CATEGORY_CUTS)) + " END"

TICKETS_SQL = f"""
WITH src AS MATERIALIZED (
    SELECT g, random() AS r_status, random() AS r_pri, random() AS r_cat, random() AS r_chan, random() AS r_lang,
           random() AS r_cust, random() AS r_asg, random() AS r_agent, random() AS r_sla, random() AS r_sla2,
           random() AS r_acc, random() AS r_tx, random() AS r_subj, random() AS r_t1, random() AS r_t2, random() AS r_rate,
           1 + floor(power(random(), 1.6) * %(customers)s)::int AS cust_n
    FROM generate_series(%(first)s, %(last)s) AS g
), t AS MATERIALIZED (
    SELECT src.*,
           CASE WHEN r_status < 0.03 THEN 'new' WHEN r_status < 0.08 THEN 'open' WHEN r_status < 0.10 THEN 'waiting'
                WHEN r_status < 0.40 THEN 'resolved' ELSE 'closed' END AS status,
           {_category} AS category,
           TIMESTAMPTZ '2024-01-01 00:00Z' + g * INTERVAL '90 seconds' AS created
    FROM src
)
INSERT INTO tickets_ticket (
    id, reference, reply_token, customer_id, requester_email, unverified_sender, subject, category, priority, status,
    channel, assignee_id, language, vip, account_number, transaction_id, amount, currency, payment_method,
    order_reference, occurred_at, created_at, updated_at, first_response_at, resolved_at, closed_at, sla_due_at,
    merged_into_id, locked_by_id, locked_at, rating, rating_comment, rated_at)
SELECT
    g,
    {_reference_sql(SCRAMBLE)},
    lpad(to_hex(g), 8, '0') || substr(md5('reply' || g), 1, 16),
    u.id,
    COALESCE(u.email, 'sender' || g || '@mail.example.net'),
    u.id IS NULL AND r_cust < 0.04,
    ({_subjects})[1 + ({_category_index}) * 4 + floor(r_subj * 4)::int],
    category,
    CASE WHEN category = 'urgent_trading' AND r_pri < 0.7 THEN 'urgent'
         WHEN r_pri < 0.20 THEN 'low' WHEN r_pri < 0.75 THEN 'normal' WHEN r_pri < 0.95 THEN 'high' ELSE 'urgent' END,
    status,
    CASE WHEN r_chan < 0.45 THEN 'email' WHEN r_chan < 0.70 THEN 'web' WHEN r_chan < 0.85 THEN 'chat'
         WHEN r_chan < 0.90 THEN 'callback' ELSE 'api' END,
    CASE WHEN (status = 'new' AND r_asg < 0.3) OR (status IN ('open', 'waiting') AND r_asg < 0.9)
              OR (status IN ('resolved', 'closed') AND r_asg < 0.97)
         THEN (%(agents)s::bigint[])[1 + floor(r_agent * cardinality(%(agents)s::bigint[]))::int] END,
    COALESCE(cp.language, {_pick('r_lang', LANGUAGE_CUTS)}),
    COALESCE(cp.tier = 'vip', false),
    CASE WHEN cp.id IS NOT NULL AND r_acc < 0.75 THEN cp.account_number ELSE '' END,
    CASE WHEN category = 'funds' AND r_tx < 0.7 THEN '0x' || md5('tx' || g) || md5('hash' || g) ELSE '' END,
    CASE WHEN category = 'funds' THEN round((r_tx * 5000)::numeric, 2) END,
    CASE WHEN category = 'funds' THEN ({_array(['USDT', 'BTC', 'ETH', 'USD', 'EUR'])})[1 + mod(g, 5)] ELSE '' END,
    CASE WHEN category = 'funds' THEN ({_array(['TRC20', 'ERC20', 'bank transfer', 'card'])})[1 + mod(g, 4)] ELSE '' END,
    CASE WHEN category = 'urgent_trading' THEN ({_array(['BTC/USDT', 'ETH/USDT', 'EUR/USD', 'XAU/USD'])})[1 + mod(g, 4)] || ' #' || g ELSE '' END,
    CASE WHEN category IN ('funds', 'urgent_trading') THEN created - r_t1 * INTERVAL '6 hours' END,
    created,
    CASE WHEN status IN ('new', 'open', 'waiting') THEN %(ref)s::timestamptz - r_t2 * INTERVAL '2 hours'
         ELSE created + INTERVAL '2 days' + r_t2 * INTERVAL '5 days' END,
    CASE WHEN status <> 'new' THEN created + r_t1 * INTERVAL '4 hours' END,
    CASE WHEN status IN ('resolved', 'closed') THEN created + r_t2 * INTERVAL '3 days' END,
    CASE WHEN status = 'closed' THEN created + INTERVAL '2 days' + r_t2 * INTERVAL '5 days' END,
    CASE WHEN status IN ('new', 'open') THEN
        CASE WHEN r_sla < 0.15 THEN %(ref)s::timestamptz - r_sla2 * INTERVAL '24 hours'
             WHEN r_sla < 0.20 THEN %(ref)s::timestamptz + r_sla2 * INTERVAL '1 hour'
             ELSE %(ref)s::timestamptz + INTERVAL '1 hour' + r_sla2 * INTERVAL '71 hours' END END,
    NULL, NULL, NULL,
    CASE WHEN status = 'closed' AND r_rate < 0.3 THEN 1 + floor(r_rate / 0.3 * 5)::int END,
    '',
    CASE WHEN status = 'closed' AND r_rate < 0.3 THEN created + INTERVAL '8 days' END
FROM t
LEFT JOIN support_customerprofile cp ON r_cust >= 0.08 AND cp.account_number = '8' || lpad(cust_n::text, 7, '0')
LEFT JOIN support_user u ON u.id = cp.user_id
"""


def prepare_database(url: str, fresh: bool, sizes) -> None:
    """The database (dropped first unless reused) and one schema per size, so a reused run measures at once."""
    import psycopg

    name = urlparse(url).path.lstrip("/")
    maintenance = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(maintenance, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(url, autocommit=True) as conn:
        for size in sizes:
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema_of(size)}")


def schema_of(size: int) -> str:
    return f"bench_{size}"


def use_schema(size: int) -> None:
    """Point Django's connection at the size's schema (its own migrated tables) and migrate it."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connection

    connection.close()
    connection.settings_dict.setdefault("OPTIONS", {}).pop("options", None)
    with connection.cursor() as cursor:  # pg_trgm (the subject search index) in public, shared by every size's schema
        cursor.execute("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'")
        row = cursor.fetchone()
        if row is None:
            cursor.execute("CREATE EXTENSION pg_trgm SCHEMA public")
        elif row[0] != "public":
            cursor.execute("ALTER EXTENSION pg_trgm SET SCHEMA public")
    connection.close()
    connection.settings_dict["OPTIONS"]["options"] = f"-c search_path={schema_of(size)},public"
    ContentType.objects.clear_cache()
    call_command("migrate", interactive=False, verbosity=0)


def sql(query, params=None, fetch=False):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall() if fetch else None


def one(query, params=None):
    return sql(query, params, fetch=True)[0][0]


def ensure_people():
    """50 agents and a supervisor through the factories, customers with profiles in SQL. Returns (supervisor, agent ids)."""
    from support.models import User
    from tests.factories import AgentFactory, SupervisorFactory

    supervisor = User.objects.filter(email="supervisor@desk.example.com").first()
    if supervisor is None:
        began = time.perf_counter()
        languages = [["en"], ["en", "zh-hans"], ["zh-hans", "zh-hant"], ["en", "ru"], ["en", "vi"], ["en", "es", "pt"]]
        for i in range(AGENTS):
            AgentFactory(user__email=f"agent{i:02d}@desk.example.com", languages=languages[i % len(languages)])
        supervisor = SupervisorFactory(user__email="supervisor@desk.example.com", user__first_name="Sofia", user__last_name="Chen").user
        sql(CUSTOMERS_SQL, {"customers": CUSTOMERS})
        sql("VACUUM ANALYZE support_user")
        sql("VACUUM ANALYZE support_customerprofile")
        print(f"people: {AGENTS} agents, 1 supervisor, {CUSTOMERS:,} customers in {time.perf_counter() - began:.1f} s")
    agents = list(User.objects.filter(groups__name="agent").order_by("pk").values_list("pk", flat=True))
    return supervisor, agents


def ticket_count() -> int:
    return one("SELECT count(*) FROM tickets_ticket")


def sla_anchor():
    """The instant SLA due times were generated around; shifted to now (open tickets only) when it drifted."""
    sql("CREATE TABLE IF NOT EXISTS bench_queue_meta (id int PRIMARY KEY, ref_time timestamptz NOT NULL)")
    row = sql("SELECT ref_time, now() - ref_time > INTERVAL '10 minutes' FROM bench_queue_meta WHERE id = 1", fetch=True)
    if not row:
        return one("INSERT INTO bench_queue_meta VALUES (1, now()) RETURNING ref_time")
    if row[0][1]:
        began = time.perf_counter()
        sql(
            "UPDATE tickets_ticket SET sla_due_at = sla_due_at + (now() - (SELECT ref_time FROM bench_queue_meta WHERE id = 1))"
            " WHERE sla_due_at IS NOT NULL"
        )
        sql("UPDATE bench_queue_meta SET ref_time = now() WHERE id = 1")
        sql("VACUUM ANALYZE tickets_ticket")
        print(f"shifted SLA due times to now in {time.perf_counter() - began:.1f} s")
    return one("SELECT ref_time FROM bench_queue_meta WHERE id = 1")


def grow_to(size: int, agents) -> float:
    """Tickets 1..size (ids are the generator's g); returns the load seconds (0 when already there)."""
    have = ticket_count()
    if have >= size:
        return 0.0
    ref = sla_anchor()
    began = time.perf_counter()
    for first in range(have + 1, size + 1, BATCH):
        last = min(first + BATCH - 1, size)
        sql(TICKETS_SQL, {"first": first, "last": last, "customers": CUSTOMERS, "agents": agents, "ref": ref})
        print(f"  tickets {first:,}..{last:,}  {time.perf_counter() - began:6.1f} s", flush=True)
    sql("SELECT setval(pg_get_serial_sequence('tickets_ticket', 'id'), (SELECT max(id) FROM tickets_ticket))")
    inserted = time.perf_counter() - began
    sql("VACUUM ANALYZE tickets_ticket")
    total = time.perf_counter() - began
    print(f"loaded {size - have:,} tickets in {inserted:.1f} s, VACUUM ANALYZE {total - inserted:.1f} s")
    return total


# Candidate indexes (--proposed-indexes): created for the run and dropped after it, so the kept data
# stays as the migrations define it. They serve the admin's queries as the code writes them today.
PROPOSED_INDEXES = [
    # ORDER BY sla_due_at ASC NULLS LAST, id DESC: the default queue order, its OFFSET pages, the SLA filters.
    ("bench_due_order_idx", "(sla_due_at, id DESC)"),
    # search_fields "=reference" etc. are __iexact: UPPER(col) = UPPER(q), which no plain index serves.
    ("bench_reference_upper_idx", "(UPPER(reference))"),
    ("bench_account_upper_idx", "(UPPER(account_number))"),
    ("bench_email_upper_idx", "(UPPER(requester_email))"),
    ("bench_tx_upper_idx", "(UPPER(transaction_id))"),
    # "subject" is __icontains: UPPER(subject) LIKE UPPER('%q%'), a trigram index (pg_trgm).
    ("bench_subject_trgm_idx", "USING gin (UPPER(subject) gin_trgm_ops)"),
]


def proposed_indexes(create: bool) -> None:
    began = time.perf_counter()
    if create:
        sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, definition in PROPOSED_INDEXES:
            sql(f"CREATE INDEX IF NOT EXISTS {name} ON tickets_ticket {definition}")
        sql("ANALYZE tickets_ticket")
        print(f"created the proposed indexes in {time.perf_counter() - began:.1f} s")
    else:
        for name, _definition in PROPOSED_INDEXES:
            sql(f"DROP INDEX IF EXISTS {name}")
        sql("DROP EXTENSION IF EXISTS pg_trgm")


# ---------------------------------------------------------------------------------------------
# Cases

ADMIN_COLUMNS = (
    "t.reference, t.id, t.subject, t.account_number, t.requester_email, t.status, t.priority, t.category, t.channel,"
    " t.language, t.vip, t.sla_due_at, a.first_name, a.last_name, a.email"
)
ADMIN_ORDER = "t.sla_due_at ASC NULLS LAST, t.id DESC"
API_COLUMNS = "t.reference, t.id, t.subject, t.category, t.priority, t.status, t.channel, t.created_at, t.updated_at, t.sla_due_at"


def per_page() -> int:
    from tickets.admin import TicketAdmin

    return TicketAdmin.list_per_page


def admin_raw(where: str, offset: int = 0) -> str:
    return (
        f"SELECT {ADMIN_COLUMNS} FROM tickets_ticket t LEFT JOIN support_user a ON a.id = t.assignee_id"
        f" WHERE {where} ORDER BY {ADMIN_ORDER} LIMIT {per_page()} OFFSET {offset}"
    )


def api_raw(where: str) -> str:
    return f"SELECT {API_COLUMNS} FROM tickets_ticket t WHERE {where} ORDER BY t.id DESC LIMIT 26"


# What TicketAdmin.get_search_results asks for each shape of term (each on its own index).
ADMIN_SEARCH = {
    "reference": "t.reference = UPPER(%(q)s)",
    "account no.": "(t.account_number = %(q)s OR t.transaction_id = %(q)s)",
    "e-mail": "t.requester_email = LOWER(%(q)s)",
    "transaction ID": "t.transaction_id = %(q)s",
    "subject": "(UPPER(t.subject::text) LIKE UPPER(%(like)s) OR t.transaction_id = %(q)s)",
}


def cursor_for(position: int) -> str:
    """DRF's CursorPagination token for "after id `position`" in -id order (what `next` links carry)."""
    return b64encode(f"p={position}".encode("ascii")).decode("ascii")


def cases(size: int, supervisor_id: int):
    """(label, url, raw SQL, raw params) for one table size."""
    mid = size // 2
    reference = one("SELECT reference FROM tickets_ticket WHERE id = %s", [mid])
    account = one("SELECT account_number FROM tickets_ticket WHERE id >= %s AND account_number <> '' ORDER BY id LIMIT 1", [size // 3])
    email = one("SELECT requester_email FROM tickets_ticket WHERE id >= %s AND customer_id IS NOT NULL ORDER BY id LIMIT 1", [size // 4])
    tx = one("SELECT transaction_id FROM tickets_ticket WHERE id >= %s AND transaction_id <> '' ORDER BY id LIMIT 1", [size // 5])
    # The changelist offers 200 pages (EstimatedCountPaginator.max_pages); deeper, agents filter or search.
    deep_fixed = 200
    deep_id = size // 10  # a cursor 90% of the way down the -id list

    def search(label, q):
        return (f"admin search {label}", f"{ADMIN}?q={quote(q)}", admin_raw(ADMIN_SEARCH[label]), {"q": q, "like": f"%{q}%"})

    due_1h = "t.sla_due_at >= %(now)s AND t.sla_due_at < %(now)s + INTERVAL '1 hour'"
    deep_cursor = f"{API}?cursor={quote(cursor_for(deep_id))}"
    return [
        ("bare view first page (floor)", BARE_VIEW, admin_raw("true"), {}),
        ("bare admin first page (floor)", BARE, admin_raw("true"), {}),
        ("admin first page", ADMIN, admin_raw("true"), {}),
        (
            "admin status=open&priority=high",
            f"{ADMIN}?priority__exact=high&status__exact=open",
            admin_raw("t.status = 'open' AND t.priority = 'high'"),
            {},
        ),
        ("admin SLA overdue", f"{ADMIN}?sla=breached", admin_raw("t.sla_due_at < %(now)s"), {"now": NOW}),
        ("admin SLA due within 1 h", f"{ADMIN}?sla=due_1h", admin_raw(due_1h), {"now": NOW}),
        ("admin assignee=me", f"{ADMIN}?assignee=me", admin_raw("t.assignee_id = %(me)s"), {"me": supervisor_id}),
        (f"admin deep p={deep_fixed}", f"{ADMIN}?p={deep_fixed}", admin_raw("true", (deep_fixed - 1) * per_page()), {}),
        search("reference", reference),
        search("account no.", account),
        search("e-mail", email),
        search("transaction ID", tx),
        search("subject", "stop-loss"),
        ("api first page", API, api_raw("true"), {}),
        ("api status=open", f"{API}?status=open", api_raw("t.status = 'open'"), {}),
        ("api assignee=me", f"{API}?assignee=me", api_raw("t.assignee_id = %(me)s"), {"me": supervisor_id}),
        ("api deep cursor 90%", deep_cursor, api_raw(f"t.id < {deep_id}"), {}),
        ("api deep cursor 90% status=open", f"{deep_cursor}&status=open", api_raw(f"t.status = 'open' AND t.id < {deep_id}"), {}),
    ]


# ---------------------------------------------------------------------------------------------
# Measuring

REF_CELL = re.compile(r'<th class="field-reference"><a href="[^"]*">([^<]+)</a></th>')


class DbClock:
    """Execute wrapper: seconds spent in the database (execute + transfer) during a request."""

    def __init__(self):
        self.seconds = 0.0

    def __call__(self, execute, sql_, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql_, params, many, context)
        finally:
            self.seconds += time.perf_counter() - began


def references(response) -> list[str]:
    if response["Content-Type"].startswith("application/json"):
        return [row["reference"] for row in response.json()["results"]]
    return REF_CELL.findall(response.content.decode())


def measure(client, url, raw, params, repeat, warmup):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    for _ in range(warmup):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    params = {key: timezone.now() if value is NOW else value for key, value in params.items()}  # the filter's instant
    began = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    if time.perf_counter() - began > 1.0:
        repeat = min(repeat, 3)  # a page that takes seconds: three runs say enough
    queries = list(captured.captured_queries)  # the log empties when the next request starts
    ours_refs = references(response)
    ours, db = [], []
    for _ in range(repeat):
        clock = DbClock()
        with connection.execute_wrapper(clock):
            began = time.perf_counter()
            client.get(url)
            ours.append(time.perf_counter() - began)
        db.append(clock.seconds)

    def run_raw():
        with connection.cursor() as cursor:
            cursor.execute(raw, params)
            return cursor.fetchall()

    rows = run_raw()
    for _ in range(warmup - 1):
        run_raw()
    raws = []
    for _ in range(repeat):
        began = time.perf_counter()
        run_raw()
        raws.append(time.perf_counter() - began)
    raw_refs = [row[0] for row in rows][: len(ours_refs) if url.startswith(API) else None]
    return {
        "rows": len(ours_refs),
        "same": ours_refs == raw_refs,
        "queries": queries,
        "ours": statistics.median(ours) * 1000,
        "db": statistics.median(db) * 1000,
        "raw": statistics.median(raws) * 1000,
    }


def count_kind(queries) -> str:
    """How the page's total was known: planner estimate (EXPLAIN), exact COUNT(*), or not at all (cursor)."""
    kinds = []
    for q in queries:
        text = q["sql"].upper()
        if "TICKETS_TICKET" not in text:
            continue
        if text.startswith("EXPLAIN"):
            kinds.append("est")
        elif "COUNT(" in text:
            kinds.append("COUNT")
    return "+".join(kinds) or "-"


def explain(query: str) -> tuple[str, str]:
    """(one-line plan summary, full plan) of EXPLAIN (ANALYZE, BUFFERS)."""
    lines = [row[0] for row in sql(f"EXPLAIN (ANALYZE, BUFFERS) {query}", fetch=True)]
    nodes = []
    for line in lines:
        text = line.strip().removeprefix("->").strip()
        if "(cost=" in text:
            node = text.split("  (cost=")[0]
            if node not in nodes:
                nodes.append(node)
    execution = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("Execution Time")), "?")
    jit = next((line.strip() for line in lines if line.strip().startswith("Timing:") and "Total" in line), "")
    summary = " > ".join(nodes) + f"  [{execution}" + (f"; JIT {jit.rsplit('Total', 1)[1].strip()}" if jit else "") + "]"
    return summary, "\n".join(lines)


def run_size(size, client, supervisor, repeat, warmup, plans, only=""):
    results = {}
    explained = []
    for label, url, raw, params in cases(size, supervisor.pk):
        if only not in label:
            continue
        result = measure(client, url, raw, params, repeat, warmup)
        results[label] = result
        print(
            f"{label:<36}{result['rows']:>5}{len(result['queries']):>4} {count_kind(result['queries']):<9}"
            f"{result['ours']:>9.1f}{result['db']:>9.1f}{result['raw']:>9.2f}{result['ours'] / result['raw']:>8.1f}"
            + ("" if result["same"] else "  ROWS DIFFER"),
            flush=True,
        )
        for q in result["queries"]:
            if "tickets_ticket" in q["sql"] and not q["sql"].startswith("EXPLAIN") and float(q["time"]) >= EXPLAIN_FROM_S:
                explained.append((label, q["sql"]))
    print(f"\nEXPLAIN (ANALYZE) of ticket queries that took >= {EXPLAIN_FROM_S * 1000:.0f} ms at {size:,}:")
    for label, query in explained:
        summary, full = explain(query)
        kind = "count" if "COUNT(" in query.upper() else "page"
        print(f"  {label} ({kind}): {summary}")
        if plans:
            print("    SQL: " + query[:600])
            print("    " + full.replace("\n", "\n    "))
    return results


HEADER = f"{'case':<36}{'rows':>5}{'qs':>4} {'total':<9}{'ours ms':>9}{'of db':>9}{'raw ms':>9}{'ratio':>8}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="ticket counts to measure at, ascending")
    parser.add_argument("--reuse", action="store_true", help="keep the tickets of an earlier run (top up only)")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per case (median)")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--plans", action="store_true", help="print the full EXPLAIN plans and SQL")
    parser.add_argument("--only", default="", help="measure only the cases whose label contains this, e.g. api")
    parser.add_argument("--proposed-indexes", action="store_true", help="measure with the candidate indexes (dropped after)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_QUEUE_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))

    prepare_database(args.database_url, fresh=not args.reuse, sizes=sizes)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "support.settings_test"  # plain HTTP for the client, fast hasher
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)  # whitenoise: no collectstatic here
    import django

    django.setup()
    from django.test import Client

    mount_bare_admin()

    everything = {}
    for size in sizes:
        use_schema(size)
        supervisor, agents = ensure_people()
        client = Client(HTTP_HOST="localhost", HTTP_ACCEPT="application/json, text/html")
        client.force_login(supervisor)
        if size == sizes[0]:
            print(f"PostgreSQL {one('SHOW server_version')}, shared_buffers {one('SHOW shared_buffers')}, "
                  f"work_mem {one('SHOW work_mem')}, jit {one('SHOW jit')}")
        grow_to(size, agents)
        sla_anchor()
        open_count = one("SELECT count(*) FROM tickets_ticket WHERE status IN ('new', 'open', 'waiting')")
        print(f"\n== {ticket_count():,} tickets ({open_count:,} open), "
              f"table {one('SELECT pg_size_pretty(pg_table_size(%s))', ['tickets_ticket'])}, "
              f"indexes {one('SELECT pg_size_pretty(pg_indexes_size(%s))', ['tickets_ticket'])}; median of {args.repeat} ==")
        if args.proposed_indexes:
            proposed_indexes(create=True)
        try:
            print(HEADER)
            everything[size] = run_size(size, client, supervisor, args.repeat, args.warmup, args.plans, args.only)
        finally:
            if args.proposed_indexes:
                proposed_indexes(create=False)

    if len(sizes) > 1:
        print("\n== side by side (ms; growth = ours at the largest size / ours at the smallest) ==")
        head = f"{'case':<36}{'qs':>6}"
        for size in sizes:
            head += f"{_short(size) + ' ours':>11}{'of db':>8}{'raw':>9}{'ratio':>7}"
        print(head + f"{'growth':>8}")
        labels = list(everything[sizes[0]])
        for i, label in enumerate(labels):
            per = [everything[size][list(everything[size])[i]] for size in sizes]
            line = f"{_generic(label):<36}{'/'.join(str(len(r['queries'])) for r in per):>6}"
            for r in per:
                line += f"{r['ours']:>11.1f}{r['db']:>8.1f}{r['raw']:>9.2f}{r['ours'] / r['raw']:>7.1f}"
            print(line + f"{per[-1]['ours'] / per[0]['ours']:>8.1f}")


def mount_bare_admin() -> None:
    """/bench-bare-admin/: Django's changelist of tickets with nothing added (the floor baseline)."""
    import types

    from django.conf import settings
    from django.contrib import admin
    from django.db.models import F
    from django.urls import clear_url_caches, include, path

    from support.paginator import EstimatedCountPaginator
    from tickets.models import Ticket

    class BareTicketAdmin(admin.ModelAdmin):
        list_display = ["reference"]
        list_per_page = per_page()
        show_full_result_count = False
        show_facets = admin.ShowFacets.NEVER
        paginator = EstimatedCountPaginator
        actions = None

        def get_ordering(self, request):
            return [F("sla_due_at").asc(nulls_last=True), "-id"]

    def bare_view(request):
        """The first page's rows by the raw query, as JSON, for a logged-in staff member: no admin, template or DRF."""
        from django.db import connection
        from django.http import Http404, JsonResponse

        if not (request.user.is_authenticated and request.user.is_staff):
            raise Http404
        with connection.cursor() as cursor:
            cursor.execute(admin_raw("true"))
            names = [c.name for c in cursor.description]
            rows = [dict(zip(names, row)) for row in cursor.fetchall()]
        return JsonResponse({"results": rows})

    site = admin.AdminSite(name="bench_bare_admin")
    site.register(Ticket, BareTicketAdmin)
    urls = types.ModuleType("bench_queue_urls")
    urls.urlpatterns = [
        path("bench-bare-admin/", site.urls),
        path("bench-bare-view/", bare_view),
        path("", include(settings.ROOT_URLCONF)),
    ]
    settings.ROOT_URLCONF = urls
    clear_url_caches()


def _short(size: int) -> str:
    return f"{size // 1_000_000}M" if size % 1_000_000 == 0 else f"{size // 1000}k"


def _generic(label: str) -> str:
    return re.sub(r"p=\d+$", "", label).strip() if "90%" in label else label


if __name__ == "__main__":
    main()
