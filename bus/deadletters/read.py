"""Reading the dead-letter topic and sending letters back: the Kafka edge of ``queue``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable

from aiokafka import AIOKafkaProducer

from bus.audit.log import log_consumer, partitions_of, read_to_end
from bus.deadletters.letter import DeadLetter
from bus.deadletters.queue import Found, redriven
from bus.kafka.connection import client_kwargs, security_kwargs
from bus.settings import Settings


async def read_letters(settings: Settings, topic: str) -> AsyncIterator[Found]:
    """Every letter on ``topic`` as it stands now, partition by partition, in offset order."""
    security = security_kwargs(settings)
    partitions = await partitions_of(settings.bootstrap_servers, topic, **security)
    consumer = log_consumer(settings.bootstrap_servers, **security)
    await consumer.start()
    try:
        async for message in read_to_end(consumer, topic, partitions):
            letter = DeadLetter.from_message(message.key, message.value, message.headers or ())
            yield Found(topic, message.partition, message.offset, letter)
    finally:
        await consumer.stop()


async def send_back(settings: Settings, found: Iterable[Found], to: str | None = None) -> int:
    """Send each letter back to its source topic, or to ``to`` (acks=all, idempotent); how
    many were sent."""
    producer = AIOKafkaProducer(**client_kwargs(settings), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        pending = []
        for item in found:
            topic, key, value, headers = redriven(item, to)
            pending.append(await producer.send(topic, value, key=key, headers=headers))
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return len(pending)
