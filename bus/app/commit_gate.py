"""Exactly-once commits only between events.

Under ``processing_guarantee="exactly_once"`` Faust commits a partition's
transaction on a timer: the outputs sent so far and the offsets acked so far.
An agent acks an event only when it asks for the next one, so a commit that
falls while an agent is between sending an event's outputs and acking it
makes those outputs visible without the event's offset. A worker killed then
leaves the event to be processed again, and its outputs appear twice to
``read_committed`` readers. The gate holds such a commit until every agent
has finished its event (and acked it), and holds the agents' next events
until the commit is done.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from faust.transport import consumer as faust_consumer

T = TypeVar("T")
_GATE = "_bus_commit_gate"
_APPLIED = "_bus_commit_gated"


class CommitGate:
    """Counts the agents that hold an event; a commit waits until none does."""

    def __init__(self) -> None:
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._open = asyncio.Event()
        self._open.set()
        self._commits = asyncio.Lock()

    async def events(self, events: AsyncIterator[T]) -> AsyncIterator[T]:
        """The stream's events, each held by the gate from its arrival to its ack.

        Faust acks the previous event at the start of the next ``__anext__``,
        before it awaits anything (an agent acking by hand, like the router,
        acks before it asks for the next), so no commit fits between leaving
        the gate and the ack.
        """
        async for item in events:
            await self._open.wait()
            self._busy += 1
            self._idle.clear()
            try:
                yield item
            finally:
                self._busy -= 1
                if not self._busy:
                    self._idle.set()

    async def hold(self, commit: Callable[[], Awaitable[T]]) -> T:
        """Run ``commit`` once no agent holds an event, with new events held meanwhile."""
        async with self._commits:
            self._open.clear()
            try:
                await self._idle.wait()
                return await commit()
            finally:
                self._open.set()


def install(app: Any, gate: CommitGate) -> None:
    """Route every commit of ``app``'s consumer through ``gate``."""
    setattr(app, _GATE, gate)
    cls = faust_consumer.Consumer
    if getattr(cls, _APPLIED, False):
        return
    original = cls.commit

    async def commit(self: Any, *args: Any, **kwargs: Any) -> bool:
        app_gate: CommitGate | None = getattr(self.app, _GATE, None)
        if app_gate is None:
            result: bool = await original(self, *args, **kwargs)
            return result
        return await app_gate.hold(lambda: original(self, *args, **kwargs))

    setattr(cls, "commit", commit)  # noqa: B010
    setattr(cls, _APPLIED, True)
