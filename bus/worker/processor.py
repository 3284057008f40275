"""What a processor is to the loop: the topics it reads, its stores, and four hooks."""

from __future__ import annotations

from functools import cached_property
from typing import Any, ClassVar

from bus.metrics.agents import ProcessorMetrics
from bus.worker.record import Record
from bus.worker.state import Store

Partitions = set[tuple[str, int]]


class Processor:
    """One stream processor of the worker (router, auditor, audit chain, escalator, echo).

    The loop hands ``process`` every record of the topics in ``reads``, in
    offset order per partition, and commits a record's offset only after
    ``process`` returned for it (an exception becomes a dead letter). A
    processor sends through the ``Outputs`` it was built with and keeps state
    only in its ``stores``: both are inside the loop's transaction under
    exactly-once.
    """

    name: ClassVar[str]
    reads: tuple[str, ...] = ()
    stores: tuple[Store[Any], ...] = ()
    tick_s: float | None = None
    """How often ``tick`` runs (between batches, inside the loop's transaction); None: never."""

    @cached_property
    def metrics(self) -> ProcessorMetrics:
        """Fed by the loop (records, time) and by the processor (``metrics.routed``)."""
        return ProcessorMetrics(self.name)

    async def process(self, record: Record) -> None:
        raise NotImplementedError

    async def tick(self) -> None:
        return None

    def assigned(self, partitions: Partitions) -> None:
        """The loop's whole new assignment, after the stores are restored."""

    def revoked(self, partitions: Partitions) -> None:
        """Partitions taken away (after their last commit) or lost."""

    async def start(self) -> None:
        """Before the first record: e.g. tasks beside the loop."""

    async def stop(self) -> None:
        """After the last commit."""
