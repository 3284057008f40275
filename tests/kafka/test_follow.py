"""A TopicFollower reads every partition of its topics from the beginning, then new records."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from bus.kafka.follow import TopicFollower

pytestmark = pytest.mark.broker


async def _produce(bootstrap: str, topic: str, partitions: int, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for i, value in enumerate(values):
            await producer.send_and_wait(topic, value, partition=i % partitions)
    finally:
        await producer.stop()


async def test_a_follower_reads_every_partition_past_and_future(
    kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> None:
    topic = await new_topic("follow", partitions=3)
    await _produce(kafka_bootstrap, topic, 3, [b"a", b"b", b"c"])
    seen: list[bytes] = []
    fourth = asyncio.Event()

    async def handle(record: Any) -> None:
        seen.append(record.value)
        if len(seen) == 4:
            fourth.set()

    follower = TopicFollower(kafka_bootstrap, [topic], handle)
    async with follower:
        await asyncio.wait_for(follower.caught_up.wait(), 30)
        assert sorted(seen) == [b"a", b"b", b"c"]
        await _produce(kafka_bootstrap, topic, 3, [b"d"])
        await asyncio.wait_for(fourth.wait(), 30)
    assert seen[-1] == b"d"
