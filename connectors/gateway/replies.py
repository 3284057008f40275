"""Replies for an assistant: its catalogue topic, read from the end and kept in a window.

The router writes what an authority's assistant must see (status updates,
forwarded conversations, the other side's replies) to the authority's
``assistant_topic``. The gateway reads that topic without a consumer group
and numbers what it reads; an assistant asks for what came after the last
number it saw (long-poll) or keeps a server-sent-events stream open.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from bus.errors import DecodeError
from bus.kafka.admin import admin_client, gone_topics, topic_partitions
from bus.kafka.connection import FETCH_MAX_WAIT_MS
from bus.schemas.event import Event
from bus.schemas.runtime import Runtime

log = logging.getLogger(__name__)
RETRY_S = 2.0
CHECK_S = 5.0
"""How often the reader asks whether its topic is still there."""
STOP_S = 5.0


@dataclass(frozen=True)
class Reply:
    seq: int
    event: Event


class ReplyFeed:
    """One assistant topic, read continuously into a bounded window of numbered events."""

    def __init__(
        self,
        bootstrap_servers: str,
        topic: str,
        runtime: Runtime,
        capacity: int = 10_000,
        **security: Any,
    ) -> None:
        self.topic = topic
        self.ready = False
        self.undecodable = 0
        self._bootstrap = bootstrap_servers
        self._security = security
        self._runtime = runtime
        self._window: deque[Reply] = deque(maxlen=capacity)
        # Numbers start at the boot time in microseconds, so a number an assistant kept
        # from before a restart is below every new one and it misses nothing.
        self._seq = time.time_ns() // 1000
        self._arrived = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"replies:{self.topic}")

    async def stop(self) -> None:
        """Cancel the reader; a Kafka client that does not close in time is left behind.

        A stop that came while the reader was still finding its topic's
        partitions sometimes waited for aiokafka's admin client for a minute.
        """
        if self._task is not None:
            self._task.cancel()
            done, _ = await asyncio.wait({self._task}, timeout=STOP_S)
            if not done:
                log.warning("replies from %s: the reader did not stop in %.0fs", self.topic, STOP_S)

    @property
    def last_seq(self) -> int:
        return self._seq

    def after(self, seq: int, conversation_id: str | None = None, limit: int = 100) -> list[Reply]:
        found = [
            r
            for r in self._window
            if r.seq > seq and (conversation_id is None or r.event.subject == conversation_id)
        ]
        return found[:limit]

    async def wait_after(
        self, seq: int, conversation_id: str | None, timeout_s: float, limit: int = 100
    ) -> list[Reply]:
        """What came after ``seq``, waiting up to ``timeout_s`` for something to come."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        async with self._arrived:
            while not (found := self.after(seq, conversation_id, limit)):
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return []
                try:
                    async with asyncio.timeout(remaining):
                        await self._arrived.wait()
                except TimeoutError:
                    return []
        return found

    async def _run(self) -> None:
        while True:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self._bootstrap,
                **self._security,
                group_id=None,
                enable_auto_commit=False,
                isolation_level="read_committed",
                fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
            )
            try:
                await consumer.start()
                async with admin_client(self._bootstrap, **self._security) as admin:
                    partitions = (await topic_partitions(admin)).get(self.topic, set())
                    if not partitions:
                        raise KafkaError(
                            f"topic {self.topic!r} does not exist (run `bus topics apply`)"
                        )
                    assigned = [TopicPartition(self.topic, p) for p in sorted(partitions)]
                    consumer.assign(assigned)
                    await consumer.seek_to_end(*assigned)
                    for tp in assigned:  # fix the position now: nothing after "ready" is missed
                        await consumer.position(tp)
                    self.ready = True
                    await self._read(consumer, admin)
            except KafkaError as exc:
                log.warning("replies from %s unavailable (%s); retrying", self.topic, exc)
                await asyncio.sleep(RETRY_S)
            finally:
                self.ready = False
                await consumer.stop()

    async def _read(self, consumer: AIOKafkaConsumer, admin: AIOKafkaAdminClient) -> None:
        """Read until the topic is gone from the cluster (its data wiped, or deleted)."""
        checked = time.monotonic()
        while True:
            if time.monotonic() - checked >= CHECK_S:
                checked = time.monotonic()
                if await gone_topics(admin, [self.topic], CHECK_S):
                    raise KafkaError(f"topic {self.topic!r} is gone (run `bus topics apply`)")
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                for record in records:
                    try:
                        event = await self._runtime.decode(record.value)
                    except DecodeError as exc:
                        self.undecodable += 1
                        log.warning("skipping an undecodable reply on %s: %s", self.topic, exc)
                        continue
                    self._seq += 1
                    self._window.append(Reply(self._seq, event))
            if batches:
                async with self._arrived:
                    self._arrived.notify_all()
