"""The hot path of a chat message: saved by one SQL statement on an async PostgreSQL connection.

Every `database_sync_to_async` call of a daphne process runs on one shared thread, so the saves of
all its sockets queued behind each other (docs/performance.md). Here a plain message is one
statement, committed on its own (autocommit) on a small per-process pool of async connections:

    WITH c AS (UPDATE conversation SET last_seq = last_seq + 1 WHERE <may write, live, no clock to move>
               RETURNING id, last_seq)
    INSERT INTO message (...) SELECT id, last_seq, ... FROM c RETURNING id

The row lock taken by the UPDATE is held until the statement commits, so seqs stay gap-free and in
commit order; a resend violates the unique (conversation, client_id) and the whole statement rolls
back, its seq included, and the saved message's seq is returned as a duplicate.

Anything else returns None and the caller runs `services.conversation_message_post`, the reference
implementation, which raises the right error or does the rest: SQLite, a chat that has ended or that
this user may not write, a message that starts or meets an SLA clock (the first customer message
after an agent's answer, an agent's answer to a waiting customer), attachments, a lost connection.
"""
import asyncio
import datetime as dt
import logging
import uuid
import weakref
from contextlib import asynccontextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import connections
from django.utils import timezone

from chat.models import ChatMessage, Conversation

logger = logging.getLogger(__name__)

Kind = ChatMessage.Kind
_LIVE = ", ".join(f"'{s}'" for s in Conversation.LIVE_STATUSES)  # constants: spared dumping a list every time
_CONVERSATION = Conversation._meta.db_table
_MESSAGE = ChatMessage._meta.db_table
_CLIENT_ID_UNIQUE = "chat_message_client_id_unique"

# Who may write, and that no SLA clock moves (services.conversation_message_post does those):
# a customer message while no agent has answered yet or while one is awaited already; an agent
# message once the first response is made and no customer message waits; notes always.
_WRITER = {
    Kind.CUSTOMER: "id = $1 AND customer_id = $2 AND (first_response_at IS NULL OR awaiting_agent_since IS NOT NULL)",
    Kind.AGENT: "public_id = $1 AND assignee_id = $2 AND first_response_at IS NOT NULL AND awaiting_agent_since IS NULL",
    Kind.NOTE: "public_id = $1 AND assignee_id = $2",
}
_SAVE = {
    kind: f"""
WITH c AS (
    UPDATE {_CONVERSATION} SET last_seq = last_seq + 1
    WHERE {where} AND status IN ({_LIVE})
    RETURNING id, last_seq
)
INSERT INTO {_MESSAGE} (conversation_id, seq, client_id, kind, author_id, body, created_at)
SELECT id, last_seq, $3, '{kind.value}', $2, $4, $5 FROM c
RETURNING id, conversation_id, seq"""
    for kind, where in _WRITER.items()
}
_SAVED = {
    Kind.CUSTOMER: f"SELECT id, conversation_id, seq, created_at FROM {_MESSAGE} WHERE conversation_id = $1 AND client_id = $2",
    Kind.AGENT: f"SELECT m.id, m.conversation_id, m.seq, m.created_at FROM {_MESSAGE} m JOIN {_CONVERSATION} c ON c.id = m.conversation_id"
    " WHERE c.public_id = $1 AND m.client_id = $2",
}
_SAVED[Kind.NOTE] = _SAVED[Kind.AGENT]

# Customers' messages of many conversations in one statement, one commit (one fsync) for all. The consumer
# holds conversation_lock while it saves, so a batch has at most one message per conversation of this
# process. A client id saved already is reported as a duplicate; one racing in from another process
# makes the statement fail and each message is then saved on its own.
_SAVE_CUSTOMER_BATCH = f"""
WITH input AS MATERIALIZED (
    SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::uuid[], $4::text[])
        WITH ORDINALITY AS i(conversation_id, author_id, client_id, body, ord)
), dup AS MATERIALIZED (
    SELECT i.ord, m.id, m.seq, m.created_at FROM input i
    JOIN {_MESSAGE} m ON m.conversation_id = i.conversation_id AND m.client_id = i.client_id
), c AS (
    UPDATE {_CONVERSATION} c SET last_seq = c.last_seq + 1 FROM input i
    WHERE c.id = i.conversation_id AND c.customer_id = i.author_id AND c.status IN ({_LIVE})
      AND (c.first_response_at IS NULL OR c.awaiting_agent_since IS NOT NULL)
      AND i.ord NOT IN (SELECT ord FROM dup)
    RETURNING c.id, c.last_seq, i.ord
), ins AS (
    INSERT INTO {_MESSAGE} (conversation_id, seq, client_id, kind, author_id, body, created_at)
    SELECT c.id, c.last_seq, i.client_id, '{Kind.CUSTOMER.value}', i.author_id, i.body, $5
    FROM c JOIN input i ON i.ord = c.ord
    RETURNING id, conversation_id, seq, created_at
)
SELECT c.ord, ins.id, ins.seq, ins.created_at, false FROM ins JOIN c ON c.id = ins.conversation_id
UNION ALL
SELECT ord, id, seq, created_at, true FROM dup"""
BATCH_MAX = 200


