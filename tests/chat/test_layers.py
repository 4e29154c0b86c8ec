"""chat/layers.py against the real Redis: a process's own group members get a group_send at once and exactly
once (the Redis echo of it is dropped), members in another process (another layer instance) get it through
Redis exactly once, order is kept both ways, and a message may skip its sender; a process alone in a group
publishes nothing, and one joining it still gets every message sent after its group_add returned."""
import asyncio
import os
import time
import uuid

import msgpack
import pytest
from channels_redis.pubsub import RedisPubSubChannelLayer

from chat.layers import ORIGIN_KEY, SKIP_KEY, LocalFanoutChannelLayer

pytestmark = pytest.mark.redis


def make(cls=LocalFanoutChannelLayer, prefix=None, **kwargs):
    return cls(hosts=[os.environ.get("REDIS_URL", "")], prefix=prefix, **kwargs)


@pytest.fixture
def prefix():
    return f"test-layers-{uuid.uuid4().hex[:8]}"  # a concurrent run on the same Redis hears nothing of ours


async def drain(layer, channel, wait=0.3) -> list[dict]:
    """Every message waiting on `channel`, after `wait` seconds for late ones (an echo, say)."""
    await asyncio.sleep(wait)
    # Never a cancelled receive(): the pub/sub layer takes that for a consumer leaving and drops the channel.
    waiting = layer._get_layer().channels[channel].qsize()
    return [await layer.receive(channel) for _ in range(waiting)]


async def close(*layers):
    for layer in layers:
        await layer.flush()


async def test_same_process_members_get_a_group_message_once_and_another_process_through_redis_once(prefix):
    here, there = make(prefix=prefix), make(prefix=prefix)  # two layer instances: two processes
    a1, a2, b1, outsider = (await here.new_channel(), await here.new_channel(), await there.new_channel(), await here.new_channel())
    for layer, channel in ((here, a1), (here, a2), (there, b1)):
        await layer.group_add("chat.c.1", channel)

    await here.group_send("chat.c.1", {"type": "chat.frame", "text": "one"})
    # In this process it is there before any Redis round trip.
    assert here._get_layer().channels[a1].qsize() == 1 and here._get_layer().channels[a2].qsize() == 1
    assert [m["text"] for m in await drain(here, a1)] == ["one"]
    assert [m["text"] for m in await drain(here, a2, wait=0)] == ["one"]
    assert [m["text"] for m in await drain(there, b1, wait=0)] == ["one"]
    assert await drain(here, outsider, wait=0) == []

    await there.group_send("chat.c.1", {"type": "chat.frame", "text": "two"})
    assert [m["text"] for m in await drain(here, a1)] == ["two"]
    assert [m["text"] for m in await drain(here, a2, wait=0)] == ["two"]
    assert [m["text"] for m in await drain(there, b1, wait=0)] == ["two"]
    await close(here, there)


async def test_order_is_kept_in_the_process_and_across_processes(prefix):
    here, there = make(prefix=prefix), make(prefix=prefix)
    local, remote = await here.new_channel(), await there.new_channel()
    await here.group_add("g", local)
    await there.group_add("g", remote)
    await asyncio.gather(*(here.group_send("g", {"type": "x", "n": n}) for n in range(200)))
    assert [m["n"] for m in await drain(here, local)] == list(range(200))
    assert [m["n"] for m in await drain(there, remote, wait=0)] == list(range(200))
    await close(here, there)


async def test_membership_is_that_of_the_moment_of_sending(prefix):
    here, there = make(prefix=prefix), make(prefix=prefix)
    a, b = await here.new_channel(), await there.new_channel()
    await here.group_add("g", a)
    await there.group_add("g", b)
    await here.group_discard("g", a)
    await here.group_send("g", {"type": "x", "n": 1})
    assert await drain(here, a) == []
    assert [m["n"] for m in await drain(there, b, wait=0)] == [1]
    await here.group_add("g", a)
    await there.group_discard("g", b)
    await there.group_send("g", {"type": "x", "n": 2})
    assert [m["n"] for m in await drain(here, a)] == [2]
    assert await drain(there, b, wait=0) == []
    await close(here, there)


