"""How many records topics hold, and when the first and last of a window were written.

Throughput is read from the output topics' record timestamps (set when the
pipe or the router produced them), so start-up time is never counted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from bus.errors import BusError


@dataclass(frozen=True)
class Window:
    count: int
    first_ms: int
    last_ms: int

    @property
    def seconds(self) -> float:
        return max(self.last_ms - self.first_ms, 1) / 1000


class Offsets:
    """A group-less consumer for end offsets and single records."""

    def __init__(self, bootstrap_servers: str) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers, enable_auto_commit=False, group_id=None
        )

    async def __aenter__(self) -> Offsets:
        await self._consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._consumer.stop()

    async def partitions(self, topics: list[str]) -> list[TopicPartition]:
        found = []
        for topic in topics:
            parts = self._consumer.partitions_for_topic(topic)
            while parts is None:
                await self._consumer._client.force_metadata_update()
                parts = self._consumer.partitions_for_topic(topic)
            found += [TopicPartition(topic, p) for p in sorted(parts)]
        return found

    async def total(self, tps: list[TopicPartition]) -> int:
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

        Fails if the writer dies or nothing is complete after ``timeout_s``.
        """
        tps = await self.partitions(topics)
        began = time.monotonic()
        count = await self.total(tps)
        while count < expected:
            spent = time.monotonic() - began
            if budget_s is not None and spent > budget_s:
                return count
            if spent > timeout_s:
                raise BusError(f"only {count} of {expected} records arrived in {timeout_s:.0f}s")
            if not alive():
                raise BusError(f"the process writing {topics[0]} died at {count} of {expected}")
            await asyncio.sleep(0.25)
            count = await self.total(tps)
        return count

    async def window(self, topics: list[str], since_ms: int) -> Window:
        """The records written at or after ``since_ms``: how many, first and last timestamps."""
        tps = await self.partitions(topics)
        ends = await self._consumer.end_offsets(tps)
        found = await self._consumer.offsets_for_times({tp: since_ms for tp in tps})
        starts = {tp: (found[tp].offset if found[tp] else ends[tp]) for tp in tps}
        count = sum(ends[tp] - starts[tp] for tp in tps)
        if count == 0:
            raise BusError(f"no records were written to {topics} after {since_ms}")
        busy = [tp for tp in tps if ends[tp] > starts[tp]]
        firsts = await self._timestamps({tp: starts[tp] for tp in busy})
        lasts = await self._timestamps({tp: ends[tp] - 1 for tp in busy})
        return Window(count, min(firsts), max(lasts))

    async def _timestamps(self, positions: dict[TopicPartition, int]) -> list[int]:
        self._consumer.assign(list(positions))
        for tp, offset in positions.items():
            self._consumer.seek(tp, offset)
        stamps: dict[TopicPartition, int] = {}
        while len(stamps) < len(positions):
            batches = await self._consumer.getmany(timeout_ms=1000)
            for tp, records in batches.items():
                if tp not in stamps and records:
                    stamps[tp] = records[0].timestamp
                    self._consumer.pause(tp)
        self._consumer.resume(*positions)
        return list(stamps.values())
