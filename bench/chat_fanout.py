"""Live chat fan-out, latency and memory through the real stack, against bare baselines in the same run.

    .venv/bin/python bench/chat_fanout.py [--quick] [--configs core:0,pubsub:0,...] [--profile]

Server and load client are separate processes, the server pinned to core 0 (`taskset -c 0`), the client
(asyncio + the `websockets` library) to core 1; every phase reports both processes' CPU, so a saturated
client is visible. PostgreSQL and Redis run unpinned on the same two cores.

Phases (each in this run, each against its own baseline):

* Layer round trips: group_send -> receive through RedisChannelLayer, RedisPubSubChannelLayer and
  LocalFanoutChannelLayer (its member in the same process: delivered in-process; published, the echo dropped,
  only until the layer holds the group's lease, since no other process subscribes), and raw redis-py
  publish -> subscribe, 64 in flight, in one process on core 0.
* Fan-out: 500 conversations (500 customer + 500 agent sockets, authenticated with real session cookies
  and an allowed Origin, served by `daphne support.asgi:application`); every customer sends `message`
  frames in a closed loop (next after the ack, at most 9.5 a second so the 10/s rate limit never bites)
  for a fixed time. Counted at the agent sockets: every message by client_id and seq (lost, duplicated,
  reordered); a gap is filled with `resume` as the protocol says, to show the database had it. Afterwards
  the database is checked: one row per client_id, seqs gap-free, in send order. Throughput = messages
  saved and delivered to the agent per second. Baseline: raw redis-py, a publisher on core 0 publishing
  the same frames (one channel per conversation, 500 closed loops) to a subscriber on core 1.
* Latency: customer send -> agent receive at 200 messages/s (open loop, timed from the scheduled send)
  over the 500 conversations. Baseline: a bare ASGI websocket echo (bench/chat_bare_servers.py) served
  by daphne the same way, same sockets, same rate.
* Memory: the web process's RSS (VmRSS) before and after opening the 1,000 idle sockets (after a warm-up
  of a few sockets), per socket. Baselines: a bare `websockets` server (same interpreter) and the bare
  ASGI echo under daphne, holding 1,000 sockets.

Server configurations (`--configs`, default core:0,core:60,pubsub:60): channel layer `core` (RedisChannelLayer),
`pubsub` (RedisPubSubChannelLayer) or `local` (chat.layers.LocalFanoutChannelLayer, the desk's default: pub/sub
with a process's own group members served in-process), chosen with CHANNEL_LAYER_BACKEND, and
DATABASE_CONN_MAX_AGE (0 = the shipped default: a new PostgreSQL connection per consumer call; 60 =
persistent). `--profile` samples the server with py-spy during each fan-out (slows it; figures from a
profiled run are not comparable) and prints where the time goes.

Needs PostgreSQL and Redis. The database is dedicated and emptied of chats on every run: BENCH_DATABASE_URL
(default postgres://postgres@127.0.0.1:5432/desk_bench_chat; its name must contain "bench"), created when
missing and migrated. Redis: BENCH_REDIS_URL (default redis://127.0.0.1:6379/13), keys and channels
prefixed "deskbench"; only those are deleted. var/ goes to a temporary directory removed at the end.
"""
import argparse
import asyncio
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import unquote, urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PYTHON = sys.executable
DAPHNE = str(Path(sys.executable).parent / "daphne")
PY_SPY = str(Path(sys.executable).parent / "py-spy") if (Path(sys.executable).parent / "py-spy").exists() else "py-spy"  # else on PATH
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/desk_bench_chat"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
PREFIX = "deskbench"
SERVER_CPU, CLIENT_CPU = "0", "1"
CONVERSATIONS = 500
LAYERS = {"core": "channels_redis.core.RedisChannelLayer", "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
          "local": "chat.layers.LocalFanoutChannelLayer"}
LAYER_NAMES = {"core": "RedisChannelLayer", "pubsub": "RedisPubSubChannelLayer", "local": "LocalFanoutChannelLayer"}
MIN_INTERVAL = 1 / 9.5  # per customer socket in the closed loop: under the 10 frames/s limit
LATENCY_RATE = 200
FILLER = "Price feed froze on the BTC/USDT chart and my limit order still shows pending after the deposit."


def now() -> float:
    return time.monotonic()  # CLOCK_MONOTONIC: comparable between processes on this machine


