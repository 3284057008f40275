"""Exactly-once commits only when every delivered event is finished.

Under ``processing_guarantee="exactly_once"`` Faust commits a partition's
transaction on a timer: the outputs sent so far and the offsets acked so far.
An offset counts as acked only when *every* agent reading the topic has acked
the event (the router, the auditor and the escalator all read the assistants'
topic), and an agent acks an event only when it asks for the next one. So a
commit that falls while one agent has already sent an event's outputs, and
another has not yet acked the event (or not even taken it from its queue),
makes those outputs visible without the event's offset. A worker killed then
leaves the event to be processed again, and its outputs appear twice to
``read_committed`` readers (287 times in one kill test with the auditor
behind the router).

The gate therefore pauses the consumer's hand-over of new messages, waits
until every message handed over has been acked by every agent (an event an
agent still holds is one of them), commits, and resumes. If that takes
longer than ``DRAIN_TIMEOUT_S`` (an agent stuck on one event), it commits
anyway and says so: what follows is at-least-once for those events, never a
loss.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from faust.transport import consumer as faust_consumer

T = TypeVar("T")
_GATE = "_bus_commit_gate"
_APPLIED = "_bus_commit_gated"
DRAIN_TIMEOUT_S = 20.0
"""Well inside the transaction timeout (60 s), after which the broker aborts."""
POLL_S = 0.005
log = logging.getLogger(__name__)


class CommitGate:
    """Pauses delivery for a commit until the events handed over are all finished."""

    def __init__(self, drain_timeout_s: float = DRAIN_TIMEOUT_S) -> None:
        self._delivering = asyncio.Event()
        self._delivering.set()
        self._commits = asyncio.Lock()
        self._drain_timeout_s = drain_timeout_s

    @property
    def delivering(self) -> bool:
        """False while a commit waits: the consumer hands over no new message."""
        return self._delivering.is_set()

    async def delivery(self) -> None:
        """Wait until messages may be handed over to the agents again."""
        await self._delivering.wait()

    async def hold(self, commit: Callable[[], Awaitable[T]], pending: Callable[[], int]) -> T:
        """Run ``commit`` once ``pending()``, the messages not every agent has acked, is 0."""
        async with self._commits:
            self._delivering.clear()
            try:
                await self._drained(pending)
                return await commit()
            finally:
                self._delivering.set()

    async def _drained(self, pending: Callable[[], int]) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        collected = started
        while pending():
            now = loop.time()
            if now - started >= self._drain_timeout_s:
                log.warning(
                    "Committing with %d events still unfinished after %.0fs: after a crash "
                    "their outputs may be delivered twice",
                    pending(),
                    self._drain_timeout_s,
                )
                return
            if now - collected >= 1.0:  # dropped messages leave the weak set only when collected
                gc.collect()
                collected = now
            await asyncio.sleep(POLL_S)


def gate_of(app: Any) -> CommitGate | None:
    """The gate installed on ``app``, if it commits exactly-once."""
    gate: CommitGate | None = getattr(app, _GATE, None)
    return gate


def _unacked(consumer: Any) -> int:
    """Messages handed over to the agents that not every agent has acked yet."""
    return sum(1 for message in list(consumer._unacked_messages) if not message.acked)


def install(app: Any, gate: CommitGate) -> None:
    """Route every commit of ``app``'s consumer through ``gate``."""
    setattr(app, _GATE, gate)
    cls = faust_consumer.Consumer
    if getattr(cls, _APPLIED, False):
        return
    original = cls.commit

    async def commit(self: Any, *args: Any, **kwargs: Any) -> bool:
        app_gate = gate_of(self.app)
        if app_gate is None:
            result: bool = await original(self, *args, **kwargs)
            return result
        return await app_gate.hold(lambda: original(self, *args, **kwargs), lambda: _unacked(self))

    setattr(cls, "commit", commit)  # noqa: B010
    setattr(cls, _APPLIED, True)
