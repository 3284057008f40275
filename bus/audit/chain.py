"""Appending to the audit chains: one head per audit partition, checkpoints on the way.

Kafka is injected (``recover``, ``send``), so this runs without a broker in tests. A
head is never guessed: the first append to a partition after a start or a
rebalance asks ``recover`` for the head it can prove (``bus.audit.resume``), so a
restarted worker continues the chain instead of forking it, and a chain holding
what it cannot prove stays halted: every append to it raises ``ChainHalted``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bus.audit.checkpoint import CheckpointSigner
from bus.audit.record import RecordHasher
from bus.audit.resume import ChainHalted

log = logging.getLogger(__name__)

Send = Callable[[int, str, dict[str, Any]], Awaitable[Awaitable[int]]]
"""``send(partition, type_name, record)``: queue a message; returns a future of its offset."""
Recover = Callable[[int], Awaitable[bytes]]
"""``recover(partition)``: the head the chain may continue from; raises ChainHalted if none."""


@dataclass
class _Head:
    hash: bytes
    since_checkpoint: int = 0
    last_checkpoint: float = 0.0
    delivery: Awaitable[int] | None = None


class ChainWriter:
    def __init__(
        self,
        hasher: RecordHasher,
        signer: CheckpointSigner,
        *,
        send: Send,
        recover: Recover,
        every_records: int,
        interval_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._hasher = hasher
        self._signer = signer
        self._send = send
        self._recover = recover
        self._every = every_records
        self._interval = interval_s
        self._clock = clock
        self._heads: dict[int, _Head] = {}
        self._halted: dict[int, str] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    @property
    def heads(self) -> Mapping[int, bytes]:
        return {partition: head.hash for partition, head in self._heads.items()}

    @property
    def halted(self) -> Mapping[int, str]:
        """Chains this writer will not extend, with why."""
        return dict(self._halted)

    async def append(self, partition: int, record: Mapping[str, Any]) -> dict[str, Any]:
        """Chain ``record`` onto the partition's head and queue it; checkpoint when due."""
        if partition in self._halted:
            raise ChainHalted(self._halted[partition])
        head = self._heads.get(partition)
        if head is None:
            try:
                proven = await self._recover(partition)
            except ChainHalted as exc:
                self._halted[partition] = str(exc)
                log.error("audit chain %s is halted and not extended: %s", partition, exc)
                raise
            head = _Head(proven, last_checkpoint=self._clock())
            self._heads[partition] = head
            log.info("audit chain %s continues from head %s", partition, head.hash.hex()[:16])
        linked = self._hasher.link(record, head.hash)
        head.delivery = await self._send(partition, "record", linked)
        head.hash = linked["record_hash"]
        head.since_checkpoint += 1
        if head.since_checkpoint >= self._every:
            await self.checkpoint(partition)
        return linked

    async def checkpoint_due(self) -> int:
        """Checkpoint every chain with records unsigned for longer than the interval."""
        now = self._clock()
        due = [
            partition
            for partition, head in list(self._heads.items())
            if head.since_checkpoint and now - head.last_checkpoint >= self._interval
        ]
        for partition in due:
            await self.checkpoint(partition)
        return len(due)

    async def checkpoint(self, partition: int) -> dict[str, Any] | None:
        """Sign the partition's head once its last record is written (its offset known)."""
        lock = self._locks.setdefault(partition, asyncio.Lock())
        async with lock:
            head = self._heads.get(partition)
            if head is None or head.delivery is None or not head.since_checkpoint:
                return None
            head_hash, delivery = head.hash, head.delivery
            head.since_checkpoint, head.last_checkpoint = 0, self._clock()
            offset = await delivery
            checkpoint = self._signer.sign(partition, int(offset), head_hash, datetime.now(UTC))
            await self._send(partition, "checkpoint", checkpoint)
            return checkpoint

    def forget(self, partitions: set[int]) -> None:
        """Partitions this process no longer writes; their heads are re-read if they return."""
        for partition in partitions:
            self._heads.pop(partition, None)
            self._halted.pop(partition, None)
