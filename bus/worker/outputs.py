"""The worker's one producer: every output, changelog record and dead letter goes through it.

Under exactly-once it is transactional (``transactional.id`` stable per
worker, so a restarted worker fences its own earlier incarnation at once);
the loop begins a transaction with the first record it sends and commits it
with the consumed offsets. Delivery reports are served on the event loop's
own thread (``serve_reports`` after each batch, and a task while the loop
waits), not by a thread of their own: a report thread fighting the loop for
the GIL cost more than the reports themselves.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer, TopicPartition

from bus.deadletters import dead_letter
from bus.metrics.agents import failed
from bus.worker.record import Headers, Record

log = logging.getLogger(__name__)

Delivered = Callable[[KafkaError | None, Any], None]
"""``delivered(error, message)``: librdkafka's delivery report, on the reporting thread."""

TIMEOUT_S = 30.0
REPORT_S = 0.005
TRANSACTION_TIMEOUT_MS = 10_000
"""How long the coordinator lets a dead worker's open transaction hold its partitions."""


class Outputs:
    def __init__(self, config: dict[str, Any], transactional_id: str | None) -> None:
        settings = {
            **config,
            "acks": "all",
            "enable.idempotence": True,
            # Records to one partition share a request: fewer, larger produce requests for
            # a cost of at most 5 ms latency (the commit interval dominates under exactly-once).
            "linger.ms": 5,
            "batch.size": 256 * 1024,
            # Java's and aiokafka's key hash: a conversation's records land in the partition
            # every other client of the bus (Publisher, gateway, Kafka tools) picks for its key.
            "partitioner": "murmur2_random",
        }
        if transactional_id is not None:
            settings["transactional.id"] = transactional_id
            settings["transaction.timeout.ms"] = TRANSACTION_TIMEOUT_MS
        self._settings = settings
        self._producer: Producer | None = None
        self.transactional = transactional_id is not None
        self.in_transaction = False
        self.failure: KafkaError | None = None
        self._reporter: asyncio.Task[None] | None = None

    @property
    def producer(self) -> Producer:
        if self._producer is None:
            raise RuntimeError("Outputs.start() first")
        return self._producer

    def start(self) -> None:
        """Blocking: fences an earlier producer with the same transactional id."""
        self._producer = Producer(self._settings)
        if self.transactional:
            self.producer.init_transactions(TIMEOUT_S)

    def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: Headers | None = None,
        *,
        partition: int | None = None,
        delivered: Delivered | None = None,
    ) -> None:
        """Queue a record; under exactly-once it joins the open transaction."""
        if self.transactional and not self.in_transaction:
            self.producer.begin_transaction()
            self.in_transaction = True
        options: dict[str, Any] = {"on_delivery": delivered or self._report}
        if headers:
            options["headers"] = headers
        if partition is not None:
            options["partition"] = partition
        while True:
            try:
                self.producer.produce(topic, value, key, **options)
                return
            except BufferError:  # the local queue is full: let deliveries drain it
                self.producer.poll(0.05)

    def tracked(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: Headers | None = None,
        *,
        partition: int | None = None,
    ) -> asyncio.Future[int]:
        """Send now; the future gives the record's offset once the broker acknowledged it."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[int] = loop.create_future()

        def delivered(error: KafkaError | None, message: Any) -> None:
            self._report(error, message)
            if error is None:
                loop.call_soon_threadsafe(_settle, done, message.offset(), None)
            else:
                loop.call_soon_threadsafe(_settle, done, None, KafkaException(error))

        self.send(topic, key, value, headers, partition=partition, delivered=delivered)
        return done

    def dead_letter(self, topic: str, record: Record, reason: str, error: str, agent: str) -> None:
        letter = dead_letter(record, reason, error, agent)
        self.send(topic, letter.key, letter.value, letter.kafka_headers())

    def flush(self, timeout_s: float = TIMEOUT_S) -> int:
        """Wait for every queued record's acknowledgement; returns how many are still out."""
        return int(self.producer.flush(timeout_s))

    def commit(self, offsets: list[TopicPartition], group_metadata: Any) -> None:
        """Commit the open transaction with the consumed ``offsets`` (KIP-447)."""
        if not self.in_transaction:
            self.producer.begin_transaction()
            self.in_transaction = True
        if offsets:
            self.producer.send_offsets_to_transaction(offsets, group_metadata, TIMEOUT_S)
        self.producer.commit_transaction(TIMEOUT_S)
        self.in_transaction = False

    def abort(self) -> None:
        if self.in_transaction:
            self.in_transaction = False
            self.producer.abort_transaction(TIMEOUT_S)
        self.failure = None

    def serve_reports(self) -> None:
        """Run the delivery reports that have arrived (never waits)."""
        if self._producer is not None:
            self._producer.poll(0)

    def start_reporting(self) -> None:
        """A task serving reports while the loop waits (e.g. on a ``tracked`` future)."""

        async def report() -> None:
            while True:
                self.serve_reports()
                await asyncio.sleep(REPORT_S)

        self._reporter = asyncio.create_task(report())

    def close(self) -> None:
        if self._producer is None:
            return
        self.flush()

    async def stop_reporting(self) -> None:
        if self._reporter is not None:
            self._reporter.cancel()
            await asyncio.gather(self._reporter, return_exceptions=True)

    def _report(self, error: KafkaError | None, message: Any) -> None:
        if error is not None:
            self.failure = error
            failed("worker", message.topic(), error.name())
            log.error("Kafka did not take a record for %s: %s", message.topic(), error)


def _settle(future: asyncio.Future[int], offset: int | None, exc: BaseException | None) -> None:
    if future.done():
        return
    if exc is not None:
        future.set_exception(exc)
    elif offset is not None:
        future.set_result(offset)