def cpu_seconds_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_seconds_pid(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class CpuMeter:
    """Wall time and CPU of this process and of the server over one phase."""

    def __init__(self, server_pid: int | None):
        self.server_pid = server_pid
        self.wall, self.me = now(), cpu_seconds_self()
        self.server = cpu_seconds_pid(server_pid) if server_pid else 0.0

    def done(self) -> dict:
        wall = now() - self.wall
        out = {"client_cpu": (cpu_seconds_self() - self.me) / wall}
        if self.server_pid:
            out["server_cpu"] = (cpu_seconds_pid(self.server_pid) - self.server) / wall
        return out


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def message_payload(tag: str, idx: int, n: int) -> str:
    return f"{tag}|{idx}|{n}|{FILLER}"


# ============================================================================ load client (core 1)
def ws_connect(port: int, path: str, *, cookie: str | None = None, origin: str | None = None):
    from websockets.asyncio.client import connect

    return connect(
        f"ws://127.0.0.1:{port}{path}",
        origin=origin,
        additional_headers={"Cookie": cookie} if cookie else None,
        compression=None,
        proxy=None,
        ping_interval=None,
        open_timeout=60,
        close_timeout=2,
        max_queue=None,
    )


class Phase:
    def __init__(self, name: str):
        self.name = name
        self.sent = self.acked = self.delivered = self.echoed = 0
        self.dup = self.reorder = self.gap_frames = 0
        self.ack_timeouts = 0
        self.errors: Counter = Counter()
        self.latency: list[float] = []
        self.ack_latency: list[float] = []
        self.first_send = None
        self.last_delivery = None

    def result(self) -> dict:
        ms = lambda values, p: None if not values else round(percentile(values, p) * 1000, 2)  # noqa: E731
        span = (self.last_delivery - self.first_send) if (self.first_send and self.last_delivery) else None
        return {
            "sent": self.sent, "acked": self.acked, "delivered": self.delivered, "echoed": self.echoed,
            "lost": self.acked - self.delivered if self.acked else self.sent - self.delivered,
            "dup": self.dup, "reorder": self.reorder, "gap_frames": self.gap_frames,
            "ack_timeouts": self.ack_timeouts, "errors": dict(self.errors),
            "span_s": span, "rate": (self.delivered / span) if span else None,
            "p50_ms": ms(self.latency, 50), "p99_ms": ms(self.latency, 99), "max_ms": ms(self.latency, 100),
            "ack_p50_ms": ms(self.ack_latency, 50), "ack_p99_ms": ms(self.ack_latency, 99),
        }


class Conv:
    def __init__(self, idx: int, spec: dict):
        self.idx = idx
        self.public_id = spec["public_id"]
        self.customer_cookie = spec["customer_cookie"]
        self.agent_cookie = spec["agent_cookie"]
        self.customer = self.agent = None
        self.pending: dict[str, asyncio.Future] = {}
        self.seen: set[int] = set()
        self.max_seq = 0
        self.delivered_cids: set[str] = set()
        self.acked_cids: dict[str, str] = {}  # client_id -> phase
        self.history: asyncio.Future | None = None


class ChatClient:
    def __init__(self, plan: dict):
        self.plan = plan
        self.port = plan["port"]
        self.origin = plan["origin"]
        self.cookie_name = plan["cookie_name"]
        self.convs = [Conv(i, spec) for i, spec in enumerate(plan["conversations"])]
        self.by_public = {c.public_id: c for c in self.convs}
        self.sent: dict[str, tuple[float, Phase, Conv]] = {}
        self.phases: dict[str, Phase] = {}
        self.other_frames: Counter = Counter()
        self.tasks: list[asyncio.Task] = []

    async def _open(self, path: str, cookie: str):
        for attempt in range(4):
            try:
                ws = await ws_connect(self.port, path, cookie=f"{self.cookie_name}={cookie}", origin=self.origin)
                break
            except Exception as exc:  # daphne drops handshakes not accepted within 5 s
                self.other_frames[f"connect retry ({type(exc).__name__})"] += 1
                if attempt == 3:
                    raise
                await asyncio.sleep(1)
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == "hello":
                return ws, frame

    async def open_all(self, convs: list[Conv], concurrency: int = 16) -> None:
        gate = asyncio.Semaphore(concurrency)

        async def one(conv: Conv):
            async with gate:
                conv.customer, _ = await self._open(f"/ws/chat/{conv.public_id}/", conv.customer_cookie)
                conv.agent, hello = await self._open("/ws/chat/agent/", conv.agent_cookie)
            for item in hello["conversations"]:
                if item["conversation"] == conv.public_id:
                    conv.max_seq = item["last_seq"]
                    conv.seen = set(range(1, item["last_seq"] + 1))
            self.tasks.append(asyncio.create_task(self.customer_reader(conv)))
            self.tasks.append(asyncio.create_task(self.agent_reader(conv)))

        await asyncio.gather(*(one(c) for c in convs))

    async def warm_up(self, n: int = 5) -> None:
        """Open and close a few sockets: first-connection costs (imports, pools) are not per socket."""
        for conv in self.convs[:n]:
            customer, _ = await self._open(f"/ws/chat/{conv.public_id}/", conv.customer_cookie)
            agent, _ = await self._open("/ws/chat/agent/", conv.agent_cookie)
            await customer.close()
            await agent.close()

    async def customer_reader(self, conv: Conv) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in conv.customer:
                t = now()
                frame = json.loads(raw)
                kind = frame["type"]
                if kind == "ack":
                    cid = frame["client_id"]
                    entry = self.sent.get(cid)
                    if entry:
                        phase = entry[1]
                        phase.acked += 1
                        phase.ack_latency.append(t - entry[0])
                        conv.acked_cids[cid] = phase.name
                    future = conv.pending.pop(cid, None)
                    if future and not future.done():
                        future.set_result(frame["seq"])
                elif kind == "message":
                    entry = self.sent.get(frame.get("client_id"))
                    if entry:
                        entry[1].echoed += 1
                elif kind == "error":
                    cid = frame.get("client_id")
                    entry = self.sent.get(cid)
                    (entry[1].errors if entry else self.other_frames)[frame["code"]] += 1
                    future = conv.pending.pop(cid, None)
                    if future and not future.done():
                        future.set_result(None)
                else:
                    self.other_frames["customer:" + kind] += 1
        except ConnectionClosed as exc:
            self.other_frames[f"customer closed {exc.rcvd.code if exc.rcvd else '?'}"] += 1

    async def agent_reader(self, conv: Conv) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in conv.agent:
                t = now()
                frame = json.loads(raw)
                kind = frame["type"]
                if kind == "message":
                    target = self.by_public.get(frame["conversation"])
                    seq = frame["seq"]
                    entry = self.sent.get(frame.get("client_id"))
                    phase = entry[1] if entry else self.phase("unknown")
                    if seq in target.seen:
                        phase.dup += 1
                        continue
                    if seq < target.max_seq:
                        phase.reorder += 1
                    elif seq > target.max_seq + 1:
                        phase.gap_frames += 1
                    target.seen.add(seq)
                    target.max_seq = max(target.max_seq, seq)
                    phase.delivered += 1
                    if entry:
                        target.delivered_cids.add(frame["client_id"])
                        phase.latency.append(t - entry[0])
                    phase.last_delivery = t
                elif kind == "history":
                    target = self.by_public.get(frame["conversation"])
                    if target and target.history and not target.history.done():
                        target.history.set_result(frame)
                else:
                    self.other_frames["agent:" + kind] += 1
        except ConnectionClosed as exc:
            self.other_frames[f"agent closed {exc.rcvd.code if exc.rcvd else '?'}"] += 1

    def phase(self, name: str) -> Phase:
        if name not in self.phases:
            self.phases[name] = Phase(name)
        return self.phases[name]

    async def send_message(self, conv: Conv, phase: Phase, n: int, at: float | None = None) -> str:
        cid = str(uuid.uuid4())
        t = at if at is not None else now()
        self.sent[cid] = (t, phase, conv)
        phase.sent += 1
        if phase.first_send is None:
            phase.first_send = t
        await conv.customer.send(json.dumps({"type": "message", "client_id": cid, "body": message_payload(f"{self.plan['tag']}-{phase.name}", conv.idx, n)}))
        return cid

    async def settle(self, phase: Phase, quiet: float = 3.0, limit: float = 30.0) -> None:
        """Wait until every acked message reached the agent, or nothing moved for `quiet` seconds."""
        started = last_change = now()
        seen = -1
        while now() - started < limit:
            if phase.delivered >= phase.acked and phase.acked >= phase.sent - phase.ack_timeouts - sum(phase.errors.values()):
                return
            if phase.delivered + phase.acked != seen:
                seen, last_change = phase.delivered + phase.acked, now()
            elif now() - last_change > quiet:
                return
            await asyncio.sleep(0.05)

    async def latency_phase(self, seconds: float) -> dict:
        phase = self.phase("latency")
        meter = CpuMeter(self.plan["server_pid"])
        total = int(LATENCY_RATE * seconds)
        start = now() + 0.2
        for k in range(total):
            at = start + k / LATENCY_RATE
            delay = at - now()
            if delay > 0:
                await asyncio.sleep(delay)
            await self.send_message(self.convs[k % len(self.convs)], phase, k // len(self.convs), at=at)
        cpu = meter.done()
        await self.settle(phase, quiet=5.0, limit=60.0)  # the fan-out starts from an idle server
        return {**phase.result(), **cpu, "offered_rate": LATENCY_RATE}

    async def fanout_phase(self, seconds: float) -> dict:
        phase = self.phase("fanout")
        profile = None
        if self.plan.get("profile_to"):
            if os.environ.get("BENCH_PROFILE_CMD"):  # another profiler, e.g. "perf record -g -p {pid} -o {out} -- sleep {seconds}"
                cmd = os.environ["BENCH_PROFILE_CMD"].format(pid=self.plan["server_pid"], out=self.plan["profile_to"], seconds=int(seconds)).split()
            else:
                cmd = [PY_SPY, "record", "--pid", str(self.plan["server_pid"]), "--rate", "200", "--format", "raw",
                       "--nonblocking", "--duration", str(int(seconds)), "-o", self.plan["profile_to"]]
            profile = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            await asyncio.sleep(1.0)
        meter = CpuMeter(self.plan["server_pid"])
        deadline = now() + seconds

        async def loop(conv: Conv):
            n, next_at = 0, now()
            while now() < deadline:
                delay = next_at - now()
                if delay > 0:
                    await asyncio.sleep(delay)
                next_at = now() + MIN_INTERVAL
                future = asyncio.get_running_loop().create_future()
                cid = str(uuid.uuid4())
                conv.pending[cid] = future
                t = now()
                self.sent[cid] = (t, phase, conv)
                phase.sent += 1
                if phase.first_send is None:
                    phase.first_send = t
                await conv.customer.send(json.dumps({"type": "message", "client_id": cid, "body": message_payload(f"{self.plan['tag']}-fanout", conv.idx, n)}))
                n += 1
                try:
                    await asyncio.wait_for(future, 30)
                except asyncio.TimeoutError:
                    phase.ack_timeouts += 1
                    return

        await asyncio.gather(*(loop(c) for c in self.convs))
        cpu = meter.done()
        await self.settle(phase)
        if profile:
            profile.wait(timeout=60)
        result = {**phase.result(), **cpu}
        result["recovered_by_resume"] = await self.resume_check("fanout")
        return result

    async def resume_check(self, phase_name: str) -> dict:
        """For conversations whose agent socket missed messages: `resume` fills the gap from the database."""
        missing = {}
        for conv in self.convs:
            lost = [cid for cid, name in conv.acked_cids.items() if name == phase_name and cid not in conv.delivered_cids]
            if lost:
                missing[conv] = lost
        found = total = 0
        for conv, lost in list(missing.items())[:100]:
            total += len(lost)
            conv.history = asyncio.get_running_loop().create_future()
            await conv.agent.send(json.dumps({"type": "resume", "conversation": conv.public_id, "after": 0}))
            try:
                frame = await asyncio.wait_for(conv.history, 10)
            except asyncio.TimeoutError:
                continue
            ids = {m.get("client_id") for m in frame["messages"]}
            found += sum(1 for cid in lost if cid in ids)
        return {"conversations": len(missing), "checked": total, "found_in_history": found}

    async def close_all(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*(ws.close() for c in self.convs for ws in (c.customer, c.agent) if ws), return_exceptions=True)


async def run_chat_client(plan: dict) -> dict:
    client = ChatClient(plan)
    pid = plan["server_pid"]
    out: dict = {}
    await client.warm_up()
    await asyncio.sleep(1.0)
    rss0 = rss_kb(pid)
    meter = CpuMeter(pid)
    began = now()
    await client.open_all(client.convs)
    out["connect"] = {"sockets": 2 * len(client.convs), "seconds": now() - began, **meter.done()}
    await asyncio.sleep(2.0)
    rss1 = rss_kb(pid)
    out["memory"] = {"sockets": 2 * len(client.convs), "rss_before_kb": rss0, "rss_after_kb": rss1}
    out["latency"] = await client.latency_phase(plan["latency_seconds"])
    out["fanout"] = await client.fanout_phase(plan["fanout_seconds"])
    out["other_frames"] = dict(client.other_frames)
    await client.close_all()
    return out


async def run_echo_client(plan: dict) -> dict:
    """Bare servers: 1,000 sockets, RSS before/after; on the ASGI echo also latency at the same rate."""
    from websockets.exceptions import ConnectionClosed

    pid, port = plan["server_pid"], plan["port"]
    out: dict = {}
    for _ in range(5):
        ws = await ws_connect(port, "/ws/echo/", origin=plan["origin"])
        await ws.close()
    await asyncio.sleep(1.0)
    rss0 = rss_kb(pid)
    gate = asyncio.Semaphore(32)

    async def one(_):
        async with gate:
            return await ws_connect(port, "/ws/echo/", origin=plan["origin"])

    n = len(plan["conversations"])
    sockets = await asyncio.gather(*(one(i) for i in range(2 * n)))
    await asyncio.sleep(2.0)
    out["memory"] = {"sockets": len(sockets), "rss_before_kb": rss0, "rss_after_kb": rss_kb(pid)}
    if plan.get("latency_seconds"):
        phase = Phase("latency")
        sent: dict[str, float] = {}

        async def reader(ws):
            try:
                async for raw in ws:
                    t = now()
                    frame = json.loads(raw)
                    at = sent.get(frame.get("client_id"))
                    if at is not None:
                        phase.delivered += 1
                        phase.latency.append(t - at)
                        phase.last_delivery = t
            except ConnectionClosed:
                pass

        senders = sockets[:n]
        readers = [asyncio.create_task(reader(ws)) for ws in senders]
        meter = CpuMeter(pid)
        total = int(LATENCY_RATE * plan["latency_seconds"])
        start = now() + 0.2
        phase.first_send = start
        for k in range(total):
            at = start + k / LATENCY_RATE
            delay = at - now()
            if delay > 0:
                await asyncio.sleep(delay)
            cid = str(uuid.uuid4())
            sent[cid] = at
            phase.sent += 1
            await senders[k % len(senders)].send(json.dumps({"type": "message", "client_id": cid, "body": message_payload("echo", k % len(senders), k)}))
        cpu = meter.done()
        deadline = now() + 10
        while phase.delivered < phase.sent and now() < deadline:
            await asyncio.sleep(0.05)
        out["latency"] = {**phase.result(), **cpu, "offered_rate": LATENCY_RATE}
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        out["ceiling"] = await echo_ceiling(senders, plan["fanout_seconds"], pid)
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return out


async def echo_ceiling(senders: list, seconds: float, pid: int) -> dict:
    """The websocket work of a chat message alone: one frame in, three out (x3|), closed loops, no rate cap."""
    done = 0
    deadline = now() + seconds
    frame = "x3|" + json.dumps(raw_frame(1, "x" * 16, 1))

    async def loop(ws):
        nonlocal done
        while now() < deadline:
            await ws.send(frame)
            for _ in range(3):
                await ws.recv()
            done += 1

    meter = CpuMeter(pid)
    began = now()
    await asyncio.gather(*(loop(ws) for ws in senders))
    return {"messages": done, "rate": done / (now() - began), **meter.done()}


# ================================================================ raw redis-py fan-out and layers
def raw_frame(idx: int, public_id: str, seq: int) -> dict:
    """The agent's `message` frame as the server builds it, same keys and sizes."""
    return {
        "type": "message", "conversation": public_id, "seq": seq, "client_id": str(uuid.uuid4()), "kind": "customer",
        "author": f"Bench Customer {idx:04d}", "body": message_payload("raw", idx, seq),
        "created_at": "2026-11-29T10:00:00.000000+00:00", "attachments": [],
    }


async def run_raw_publisher(plan: dict) -> dict:
    import redis.asyncio as aioredis

    pool = aioredis.BlockingConnectionPool.from_url(plan["redis_url"], max_connections=16)
    r = aioredis.Redis(connection_pool=pool)
    await r.ping()
    meter = CpuMeter(None)
    started = now()
    deadline = started + plan["fanout_seconds"]
    counts = [0] * len(plan["conversations"])

    async def loop(idx: int, public_id: str):
        channel = f"{PREFIX}.raw.c{idx}"
        seq = 0
        while now() < deadline:
            seq += 1
            frame = raw_frame(idx, public_id, seq)
            frame["t"] = now()
            await r.publish(channel, json.dumps(frame))
        counts[idx] = seq

    await asyncio.gather(*(loop(i, c["public_id"]) for i, c in enumerate(plan["conversations"])))
    cpu = meter.done()
    await r.publish(f"{PREFIX}.raw.end", json.dumps({"total": sum(counts)}))
    await r.aclose()
    await pool.aclose()
    return {"published": sum(counts), "started": started, "publisher_cpu": cpu["client_cpu"]}


async def run_raw_subscriber(plan: dict) -> dict:
    import redis.asyncio as aioredis

    r = aioredis.Redis.from_url(plan["redis_url"])
    pubsub = r.pubsub()
    n = len(plan["conversations"])
    await pubsub.subscribe(*[f"{PREFIX}.raw.c{i}" for i in range(n)], f"{PREFIX}.raw.end")
    print("READY", flush=True)
    last = [0] * n
    received = dup = reorder = gaps = 0
    latency: list[float] = []
    total = None
    first = last_t = None
    meter = None
    while True:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
        if message is None:
            if total is not None:
                break
            continue
        t = now()
        channel = message["channel"].decode()
        frame = json.loads(message["data"])
        if channel.endswith(".end"):
            total = frame["total"]
            if received >= total:
                break
            continue
        if meter is None:
            meter, first = CpuMeter(None), t
        idx = int(channel.rsplit("c", 1)[1])
        seq = frame["seq"]
        if seq <= last[idx]:
            dup += seq == last[idx]
            reorder += seq < last[idx]
        elif seq > last[idx] + 1:
            gaps += seq - last[idx] - 1
        last[idx] = max(last[idx], seq)
        received += 1
        latency.append(t - frame["t"])
        last_t = t
        if total is not None and received >= total:
            break
    cpu = meter.done() if meter else {"client_cpu": 0}
    await pubsub.aclose()
    await r.aclose()
    return {"received": received, "dup": dup, "reorder": reorder, "gaps": gaps, "first": first, "last": last_t,
            "p50_ms": round(percentile(latency, 50) * 1000, 2) if latency else None,
            "p99_ms": round(percentile(latency, 99) * 1000, 2) if latency else None, **cpu}


async def run_layers(plan: dict) -> dict:
    """Round trips/s, group_send -> receive, 64 in flight: the two channels_redis layers and raw redis-py."""
    import redis.asyncio as aioredis
    from channels_redis.core import RedisChannelLayer
    from channels_redis.pubsub import RedisPubSubChannelLayer

    from chat.layers import LocalFanoutChannelLayer

    seconds, pairs = plan["layer_seconds"], 64  # redis-py 8 pools stop at 100 connections
    event = {"type": "chat.frame", "staff_only": False,
             "frame": {"staff": raw_frame(1, "x" * 16, 1), "customer": raw_frame(1, "x" * 16, 1)}}
    results = {}

    async def measure(send_receive) -> tuple[float, float]:
        count = 0
        deadline = now() + seconds

        async def worker(i):
            nonlocal count
            while now() < deadline:
                await send_receive(i)
                count += 1

        meter = CpuMeter(None)
        began = now()
        await asyncio.gather(*(worker(i) for i in range(pairs)))
        return count / (now() - began), meter.done()["client_cpu"]

    for name, cls in (("core", RedisChannelLayer), ("pubsub", RedisPubSubChannelLayer), ("local", LocalFanoutChannelLayer)):
        layer = cls(hosts=[plan["redis_url"]], prefix=f"{PREFIX}.micro")
        channels = [await layer.new_channel() for _ in range(pairs)]
        for i, channel in enumerate(channels):
            await layer.group_add(f"g{i}", channel)

        async def send_receive(i, layer=layer, channels=channels):
            await layer.group_send(f"g{i}", event)
            await layer.receive(channels[i])

        await send_receive(0)
        rate, cpu = await measure(send_receive)
        results[name] = {"round_trips_s": rate, "cpu": cpu}
        for i, channel in enumerate(channels):
            await layer.group_discard(f"g{i}", channel)
        await layer.flush()
        if hasattr(layer, "close_pools"):
            await layer.close_pools()

    r = aioredis.Redis.from_url(plan["redis_url"])
    pubsub = r.pubsub()
    queues = [asyncio.Queue() for _ in range(pairs)]
    await pubsub.subscribe(*[f"{PREFIX}.micro.raw{i}" for i in range(pairs)])

    async def dispatch():
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if message:
                queues[int(message["channel"].decode().rsplit("raw", 1)[1])].put_nowait(message["data"])

    dispatcher = asyncio.create_task(dispatch())
    payload = json.dumps(event["frame"]["staff"])

    async def raw_send_receive(i):
        await r.publish(f"{PREFIX}.micro.raw{i}", payload)
        json.loads(await queues[i].get())

    await raw_send_receive(0)
    rate, cpu = await measure(raw_send_receive)
    results["raw"] = {"round_trips_s": rate, "cpu": cpu}
    dispatcher.cancel()
    await pubsub.aclose()
    await r.aclose()
    return results


def run_dbpath(plan: dict) -> dict:
    """The save path alone, no websockets, in-memory channel layer: the service as the consumers' fallback runs it
    (CustomerChatConsumer._post in database_sync_to_async), on one thread as channels does, then 4 threads with a
    connection each; then chat/fastpath.py, the consumers' hot path, in one asyncio process."""
    import threading

    os.environ.pop("REDIS_URL", None)
    os.environ["DATABASE_CONN_MAX_AGE"] = "60"
    import django

    django.setup()
    from django.db import connection, connections, transaction
    from django.test.utils import CaptureQueriesContext

    from chat.consumers import CustomerChatConsumer
    from chat.models import Conversation

    def consumers():
        out = []
        for conversation in Conversation.objects.select_related("customer").filter(status="active").order_by("pk")[:100]:
            consumer = CustomerChatConsumer()
            consumer.conversation, consumer.user = conversation, conversation.customer
            out.append(consumer)
        return out

    tag = plan["tag"] + "-dbpath"
    mine = consumers()
    mine[0]._post(uuid.uuid4(), message_payload(tag, 0, -1))
    with CaptureQueriesContext(connection) as queries:
        mine[0]._post(uuid.uuid4(), message_payload(tag, 0, 0))
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    out = {"statements": len(statements), "statement_kinds": dict(Counter(statements))}

    def serial(consumer_list, count, results, index):
        began = time.perf_counter()
        for i in range(count):
            c = consumer_list[i % len(consumer_list)]
            c._post(uuid.uuid4(), message_payload(tag, index, i))
        results[index] = count / (time.perf_counter() - began)
        connections.close_all()

    # The floor of a serialised save: one INSERT + fsync'd COMMIT on a logged table, same connection.
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_commit_probe (x int)")
    times = []
    for _ in range(300):
        began = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_commit_probe VALUES (1)")
        times.append(time.perf_counter() - began)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_commit_probe")
    out["commit_ms"] = {"p50": percentile(times, 50) * 1000, "p99": percentile(times, 99) * 1000}

    n = plan["dbpath_messages"]
    meter = CpuMeter(None)
    results = {}
    serial(mine, n, results, 0)
    out["one_thread"] = {"rate": results[0], **meter.done()}
    threads, results = [], {}
    meter = CpuMeter(None)
    began = time.perf_counter()
    for t in range(4):
        thread = threading.Thread(target=lambda t=t: serial(consumers()[t * 25:(t + 1) * 25], n // 4, results, t + 1))
        threads.append(thread)
        thread.start()
    for thread in threads:
        thread.join()
    out["four_threads"] = {"rate": 4 * (n // 4) / (time.perf_counter() - began), **meter.done()}
    connections.close_all()
    out["fast"] = asyncio.run(_fast_alone(plan, tag, 4 * n))
    return out


async def _fast_alone(plan: dict, tag: str, n: int) -> dict:
    """chat/fastpath.py alone, as the consumers call it: 100 chats in closed loops; batched (customers' messages)
    and one statement a message (the agents' path, and the batch's fallback)."""
    from asgiref.sync import sync_to_async

    from chat import fastpath
    from chat.models import ChatMessage, Conversation

    chats = await sync_to_async(lambda: list(Conversation.objects.filter(status="active").order_by("pk").values_list("pk", "customer_id")[:100]))()
    out = {}
    for name, save in (("batched", fastpath.message_post), ("one_statement", None)):
        fastpath.warm()
        await asyncio.sleep(1.0)
        done = 0

        async def loop(pk, customer_id, save=save, name=name):
            nonlocal done
            while done < n:
                done += 1
                body = message_payload(f"{tag}-{name}", pk, done)
                if save is None:
                    saved = await fastpath._save_one(ChatMessage.Kind.CUSTOMER, pk, customer_id, uuid.uuid4(), body)
                else:
                    saved = await save(conversation=pk, author_id=customer_id, kind=ChatMessage.Kind.CUSTOMER, body=body, client_id=uuid.uuid4())
                assert saved is not None and not saved.duplicate

        meter = CpuMeter(None)
        began = time.perf_counter()
        await asyncio.gather(*(loop(pk, customer_id) for pk, customer_id in chats))
        out[name] = {"rate": done / (time.perf_counter() - began), **meter.done()}
        fastpath.close_all()
    return out


def role_main(role: str, plan_path: str) -> None:
    plan = json.loads(Path(plan_path).read_text())
    runner = {"chat": run_chat_client, "echo": run_echo_client, "publisher": run_raw_publisher,
              "subscriber": run_raw_subscriber, "layers": run_layers, "dbpath": run_dbpath}[role]
    result = asyncio.run(runner(plan)) if asyncio.iscoroutinefunction(runner) else runner(plan)
    print("RESULT " + json.dumps(result), flush=True)


# ================================================================================ orchestration
def configure(tmp: Path, quick: bool) -> tuple[str, str]:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    name = urlparse(url).path.lstrip("/")
    if not url.startswith(("postgres://", "postgresql://")) or "bench" not in name:
        sys.exit(f"BENCH_DATABASE_URL must be a postgres:// URL of a database named *bench* (its chats are emptied): {url}")
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="support.settings",
        DATABASE_URL=url,
        REDIS_URL=redis_url,
        CHANNELS_PREFIX=PREFIX,
        DESK_VAR_DIR=str(tmp / "var"),
        PRIVATE_STORAGE_ROOT=str(tmp / "private"),
        DEBUG="0",
        SECRET_KEY="bench-chat-not-a-secret",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        CELERY_TASK_ALWAYS_EAGER="1",
        IMAP_HOST="",
        LOG_LEVEL="WARNING",
    )
    return url, redis_url


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    params = {"host": parsed.hostname or "127.0.0.1", "port": parsed.port or 5432, "dbname": "postgres",
              "user": unquote(parsed.username or "postgres")}
    if parsed.password:
        params["password"] = unquote(parsed.password)
    with psycopg.connect(**params, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def redis_clean(redis_url: str) -> None:
    import redis

    r = redis.Redis.from_url(redis_url)
    keys = list(r.scan_iter(match=f"{PREFIX}*", count=1000))
    if keys:
        r.delete(*keys)
    r.close()


def seed(n: int) -> list[dict]:
    """n customers and n agents (one live chat each), sessions for all; chats and sessions emptied first."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import connection, transaction
    from django.utils import timezone

    from chat.models import ChatAttachment, ChatMessage, Conversation
    from support.models import AgentProfile, CustomerProfile, Language, User

    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in (ChatAttachment, ChatMessage, Conversation))
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    Session.objects.all().delete()

    customer_emails = [f"bench-customer{i:04d}@bench.example" for i in range(n)]
    agent_emails = [f"bench-agent{i:04d}@bench.example" for i in range(n)]
    existing = set(User.objects.filter(email__in=customer_emails + agent_emails).values_list("email", flat=True))
    password = make_password(None)
    with transaction.atomic():
        new_customers = [User(email=e, first_name="Bench", last_name=f"Customer {i:04d}", password=password)
                         for i, e in enumerate(customer_emails) if e not in existing]
        new_agents = [User(email=e, first_name="Agent", last_name=f"{i:04d}", password=password, is_staff=True)
                      for i, e in enumerate(agent_emails) if e not in existing]
        User.objects.bulk_create(new_customers + new_agents)
        customers = {u.email: u for u in User.objects.filter(email__in=customer_emails)}
        agents = {u.email: u for u in User.objects.filter(email__in=agent_emails)}
        if new_customers or new_agents:
            through = User.groups.through
            customer_group, agent_group = Group.objects.get(name="customer"), Group.objects.get(name="agent")
            through.objects.bulk_create(
                [through(user_id=customers[u.email].pk, group_id=customer_group.pk) for u in new_customers]
                + [through(user_id=agents[u.email].pk, group_id=agent_group.pk) for u in new_agents],
                ignore_conflicts=True,
            )
            CustomerProfile.objects.bulk_create(
                [CustomerProfile(user=customers[u.email], account_number=f"9{customers[u.email].pk:09d}") for u in new_customers],
                ignore_conflicts=True,
            )
            profiles = AgentProfile.objects.bulk_create(
                [AgentProfile(user=agents[u.email], chat_capacity=20) for u in new_agents]
            )
            english = Language.objects.get(code="en")
            AgentProfile.languages.through.objects.bulk_create(
                [AgentProfile.languages.through(agentprofile_id=p.pk, language_id=english.pk) for p in profiles if p.pk],
                ignore_conflicts=True,
            )
        stamp = timezone.now()
        conversations = Conversation.objects.bulk_create([
            Conversation(customer=customers[c], assignee=agents[a], status=Conversation.Status.ACTIVE, accepted_at=stamp,
                         category="technical", language="en")
            for c, a in zip(customer_emails, agent_emails)
        ])
    # The backend a real login records: the first that can load a user (axes' lockout backend, first in the
    # list, only refuses logins and has no get_user).
    from django.utils.module_loading import import_string

    backend = next(path for path in settings.AUTHENTICATION_BACKENDS if hasattr(import_string(path), "get_user"))

    def session_for(user) -> str:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = backend
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        return store.session_key

    return [
        {"public_id": conv.public_id, "customer_cookie": session_for(customers[c]), "agent_cookie": session_for(agents[a])}
        for conv, c, a in zip(conversations, customer_emails, agent_emails)
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


class Server:
    def __init__(self, cmd: list[str], env: dict, log: Path, port: int):
        self.log = log
        self.handle = open(log, "w")
        self.proc = subprocess.Popen(["taskset", "-c", SERVER_CPU, *cmd], cwd=ROOT, env=env, stdout=self.handle, stderr=subprocess.STDOUT)
        wait_port(port, self.proc)
        time.sleep(0.5)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.handle.close()
        if os.environ.get("BENCH_LOG_DIR"):  # keep the server logs
            import shutil

            shutil.copy(self.log, Path(os.environ["BENCH_LOG_DIR"]) / self.log.name)
        return self.log.read_text(errors="replace")


def run_role(role: str, plan: dict, tmp: Path, cpu: str = CLIENT_CPU, timeout: float = 300) -> dict:
    path = tmp / f"plan-{role}-{uuid.uuid4().hex[:6]}.json"
    path.write_text(json.dumps(plan))
    proc = subprocess.run(["taskset", "-c", cpu, PYTHON, __file__, "--role", role, "--plan", str(path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{role} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def raw_fanout(plan: dict, tmp: Path) -> dict:
    path = tmp / "plan-raw.json"
    path.write_text(json.dumps(plan))
    sub = subprocess.Popen(["taskset", "-c", CLIENT_CPU, PYTHON, __file__, "--role", "subscriber", "--plan", str(path)],
                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert sub.stdout.readline().strip() == "READY"
    published = run_role("publisher", plan, tmp, cpu=SERVER_CPU)
    out, err = sub.communicate(timeout=120)
    received = next(json.loads(line[7:]) for line in out.splitlines() if line.startswith("RESULT "))
    span = received["last"] - published["started"]
    return {**received, "published": published["published"], "rate": received["received"] / span, "span_s": span,
            "server_cpu": published["publisher_cpu"], "lost": published["published"] - received["received"]}


def verify_database(tag: str) -> dict:
    """Every message of this run once, seqs gap-free per conversation, in the order each customer sent them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(DISTINCT client_id), count(DISTINCT (conversation_id, seq)) FROM chat_chatmessage WHERE body LIKE %s",
            [tag + "-%"],
        )
        rows, distinct_ids, distinct_seqs = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM (SELECT split_part(body, '|', 1) AS phase, split_part(body, '|', 3)::int AS n,"
            " lag(split_part(body, '|', 3)::int) OVER (PARTITION BY conversation_id, split_part(body, '|', 1) ORDER BY seq) AS prev"
            " FROM chat_chatmessage WHERE body LIKE %s) t WHERE prev IS NOT NULL AND n <= prev",
            [tag + "-%"],
        )
        out_of_order = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM chat_conversation c WHERE c.last_seq <> (SELECT count(*) FROM chat_chatmessage m WHERE m.conversation_id = c.id)"
            " OR c.last_seq <> coalesce((SELECT max(seq) FROM chat_chatmessage m WHERE m.conversation_id = c.id), 0)"
        )
        seq_gaps = cursor.fetchone()[0]
    return {"rows": rows, "duplicate_rows": rows - distinct_ids, "seq_collisions": rows - distinct_seqs,
            "out_of_order": out_of_order, "conversations_with_seq_gaps": seq_gaps}


GENERIC_FRAMES = ("threading.py", "concurrent/futures", "asyncio/", "asgiref/", "contextlib.py", "twisted/", "daphne/",
                  "channels/db.py", "channels/consumer.py", "channels/utils.py", "<module>")


PLUMBING = (("the DB thread (every database_sync_to_async call)", "Thread._bootstrap"),
            ("the fast path (chat/fastpath.py)", "chat/fastpath.py"),
            ("  saving a message (conversation_message_post)", "conversation_message_post"),
            ("  waiting for PostgreSQL (psycopg Connection.wait)", "Connection.wait"),
            ("  connection health check (SELECT 1 per call)", "close_if_health_check_failed"),
            ("  opening a connection", "Connection.connect"),
            ("  publishing after commit (events._send -> async_to_sync)", "_send (chat/events.py"))


def summarize_profile(path: Path, top: int = 24) -> str:
    """py-spy raw (collapsed) stacks -> where the web process spends its time: inclusive (plumbing left out) and self.

    py-spy leaves out idle samples, and a thread blocked in a socket read counts as idle, so these are shares of
    the samples taken, not of wall time."""
    if not path.exists():
        return "(no profile written)"
    inclusive: Counter = Counter()
    own: Counter = Counter()
    plumbing: Counter = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():  # py-spy's own notes between the stacks
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
        for label, pattern in PLUMBING:
            if pattern in stack:
                plumbing[label] += n
    if not total:
        return "(no samples)"
    lines = [f"  {total} samples; inclusive, % of samples:"]
    interesting = [(f, c) for f, c in inclusive.most_common() if not any(g in f for g in GENERIC_FRAMES)]
    lines += [f"    {c / total * 100:5.1f}%  {f}" for f, c in interesting[:top]]
    lines.append("  the save path, % of samples:")
    lines += [f"    {plumbing[label] / total * 100:5.1f}%  {label}" for label, _ in PLUMBING]
    lines.append("  self, % of samples:")
    lines += [f"    {c / total * 100:5.1f}%  {f}" for f, c in own.most_common(top // 2)]
    return "\n".join(lines)


def fmt(value, spec: str = ",.0f", none: str = "-") -> str:
    return none if value is None else format(value, spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short phases (about a minute and a half)")
    parser.add_argument("--configs", default="core:0,core:60,pubsub:60",
                        help="server configurations LAYER:CONN_MAX_AGE, comma-separated")
    parser.add_argument("--profile", action="store_true", help="py-spy the server during each fan-out")
    parser.add_argument("--conversations", type=int, default=CONVERSATIONS, help=argparse.SUPPRESS)
    parser.add_argument("--role", help=argparse.SUPPRESS)
    parser.add_argument("--plan", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role:
        role_main(args.role, args.plan)
        return

    configs = []
    for item in args.configs.split(","):
        layer, _, age = item.partition(":")
        if layer not in LAYERS:
            sys.exit(f"unknown layer {layer!r}: core, pubsub or local")
        configs.append((layer, int(age or 0)))
    latency_seconds, fanout_seconds, layer_seconds = (4, 5, 2) if args.quick else (10, 10, 3)

    tmp = Path(tempfile.mkdtemp(prefix="bench-chat-"))
    wall = time.monotonic()
    load = Path("/proc/loadavg").read_text().split()[0]
    if float(load) > 0.8:
        print(f"warning: load average {load} before the run; other work on these two cores skews every figure", flush=True)
    try:
        url, redis_url = configure(tmp, args.quick)
        ensure_database(url)
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        redis_clean(redis_url)
        began = time.monotonic()
        conversations = seed(args.conversations)
        print(f"seeded {args.conversations} conversations, {2 * args.conversations} sessions in {time.monotonic() - began:.1f} s", flush=True)
        from django.db import connections

        connections.close_all()
        base = {"redis_url": redis_url, "conversations": conversations, "cookie_name": settings.SESSION_COOKIE_NAME,
                "latency_seconds": latency_seconds, "fanout_seconds": fanout_seconds, "layer_seconds": layer_seconds,
                "dbpath_messages": 400 if args.quick else 1200, "tag": "run-" + uuid.uuid4().hex[:6]}

        dbpath = run_role("dbpath", base, tmp, cpu=SERVER_CPU)
        print(f"save path alone: {dbpath['one_thread']['rate']:,.0f}/s on one thread, {dbpath['statements']} statements a message;"
              f" fast path batched {dbpath['fast']['batched']['rate']:,.0f}/s", flush=True)
        layers = run_role("layers", base, tmp, cpu=SERVER_CPU)
        print("layer round trips:", {k: round(v["round_trips_s"]) for k, v in layers.items()}, flush=True)
        raw = raw_fanout(base, tmp)
        print(f"raw redis-py fan-out: {raw['rate']:,.0f}/s", flush=True)
        redis_clean(redis_url)

        baselines = {}
        port = free_port()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        server = Server([DAPHNE, "-b", "127.0.0.1", "-p", str(port), "bench.chat_bare_servers:application"], env, tmp / "echo.log", port)
        try:
            baselines["asgi_echo"] = run_role("echo", {**base, "port": port, "server_pid": server.pid, "origin": f"http://127.0.0.1:{port}"}, tmp)
        finally:
            server.stop()
        port = free_port()
        server = Server([PYTHON, "bench/chat_bare_servers.py", str(port)], env, tmp / "ws.log", port)
        try:
            baselines["websockets"] = run_role("echo", {**base, "port": port, "server_pid": server.pid, "origin": None, "latency_seconds": 0}, tmp)
        finally:
            server.stop()
        print(f"baselines: echo p99 {baselines['asgi_echo']['latency']['p99_ms']} ms", flush=True)

        runs = {}
        profiles = {}
        for layer, age in configs:
            name = f"{layer}:{age}"
            tag = f"{layer}{age}-{uuid.uuid4().hex[:6]}"
            redis_clean(redis_url)
            port = free_port()
            origin = f"http://127.0.0.1:{port}"
            env = {**os.environ, "PYTHONUNBUFFERED": "1", "CHANNEL_LAYER_BACKEND": LAYERS[layer], "LOG_LEVEL": "INFO",
                   "DATABASE_CONN_MAX_AGE": str(age), "WEBSOCKET_ALLOWED_ORIGINS": origin, "DESK_PORT": str(port)}
            server = Server([DAPHNE, "-b", "127.0.0.1", "-p", str(port), "support.asgi:application"], env, tmp / f"{layer}{age}.log", port)
            plan = {**base, "port": port, "server_pid": server.pid, "origin": origin, "tag": tag}
            if args.profile:
                plan["profile_to"] = str(tmp / f"profile-{layer}{age}.txt")
            try:
                result = run_role("chat", plan, tmp)
            except Exception:
                print(server.stop()[-6000:], file=sys.stderr)
                raise
            log = server.stop()
            result["db"] = verify_database(tag)
            result["log"] = {"over_capacity": log.count("over capacity"), "not_delivered": log.count("not delivered"),
                             "tracebacks": log.count("Traceback")}
            if result["log"]["tracebacks"]:
                print(log[-4000:], file=sys.stderr)
            runs[name] = result
            if args.profile:
                if os.environ.get("BENCH_LOG_DIR") and Path(plan["profile_to"]).exists():
                    import shutil

                    shutil.copy(plan["profile_to"], os.environ["BENCH_LOG_DIR"])
                if not os.environ.get("BENCH_PROFILE_CMD"):
                    profiles[name] = summarize_profile(Path(plan["profile_to"]))
            f = result["fanout"]
            print(f"{name}: fan-out {fmt(f['rate'])}/s, latency p99 {result['latency']['p99_ms']} ms", flush=True)
        report(layers, raw, baselines, runs, args, time.monotonic() - wall, load, dbpath)
        for name, text in profiles.items():
            print(f"\nProfile of the web process during the {name} fan-out (py-spy, 200 Hz):\n{text}")
        if os.environ.get("BENCH_JSON"):
            Path(os.environ["BENCH_JSON"]).write_text(json.dumps({"layers": layers, "raw": raw, "baselines": baselines, "runs": runs, "dbpath": dbpath}, indent=1))
    finally:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


def report(layers: dict, raw: dict, baselines: dict, runs: dict, args, elapsed: float, load: str, dbpath: dict) -> None:
    n = args.conversations
    label = lambda name: f"{LAYER_NAMES[name.split(':')[0]]}, conn_max_age={name.split(':')[1]}"  # noqa: E731
    print()
    print(f"Layer round trips, group_send -> receive, 64 in flight, one process on core {SERVER_CPU}")
    print(f"{'path':<34}{'round trips/s':>14}{'CPU':>6}{'raw ÷':>8}")
    raw_rt = layers["raw"]["round_trips_s"]
    for key, name in (("raw", "raw redis-py publish/subscribe"), ("local", "LocalFanoutChannelLayer (same process)"),
                      ("pubsub", "RedisPubSubChannelLayer"), ("core", "RedisChannelLayer")):
        if key not in layers:
            continue
        print(f"{name:<34}{layers[key]['round_trips_s']:>14,.0f}{layers[key]['cpu'] * 100:>5.0f}%{raw_rt / layers[key]['round_trips_s']:>8.1f}")

    print()
    print(f"Save path alone (CustomerChatConsumer._post, no websockets, in-memory layer, persistent connection, core {SERVER_CPU})")
    print(f"  {dbpath['statements']} statements a message {dbpath['statement_kinds']}; an INSERT + COMMIT alone takes"
          f" {dbpath['commit_ms']['p50']:.2f} ms p50, {dbpath['commit_ms']['p99']:.2f} ms p99 (fsync)")
    print(f"  the service, one thread (as database_sync_to_async runs it): {dbpath['one_thread']['rate']:,.0f}/s, CPU {dbpath['one_thread']['client_cpu'] * 100:.0f}%;"
          f" four threads, a connection each: {dbpath['four_threads']['rate']:,.0f}/s, CPU {dbpath['four_threads']['client_cpu'] * 100:.0f}%")
    fast = dbpath.get("fast")
    if fast:
        print(f"  chat/fastpath.py, 100 chats in closed loops, one asyncio process: batched {fast['batched']['rate']:,.0f}/s,"
              f" CPU {fast['batched']['client_cpu'] * 100:.0f}%; one statement a message on 8 connections"
              f" {fast['one_statement']['rate']:,.0f}/s, CPU {fast['one_statement']['client_cpu'] * 100:.0f}%")

    print()
    print(f"Fan-out customer -> agent, {n} conversations ({2 * n} sockets), closed loop <= 9.5 msg/s a socket")
    head = (f"{'path':<42}{'msgs':>7}{'saved+delivered/s':>18}{'raw ÷':>7}{'lost':>6}{'dup':>5}{'reord':>6}{'p50 ms':>8}{'p99 ms':>8}"
            f"{'server':>8}{'client':>8}{'server CPU ms/msg':>18}")
    print(head)
    print(f"{'raw redis-py pub/sub (no database)':<42}{raw['received']:>7,}{raw['rate']:>18,.0f}{1:>7.1f}{raw['lost']:>6}{raw['dup']:>5}"
          f"{raw['reorder']:>6}{fmt(raw['p50_ms'], '.1f'):>8}{fmt(raw['p99_ms'], '.1f'):>8}{raw['server_cpu'] * 100:>7.0f}%{raw['client_cpu'] * 100:>7.0f}%")
    for name, run in runs.items():
        f = run["fanout"]
        print(f"{'chat, ' + label(name):<42}{f['delivered']:>7,}{fmt(f['rate']):>18}{fmt(raw['rate'] / f['rate'] if f['rate'] else None, '.1f'):>7}"
              f"{f['lost']:>6}{f['dup']:>5}{f['reorder']:>6}{fmt(f['p50_ms'], '.1f'):>8}{fmt(f['p99_ms'], '.1f'):>8}"
              f"{f['server_cpu'] * 100:>7.0f}%{f['client_cpu'] * 100:>7.0f}%"
              f"{fmt(f['server_cpu'] * f['span_s'] * 1000 / f['delivered'] if f['delivered'] and f['span_s'] else None, '.2f'):>18}")

    ceiling = baselines["asgi_echo"].get("ceiling")
    if ceiling:
        print(f"{'bare ASGI under daphne: 1 frame in, 3 out':<42}{ceiling['messages']:>7,}{ceiling['rate']:>18,.0f}{raw['rate'] / ceiling['rate']:>7.1f}"
              f"{'':>6}{'':>5}{'':>6}{'':>8}{'':>8}{ceiling['server_cpu'] * 100:>7.0f}%{ceiling['client_cpu'] * 100:>7.0f}%"
              f"{ceiling['server_cpu'] * 1000 / ceiling['rate']:>18.2f}")

    print()
    print(f"Latency customer -> agent at {LATENCY_RATE} msg/s over {n} conversations ({2 * n} sockets open)")
    print(f"{'path':<42}{'msgs':>7}{'lost':>6}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}{'p99 ÷':>7}{'server':>8}{'client':>8}")
    echo = baselines["asgi_echo"]["latency"]
    print(f"{'bare ASGI echo under daphne':<42}{echo['delivered']:>7,}{echo['lost']:>6}{fmt(echo['p50_ms'], '.1f'):>8}{fmt(echo['p99_ms'], '.1f'):>8}"
          f"{fmt(echo['max_ms'], '.1f'):>8}{1:>7.1f}{echo['server_cpu'] * 100:>7.0f}%{echo['client_cpu'] * 100:>7.0f}%")
    for name, run in runs.items():
        lat = run["latency"]
        ratio = lat["p99_ms"] / echo["p99_ms"] if lat["p99_ms"] and echo["p99_ms"] else None
        print(f"{'chat, ' + label(name):<42}{lat['delivered']:>7,}{lat['lost']:>6}{fmt(lat['p50_ms'], '.1f'):>8}{fmt(lat['p99_ms'], '.1f'):>8}"
              f"{fmt(lat['max_ms'], '.1f'):>8}{fmt(ratio, '.1f'):>7}{lat['server_cpu'] * 100:>7.0f}%{lat['client_cpu'] * 100:>7.0f}%")

    print()
    print(f"Memory of the server process, {2 * n} idle sockets (VmRSS after a warm-up)")
    print(f"{'server':<42}{'before MB':>10}{'after MB':>10}{'KB/socket':>11}{'÷ bare':>8}")
    bare = baselines["websockets"]["memory"]
    bare_per = (bare["rss_after_kb"] - bare["rss_before_kb"]) / bare["sockets"]
    rows = [("bare websockets server", bare), ("bare ASGI echo under daphne", baselines["asgi_echo"]["memory"])]
    rows += [("chat, " + label(name), run["memory"]) for name, run in runs.items()]
    for name, mem in rows:
        per = (mem["rss_after_kb"] - mem["rss_before_kb"]) / mem["sockets"]
        print(f"{name:<42}{mem['rss_before_kb'] / 1024:>10.1f}{mem['rss_after_kb'] / 1024:>10.1f}{per:>11.1f}{per / bare_per:>8.1f}")

    print()
    print("Correctness (client counts at the agent sockets; database after the run)")
    for name, run in runs.items():
        f, lat, db = run["fanout"], run["latency"], run["db"]
        print(f"  {label(name)}: sent {f['sent'] + lat['sent']:,}, acked {f['acked'] + lat['acked']:,}, delivered {f['delivered'] + lat['delivered']:,}"
              f" (lost {f['lost'] + lat['lost']}, dup {f['dup'] + lat['dup']}, reordered {f['reorder'] + lat['reorder']},"
              f" gap frames {f['gap_frames'] + lat['gap_frames']}), errors {dict(Counter(f['errors']) + Counter(lat['errors']))},"
              f" ack timeouts {f['ack_timeouts']}; resume found {f['recovered_by_resume']['found_in_history']}"
              f"/{f['recovered_by_resume']['checked']} lost; DB rows {db['rows']:,} (dup {db['duplicate_rows']},"
              f" out of order {db['out_of_order']}, conversations with seq gaps {db['conversations_with_seq_gaps']});"
              f" server log: over capacity {run['log']['over_capacity']}, not delivered {run['log']['not_delivered']},"
              f" tracebacks {run['log']['tracebacks']}; connect {run['connect']['seconds']:.1f} s; other frames {run['other_frames']}")
    print(f"\n(total {elapsed:.0f} s; load average before the run {load}, after {Path('/proc/loadavg').read_text().split()[0]})")


if __name__ == "__main__":
    main()
