"""Replay for auditors: read the bus's topics back by time range and filters.

The range goes by Kafka timestamps: ``offsets_for_times`` finds where each
partition's range starts and ends, so a replay reads only what it returns. Each
partition is read in offset order. Output: JSON Lines, Avro files (one per event
type), or a topic, where every event carries a ``bus_replay`` header.
"""

from __future__ import annotations

import base64
import json
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol

import fastavro
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bus.audit.log import log_consumer, partitions_of, read_range
from bus.audit.record import REPLAY_HEADER
from bus.errors import DecodeError
from bus.privacy.fields import scrubbed
from bus.privacy.scrubber import Scrubber
from bus.schemas.codec import AvroCodec
from bus.schemas.contracts import Contract
from bus.schemas.event import Event


@dataclass(frozen=True)
class ReplayFilter:
    start_ms: int | None = None
    end_ms: int | None = None
    authority: str | None = None
    conversation_id: str | None = None
    event_types: tuple[str, ...] = ()
    """Full type names (``bus.schemas.types.resolve`` turns short ones into them)."""

    def matches(self, event: Event, timestamp_ms: int) -> bool:
        if self.start_ms is not None and timestamp_ms < self.start_ms:
            return False
        if self.end_ms is not None and timestamp_ms >= self.end_ms:
            return False
        header = event.header
        if self.authority is not None and self.authority not in (
            header.get("authority"),
            (event.source or "").rpartition(":")[2],
        ):
            return False
        if self.conversation_id is not None and header.get("conversation_id") != (
            self.conversation_id
        ):
            return False
        return not self.event_types or event.type in self.event_types


@dataclass(frozen=True)
class Replayed:
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]
    event: Event


class Sink(Protocol):
    async def write(self, item: Replayed) -> None: ...

    async def close(self) -> None: ...


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def as_json(item: Replayed) -> dict[str, Any]:
    return {
        "topic": item.topic,
        "partition": item.partition,
        "offset": item.offset,
        "timestamp": item.timestamp_ms,
        "key": item.key.decode("utf-8", "replace") if item.key is not None else None,
        "type": item.event.type,
        "event": _jsonable(item.event.data),
    }


class ScrubbingSink:
    """Hands on each event with free text scrubbed and personal data pseudonymised
    (``bus.privacy.fields``): a replay for eyes that must not see who it is about."""

    def __init__(self, sink: Sink, contracts: Mapping[str, Contract], scrubber: Scrubber) -> None:
        self._sink = sink
        self._contracts = contracts
        self._scrubber = scrubber

    async def write(self, item: Replayed) -> None:
        contract = self._contracts.get(item.event.type)
        if contract is not None:
            data = scrubbed(item.event.data, contract, self._scrubber)
            item = replace(item, event=replace(item.event, data=data))
        await self._sink.write(item)

    async def close(self) -> None:
        await self._sink.close()


class JsonLinesSink:
    def __init__(self, out: IO[str]) -> None:
        self._out = out

    async def write(self, item: Replayed) -> None:
        self._out.write(json.dumps(as_json(item), ensure_ascii=False) + "\n")

    async def close(self) -> None:
        self._out.flush()


class AvroSink:
    """One Avro container file per event type in a directory, with the type's contract."""

    def __init__(self, directory: Path, contracts: Mapping[str, Contract]) -> None:
        self._directory = directory
        self._contracts = contracts
        self._events: dict[str, list[dict[str, Any]]] = defaultdict(list)

    async def write(self, item: Replayed) -> None:
        self._events[item.event.type].append(item.event.data)

    async def close(self) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        for type_name, records in self._events.items():
            schema = fastavro.parse_schema(self._contracts[type_name].schema)
            with (self._directory / f"{type_name}.avro").open("wb") as file:
                fastavro.writer(file, schema, records)


