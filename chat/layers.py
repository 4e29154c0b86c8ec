"""A Redis pub/sub channel layer that hands a group message to this process's own members directly.

`channels_redis.pubsub.RedisPubSubChannelLayer` publishes every `group_send` to Redis and delivers it,
members in this very process included, only when Redis sends it back: a publish, a read of the echo
and one msgpack decode per receiving socket, for a chat whose customer and agent sockets usually live
in the same web process. `LocalFanoutChannelLayer` instead:

* delivers a `group_send` at once to the members of the group in this process (the message dict
  itself, a shallow copy per member: nothing is encoded or decoded for them), then
* still publishes it to Redis, for the members in other processes, with the sending layer's id as
  the message's first key (`__origin__`), and
* drops that publication when Redis echoes it back to the layer that sent it (checked on the raw
  bytes, before decoding), so a member here gets it exactly once.

A `send` to a channel of this process is delivered the same way, without Redis.

A message may name one member to skip (`SKIP_KEY`: its channel name): the chat consumers do not echo
a message back to the socket that sent it, whose ack carries the seq (docs/chat-protocol.md). The skip
applies to local members; members elsewhere cannot be the sender. Consumers check it too, for other layers.

Order and membership are those of the plain layer: a process's group messages reach its own members
in `group_send` order (delivery happens in the call, against the membership of that moment) and other
processes in publish order (one connection, publishes one at a time); across processes there was never
an order, and the chat protocol restores it by seq. Delivery stays at-most-once, as before.

Processes of the previous release (plain layer) can share groups with this one during a deploy: the
publication is an ordinary msgpack map, the extra keys are ignored by consumers.

The id is per loop layer (one per event loop of a process): a second loop in the same process, a
Celery task's `async_to_sync` for instance, has none of these members and hears the message from Redis.

Nobody else listening: no publication at all. When this process is the only subscriber of a group's
channel, publishing it only costs the publish and the echo (about a fifth of a chat message's CPU,
docs/performance.md). So a group that this process sends to takes a *lease* (`alone_lease` seconds, 1 by
default; 0 turns all of this off): a Lua script checks atomically that the channel has exactly one
subscriber and, if so, sets the key `<group channel>.alone` to expire after the lease. While its lease
runs, the process delivers the group's messages to its own members only. Leases of the groups sent to
are renewed every quarter of a lease, in one script call.

Why no member elsewhere misses a message: a process that subscribes to a group's channel waits, before
its `group_add` returns, until Redis confirmed the subscription, then reads the key's remaining time and
waits that long. A lease taken before the subscription took effect is covered by the key, which outlives
it (the lease runs from when the script was *sent*, the key from when it ran); a script that runs after
it counts two subscribers and takes none. The holder takes a lease only for a subscription Redis has
confirmed (otherwise the one subscriber counted could be another process), and drops it as soon as its
last member leaves. So any `group_send` that starts after a remote member's `group_add` returned is
published. The price is that wait, at most a lease, only on joining a group that another process holds a
lease on (the agent accepting a chat whose customer is in another process, say); processes without
members (a Celery task) never hold one and never wait.

Where this is weaker than plain pub/sub: a process of a release without leases (plain pub/sub, or this
layer before them) does not wait when it joins, so during a rolling deploy its sockets can miss up to a
lease of messages of a group that a new process was alone in; so can a process whose Redis subscription
connection dropped and came back while another held a lease (a dropped connection loses messages anyway).
Chat clients notice by seq and fill the gap with `resume` (docs/chat-protocol.md). Set `alone_lease` to
0 for a deploy from such a release if that matters.
"""
import asyncio
import logging
import time
import uuid

import msgpack
from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection
from channels_redis.utils import _wrap_close

logger = logging.getLogger(__name__)

ORIGIN_KEY = "__origin__"
SKIP_KEY = "skip_channel"
ALONE_LEASE = 1.0  # seconds; the layer's `alone_lease` option
CONFIRM_TIMEOUT = 5.0  # seconds a group_add waits for Redis to confirm a subscription

# KEYS: the groups' lease keys; ARGV: the lease in ms, then the groups' channels. Atomic: no subscription
# can slip in between the count and the key.
_LEASE_SCRIPT = """
local out = {}
for i, key in ipairs(KEYS) do
    local n = redis.call('PUBSUB', 'NUMSUB', ARGV[i + 1])[2]
    if n == 1 then redis.call('SET', key, '1', 'PX', ARGV[1]) end
    out[i] = n
end
return out
"""


def lease_key(group_channel: str) -> str:
    return f"{group_channel}.alone"


