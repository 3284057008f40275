"""The exactly-once commit gate: commits fall only when every delivered event is finished."""

from __future__ import annotations

import asyncio

import pytest

from bus.app.commit_gate import CommitGate


async def test_a_commit_waits_until_the_agent_has_finished_and_acked_its_event() -> None:
    gate = CommitGate()
    unacked = {"a"}  # handed over; the agent is sending its outputs
    seen_at_commit: list[set[str]] = []

    async def commit() -> None:
        seen_at_commit.append(set(unacked))

    committing = asyncio.create_task(gate.hold(commit, lambda: len(unacked)))
    await asyncio.sleep(0.05)
    assert not committing.done()  # "a" is still in hand
    unacked.discard("a")  # the agent acks it
    await committing
    assert seen_at_commit == [set()]


async def test_delivery_pauses_until_events_other_agents_have_not_acked_are_finished() -> None:
    """The auditor may be behind the router on the same event: its offset is not acked yet."""
    gate = CommitGate()
    unacked = ["e1", "e2"]  # handed over, the router is done, the auditor is not
    order: list[str] = []

    async def commit() -> None:
        order.append(f"commit with {len(unacked)} unacked")

    committing = asyncio.create_task(gate.hold(commit, lambda: len(unacked)))
    await asyncio.sleep(0.02)
    assert not gate.delivering and not committing.done()
    delivered = asyncio.create_task(gate.delivery())
    await asyncio.sleep(0.02)
    assert not delivered.done()  # the consumer hands over nothing new meanwhile
    unacked.clear()  # the auditor catches up
    await committing
    await delivered
    assert order == ["commit with 0 unacked"] and gate.delivering


async def test_a_commit_that_cannot_drain_goes_ahead_after_the_timeout_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gate = CommitGate(drain_timeout_s=0.05)
    committed: list[bool] = []

    async def commit() -> None:
        committed.append(True)

    await gate.hold(commit, lambda: 3)
    assert committed == [True] and gate.delivering
    assert "3 events still unfinished" in caplog.text
