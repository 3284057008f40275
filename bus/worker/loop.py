"""The worker's core: consume, process, produce, commit, with Kafka's own guarantees.

One consumer, a member of the app's group, reads every topic the processors
read; each record goes to each processor reading its topic, in offset order
per partition. A record's offset is committed only after every processor
returned for it:

- at-least-once: outputs leave at once; every commit interval the producer is
  flushed, and only then are the offsets committed, so no offset is committed
  before every output of the records before it is acknowledged.
- exactly-once: the outputs, the stores' changelog records and the offsets of
  one commit interval are one Kafka transaction (KIP-447: the offsets carry
  the consumer's group metadata, so a worker the group has moved on from
  cannot commit). When a transaction aborts, the loop goes back to the
  committed offsets and restores its stores, as a new owner would.

Rebalance callbacks run inside ``poll``, between batches, never while a
record is in hand: a revoke first commits what was handled.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition

from bus.errors import BusError
from bus.metrics.lag import LagSampler
from bus.worker.outputs import TIMEOUT_S, Outputs
from bus.worker.processor import Partitions, Processor
from bus.worker.record import Record
from bus.worker.state import Store, restore

log = logging.getLogger(__name__)

BATCH = 500
POLL_S = 0.1
READY = "Worker ready"
CHECK_S = 5.0
CHECK_TIMEOUT_S = 3.0


class WorkerFailed(BusError):
    """The loop cannot go on without risking an event: it stops, and a restart resumes."""


class StreamLoop:
    def __init__(
        self,
        processors: list[Processor],
        outputs: Outputs,
        consumer: Consumer,
        restorer: Consumer,
        *,
        exactly_once: bool,
        commit_interval_s: float,
        dead_letter_topic: str,
        lag_interval_s: float = 5.0,
    ) -> None:
        self.processors = processors
        self.outputs = outputs
        self.consumer = consumer
        self.restorer = restorer
        self.exactly_once = exactly_once
        self.commit_interval_s = commit_interval_s
        self.dead_letter_topic = dead_letter_topic
        self.failed = False
        self.readers: dict[str, list[Processor]] = {}
        for processor in processors:
            for topic in processor.reads:
                self.readers.setdefault(topic, []).append(processor)
        self.pending: dict[tuple[str, int], int] = {}
        """The next offset to commit per partition, for what was handled since the last commit."""
        self.assignment: Partitions = set()
        self._generation = 0
        """Counts rebalances, so a batch never mixes records of two assignments."""
        self.ready = False
        self._next_commit = 0.0
        self._ticks = {p.name: 0.0 for p in processors if p.tick_s}
        self._lag = LagSampler(consumer, lag_interval_s)
        self.kafka_error: str | None = None
        """Why the cluster did not answer the last metadata check (None: it did)."""
        self._next_check = 0.0

    @property
    def topics(self) -> list[str]:
        return sorted(self.readers)

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop`` is set: then finish the batch in hand, commit, and leave."""
        await asyncio.to_thread(self.outputs.start)
        self.outputs.start_reporting()
        for processor in self.processors:
            await processor.start()
        self.consumer.subscribe(
            self.topics, on_assign=self._assigned, on_revoke=self._revoked, on_lost=self._lost
        )
        try:
            while not stop.is_set():
                messages = await asyncio.to_thread(self._fetch)
                if self.failed:
                    raise WorkerFailed("a commit failed during a rebalance; see the log above")
                for message in messages:
                    await self._handle(message)
                self._write_changelogs()
                self.outputs.serve_reports()
                await self._tick()
                if time.monotonic() >= self._next_commit:
                    await asyncio.to_thread(self._commit)
                self._lag.sample(self.pending)
                if time.monotonic() >= self._next_check:
                    self._next_check = time.monotonic() + CHECK_S
                    await asyncio.to_thread(self._check_cluster)
            log.info("stopping: committing what was handled")
            await asyncio.to_thread(self._commit)
        except BaseException:
            self.failed = True  # what is in hand is neither committed nor kept
            raise
        finally:
            await asyncio.to_thread(self._close)
            await self.outputs.stop_reporting()
            for processor in self.processors:
                await processor.stop()

    def _fetch(self) -> list[Any]:
        """The records at hand: wait for the first, then take what is buffered, up to BATCH.

        A rebalance runs inside ``poll``; records read before it belong to the
        old assignment (their partitions were committed without them and may
        have moved), so they are dropped and read again from the committed offsets.
        """
        records: list[Any] = []
        timeout = POLL_S
        while len(records) < BATCH:
            generation = self._generation
            message = self.consumer.poll(timeout)
            if message is None:
                break
            if self._generation != generation:
                records.clear()
            records.append(message)
            timeout = 0
        return records

    async def _handle(self, message: Any) -> None:
        error = message.error()
        if error is not None:
            if error.fatal():
                raise WorkerFailed(f"the consumer failed: {error}")
            log.warning("consumer: %s", error)
            return
        record = Record.of(message)
        if (record.topic, record.partition) not in self.assignment:
            return  # taken away in a rebalance: its new owner reads it again
        for processor in self.readers.get(record.topic, ()):
            metrics = processor.metrics
            metrics.consumed(record)
            started = time.perf_counter()
            try:
                await processor.process(record)
            except (WorkerFailed, KafkaException):
                raise
            except Exception as exc:  # a bug must not block the partition: keep the bytes
                log.exception("%s failed on %s", processor.name, record.position)
                metrics.failed(record.topic, type(exc).__name__)
                self.outputs.dead_letter(
                    self.dead_letter_topic,
                    record,
                    f"{processor.name}-failed",
                    repr(exc),
                    processor.name,
                )
            metrics.processed(time.perf_counter() - started)
        self.pending[(record.topic, record.partition)] = record.offset + 1

    def _write_changelogs(self) -> None:
        for store in self._stores():
            for partition, key, value in store.changes():
                self.outputs.send(store.changelog, key, value, partition=partition)

    async def _tick(self) -> None:
        now = time.monotonic()
        for processor in self.processors:
            due = self._ticks.get(processor.name)
            if due is not None and now >= due and processor.tick_s is not None:
                self._ticks[processor.name] = now + processor.tick_s
                try:
                    await processor.tick()
                except (WorkerFailed, KafkaException):
                    raise
                except Exception:  # e.g. a registry hiccup: the next tick tries again
                    log.exception("%s: tick failed", processor.name)
                self._write_changelogs()

    def readiness(self) -> str | None:
        """None when ready for ``/readyz``, else why not."""
        if self.failed:
            return "the loop failed; see the log"
        if self.kafka_error is not None:
            return f"Kafka does not answer: {self.kafka_error}"
        if not self.ready:
            return "waiting for partitions (joining the group, restoring state)"
        return None

    def _check_cluster(self) -> None:
        try:
            self.consumer.list_topics(self.topics[0], timeout=CHECK_TIMEOUT_S)
            self.kafka_error = None
        except KafkaException as exc:
            self.kafka_error = str(exc.args[0])

    # --- commits (on the loop's worker thread, or inside poll's rebalance callbacks) ---

    def _commit(self) -> None:
        self._next_commit = time.monotonic() + self.commit_interval_s
        if self.exactly_once:
            self._commit_transaction()
        else:
            self._commit_offsets()

    def _commit_offsets(self) -> None:
        if not self.pending:
            return
        left = self.outputs.flush()
        if self.outputs.failure is not None:
            raise WorkerFailed(
                f"Kafka refused an output ({self.outputs.failure}); stopping without "
                "committing, so a restarted worker handles those records again"
            )
        if left:
            log.warning("%d outputs not acknowledged yet; committing later", left)
            return
        self._metrics("committed")  # acknowledged by Kafka: delivered for good
        offsets = self._offsets()
        try:
            self.consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:  # e.g. a rebalance under way: the next owner repeats
            log.warning("cannot commit offsets (%s); they are handled again", exc.args[0])
        self.pending.clear()

    def _commit_transaction(self) -> None:
        if not self.pending and not self.outputs.in_transaction:
            return
        try:
            self.outputs.commit(self._offsets(), self.consumer.consumer_group_metadata())
            self.pending.clear()
            self._metrics("committed")
        except KafkaException as exc:
            error = exc.args[0]
            if not error.txn_requires_abort():
                raise WorkerFailed(f"cannot commit the transaction: {error}") from exc
            log.warning("transaction aborted (%s); back to the committed offsets", error)
            self.outputs.abort()
            self._rewind()

    def _offsets(self) -> list[TopicPartition]:
        return [TopicPartition(t, p, offset) for (t, p), offset in self.pending.items()]

    def _rewind(self) -> None:
        """After an abort: seek to the committed offsets and restore state, as a new owner."""
        self._forget_all()
        for processor in self.processors:
            processor.revoked({tp for tp in self.assignment if tp[0] in processor.reads})
        assigned = [TopicPartition(t, p) for t, p in self.assignment]
        for tp in self.consumer.committed(assigned, timeout=TIMEOUT_S):
            offset = tp.offset if tp.offset >= 0 else OFFSET_BEGINNING
            self.consumer.seek(TopicPartition(tp.topic, tp.partition, offset))
        self._settle(self.assignment)

    # --- rebalances: librdkafka calls these inside poll, between batches ---

    def _assigned(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._generation += 1
        self.assignment = {(tp.topic, tp.partition) for tp in partitions}
        # Waits while a transaction of the partitions' previous owner is still open
        # (KIP-447's stable offsets): the changelogs are then complete up to them.
        committed = consumer.committed(partitions, timeout=TIMEOUT_S)
        self._lag.starting({(tp.topic, tp.partition): tp.offset for tp in committed})
        self._settle(self.assignment)
        log.info("partitions assigned: %d", len(partitions))
        if not self.ready:
            self.ready = True
            log.info("%s: reading %s", READY, ", ".join(self.topics))

    def _settle(self, assignment: Partitions) -> None:
        """Restore what the assignment needs and the stores do not hold; tell the processors."""
        for processor in self.processors:
            if not processor.stores:
                continue
            numbers = {p for topic, p in assignment if topic in processor.reads}
            for store in processor.stores:
                store.drop(store.partitions - numbers)
            missing = {p for p in numbers if any(p not in s.partitions for s in processor.stores)}
            if missing:
                started = time.monotonic()
                count = restore(self.restorer, list(processor.stores), missing)
                log.info(
                    "%s: restored %d changelog records of partitions %s in %.1fs",
                    processor.name,
                    count,
                    sorted(missing),
                    time.monotonic() - started,
                )
        for processor in self.processors:
            processor.assigned({tp for tp in assignment if tp[0] in processor.reads})

    def _revoked(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        if self.failed:
            self._lost(consumer, partitions)
            return
        try:
            self._commit()
        except WorkerFailed:
            log.exception("cannot commit before the rebalance; the next owner repeats the work")
            self.failed = True
            self._forget_all()
        self._gone({(tp.topic, tp.partition) for tp in partitions})

    def _lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        log.warning("partitions given up; what was not committed is handled again")
        if self.exactly_once:
            try:
                self.outputs.abort()
            except KafkaException as exc:  # e.g. fenced: the transaction is over anyway
                log.warning("cannot abort the transaction: %s", exc.args[0])
        self._forget_all()
        self._gone({(tp.topic, tp.partition) for tp in partitions})

    def _gone(self, partitions: Partitions) -> None:
        self._generation += 1
        for key in partitions:
            self.pending.pop(key, None)
        self.assignment -= partitions
        for processor in self.processors:
            processor.revoked({tp for tp in partitions if tp[0] in processor.reads})

    def _forget_all(self) -> None:
        """State may hold what was never committed: read it again when assigned."""
        self.pending.clear()
        self._metrics("discard")
        for store in self._stores():
            store.drop()

    def _metrics(self, outcome: str) -> None:
        for processor in self.processors:
            if outcome == "committed":
                processor.metrics.committed()
            else:
                processor.metrics.discard()

    def _stores(self) -> Iterable[Store[Any]]:
        return (store for processor in self.processors for store in processor.stores)

    def _close(self) -> None:
        try:
            self.consumer.close()  # a static member keeps its place in the group
            log.info("consumer closed")
        finally:
            self.outputs.close()
            self.restorer.close()