class _Shard(RedisSingleShardConnection):
    """channels_redis' shard, which also knows which of its subscriptions Redis has confirmed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._reset()

    def _reset(self):
        self.pending: dict[str, int] = {}  # channel -> (un)subscribe commands not confirmed yet
        self.generation: dict[str, int] = {}  # channel -> (un)subscribe commands sent
        self.confirmed: set[str] = set()
        self.waiters: dict[str, list] = {}
        self.lease_script = None

    def _sent(self, channel: str) -> None:
        self.pending[channel] = self.pending.get(channel, 0) + 1
        self.generation[channel] = self.generation.get(channel, 0) + 1
        self.confirmed.discard(channel)
        self.channel_layer.forget(channel)

    async def subscribe(self, channel):
        async with self._lock:
            if channel not in self._subscribed_to:
                self._ensure_redis()
                self._ensure_receiver()
                self._sent(channel)
                self._subscribed_to.add(channel)  # before the await: the confirmation may come in during it
                try:
                    await self._pubsub.subscribe(channel)
                except BaseException:
                    self._subscribed_to.discard(channel)
                    raise

    async def unsubscribe(self, channel):
        async with self._lock:
            if channel in self._subscribed_to:
                self._ensure_redis()
                self._ensure_receiver()
                self._sent(channel)
                self._subscribed_to.remove(channel)
                await self._pubsub.unsubscribe(channel)

    async def flush(self):
        await super().flush()
        for futures in self.waiters.values():
            for future in futures:
                if not future.done():
                    future.set_result(False)
        self._reset()

    async def wait_confirmed(self, channel: str) -> bool:
        if channel in self.confirmed:
            return True
        future = asyncio.get_running_loop().create_future()
        self.waiters.setdefault(channel, []).append(future)
        try:
            return await asyncio.wait_for(future, CONFIRM_TIMEOUT)
        except asyncio.TimeoutError:
            logger.warning("Redis did not confirm the subscription to %s in %s s", channel, CONFIRM_TIMEOUT)
            return False

    async def _do_receiving(self):
        # channels_redis' loop, with the (un)subscribe confirmations kept instead of ignored.
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(ignore_subscribe_messages=False, timeout=0.1)
                    if message is None:
                        continue
                    kind = message["type"]
                    if kind == "message":
                        self._receive_message(message)
                    elif kind in ("subscribe", "unsubscribe"):
                        self._confirmed(message["channel"], kind)
                else:
                    await asyncio.sleep(0.1)
            except (asyncio.CancelledError, asyncio.TimeoutError, GeneratorExit):
                raise
            except BaseException:
                logger.exception("Unexpected exception in receive task")
                await asyncio.sleep(1)

    def _confirmed(self, channel, kind: str) -> None:
        if isinstance(channel, bytes):
            channel = channel.decode()
        left = max(0, self.pending.get(channel, 0) - 1)  # below 0: redis-py resubscribing after a reconnect
        self.pending[channel] = left
        if left == 0 and kind == "subscribe" and channel in self._subscribed_to:
            self.confirmed.add(channel)
            for future in self.waiters.pop(channel, ()):
                if not future.done():
                    future.set_result(True)

    def _receive_message(self, message):
        if message is not None and self.channel_layer.is_own(message["data"]):
            return  # delivered in-process when it was sent
        super()._receive_message(message)

    async def take_leases(self, channels: list[str], lease: float) -> list[int]:
        """Subscriber counts of `channels`; those with exactly one (this process) get their lease key set."""
        self._ensure_redis()
        if self.lease_script is None:
            self.lease_script = self._redis.register_script(_LEASE_SCRIPT)
        return await self.lease_script(keys=[lease_key(c) for c in channels], args=[int(lease * 1000), *channels])


class _LoopLayer(RedisPubSubLoopLayer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.origin = uuid.uuid4().hex
        # A publication of ours starts with a map header (1 byte, 3 from 16 keys on), then ORIGIN_KEY and this id.
        self.marker = msgpack.packb(ORIGIN_KEY) + msgpack.packb(self.origin)
        self.raw_check = self.channel_layer.plain_msgpack
        self._shards = [_Shard(shard.host, self) for shard in self._shards]
        self.lease = self.channel_layer.alone_lease
        self.alone_until: dict[str, float] = {}  # group channel -> monotonic time its lease ends
        self.sent_to: set[str] = set()  # group channels sent to since the last renewal
        self.settled: set[str] = set()  # group channels whose subscription has waited out other leases
        self.settling: dict[str, asyncio.Future] = {}
        self.renewer = None

    def forget(self, group_channel: str) -> None:
        """The subscription changes: no lease, and a new subscription waits again."""
        self.alone_until.pop(group_channel, None)
        self.settled.discard(group_channel)

    def is_own(self, data) -> bool:
        if self.raw_check:
            return data[1 : 1 + len(self.marker)] == self.marker or data[3 : 3 + len(self.marker)] == self.marker
        # Encrypted or another format: decode to tell (rare setups; the common one never gets here).
        try:
            return self.channel_layer.deserialize(data).get(ORIGIN_KEY) == self.origin
        except Exception:
            return False

    def _deliver(self, channel: str, message: dict) -> None:
        queue = self.channels.get(channel)
        if queue is not None:
            queue.put_nowait(dict(message))  # a copy each: one consumer's changes stay its own

    async def send(self, channel, message):
        if channel in self.channels:
            self._deliver(channel, message)
            return
        await super().send(channel, message)

    async def group_send(self, group, message):
        group_channel = self._get_group_channel_name(group)
        members = self.groups.get(group_channel)
        if members:
            skip = message.get(SKIP_KEY)
            for channel in list(members):
                if channel != skip:
                    self._deliver(channel, message)
            if self.lease:
                self.sent_to.add(group_channel)
                if self.renewer is None or self.renewer.done():
                    self.renewer = asyncio.ensure_future(self._renew())
                until = self.alone_until.get(group_channel)
                if until is not None and time.monotonic() < until:
                    return  # nobody else subscribes to it (see the module)
        shard = self._get_shard(group_channel)
        await shard.publish(group_channel, self.channel_layer.serialize({ORIGIN_KEY: self.origin, **message}))

    async def group_add(self, group, channel):
        await super().group_add(group, channel)
        group_channel = self._get_group_channel_name(group)
        if self.lease and group_channel not in self.settled:
            settling = self.settling.get(group_channel)
            if settling is None:
                settling = self.settling[group_channel] = asyncio.ensure_future(self._settle(group_channel))
            await asyncio.shield(settling)

    async def _settle(self, group_channel: str) -> None:
        """A new subscription: wait for Redis to confirm it, then out any lease another process holds on it."""
        shard = self._get_shard(group_channel)
        try:
            generation = shard.generation.get(group_channel)
            await shard.wait_confirmed(group_channel)
            left = await shard._redis.pttl(lease_key(group_channel))
            if left > 0:
                await asyncio.sleep(left / 1000 + 0.005)
            if shard.generation.get(group_channel) == generation and group_channel in shard._subscribed_to:
                self.settled.add(group_channel)
        finally:
            self.settling.pop(group_channel, None)

    async def _renew(self) -> None:
        """Every quarter of a lease: take or renew the leases of the groups sent to meanwhile."""
        while True:
            await asyncio.sleep(self.lease / 4)
            sent_to, self.sent_to = self.sent_to, set()
            if not sent_to:
                if not self.alone_until:
                    return  # quiet: the next group_send starts this again
                continue
            by_shard: dict = {}
            for group_channel in sent_to:
                shard = self._get_shard(group_channel)
                if group_channel in shard.confirmed and group_channel in self.groups:
                    by_shard.setdefault(shard, []).append(group_channel)
            for shard, channels in by_shard.items():
                generations = [shard.generation.get(c) for c in channels]
                sent_at = time.monotonic()  # the lease runs from here, the key from when the script ran
                try:
                    counts = await shard.take_leases(channels, self.lease)
                except Exception:
                    logger.warning("could not renew the channel layer's leases", exc_info=True)
                    for c in channels:
                        self.alone_until.pop(c, None)
                    continue
                for c, generation, count in zip(channels, generations, counts):
                    if count == 1 and shard.generation.get(c) == generation and c in shard.confirmed:
                        self.alone_until[c] = sent_at + self.lease
                    else:
                        self.alone_until.pop(c, None)

    async def flush(self):
        if self.renewer is not None:
            self.renewer.cancel()
            try:
                await self.renewer
            except (asyncio.CancelledError, Exception):
                pass
            self.renewer = None
        self.alone_until.clear()
        self.settled.clear()
        await super().flush()


class LocalFanoutChannelLayer(RedisPubSubChannelLayer):
    """RedisPubSubChannelLayer, with a process's own group members served in-process (see the module)."""

    def __init__(self, *args, symmetric_encryption_keys=None, serializer_format="msgpack", alone_lease=ALONE_LEASE, **kwargs) -> None:
        super().__init__(*args, symmetric_encryption_keys=symmetric_encryption_keys, serializer_format=serializer_format, **kwargs)
        self.alone_lease = float(alone_lease or 0)
        self.plain_msgpack = (
            serializer_format == "msgpack" and not symmetric_encryption_keys and not getattr(self._serializer, "random_prefix_length", 0)
        )

    def deserialize(self, message):
        if isinstance(message, dict):  # delivered in-process: never encoded
            return message
        return super().deserialize(message)

    def _get_layer(self):
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = self._layers[loop] = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            _wrap_close(self, loop)
        return layer

    # The calls of every message, straight to the loop layer (the base class routes every method through
    # __getattr__, a partial and one more coroutine).
    async def group_send(self, group, message):
        return await self._get_layer().group_send(group, message)

    async def receive(self, channel):
        return await self._get_layer().receive(channel)
