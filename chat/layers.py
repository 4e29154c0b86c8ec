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
"""
import asyncio
import uuid

import msgpack
from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection
from channels_redis.utils import _wrap_close

ORIGIN_KEY = "__origin__"
SKIP_KEY = "skip_channel"


class _Shard(RedisSingleShardConnection):
    def _receive_message(self, message):
        if message is not None and self.channel_layer.is_own(message["data"]):
            return  # delivered in-process when it was sent
        super()._receive_message(message)


class _LoopLayer(RedisPubSubLoopLayer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.origin = uuid.uuid4().hex
        # A publication of ours starts with a map header (1 byte, 3 from 16 keys on), then ORIGIN_KEY and this id.
        self.marker = msgpack.packb(ORIGIN_KEY) + msgpack.packb(self.origin)
        self.raw_check = self.channel_layer.plain_msgpack
        self._shards = [_Shard(shard.host, self) for shard in self._shards]

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
        shard = self._get_shard(group_channel)
        await shard.publish(group_channel, self.channel_layer.serialize({ORIGIN_KEY: self.origin, **message}))


class LocalFanoutChannelLayer(RedisPubSubChannelLayer):
    """RedisPubSubChannelLayer, with a process's own group members served in-process (see the module)."""

    def __init__(self, *args, symmetric_encryption_keys=None, serializer_format="msgpack", **kwargs) -> None:
        super().__init__(*args, symmetric_encryption_keys=symmetric_encryption_keys, serializer_format=serializer_format, **kwargs)
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
