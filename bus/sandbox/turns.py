"""Which turns a sandbox was fed: read from its input topic, the one record of that.

A candidate's answer names the turn it answers (``causation_id``). Whether
such a turn exists is a question for the input topic itself, not for the
worker that fed it: another worker, or ``bus sandbox replay``, may have
written it, and the worker may read the answer before it reads the turn. So
a turn not seen yet sends the reader to the input topic's end (committed
records only: a candidate sees nothing else) and only then is it unknown.
Each record is read once: a look goes on from where the last one stopped.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaConsumer

from bus.audit.log import read_to_end
from bus.errors import BusError


class FedTurns:
    """The ``event_id``s each sandbox input holds, as far as it has been read."""

    def __init__(
        self,
        connect: Callable[[], AIOKafkaConsumer],
        partitions: Callable[[str], Awaitable[list[int]]],
    ) -> None:
        self.connect = connect
        """A new consumer without a group (``bus.audit.log.log_consumer``), made at start:
        aiokafka's clients belong to the running event loop."""
        self.partitions = partitions
        """A topic's partitions from the cluster (``bus.audit.log.partitions_of``)."""
        self.consumer: AIOKafkaConsumer | None = None
        self.ids: dict[str, set[str]] = defaultdict(set)
        self.known: dict[str, list[int]] = {}
        self.read_to: dict[str, dict[int, int]] = defaultdict(dict)
        """Topic -> partition -> the offset after the last record read."""
        self.lock = asyncio.Lock()

    async def start(self) -> None:
        self.consumer = self.connect()
        await self.consumer.start()

    async def stop(self) -> None:
        if self.consumer is not None:
            await self.consumer.stop()
            self.consumer = None

    async def holds(self, topic: str, event_id: str) -> bool:
        """Whether ``topic`` (a sandbox input) holds a turn with ``event_id``."""
        if event_id in self.ids[topic]:
            return True
        async with self.lock:
            await self._read_on(topic, refresh=False)
            if event_id not in self.ids[topic]:  # perhaps on a partition added since
                await self._read_on(topic, refresh=True)
        return event_id in self.ids[topic]

    async def _read_on(self, topic: str, *, refresh: bool) -> None:
        if self.consumer is None:
            raise BusError("FedTurns.start() was not awaited: it has no consumer to read with")
        if refresh or topic not in self.known:
            self.known[topic] = await self.partitions(topic)
        read_to = self.read_to[topic]
        async for message in read_to_end(self.consumer, topic, self.known[topic], read_to):
            read_to[message.partition] = message.offset + 1
            found = dict(message.headers or ()).get("ce_id")
            if found:
                self.ids[topic].add(found.decode())
