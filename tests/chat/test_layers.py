"""chat/layers.py against the real Redis: a process's own group members get a group_send at once and exactly
once (the Redis echo of it is dropped), members in another process (another layer instance) get it through
Redis exactly once, order is kept both ways, and a message may skip its sender."""
import asyncio
import os
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
