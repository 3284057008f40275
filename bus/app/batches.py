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
PULL_TIMEOUT_S = 0.05
"""A buffered message arrives within a turn of the loop; one that takes longer was skipped."""


async def at_hand(
    items: AsyncIterator[T],
    more_ready: Callable[[], bool],
    max_size: int = MAX_BATCH,
    window_s: float = WINDOW_S,
) -> AsyncIterator[list[T]]:
    """Yield lists of consecutive ``items``; ``more_ready`` says whether the next is buffered.

    A batch never waits on the stream for long: when flow control is
    suspended (a rebalance, a stop) Faust skips what is queued, and a batch
    waiting for the next item would hold its messages unacked, which stalls
    the rebalance or the stop. Such a pull stays pending for the next batch.
    """
    loop = asyncio.get_running_loop()
    source = aiter(items)
    following: asyncio.Task[T] | None = None
    try:
        while True:
            following = following or _pull(source)
            try:
                batch = [await following]
            except StopAsyncIteration:
                return
            following = None
            ended = False
            closes = loop.time() + window_s
            while len(batch) < max_size and await _ready_before(closes, more_ready):
                following = _pull(source)
                done, _ = await asyncio.wait((following,), timeout=PULL_TIMEOUT_S)
                if not done:
                    break
                pulled, following = following, None
                try:
                    batch.append(pulled.result())
                except StopAsyncIteration:
                    ended = True
                    break
            yield batch
            del batch  # nothing handed on stays alive here while the next is awaited
            if ended:
                return
    finally:
        if following is not None:
            following.cancel()


def _pull(source: AsyncIterator[T]) -> asyncio.Task[T]:
    async def pull() -> T:
        return await anext(source)

    return asyncio.ensure_future(pull())


async def _ready_before(closes: float, more_ready: Callable[[], bool]) -> bool:
    loop = asyncio.get_running_loop()
    while not more_ready():
        left = closes - loop.time()
        if left <= 0:
            return False
        await asyncio.sleep(min(left, POLL_S))
    return True


def buffered(stream: object) -> Callable[[], bool]:
    """Whether a Faust stream's channel holds another message it will hand over.

    While flow control is suspended (a rebalance, or the worker stopping) the
    stream skips what is queued and waits for messages that will not come, so
    a batch must not wait for them: it is handled (and acked) as it is.
    """
    queue = getattr(getattr(stream, "channel", None), "queue", None)
    empty = getattr(queue, "empty", None)
    if empty is None:
        return lambda: False
    flow = getattr(getattr(stream, "app", None), "flow_control", None)
    active = getattr(flow, "is_active", None)
    if active is None:
        return lambda: not empty()
    return lambda: active() and not empty()
