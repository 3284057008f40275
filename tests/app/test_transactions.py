"""Exactly-once outputs and state join the transaction that commits their event's offset."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from faust.types import TP

from bus.app import transactions

CHANGELOG = "app-subjects-changelog"


class _Producer:
    """Faust's driver producer: records which transaction each record was sent in."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int | None, str | None]] = []

    async def send(self, topic: str, *args: Any, transactional_id: str | None = None) -> str:
        self.sent.append((topic, args[2], transactional_id))
        return "future"


def _manager() -> Any:
    groups = {"assistant-events": 0, CHANGELOG: 0, "service-updates": 0}
    app = SimpleNamespace(
        conf=SimpleNamespace(id="app"),
        assignor=SimpleNamespace(group_for_topic=groups.__getitem__),
        tables=SimpleNamespace(changelog_topics={CHANGELOG}),
    )
    return SimpleNamespace(app=app, producer=_Producer())


async def _faust_send(
    manager: Any, topic: str, key: Any, value: Any, partition: Any, *_: Any
) -> str:
    """Faust's own choice: the transaction of the output record's partition."""
    tid = f"app-0-{partition}" if partition is not None else None
    manager.producer.sent.append((topic, partition, tid))
    return "future"


def _handling(monkeypatch: pytest.MonkeyPatch, source: TP | None) -> None:
    event = None if source is None else SimpleNamespace(message=SimpleNamespace(tp=source))
    monkeypatch.setattr(transactions, "current_event", lambda: event)


def test_the_transactional_id_is_the_one_faust_commits_the_partitions_offsets_under() -> None:
    manager = _manager()
    assert transactions.transactional_id(manager.app, TP("assistant-events", 3)) == "app-0-3"


async def test_a_record_sent_for_an_event_joins_its_source_partitions_transaction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    manager = _manager()
    send = transactions._in_source_transaction(_faust_send)
    _handling(monkeypatch, TP("assistant-events", 2))
    await send(manager, "audit-intake", b"k", b"v", None, None, [])
    await send(manager, "assistant.police", b"k", b"v", 0, None, [])
    assert manager.producer.sent == [
        ("audit-intake", None, "app-0-2"),  # Faust: no transaction (no metadata for the topic)
        ("assistant.police", 0, "app-0-2"),  # Faust: partition 0's transaction
    ]


async def test_changelog_records_and_records_sent_outside_an_event_keep_faust_s_choice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    manager = _manager()
    send = transactions._in_source_transaction(_faust_send)
    _handling(monkeypatch, TP("service-updates", 2))
    await send(manager, CHANGELOG, b"k", b"v", 1, None, [])
    _handling(monkeypatch, None)
    await send(manager, "audit", b"k", b"v", 3, None, [])
    assert manager.producer.sent == [(CHANGELOG, 1, "app-0-1"), ("audit", 3, "app-0-3")]


class _Buffer:
    """Faust's producer buffer, whose ``flush`` may give up with records still pending."""

    def __init__(self, pending: int) -> None:
        self.size = pending

    async def flush(self) -> None:
        self.size -= 1


def _committing_manager(buffer: _Buffer, open_partitions: set[int]) -> Any:
    def producer(partition: int) -> Any:
        state = SimpleNamespace(is_in_transaction=lambda: partition in open_partitions)
        return SimpleNamespace(_txn_manager=state)

    manager = _manager()
    manager.app.producer = SimpleNamespace(buffer=buffer)
    manager.producer._transaction_producers = {f"app-0-{p}": producer(p) for p in range(4)}
    return manager


async def test_buffered_table_writes_are_sent_before_the_transactions_commit() -> None:
    buffer = _Buffer(pending=3)
    manager = _committing_manager(buffer, open_partitions={0, 1, 2, 3})
    pending_at_commit: list[int] = []

    async def faust_commit(_: Any, offsets: Any, start_new_transaction: bool = True) -> bool:
        pending_at_commit.append(buffer.size)
        return True

    commit = transactions._after_buffered_writes(faust_commit)
    assert await commit(manager, {TP("assistant-events", 0): 5}, start_new_transaction=True)
    assert pending_at_commit == [0]


async def test_offsets_whose_transaction_has_ended_are_left_uncommitted() -> None:
    manager = _committing_manager(_Buffer(pending=0), open_partitions={1})
    committed: list[Any] = []

    async def faust_commit(_: Any, offsets: Any, start_new_transaction: bool = True) -> bool:
        committed.append(dict(offsets))
        return True

    commit = transactions._after_buffered_writes(faust_commit)
    ended, open_ = TP("assistant-events", 0), TP("assistant-events", 1)
    assert await commit(manager, {ended: 5, open_: 7}, start_new_transaction=False)
    assert committed == [{open_: 7}]
    assert not await commit(manager, {ended: 6}, start_new_transaction=False)
    assert committed == [{open_: 7}]
