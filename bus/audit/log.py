"""The audit topic on Kafka: encoding its messages, reading them back, finding a chain's head."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from bus.audit.verify import LogEntry
from bus.errors import BusError, DecodeError
from bus.kafka.admin import admin_client, topic_partitions
from bus.schemas.codec import AvroCodec
from bus.schemas.event import Event
from bus.schemas.types import AUDIT_CHECKPOINT, AUDIT_RECORD

KIND_TYPES = {"record": AUDIT_RECORD, "checkpoint": AUDIT_CHECKPOINT}
BATCH_MS = 500


def encode(codec: AvroCodec, kind: str, data: dict[str, Any]) -> bytes:
    """An audit record or checkpoint in the Confluent wire format."""
    return codec.encode(Event(KIND_TYPES[kind], data))


async def decode_entry(codec: AvroCodec, partition: int, offset: int, value: bytes) -> LogEntry:
    try:
        event = await codec.decode_async(value)
    except DecodeError as exc:
        return LogEntry(partition, offset, error=f"{exc.reason}: {exc}")
    if event.type == AUDIT_RECORD:
        return LogEntry(partition, offset, record=event.data)
    if event.type == AUDIT_CHECKPOINT:
        return LogEntry(partition, offset, checkpoint=event.data)
    return LogEntry(partition, offset, error=f"a {event.type} event, not an audit record")


def log_consumer(bootstrap_servers: str, **security: Any) -> AIOKafkaConsumer:
    """A consumer without a group (``security``: ``bus.kafka.connection.security_kwargs``)."""
    return AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        **security,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        group_id=None,
        client_id=f"bus-audit-{uuid.uuid4().hex[:8]}",
        max_poll_records=5000,
    )


async def partitions_of(bootstrap_servers: str, topic: str, **security: Any) -> list[int]:
    """The topic's partitions in order, from the cluster's metadata (``security`` as above)."""
    async with admin_client(bootstrap_servers, **security) as admin:
        partitions = (await topic_partitions(admin)).get(topic)
    if not partitions:
        raise BusError(f"topic {topic!r} does not exist on the cluster; check the catalogue")
    return sorted(partitions)


async def read_range(
    consumer: AIOKafkaConsumer, tp: TopicPartition, start: int, end: int
) -> AsyncIterator[Any]:
    """Messages of one partition with ``start <= offset < end``, in order."""
    if start >= end:
        return
    consumer.assign([tp])
    consumer.seek(tp, start)
    while True:
        batches = await consumer.getmany(tp, timeout_ms=BATCH_MS)
        for message in batches.get(tp, []):
            if message.offset >= end:
                return
            yield message
        if await consumer.position(tp) >= end:
            return


async def read_to_end(
    consumer: AIOKafkaConsumer,
    topic: str,
    partitions: Iterable[int],
    after: Mapping[int, int] | None = None,
) -> AsyncIterator[Any]:
    """Every message of ``topic``'s ``partitions`` up to each one's end as it is now,
    partition by partition in offset order; from offset ``after[partition]`` where given
    (never before the log's start)."""
    for partition in partitions:
        tp = TopicPartition(topic, partition)
        start = (await consumer.beginning_offsets([tp]))[tp]
        end = (await consumer.end_offsets([tp]))[tp]
        first = max(start, (after or {}).get(partition, 0))
        async for message in read_range(consumer, tp, first, end):
            yield message


async def read_log(
    consumer: AIOKafkaConsumer, codec: AvroCodec, topic: str, partitions: Iterable[int]
) -> AsyncIterator[LogEntry]:
    """Every entry of the audit topic's ``partitions`` (see partitions_of), in log order."""
    async for message in read_to_end(consumer, topic, partitions):
        yield await decode_entry(codec, message.partition, message.offset, message.value)
