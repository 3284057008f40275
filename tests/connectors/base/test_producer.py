"""EventProducer on the real broker: keyed writes land where other clients put the key, and a
broker that does not answer fails a write within its timeout without holding up shutdown."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import pytest
from aiokafka.partitioner import DefaultPartitioner

from bus.kafka.local import free_port
from bus.settings import Settings
from connectors.base import BrokerUnavailableError, EventProducer

pytestmark = pytest.mark.broker


async def test_a_key_goes_to_the_partition_aiokafka_and_java_clients_choose(
    bus_settings: Settings, new_topic: Callable[..., Awaitable[str]]
) -> None:
    topic = await new_topic("producer", partitions=4)
    partitions = [0, 1, 2, 3]
    async with EventProducer(bus_settings) as producer:
        for i in range(12):
            key = f"conversation-{i}".encode()
            written = await producer.send(topic, key, b"x", [("ce_id", b"%d" % i)])
            assert written.topic == topic and written.offset >= 0
            assert written.partition == DefaultPartitioner()(key, partitions, partitions)


async def test_an_unanswered_write_fails_within_the_timeout_and_stop_does_not_wait_for_it(
    bus_settings: Settings,
) -> None:
    nowhere = bus_settings.model_copy(update={"bootstrap_servers": f"127.0.0.1:{free_port()}"})
    producer = EventProducer(nowhere, timeout_s=1.0)
    started = time.monotonic()
    with pytest.raises(BrokerUnavailableError, match="nothing was delivered"):
        await producer.send("bus.anywhere", b"k", b"v", [])
    await producer.stop()
    assert time.monotonic() - started < 5
