"""Produce events and dead letters with ``acks=all``, failing fast when the broker is away.

A connector answers an HTTP caller or commits an offset only after Kafka
acknowledged the write, so a write that does not complete within
``produce_timeout_s`` raises BrokerUnavailableError. The client is
confluent-kafka's because librdkafka bounds every write, retries included,
by ``message.timeout.ms`` even when idempotent, and can ``purge`` what it
holds; aiokafka's public API does neither. The client is created on the
first write and thrown away after a failed one with what it still held (its
callers were told it failed), so a dead broker can neither block shutdown
nor get a write delivered late, and a connector started before its broker
recovers by itself.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from bus.deadletters import DeadLetter, dead_letter
from bus.kafka.connection import librdkafka_config
from bus.lifecycle import AsyncResource
from bus.schemas.cloudevents import Headers
from bus.schemas.event import Event
from bus.schemas.runtime import Runtime
from bus.settings import Settings
from connectors.base.errors import BrokerUnavailableError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Written:
    """Where Kafka stored an acknowledged write."""

    topic: str
    partition: int
    offset: int


class EventProducer(AsyncResource):
    """Encodes events (Confluent wire format, CloudEvents headers) and writes them."""

    def __init__(
        self, settings: Settings, *, runtime: Runtime | None = None, timeout_s: float = 5.0
    ) -> None:
        self.settings = settings
        self.runtime = runtime or Runtime(settings)
        self._own_runtime = runtime is None
        self._timeout_s = timeout_s
        self._client: _Client | None = None
        self._closing: set[asyncio.Task[None]] = set()

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.close(self._timeout_s)
            self._client = None
        await asyncio.gather(*self._closing, return_exceptions=True)
        if self._own_runtime:
            await self.runtime.close()

    async def encode(self, event: Event) -> tuple[bytes, Headers]:
        """The wire bytes and headers; raises EncodeError naming the schema and field."""
        return await self.runtime.encode(event)

    async def send_event(self, topic: str, event: Event) -> Written:
        """Write one event keyed by its conversation."""
        value, headers = await self.encode(event)
        return await self.send(topic, event.key, value, headers)

    async def dead_letter_record(self, record: Any, reason: str, error: str, agent: str) -> Written:
        """Dead-letter a Kafka record as it was read: its key, bytes and headers, and why.

        ``bus.deadletters.dead_letter`` logs and counts it, as for every sender.
        """
        letter = dead_letter(record, reason, error, agent)
        return await self.send_dead_letter(letter)

    async def send_dead_letter(self, letter: DeadLetter) -> Written:
        """Write a dead letter (original bytes, reason headers) to the dead-letter topic."""
        return await self.send(
            self.settings.dead_letter_topic, letter.key, letter.value, letter.kafka_headers()
        )

    async def send(
        self, topic: str, key: bytes | None, value: bytes | None, headers: Headers
    ) -> Written:
        """Write and wait for the acknowledgement of every in-sync replica."""
        client: _Client | None = None
        try:
            async with asyncio.timeout(self._timeout_s * 2):
                client = self._started()
                return await client.send(topic, key, value, headers)
        except (KafkaException, BufferError, TimeoutError) as exc:
            if client is not None:
                self._discard(client)
            raise BrokerUnavailableError(
                f"Kafka at {self.settings.bootstrap_servers} did not acknowledge the write to "
                f"{topic!r} ({type(exc).__name__}: {exc}); nothing was delivered, retry later"
            ) from exc

    def _discard(self, client: _Client) -> None:
        if self._client is client:
            self._client = None
            task = asyncio.create_task(client.close(self._timeout_s))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    def _started(self) -> _Client:
        if self._client is None:
            timeout_ms = int(self._timeout_s * 1000)
            self._client = _Client(
                {
                    **librdkafka_config(self.settings),
                    "acks": "all",
                    "enable.idempotence": True,
                    "linger.ms": 2,
                    "message.timeout.ms": timeout_ms,
                    "request.timeout.ms": timeout_ms,
                    # the Java client's and aiokafka's partition for a key, so a
                    # conversation stays in one partition whoever writes it
                    "partitioner": "murmur2_random",
                }
            )
        return self._client


class _Client:
    """A librdkafka producer whose delivery reports, served by a thread, settle asyncio futures."""

    def __init__(self, config: dict[str, Any]) -> None:
        self._loop = asyncio.get_running_loop()
        self._producer = Producer(config)
        self._polling = True
        self._poller = threading.Thread(target=self._poll, name="bus-producer-poll", daemon=True)
        self._poller.start()

    def _poll(self) -> None:
        while self._polling:
            self._producer.poll(0.1)

    async def send(
        self, topic: str, key: bytes | None, value: bytes | None, headers: Headers
    ) -> Written:
        delivered: asyncio.Future[Written] = self._loop.create_future()

        def report(error: KafkaError | None, message: Message) -> None:
            if not self._loop.is_closed():  # a client nobody closed, reporting after the loop
                self._loop.call_soon_threadsafe(_settle, delivered, error, message)

        pairs: list[tuple[str, str | bytes | None]] = list(headers)
        self._producer.produce(topic, value, key, headers=pairs, on_delivery=report)
        return await delivered

    async def close(self, timeout_s: float) -> None:
        """Flush; what is still unacknowledged after ``timeout_s`` is failed and dropped."""
        self._polling = False
        await asyncio.to_thread(self._poller.join)
        if await asyncio.to_thread(self._producer.flush, timeout_s):
            log.warning("dropping writes Kafka did not acknowledge within %.1fs", timeout_s)
            self._producer.purge()
            await asyncio.to_thread(self._producer.flush, timeout_s)  # the purged writes' reports


def _settle(delivered: asyncio.Future[Written], error: KafkaError | None, message: Message) -> None:
    if delivered.done():  # its caller gave up
        return
    topic, partition, offset = message.topic(), message.partition(), message.offset()
    if error is not None or topic is None or partition is None or offset is None:
        delivered.set_exception(KafkaException(error or "a delivery report without an offset"))
        return
    delivered.set_result(Written(topic, partition, offset))
