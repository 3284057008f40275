"""Group a stream's messages into short batches.

Faust hands the agent one message at a time, and while the agent keeps up,
the stream's buffer is empty after each one: batches of what is at hand are
single messages. So a batch stays open for up to ``window_s`` (a few
milliseconds) while the consumer hands over more, and ends at once when it
is full. Under a light load this adds at most the window to a message's
latency; under a backlog the per-batch work (table reads and writes, the
agent's wake-ups) is shared by many messages.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import TypeVar

T = TypeVar("T")

MAX_BATCH = 500
"""Bounds the work between acks (and what a rebalance must wait for)."""
WINDOW_S = 0.002
"""How long a batch waits for more messages after its first."""
POLL_S = 0.001


async def at_hand(
    items: AsyncIterator[T],
    more_ready: Callable[[], bool],
    max_size: int = MAX_BATCH,
    window_s: float = WINDOW_S,
) -> AsyncIterator[list[T]]:
    """Yield lists of consecutive ``items``; ``more_ready`` says whether the next is buffered."""
    loop = asyncio.get_running_loop()
    batch: list[T] = []
    opened = 0.0
    async for item in items:
        if not batch:
            opened = loop.time()
        batch.append(item)
        if len(batch) < max_size:
            ready = more_ready()
            while not ready:
                left = opened + window_s - loop.time()
                if left <= 0:
                    break
                await asyncio.sleep(min(left, POLL_S))
                ready = more_ready()
            if ready:
                continue
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