async def test_a_message_can_skip_its_sender_and_members_get_copies(prefix):
    here = make(prefix=prefix)
    sender, tab = await here.new_channel(), await here.new_channel()
    await here.group_add("g", sender)
    await here.group_add("g", tab)
    event = {"type": "chat.frame", "text": "hi", SKIP_KEY: sender}
    await here.group_send("g", event)
    assert await drain(here, sender) == []
    got = await drain(here, tab, wait=0)
    assert [m["text"] for m in got] == ["hi"]
    got[0]["text"] = "changed"
    assert event["text"] == "hi"
    await close(here)


async def test_send_to_a_channel_of_this_process_skips_redis_and_other_processes_still_reach_it(prefix):
    here, there = make(prefix=prefix), make(prefix=prefix)
    channel = await here.new_channel()
    await here.send(channel, {"type": "x", "n": 1})
    assert here._get_layer().channels[channel].qsize() == 1
    await there.send(channel, {"type": "x", "n": 2})
    assert [m["n"] for m in await drain(here, channel)] == [1, 2]
    await close(here, there)


async def test_a_plain_pubsub_process_of_the_previous_release_understands_the_publication(prefix):
    """During a deploy old and new processes share groups: the publication is a plain msgpack map."""
    new, old = make(prefix=prefix), make(RedisPubSubChannelLayer, prefix=prefix)
    a, b = await new.new_channel(), await old.new_channel()
    await new.group_add("g", a)
    await old.group_add("g", b)
    await new.group_send("g", {"type": "x", "n": 1})
    await old.group_send("g", {"type": "x", "n": 2})
    assert [m["n"] for m in await drain(old, b)] == [1, 2]
    assert [m["n"] for m in await drain(new, a, wait=0)] == [1, 2]
    await close(new, old)


def test_the_echo_is_recognised_from_the_bytes_of_any_size_of_message():
    async def check():
        layer = make(prefix="x")._get_layer()
        other = make(prefix="x")._get_layer()
        for size in (1, 15, 16, 40):
            message = {ORIGIN_KEY: layer.origin, **{f"k{i}": i for i in range(size)}}
            data = msgpack.packb(message)
            assert layer.is_own(data) and not other.is_own(data)
        assert not layer.is_own(msgpack.packb({"type": "x"}))

    asyncio.run(check())


async def test_an_encrypted_layer_recognises_its_echo_by_decoding(prefix):
    here = make(prefix=prefix, symmetric_encryption_keys=["k" * 32])
    there = make(prefix=prefix, symmetric_encryption_keys=["k" * 32])
    a, b = await here.new_channel(), await there.new_channel()
    await here.group_add("g", a)
    await there.group_add("g", b)
    assert not here._get_layer().raw_check
    await here.group_send("g", {"type": "x", "n": 1})
    assert [m["n"] for m in await drain(here, a)] == [1]
    assert [m["n"] for m in await drain(there, b, wait=0)] == [1]
    await close(here, there)


# Leases: a process alone in a group does not publish its messages -------------------------------------------


async def eventually(condition, timeout=5.0) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


def count_publishes(layer) -> list:
    """Wrap the loop layer's shards' publish; the list gets one entry a publication."""
    published = []
    for shard in layer._get_layer()._shards:
        original = shard.publish

        async def publish(channel, message, original=original):
            published.append(channel)
            await original(channel, message)

        shard.publish = publish
    return published


async def lease_taken(layer, group, *, sending=True) -> bool:
    """Send to `group` until this layer holds its lease (the renewal runs every quarter of a lease)."""
    inner = layer._get_layer()
    channel = inner._get_group_channel_name(group)

    def held():
        return inner.alone_until.get(channel, 0) > time.monotonic()

    deadline = asyncio.get_running_loop().time() + 5
    while not held() and asyncio.get_running_loop().time() < deadline:
        if sending:
            await layer.group_send(group, {"type": "x", "n": -1})
        await asyncio.sleep(0.05)
    return held()


