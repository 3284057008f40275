"""Read whole topics, every partition from the beginning, without a consumer group.

For views every process needs in full (the officials' presence in each
worker, the case queue in the officials' API), the way a Faust global table
would, but with plain aiokafka so the view is easy to reason about.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from bus.errors import ConfigurationError
from bus.kafka.admin import admin_client, topic_partitions
from bus.lifecycle import AsyncResource

log = logging.getLogger(__name__)
Handler = Callable[[Any], Awaitable[None]]


class TopicFollower(AsyncResource):
    """Calls ``handler`` with every record of ``topics``, past and future, in partition order."""

    def __init__(
        self, bootstrap_servers: str, topics: Sequence[str], handler: Handler, **security: Any
    ) -> None:
        self.topics = list(topics)
        self._handler = handler
        self._connection = {"bootstrap_servers": bootstrap_servers, **security}
        self._consumer = AIOKafkaConsumer(  # security: bus.kafka.connection.security_kwargs
            bootstrap_servers=bootstrap_servers,
            **security,
            enable_auto_commit=False,
            isolation_level="read_committed",
            auto_offset_reset="earliest",
        )
        self._task: asyncio.Task[None] | None = None
        self.caught_up = asyncio.Event()

    async def start(self) -> None:
        partitions = await self._partitions()
        await self._consumer.start()
        self._consumer.assign(partitions)
        await self._consumer.seek_to_beginning(*partitions)
        ends = await self._consumer.end_offsets(partitions)
        self._task = asyncio.create_task(self._run(ends))

    async def _partitions(self) -> list[TopicPartition]:
        """Every partition of the topics, waiting up to 30 s for topics being created."""
        async with admin_client(**self._connection) as admin:
            for _ in range(150):
                found = await topic_partitions(admin)
                missing = [topic for topic in self.topics if not found.get(topic)]
                if not missing:
                    return [TopicPartition(t, p) for t in self.topics for p in sorted(found[t])]
                await asyncio.sleep(0.2)
        raise ConfigurationError(f"topic {missing[0]!r} does not exist; run `bus topics apply`")

    async def _run(self, ends: dict[TopicPartition, int]) -> None:
        behind = {tp for tp, end in ends.items() if end > 0}
        if not behind:
            self.caught_up.set()
        while True:
            batches = await self._consumer.getmany(timeout_ms=200, max_records=500)
            for tp, records in batches.items():
                for record in records:
                    try:
                        await self._handler(record)
                    except Exception:  # a view must outlive one bad record
                        log.exception(
                            "cannot apply %s[%s]@%s", tp.topic, tp.partition, record.offset
                        )
            for tp in list(behind):
                if await self._consumer.position(tp) >= ends[tp]:
                    behind.discard(tp)
            if not behind:
                self.caught_up.set()

    async def join(self) -> None:
        """Wait while following (until stopped or cancelled)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._consumer.stop()