@dataclass(frozen=True)
class Saved:
    id: int
    conversation_id: int
    seq: int
    created_at: dt.datetime
    duplicate: bool


_vendor: list = []  # the default database's vendor, looked up once: connections[] is an asgiref Local, slow in a hot path


def enabled() -> bool:
    if not _vendor:
        _vendor.append(connections["default"].vendor)
    return _vendor[0] == "postgresql" and getattr(settings, "CHAT_FAST_CONNECTIONS", 8) > 0


def _connection_params() -> dict:
    """psycopg arguments for the default database, as Django connects (test database name included)."""
    db = connections["default"].settings_dict
    django_only = {"assume_role", "isolation_level", "pool", "server_side_binding", "cursor_factory", "context"}
    params = {key: value for key, value in db["OPTIONS"].items() if key not in django_only}
    params.update(dbname=db["NAME"], client_encoding="UTF8", autocommit=True)
    params.setdefault("prepare_threshold", None)  # as Django: no server-side prepares unless configured (poolers)
    for key, name in (("USER", "user"), ("PASSWORD", "password"), ("HOST", "host"), ("PORT", "port")):
        if db[key]:
            params[name] = db[key]
    return params


class _Pool:
    """At most `size` autocommit connections of one event loop, opened on demand, kept while they work."""

    def __init__(self, size: int):
        self.params = _connection_params()
        self.free: list = []
        self.all: set = set()
        self.slots = asyncio.Semaphore(size)
        self.locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self.batcher = _Batcher(self, max(1, size // 2))
        self.size = size
        self.warming = None
        self.closed = False

    async def fill(self) -> None:
        """Open the connections ahead of the first messages (opening one blocks the loop for milliseconds)."""
        import psycopg

        try:
            while len(self.all) < self.size and not self.closed:
                conn = await psycopg.AsyncConnection.connect(**self.params, cursor_factory=psycopg.AsyncRawCursor)
                if self.closed:
                    conn.pgconn.finish()
                    return
                self.all.add(conn)
                self.free.append(conn)
        except psycopg.OperationalError:
            logger.warning("could not open the chat connections ahead", exc_info=True)

    @asynccontextmanager
    async def connection(self):
        import psycopg

        async with self.slots:
            conn = None
            while self.free and conn is None:
                conn = self.free.pop()
                if conn.closed or conn.broken:
                    self.all.discard(conn)
                    conn = None
            if conn is None:
                # Raw cursors: the statements are written with $n placeholders, passed to libpq as they are.
                conn = await psycopg.AsyncConnection.connect(**self.params, cursor_factory=psycopg.AsyncRawCursor)
                self.all.add(conn)
            try:
                yield conn
            except BaseException:
                if conn.broken or conn.closed or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                    self.discard(conn)
                    conn = None
                raise
            finally:
                if conn is not None and conn in self.all:
                    if self.closed:
                        self.discard(conn)
                    else:
                        self.free.append(conn)

    def discard(self, conn) -> None:
        self.all.discard(conn)
        if conn in self.free:
            self.free.remove(conn)
        if not conn.closed:
            conn.pgconn.finish()  # synchronous: fine from any loop, or none

    def close(self) -> None:
        self.closed = True
        if self.warming is not None and not self.warming.done():
            try:
                self.warming.cancel()
            except RuntimeError:  # its loop is closed already
                pass
        for conn in list(self.all):
            self.discard(conn)


class _Batcher:
    """Group commit for customers' messages: up to `workers` statements in flight; whatever arrives meanwhile
    goes together in the next one. At low load every message goes alone, at once."""

    def __init__(self, pool: _Pool, workers: int):
        self.pool, self.workers = pool, workers
        self.pending: list = []
        self.running: set = set()

    async def submit(self, item: tuple) -> "Saved | None":
        future = asyncio.get_running_loop().create_future()
        self.pending.append((item, future))
        if len(self.running) < self.workers:
            task = asyncio.ensure_future(self._work())
            self.running.add(task)
            task.add_done_callback(self.running.discard)
        return await future

    async def _work(self) -> None:
        while self.pending:
            batch, self.pending = self.pending[:BATCH_MAX], self.pending[BATCH_MAX:]
            try:
                results = await self._save(batch)
            except Exception:
                logger.info("batched chat save failed; saving its %d messages one by one", len(batch), exc_info=True)
                results = None
            for n, (item, future) in enumerate(batch):
                try:
                    result = results[n] if results is not None else await _save_one(Kind.CUSTOMER, *item)
                except Exception as exc:
                    if not future.done():
                        future.set_exception(exc)
                    continue
                if not future.done():
                    future.set_result(result)

    async def _save(self, batch: list) -> list:
        items = [item for item, _future in batch]
        now = timezone.now()
        params = ([i[0] for i in items], [i[1] for i in items], [i[2] for i in items], [i[3] for i in items], now)
        async with self.pool.connection() as conn:
            rows = await (await conn.execute(_SAVE_CUSTOMER_BATCH, params)).fetchall()
        results: list = [None] * len(items)  # None: not saved here, the service decides
        for ord_, pk, seq, created_at, duplicate in rows:
            results[ord_ - 1] = Saved(pk, items[ord_ - 1][0], seq, created_at, duplicate=duplicate)
        return results


_pools: dict = {}


def _pool() -> _Pool:
    loop = asyncio.get_running_loop()
    pool = _pools.get(loop)
    if pool is None:
        for other in [other for other in _pools if other.is_closed()]:
            _pools.pop(other).close()
        pool = _pools[loop] = _Pool(getattr(settings, "CHAT_FAST_CONNECTIONS", 8))
    return pool


def warm() -> None:
    """Open this process's connections in the background, once (a consumer calls it on connect)."""
    if not enabled():
        return
    pool = _pool()
    if pool.warming is None:
        pool.warming = asyncio.ensure_future(pool.fill())


def close_all() -> None:
    """Close every pooled connection (tests, before their database is dropped)."""
    while _pools:
        _pools.popitem()[1].close()


def conversation_lock(public_id: str) -> asyncio.Lock:
    """One save-and-publish at a time per conversation in this process, so frames leave in seq order."""
    pool = _pool()
    lock = pool.locks.get(public_id)
    if lock is None:
        lock = pool.locks[public_id] = asyncio.Lock()
    return lock


async def message_post(*, conversation, author_id: int, kind: str, body: str, client_id: uuid.UUID) -> Saved | None:
    """Save a plain text message; None when services.conversation_message_post must do it.

    `conversation` is the pk for a customer's message (saved in a batch with others), the public id for
    an agent's (the statement checks that the agent is assigned). The caller checked the frame and, for
    agents, the role, and holds conversation_lock.
    """
    if not enabled():
        return None
    if kind == Kind.CUSTOMER:
        return await _pool().batcher.submit((conversation, author_id, client_id, body))
    return await _save_one(kind, conversation, author_id, client_id, body)


async def _save_one(kind: str, conversation, author_id: int, client_id: uuid.UUID, body: str) -> Saved | None:
    import psycopg

    now = timezone.now()
    try:
        async with _pool().connection() as conn:
            try:
                # Already in PostgreSQL's $n form: libpq gets the text as it is, no placeholder parsing.
                row = await (await conn.execute(_SAVE[kind], (conversation, author_id, client_id, body, now))).fetchone()
            except psycopg.errors.UniqueViolation as exc:
                if exc.diag.constraint_name != _CLIENT_ID_UNIQUE:
                    raise
                row = await (await conn.execute(_SAVED[kind], (conversation, client_id))).fetchone()
                if row is None:  # deleted in between: let the service sort it out
                    return None
                return Saved(row[0], row[1], row[2], row[3], duplicate=True)
    except psycopg.OperationalError:
        # Connection lost: whether it committed is unknown; the service's unique client id tells.
        logger.warning("fast chat save failed; falling back to the service", exc_info=True)
        return None
    if row is None:
        return None
    return Saved(row[0], row[1], row[2], now, duplicate=False)
