"""Whether a sandbox input holds a turn, read from the topic itself on the real broker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial

import pytest
from aiokafka import AIOKafkaProducer

from bus.audit.log import log_consumer, partitions_of
from bus.sandbox.turns import FedTurns
from tests.conftest import NewTopicFactory

pytestmark = pytest.mark.broker


@pytest.fixture
async def producer(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    yield producer
    await producer.stop()


@pytest.fixture
async def turns(kafka_bootstrap: str) -> AsyncIterator[FedTurns]:
    turns = FedTurns(
        partial(log_consumer, kafka_bootstrap), partial(partitions_of, kafka_bootstrap)
    )
    await turns.start()
    yield turns
    await turns.stop()


async def _turn(producer: AIOKafkaProducer, topic: str, event_id: str, key: str) -> None:
    await producer.send_and_wait(
        topic, b"turn", key=key.encode(), headers=[("ce_id", event_id.encode())]
    )


async def test_a_turn_written_by_anyone_is_found_on_any_partition_and_an_unknown_one_is_not(
    turns: FedTurns, producer: AIOKafkaProducer, new_topic: NewTopicFactory
) -> None:
    topic = await new_topic("sandbox-input", partitions=3)
    for number in range(6):
        await _turn(producer, topic, f"turn-{number}", key=f"c-{number}")
    assert await turns.holds(topic, "turn-5")
    assert await turns.holds(topic, "turn-0")
    assert not await turns.holds(topic, "turn-6")


async def test_a_turn_written_after_a_look_is_found_by_the_next_look(
    turns: FedTurns, producer: AIOKafkaProducer, new_topic: NewTopicFactory
) -> None:
    topic = await new_topic("sandbox-input", partitions=2)
    await _turn(producer, topic, "early", key="c-1")
    assert not await turns.holds(topic, "late")
    await _turn(producer, topic, "late", key="c-2")
    assert await turns.holds(topic, "late")
    assert await turns.holds(topic, "early")
