"""Batches of the messages at hand, without Faust."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace

from bus.app.batches import at_hand, buffered


async def _items(values: list[int]) -> AsyncIterator[int]:
    for value in values:
        yield value


async def test_a_batch_ends_where_nothing_more_is_buffered() -> None:
    # After each message: is the next one already buffered?
    ready = iter([True, False, True, True, False, True, False])
    batches = at_hand(_items(list(range(7))), lambda: next(ready), window_s=0)
    got = [batch async for batch in batches]
    assert got == [[0, 1], [2, 3, 4], [5, 6]]


async def test_a_batch_never_exceeds_its_maximum_and_keeps_the_order() -> None:
    values = list(range(10))
    got = [batch async for batch in at_hand(_items(values), lambda: True, max_size=4)]
    assert got == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


async def test_under_light_load_every_message_is_its_own_batch() -> None:
    values = [1, 2, 3]
    got = [b async for b in at_hand(_items(values), lambda: False, window_s=0.002)]
    assert got == [[1], [2], [3]]


async def test_a_batch_waits_a_moment_for_the_messages_the_consumer_is_handing_over() -> None:
    handed_over: list[bool] = []

    async def consumer() -> None:
        await asyncio.sleep(0.005)
        handed_over.append(True)  # the next messages are in the stream's buffer now

    task = asyncio.create_task(consumer())
    got = [b async for b in at_hand(_items([0, 1, 2]), lambda: bool(handed_over), window_s=1.0)]
    await task
    assert got == [[0, 1, 2]]


def test_buffered_reads_the_streams_channel_queue() -> None:
    queue: list[int] = []
    channel = SimpleNamespace(queue=SimpleNamespace(empty=lambda: not queue))
    more = buffered(SimpleNamespace(channel=channel))
    assert more() is False
    queue.append(1)
    assert more() is True
    assert buffered(SimpleNamespace())() is False


def test_nothing_counts_as_buffered_while_flow_control_is_suspended() -> None:
    """A suspended stream skips what is queued: a batch must not wait for it (a stop hung)."""
    active = [True]
    flow = SimpleNamespace(is_active=lambda: active[0])
    channel = SimpleNamespace(queue=SimpleNamespace(empty=lambda: False))
    more = buffered(SimpleNamespace(channel=channel, app=SimpleNamespace(flow_control=flow)))
    assert more() is True
    active[0] = False
    assert more() is False


async def test_a_batch_is_handed_on_when_the_stream_holds_back_what_it_had_buffered() -> None:
    """Faust skips queued messages while flow control is suspended; the batch must not wait."""
    release = asyncio.Event()

    async def stream() -> AsyncIterator[int]:
        yield 1
        await release.wait()  # the queued message was skipped; the next comes much later
        yield 2

    batches = at_hand(stream(), lambda: True)
    assert await anext(batches) == [1]
    release.set()
    assert await anext(batches) == [2]
    assert [batch async for batch in batches] == []
