"""How many records topics hold, and when the first and last of a window were written.

Throughput is read from the output topics' record timestamps (set when the
pipe or the router produced them), so start-up time is never counted. The
progress of a run is followed with aiokafka; the records of its window are
counted with confluent-kafka, which reads them fast enough not to matter.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer
from aiokafka import TopicPartition as AIOTopicPartition
from confluent_kafka import Consumer, TopicPartition

from bus.errors import BusError

TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Window:
    count: int
    first_ms: int
    last_ms: int

    @property
    def seconds(self) -> float:
        return max(self.last_ms - self.first_ms, 1) / 1000


class Offsets:
    """A group-less consumer that follows how many records topics hold."""

    def __init__(self, bootstrap_servers: str) -> None:
        self.bootstrap_servers = bootstrap_servers
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers, enable_auto_commit=False, group_id=None
        )

    async def __aenter__(self) -> Offsets:
        await self._consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._consumer.stop()

    async def partitions(self, topics: list[str]) -> list[AIOTopicPartition]:
        found = []
        for topic in topics:
            parts = self._consumer.partitions_for_topic(topic)
            while parts is None:
                await self._consumer._client.force_metadata_update()
                parts = self._consumer.partitions_for_topic(topic)
            found += [AIOTopicPartition(topic, p) for p in sorted(parts)]
        return found

    async def total(self, tps: list[AIOTopicPartition]) -> int:
        ends = await self._consumer.end_offsets(tps)
        return int(sum(ends.values()))

    async def wait_for(
        self,
        topics: list[str],
        expected: int,
        timeout_s: float,
        alive: Callable[[], bool] = lambda: True,
        *,
        budget_s: float | None = None,
    ) -> int:
        """Wait until ``topics`` hold ``expected`` records, or ``budget_s`` is spent.

        Counts offsets: for topics written without transactions (the pipes').
        """
        tps = await self.partitions(topics)
        what = f"records written to {topics[0]}"
        return await wait(lambda: self.total(tps), expected, what, timeout_s, alive, budget_s)

    async def window(self, topics: list[str], since_ms: int) -> Window:
        """The records written at or after ``since_ms``: how many, first and last timestamps."""
        tps = [(tp.topic, tp.partition) for tp in await self.partitions(topics)]
        window = await asyncio.to_thread(count_window, self.bootstrap_servers, tps, since_ms)
        if window.count == 0:
            raise BusError(f"no records were written to {topics} after {since_ms}")
        return window


async def wait(
    count: Callable[[], Awaitable[int]],
    expected: int,
    what: str,
    timeout_s: float,
    alive: Callable[[], bool],
    budget_s: float | None,
) -> int:
    """Poll ``count`` until it reaches ``expected`` or ``budget_s`` is spent; returns the last.

    Fails if the process that moves it dies, or nothing is complete after ``timeout_s``.
    """
    began = time.monotonic()
    done = await count()
    while done < expected:
        spent = time.monotonic() - began
        if budget_s is not None and spent > budget_s:
            return done
        if spent > timeout_s:
            raise BusError(f"only {done:,} of {expected:,} {what} in {timeout_s:.0f}s")
        if not alive():
            raise BusError(f"the process died at {done:,} of {expected:,} {what}")
        await asyncio.sleep(0.25)
        done = await count()
    return done


class Committed:
    """How many records of a topic a consumer group has committed: the events a worker has
    handled, whatever it wrote for them (every agent of the worker had each of them)."""

    def __init__(self, bootstrap_servers: str, group: str, topic: str, partitions: int) -> None:
        # group.id only to read the group's offsets: this consumer never joins it
        self._consumer = Consumer({"bootstrap.servers": bootstrap_servers, "group.id": group})
        self._tps = [TopicPartition(topic, p) for p in range(partitions)]

    async def __aenter__(self) -> Committed:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self._consumer.close)

    async def count(self) -> int:
        found = await asyncio.to_thread(self._consumer.committed, self._tps, timeout=TIMEOUT_S)
        return sum(max(tp.offset, 0) for tp in found)


def count_window(bootstrap_servers: str, tps: list[tuple[str, int]], since_ms: int) -> Window:
    """Read the records of ``tps`` from ``since_ms`` to the present ends, and count them.

    Counted, not taken from offsets: under exactly-once every transaction
    leaves a commit marker that takes an offset but is no record. Reads
    read_committed, so a transaction still open at the end is waited for.
    """
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": f"bench-counter-{uuid.uuid4().hex}",  # never joined, never committed
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    try:
        ends = {tp: consumer.get_watermark_offsets(TopicPartition(*tp), TIMEOUT_S)[1] for tp in tps}
        found = consumer.offsets_for_times(
            [TopicPartition(t, p, since_ms) for t, p in tps], TIMEOUT_S
        )
        starts = {(tp.topic, tp.partition): tp.offset for tp in found}
        todo = {tp: end for tp, end in ends.items() if 0 <= starts[tp] < end}
        if not todo:
            return Window(0, since_ms, since_ms)
        consumer.assign([TopicPartition(t, p, starts[(t, p)]) for t, p in todo])
        return _read(consumer, todo)
    finally:
        consumer.close()


def _read(consumer: Consumer, ends: dict[tuple[str, int], int]) -> Window:
    count, first, last = 0, 2**63, 0
    pending, progress = dict(ends), time.monotonic()
    while pending:
        for message in consumer.consume(10_000, 0.5):
            if message.error() is not None:
                raise BusError(f"cannot read {message.topic()}: {message.error()}")
            stamp = message.timestamp()[1]
            count, first, last = count + 1, min(first, stamp), max(last, stamp)
            progress = time.monotonic()
        for tp in consumer.position([TopicPartition(t, p) for t, p in pending]):
            if tp.offset >= pending[(tp.topic, tp.partition)]:
                del pending[(tp.topic, tp.partition)]
        if pending and time.monotonic() - progress > TIMEOUT_S:
            raise BusError(f"{sorted(pending)} stopped short of their ends for {TIMEOUT_S:.0f}s")
    return Window(count, first, last)