class TopicSink:
    """Re-publish the original bytes, key and headers, marked as a replay."""

    def __init__(self, bootstrap_servers: str, topic: str, replay_id: str, **security: Any) -> None:
        self._topic = topic
        self._mark = (REPLAY_HEADER, replay_id.encode())
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers, acks="all", enable_idempotence=True, **security
        )
        self._pending: list[Any] = []
        self._started = False

    async def write(self, item: Replayed) -> None:
        if not self._started:
            await self._producer.start()
            self._started = True
        headers = [*(h for h in item.headers if h[0] != REPLAY_HEADER), self._mark]
        self._pending.append(
            await self._producer.send(self._topic, item.value, key=item.key, headers=headers)
        )

    async def close(self) -> None:
        if self._started:
            for delivery in self._pending:
                await delivery
            await self._producer.stop()


class Progress:
    """A one-line progress bar on stderr: read of total, matched, rate."""

    WIDTH = 24

    def __init__(self, total: int, *, enabled: bool, out: IO[str] | None = None) -> None:
        self.total = total
        self.read = 0
        self.matched = 0
        self._enabled = enabled
        self._out = out or sys.stderr
        self._began = time.monotonic()
        self._shown = 0.0

    def update(self, *, matched: bool, force: bool = False) -> None:
        self.read += 1
        self.matched += int(matched)
        now = time.monotonic()
        if self._enabled and (force or now - self._shown >= 0.2):
            self._shown = now
            self._out.write("\r" + self.line(now))
            self._out.flush()

    def line(self, now: float | None = None) -> str:
        elapsed = max((now or time.monotonic()) - self._began, 1e-6)
        done = self.read / self.total if self.total else 1.0
        bar = "#" * int(done * self.WIDTH)
        return (
            f"replay [{bar:<{self.WIDTH}}] {self.read:,}/{self.total:,} read, "
            f"{self.matched:,} matched, {self.read / elapsed:,.0f} events/s"
        )

    def finish(self) -> None:
        if self._enabled:
            self._out.write("\r" + self.line() + "\n")
            self._out.flush()


async def _ranges(
    consumer: AIOKafkaConsumer, tps: list[TopicPartition], where: ReplayFilter
) -> list[tuple[TopicPartition, int, int]]:
    """Per partition, the offsets ``[start, end)`` whose timestamps may be in the range."""
    ends = await consumer.end_offsets(tps)
    starts = await consumer.beginning_offsets(tps)
    if where.start_ms is not None:
        found = await consumer.offsets_for_times({tp: where.start_ms for tp in tps})
        starts = {tp: ends[tp] if hit is None else hit.offset for tp, hit in found.items()}
    if where.end_ms is not None:
        found = await consumer.offsets_for_times({tp: where.end_ms for tp in tps})
        ends = {tp: ends[tp] if hit is None else hit.offset for tp, hit in found.items()}
    return [(tp, starts[tp], ends[tp]) for tp in tps if starts[tp] < ends[tp]]


async def replay(
    bootstrap_servers: str,
    codec: AvroCodec,
    topics: Sequence[str],
    where: ReplayFilter,
    sink: Sink,
    *,
    progress: bool = False,
    security: Mapping[str, Any] | None = None,
) -> Progress:
    """Send every matching event to ``sink``, partition by partition in offset order."""
    security = security or {}
    tps = [
        TopicPartition(topic, partition)
        for topic in topics
        for partition in await partitions_of(bootstrap_servers, topic, **security)
    ]
    consumer = log_consumer(bootstrap_servers, **security)
    try:
        await consumer.start()
        ranges = await _ranges(consumer, tps, where)
        bar = Progress(sum(end - start for _, start, end in ranges), enabled=progress)
        for tp, start, end in ranges:
            async for message in read_range(consumer, tp, start, end):
                try:
                    event = await codec.decode_async(message.value)
                except DecodeError:
                    bar.update(matched=False)
                    continue
                matched = where.matches(event, message.timestamp)
                if matched:
                    headers = [(k, bytes(v or b"")) for k, v in message.headers or []]
                    await sink.write(
                        Replayed(
                            tp.topic,
                            tp.partition,
                            message.offset,
                            message.timestamp,
                            message.key,
                            message.value,
                            headers,
                            event,
                        )
                    )
                bar.update(matched=matched)
        bar.finish()
        await sink.close()
        return bar
    finally:
        await consumer.stop()
