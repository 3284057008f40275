"""One correction to faust-streaming's consumer, applied when the bus builds its app.

After a rebalance Faust discards what its consumer had prefetched and calls
aiokafka's ``seek_to_committed`` to read it again. aiokafka only seeks
partitions whose committed offset is above 0, so a partition the group never
committed stays where the discarded prefetch left it, and those events are
never processed: a worker that dies before its first commit loses them for
good. This seeks such partitions to the beginning instead, which is what
``auto_offset_reset="earliest"`` means for a partition without a commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from faust.transport.drivers import aiokafka as faust_aiokafka

_APPLIED = "_bus_seek_fix"


async def _seek_to_committed(consumer: Any) -> Mapping[Any, int]:
    committed: Mapping[Any, int] = await consumer.seek_to_committed()
    uncommitted = [tp for tp, offset in committed.items() if not offset]
    if uncommitted:
        await consumer.seek_to_beginning(*uncommitted)
    return committed


async def _patched(self: Any) -> Mapping[Any, int]:
    result: Mapping[Any, int] = await self.call_thread(_seek_to_committed, self._ensure_consumer())
    return result


def apply() -> None:
    cls = faust_aiokafka.AIOKafkaConsumerThread
    if not getattr(cls, _APPLIED, False):
        setattr(cls, "seek_to_committed", _patched)  # noqa: B010 (a method, on purpose)
        setattr(cls, _APPLIED, True)
