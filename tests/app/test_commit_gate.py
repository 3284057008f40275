"""The exactly-once commit gate: commits fall only between events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from bus.app.commit_gate import CommitGate


async def _source(items: list[str], acked: list[str]) -> AsyncIterator[str]:
    """Like a Faust stream: an event is acked when the next one is asked for."""
    for item in items:
        yield item
        acked.append(item)


async def test_a_commit_waits_until_the_agent_has_finished_and_acked_its_event() -> None:
    gate = CommitGate()
    acked: list[str] = []
    handled = asyncio.Event()
    finish = asyncio.Event()
    seen_at_commit: list[list[str]] = []

    async def agent() -> None:
        async for _ in gate.events(_source(["a", "b"], acked)):
            handled.set()
            await finish.wait()  # outputs being sent

    async def commit() -> None:
        seen_at_commit.append(list(acked))

    task = asyncio.create_task(agent())
    await handled.wait()
    committing = asyncio.create_task(gate.hold(commit))
    await asyncio.sleep(0.05)
    assert not committing.done()  # "a" is still in hand
    finish.set()
    await committing
    await task
    assert seen_at_commit == [["a"]]  # after a's ack, before b was handled further


async def test_the_next_event_waits_while_a_commit_runs() -> None:
    gate = CommitGate()
    acked: list[str] = []
    handled: list[str] = []
    release = asyncio.Event()

    async def slow_commit() -> None:
        await release.wait()

    committing = asyncio.create_task(gate.hold(slow_commit))
    await asyncio.sleep(0)

    async def agent() -> None:
        async for item in gate.events(_source(["a"], acked)):
            handled.append(item)

    task = asyncio.create_task(agent())
    await asyncio.sleep(0.05)
    assert handled == []  # held at the gate until the commit is done
    release.set()
    await committing
    await task
    assert handled == ["a"] and acked == ["a"]
