"""Read whole topics, every partition from the beginning, without a consumer group.

For views every process needs in full (the officials' presence in each
worker, the case queue in the officials' API), the way a Faust global table
would, but with plain aiokafka so the view is easy to reason about.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from bus.errors import ConfigurationError
from bus.kafka.admin import gone_topics, topic_partitions
from bus.lifecycle import AsyncResource
from bus.logs import Repeats

log = logging.getLogger(__name__)
Handler = Callable[[Any], Awaitable[None]]

CHECK_S = 5.0
"""How often a follower asks whether its topics are still there."""
MAX_BACKOFF_S = 60.0


class TopicFollower(AsyncResource):
    """Calls ``handler`` with every record of ``topics``, past and future, in partition order.

    Every ``check_s`` it asks the cluster whether the topics are still there. A
    topic gone (the cluster's data wiped, the topic deleted) is said once, the
    partitions are let go (aiokafka asks for metadata in a tight loop while an
    assigned partition's topic is missing) and ``caught_up`` is cleared; once
    every topic is back, ``on_restart`` lets the owner drop its view and the
    topics are read again from the beginning.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        topics: Sequence[str],
        handler: Handler,
        *,
        on_restart: Callable[[], None] | None = None,
        check_s: float = CHECK_S,
        **security: Any,
    ) -> None:
        self.topics = list(topics)
        self._handler = handler
        self._on_restart = on_restart
        self._check_s = check_s
        self._connection = {"bootstrap_servers": bootstrap_servers, **security}
        self._consumer = AIOKafkaConsumer(  # security: bus.kafka.connection.security_kwargs
            bootstrap_servers=bootstrap_servers,
            **security,
            enable_auto_commit=False,
            isolation_level="read_committed",
            auto_offset_reset="earliest",
        )
        self._admin = AIOKafkaAdminClient(**self._connection)
        self._repeats = Repeats()
        self._task: asyncio.Task[None] | None = None
        self.caught_up = asyncio.Event()

    async def start(self) -> None:
        await self._admin.start()
        try:
            partitions = await self._partitions()
            await self._consumer.start()
        except BaseException:
            await self._admin.close()
            raise
        ends = await self._assign(partitions)
        self._task = asyncio.create_task(self._run(ends))

    async def _assign(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        self._consumer.assign(partitions)
        await self._consumer.seek_to_beginning(*partitions)
        return dict(await self._consumer.end_offsets(partitions))

    async def _partitions(self) -> list[TopicPartition]:
        """Every partition of the topics, waiting up to 30 s for topics being created."""
        for _ in range(150):
            missing, found = await self._missing()
            if not missing:
                return found
            await asyncio.sleep(0.2)
        raise ConfigurationError(f"topic {missing[0]!r} does not exist; run `bus topics apply`")

    async def _missing(self) -> tuple[list[str], list[TopicPartition]]:
        """The topics the cluster does not have, and the partitions of all when none is missing."""
        found = await topic_partitions(self._admin)
        missing = [topic for topic in self.topics if not found.get(topic)]
        partitions = [TopicPartition(t, p) for t in self.topics for p in sorted(found.get(t, ()))]
        return missing, [] if missing else partitions

    async def _run(self, ends: dict[TopicPartition, int]) -> None:
        while True:
            gone = await self._follow(ends)
            self._consumer.unsubscribe()
            self.caught_up.clear()
            ends = await self._returned(gone)

    async def _follow(self, ends: dict[TopicPartition, int]) -> list[str]:
        """Apply records until a followed topic is gone; return the missing topics."""
        behind = {tp for tp, end in ends.items() if end > 0}
        if not behind:
            self.caught_up.set()
        checked = time.monotonic()
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
            if time.monotonic() - checked >= self._check_s:
                checked = time.monotonic()
                gone = await self._gone()
                if gone:
                    return gone

    async def _gone(self) -> list[str]:
        return await gone_topics(self._admin, self.topics, self._check_s)

    async def _returned(self, gone: list[str]) -> dict[TopicPartition, int]:
        """Wait, backing off, until every topic is back; assign them from the start."""
        delay = self._check_s
        while True:
            self._repeats.warn(
                log,
                "gone",
                "followed topics are gone from Kafka (its data wiped, or the topics deleted): "
                "%s; waiting for them to be made again (`bus topics apply`), then reading every "
                "followed topic from the start",
                ", ".join(gone),
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF_S)
            try:
                gone, partitions = await self._missing()
                if not gone:
                    if self._on_restart is not None:
                        self._on_restart()
                    ends = await self._assign(partitions)
                    log.info("topics back: reading %s from the start", ", ".join(self.topics))
                    return ends
            except KafkaError:
                continue

    async def join(self) -> None:
        """Wait while following (until stopped or cancelled)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._consumer.stop()
        await self._admin.close()