async def test_a_process_alone_in_a_group_stops_publishing_and_its_members_still_get_every_message(prefix):
    here = make(prefix=prefix)
    a = await here.new_channel()
    await here.group_add("g", a)
    assert await lease_taken(here, "g")
    await drain(here, a, wait=0)
    published = count_publishes(here)
    for n in range(20):
        await here.group_send("g", {"type": "x", "n": n})
    assert published == []
    assert [m["n"] for m in await drain(here, a, wait=0)] == list(range(20))
    # The key a joining process reads, set by the same script that counted one subscriber.
    inner = here._get_layer()
    redis = inner._shards[0]._redis
    assert await redis.pttl(f"{inner._get_group_channel_name('g')}.alone") > 0
    await close(here)


async def test_a_process_joining_a_group_another_is_alone_in_gets_every_message_sent_after_it_joined(prefix):
    here, there = make(prefix=prefix), make(prefix=prefix)
    a, b = await here.new_channel(), await there.new_channel()
    await here.group_add("g", a)
    assert await lease_taken(here, "g")
    await drain(here, a, wait=0)

    await there.group_add("g", b)  # waits out here's lease
    group_channel = here._get_layer()._get_group_channel_name("g")
    assert here._get_layer().alone_until.get(group_channel, 0) <= time.monotonic()
    for n in range(5):
        await here.group_send("g", {"type": "x", "n": n})
    assert [m["n"] for m in await drain(there, b)] == [0, 1, 2, 3, 4]
    await there.group_send("g", {"type": "x", "n": 5})
    assert [m["n"] for m in await drain(here, a)] == [0, 1, 2, 3, 4, 5]
    assert [m["n"] for m in await drain(there, b, wait=0)] == [5]

    # Two subscribers now: the renewals take no lease, every message is published.
    published = count_publishes(here)
    for n in range(6, 30):
        await here.group_send("g", {"type": "x", "n": n})
        await asyncio.sleep(0.05)  # across several renewals
    assert len(published) == 24
    assert [m["n"] for m in await drain(there, b)] == list(range(6, 30))

    # The other one leaves: alone again, the lease comes back.
    await there.group_discard("g", b)
    assert await lease_taken(here, "g")
    await close(here, there)


async def test_a_member_joining_in_the_same_process_needs_no_redis_and_gets_messages_at_once(prefix):
    here = make(prefix=prefix)
    a, b = await here.new_channel(), await here.new_channel()
    await here.group_add("g", a)
    assert await lease_taken(here, "g")
    await here.group_add("g", b)
    await here.group_send("g", {"type": "x", "n": 1})
    assert here._get_layer().channels[b].qsize() == 1
    await close(here)


async def test_the_last_member_leaving_drops_the_lease_and_a_rejoin_waits_again(prefix):
    here = make(prefix=prefix)
    inner = here._get_layer()
    a = await here.new_channel()
    await here.group_add("g", a)
    assert await lease_taken(here, "g")
    group_channel = inner._get_group_channel_name("g")
    await here.group_discard("g", a)
    assert group_channel not in inner.alone_until and group_channel not in inner.settled
    published = count_publishes(here)
    await here.group_send("g", {"type": "x", "n": 1})  # no member here: published
    assert published == [group_channel]
    await here.group_add("g", a)
    assert group_channel in inner.settled and group_channel in inner._shards[0].confirmed
    await close(here)


async def test_no_lease_with_alone_lease_0(prefix):
    here = make(prefix=prefix, alone_lease=0)
    a = await here.new_channel()
    await here.group_add("g", a)
    assert not await lease_taken(here, "g")
    published = count_publishes(here)
    for n in range(5):
        await here.group_send("g", {"type": "x", "n": n})
    assert len(published) == 5
    assert [m["n"] for m in await drain(here, a)][-5:] == list(range(5))
    await close(here)


async def test_a_subscription_is_confirmed_only_when_redis_has_answered_every_command_for_it(prefix):
    here = make(prefix=prefix)
    inner = here._get_layer()
    shard = inner._shards[0]
    a = await here.new_channel()
    group_channel = inner._get_group_channel_name("g")
    for _ in range(3):  # subscribe, unsubscribe, subscribe... without waiting in between
        inner.groups.setdefault(group_channel, set()).add(a)
        await shard.subscribe(group_channel)
        await shard.unsubscribe(group_channel)
    await here.group_add("g", a)
    assert group_channel in shard.confirmed and shard.pending[group_channel] == 0
    await close(here)
