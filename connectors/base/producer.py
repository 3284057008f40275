"""Produce events and dead letters with ``acks=all``, failing fast when the broker is away.

A connector answers an HTTP caller or commits an offset only after Kafka
acknowledged the write, so a write that does not complete within
``produce_timeout_s`` raises BrokerUnavailableError instead of waiting
forty seconds (aiokafka's default). The Kafka client starts lazily and is
rebuilt after a failed start, so a connector started before its broker
recovers by itself. A client whose write timed out is thrown away with what
it still held (its callers were told it failed), so an idempotent producer
retrying a dead broker forever can neither block shutdown nor deliver late
into a fresh client's sequence.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from bus.deadletters import DeadLetter
from bus.kafka.connection import security_kwargs
from bus.lifecycle import AsyncResource
from bus.schemas.cloudevents import Headers
from bus.schemas.event import Event
from bus.schemas.runtime import Runtime
from bus.settings import Settings
from connectors.base.errors import BrokerUnavailableError

log = logging.getLogger(__name__)


class EventProducer(AsyncResource):
    """Encodes events (Confluent wire format, CloudEvents headers) and writes them."""

    def __init__(
        self, settings: Settings, *, runtime: Runtime | None = None, timeout_s: float = 5.0
    ) -> None:
        self.settings = settings
        self.runtime = runtime or Runtime(settings)
        self._own_runtime = runtime is None
        self._timeout_s = timeout_s
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()
        self._closing: set[asyncio.Task[None]] = set()

    async def stop(self) -> None:
        if self._producer is not None:
            await _close(self._producer, self._timeout_s)
            self._producer = None
        await asyncio.gather(*self._closing, return_exceptions=True)
        if self._own_runtime:
            await self.runtime.close()

    async def encode(self, event: Event) -> tuple[bytes, Headers]:
        """The wire bytes and headers; raises EncodeError naming the schema and field."""
        return await self.runtime.encode(event)

    async def send_event(self, topic: str, event: Event) -> Any:
        """Write one event keyed by its conversation; returns Kafka's RecordMetadata."""
        value, headers = await self.encode(event)
        return await self.send(topic, event.key, value, headers)

    async def dead_letter_record(self, record: Any, reason: str, error: str, agent: str) -> Any:
        """Dead-letter a Kafka record as it was read: its key, bytes and headers, and why."""
        letter = DeadLetter.of_record(record, reason, error, agent)
        return await self.send_dead_letter(letter)

    async def send_dead_letter(self, letter: DeadLetter) -> Any:
        """Write a dead letter (original bytes, reason headers) to the dead-letter topic."""
        log.warning(
            "dead letter from %s[%s]@%s: %s: %s",
            letter.topic,
            letter.partition,
            letter.offset,
            letter.reason,
            letter.error,
        )
        return await self.send(
            self.settings.dead_letter_topic, letter.key, letter.value, letter.kafka_headers()
        )

    async def send(
        self, topic: str, key: bytes | None, value: bytes | None, headers: Headers
    ) -> Any:
        """Write and wait for the acknowledgement of every in-sync replica."""
        producer: AIOKafkaProducer | None = None
        try:
            async with asyncio.timeout(self._timeout_s * 2):
                producer = await self._started()
                return await producer.send_and_wait(topic, value, key=key, headers=headers)
        except (KafkaError, TimeoutError) as exc:
            if producer is not None:
                self._discard(producer)
            raise BrokerUnavailableError(
                f"Kafka at {self.settings.bootstrap_servers} did not acknowledge the write to "
                f"{topic!r} ({type(exc).__name__}: {exc}); nothing was delivered, retry later"
            ) from exc

    def _discard(self, producer: AIOKafkaProducer) -> None:
        if self._producer is producer:
            self._producer = None
            task = asyncio.create_task(_close(producer, self._timeout_s))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def _started(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                timeout_ms = int(self._timeout_s * 1000)
                producer = AIOKafkaProducer(
                    bootstrap_servers=self.settings.bootstrap_servers,
                    **security_kwargs(self.settings),
                    acks="all",
                    enable_idempotence=True,
                    linger_ms=2,
                    request_timeout_ms=timeout_ms,
                    metadata_max_age_ms=max(timeout_ms, 30_000),
                )
                try:
                    await producer.start()
                except BaseException:
                    await producer.stop()
                    raise
                self._producer = producer
            return self._producer


async def _close(producer: AIOKafkaProducer, timeout_s: float) -> None:
    """Flush and close; what is still unacknowledged after ``timeout_s`` is failed and dropped."""
    try:
        async with asyncio.timeout(timeout_s):
            await producer.stop()
    except TimeoutError:
        log.warning("dropping writes Kafka did not acknowledge within %.1fs", timeout_s)
        producer._message_accumulator.fail_all(
            BrokerUnavailableError("the producer was closed before Kafka acknowledged")
        )
        if producer._sender is not None:
            await producer._sender.close()
        await producer.client.close()
