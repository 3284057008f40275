"""Receive typed events from an inbox or assistant topic, committing only what was handled."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import ConsumerStoppedError

from bus.client.dedup import RecentIds
from bus.deadletters import dead_letter
from bus.errors import DecodeError
from bus.kafka.connection import FETCH_MAX_WAIT_MS, client_kwargs
from bus.lifecycle import AsyncResource
from bus.schemas.cloudevents import CloudEventAttributes, Headers, parse_ce_headers
from bus.schemas.codec import AvroCodec
from bus.schemas.contracts import load_contracts
from bus.schemas.event import Event
from bus.schemas.registry_client import registry_client
from bus.schemas.runtime import retrying
from bus.settings import Settings

log = logging.getLogger(__name__)

OnError = Literal["dead-letter", "raise", "skip"]


@dataclass(frozen=True, slots=True)
class Delivery:
    """One received event and where it came from; hand it to ``Subscriber.commit``."""

    event: Event
    topic: str
    partition: int
    offset: int
    key: bytes | None
    headers: Headers
    ce: CloudEventAttributes | None


class Subscriber(AsyncResource):
    """A consumer-group member that yields decoded events and commits only when told.

    It reads ``read_committed`` so the exactly-once router's aborted writes are
    never seen, drops repeats of an event id it already yielded, and sends what
    does not decode to the dead-letter topic (or raises, with
    ``on_error="raise"``) so one bad message never stops an inbox. A reader
    that may write nowhere else (a sandbox's candidate) logs and skips it
    (``on_error="skip"``).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        topics: Sequence[str],
        group_id: str,
        auto_offset_reset: Literal["earliest", "latest"] = "earliest",
        deduplicate: bool = True,
        dedup_capacity: int = 100_000,
        on_error: OnError = "dead-letter",
        max_records: int = 500,
        poll_timeout_ms: int = 500,
    ) -> None:
        if not topics:
            raise ValueError("subscribe to at least one topic")
        self.settings = settings
        self.topics = list(topics)
        self.group_id = group_id
        self.on_error = on_error
        self.duplicates_dropped = 0
        self.dead_lettered = 0
        self.skipped = 0
        self._recent = RecentIds(dedup_capacity) if deduplicate else None
        self._registry = registry_client(settings)
        self.codec = AvroCodec(self._registry, load_contracts(settings.schemas_dir))
        self._consumer = AIOKafkaConsumer(
            **client_kwargs(settings),
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset=auto_offset_reset,
            isolation_level="read_committed",
            fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
        )
        self._dead_letters: AIOKafkaProducer | None = None
        self._max_records = max_records
        self._poll_timeout_ms = poll_timeout_ms
        self._buffer: deque[Any] = deque()
        self._handled: dict[TopicPartition, int] = {}
        self._committed: dict[TopicPartition, int] = {}
        self._stopping = False

    async def start(self) -> None:
        from bus.security.access import require_readable

        try:
            await require_readable(self.settings, self.topics)
        except BaseException:
            await self._registry.close()
            raise
        await self._consumer.start()
        self._consumer.subscribe(self.topics, listener=_OnRevoke(self._forget))

    async def stop(self) -> None:
        """Leave the group; what was not committed is delivered again to the next member."""
        self._stopping = True
        await self._consumer.stop()
        if self._dead_letters is not None:
            await self._dead_letters.stop()
        await self._registry.close()

    def __aiter__(self) -> AsyncIterator[Delivery]:
        return self._deliveries()

    async def commit(self, delivery: Delivery | None = None) -> None:
        """Commit past ``delivery`` on its partition, or past everything handled so far.

        "Handled" includes the duplicates and dead letters skipped on the way.
        Offsets at or below what this member already committed are left alone.
        """
        if delivery is None:
            offsets = dict(self._handled)
        else:
            offsets = {TopicPartition(delivery.topic, delivery.partition): delivery.offset + 1}
        offsets = {tp: at for tp, at in offsets.items() if at > self._committed.get(tp, -1)}
        if offsets:
            await self._consumer.commit(offsets)
            self._committed.update(offsets)

    async def _deliveries(self) -> AsyncIterator[Delivery]:
        while not self._stopping:
            if not self._buffer:
                try:
                    batches = await self._consumer.getmany(
                        timeout_ms=self._poll_timeout_ms, max_records=self._max_records
                    )
                except ConsumerStoppedError:
                    return
                for records in batches.values():
                    self._buffer.extend(records)
                continue
            record = self._buffer.popleft()
            try:
                delivery = await self._receive(record)
            except BaseException:
                self._rewind(record)
                raise
            self._handled[TopicPartition(record.topic, record.partition)] = record.offset + 1
            if delivery is not None:
                yield delivery

    async def _receive(self, record: Any) -> Delivery | None:
        """The record as a Delivery, or None when it is a repeat or a dead letter."""
        try:
            event = await self._decode(record.value)
        except DecodeError as exc:
            if self.on_error == "raise":
                raise
            if self.on_error == "skip":
                log.warning(
                    "skipped %s[%s]@%s: %s", record.topic, record.partition, record.offset, exc
                )
                self.skipped += 1
                return None
            await self._dead_letter(record, exc)
            return None
        if self._recent is not None and event.id is not None and self._recent.seen(event.id):
            self.duplicates_dropped += 1
            return None
        headers = [(key, bytes(value or b"")) for key, value in record.headers or ()]
        return Delivery(
            event=event,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            headers=headers,
            ce=parse_ce_headers(headers),
        )

    async def _decode(self, value: bytes) -> Event:
        """Decode; waits out a registry outage rather than dead-lettering good data."""
        return await retrying(
            lambda: self.codec.decode_async(value),
            "fetch a writer schema",
            stopping=lambda: self._stopping,
        )

    def _rewind(self, record: Any) -> None:
        """Fetch ``record`` again next time, so an error raised on it does not skip it."""
        tp = TopicPartition(record.topic, record.partition)
        self._drop_buffered({tp})
        self._consumer.seek(tp, record.offset)

    async def _dead_letter(self, record: Any, exc: DecodeError) -> None:
        letter = dead_letter(record, exc.reason, str(exc), f"subscriber:{self.group_id}")
        if self._dead_letters is None:
            producer = AIOKafkaProducer(
                **client_kwargs(self.settings),
                acks="all",
                enable_idempotence=True,
            )
            await producer.start()
            self._dead_letters = producer
        await self._dead_letters.send_and_wait(
            self.settings.dead_letter_topic,
            letter.value,
            key=letter.key,
            headers=letter.kafka_headers(),
        )
        self.dead_lettered += 1

    def _forget(self, revoked: Iterable[TopicPartition]) -> None:
        """Drop what this member buffered or tracked for partitions it no longer owns."""
        gone = set(revoked)
        self._drop_buffered(gone)
        for tp in gone:
            self._handled.pop(tp, None)
            self._committed.pop(tp, None)

    def _drop_buffered(self, partitions: set[TopicPartition]) -> None:
        self._buffer = deque(
            r for r in self._buffer if TopicPartition(r.topic, r.partition) not in partitions
        )


class _OnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    """Tells the subscriber which partitions a rebalance took away."""

    def __init__(self, forget: Callable[[Iterable[TopicPartition]], None]) -> None:
        self._forget = forget

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        self._forget(revoked)

    async def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        return None
