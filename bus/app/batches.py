"""Group a stream's messages into the batches that are already at hand.

A batch ends when the stream has nothing more buffered (or at ``max_size``),
so it never waits for more messages: under a light load every batch is one
message and adds no latency; under a backlog batches grow and the per-batch
work (table reads and writes) is shared by many messages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TypeVar

T = TypeVar("T")

MAX_BATCH = 500
"""Bounds the work between acks (and what a rebalance must wait for)."""


async def at_hand(
    items: AsyncIterator[T], more_ready: Callable[[], bool], max_size: int = MAX_BATCH
) -> AsyncIterator[list[T]]:
    """Yield lists of consecutive ``items``; ``more_ready`` says whether the next is buffered."""
    batch: list[T] = []
    async for item in items:
        batch.append(item)
        if len(batch) >= max_size or not more_ready():
            yield batch
            batch = []
    if batch:
        yield batch


def buffered(stream: object) -> Callable[[], bool]:
    """Whether a Faust stream's channel holds another message (False when it cannot tell)."""
    queue = getattr(getattr(stream, "channel", None), "queue", None)
    empty = getattr(queue, "empty", None)
    if empty is None:
        return lambda: False
    return lambda: not empty()
