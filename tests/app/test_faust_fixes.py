"""Faust's skip path: a message one agent's stream skipped is never committed unseen."""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace
from typing import Any

import pytest
from faust import streams as faust_streams
from faust.types import TP

from bus.app import faust_fixes

TOPIC_PARTITION = TP("assistant-events", 0)


class _Message:
    """The parts of Faust's message the fixes read (weakly referenceable, like Faust's)."""

    def __init__(self, offset: int, generation_id: int = 2) -> None:
        self.tp, self.topic, self.offset = TOPIC_PARTITION, TOPIC_PARTITION.topic, offset
        self.generation_id, self.tracked = generation_id, True


def _consumer(flow_active: bool, generation: int = 2) -> Any:
    app = SimpleNamespace(
        flow_control=SimpleNamespace(is_active=lambda: flow_active),
        consumer_generation_id=generation,
        topics=SimpleNamespace(acks_enabled_for=lambda topic: True),
    )
    return SimpleNamespace(app=app, _acked_index=defaultdict(set))


def _handing(monkeypatch: pytest.MonkeyPatch, message: _Message | None) -> None:
    event = None if message is None else SimpleNamespace(message=message)
    monkeypatch.setattr(faust_streams, "current_event", lambda: event)


def _ack_through_fixes(consumer: Any, message: _Message) -> list[int]:
    acked: list[int] = []

    def faust_message_ack(message: Any, consumer: Any, n: int = 1) -> bool:
        return True  # the last stream's ack

    def faust_consumer_ack(consumer: Any, message: Any) -> bool:
        acked.append(message.offset)
        return True

    if faust_fixes._noting_skips(faust_message_ack)(message, consumer):
        faust_fixes._remember_skipped(faust_consumer_ack)(consumer, message)
    return acked


def test_a_message_acked_in_normal_flow_is_acked(monkeypatch: pytest.MonkeyPatch) -> None:
    _handing(monkeypatch, None)
    assert _ack_through_fixes(_consumer(flow_active=True), _Message(7)) == [7]


def test_a_message_a_stream_skipped_during_a_rebalance_is_remembered_not_acked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Other agents may have processed it; the router's skip is the last ack."""
    consumer = _consumer(flow_active=False)
    _handing(monkeypatch, None)
    assert _ack_through_fixes(consumer, _Message(7)) == []
    assert faust_fixes._skipped(consumer, TOPIC_PARTITION) == {7}


def test_a_message_of_an_older_generation_is_remembered_not_acked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    consumer = _consumer(flow_active=True, generation=3)
    _handing(monkeypatch, None)
    assert _ack_through_fixes(consumer, _Message(7, generation_id=2)) == []


def test_an_agent_finishing_its_event_during_a_rebalance_acks_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    consumer = _consumer(flow_active=False)
    message = _Message(7)
    _handing(monkeypatch, message)
    assert _ack_through_fixes(consumer, message) == [7]
    assert faust_fixes._skipped(consumer, TOPIC_PARTITION) == set()
