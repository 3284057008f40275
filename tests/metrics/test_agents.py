"""The agents' stream wrapper and delivery sensor, without Faust or Kafka."""

from __future__ import annotations

import asyncio
import gc
import time
import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
from prometheus_client import REGISTRY

from bus.metrics import agents
from bus.metrics.agents import DeliverySensor, dead_lettered, in_flight, observed
from bus.metrics.labels import Vocabulary

TYPE = "gov.agencybus.conversation.MessageSent"


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _item(topic: str, offset: int, ce_type: str = TYPE, ce_time: str = "") -> Any:
    headers = [("ce_type", ce_type.encode())]
    if ce_time:
        headers.append(("ce_time", ce_time.encode()))
    message = SimpleNamespace(
        topic=topic, partition=0, offset=offset, timestamp=time.time() - 2.0, headers=headers
    )
    return SimpleNamespace(message=message)


async def _stream(items: list[Any]) -> AsyncIterator[Any]:
    for item in items:
        yield item


@pytest.fixture
def vocabulary(monkeypatch: pytest.MonkeyPatch) -> Vocabulary:
    known = Vocabulary(
        event_types={TYPE: "MessageSent"},
        authority_of_topic={"inbox.police": "police"},
        dead_letter_topics=frozenset({"dead"}),
    )
    monkeypatch.setattr(agents, "vocabulary", known)
    return known


async def test_every_message_is_counted_timed_and_its_offset_remembered(
    vocabulary: Vocabulary,
) -> None:
    agent, topic = f"a-{uuid.uuid4().hex[:6]}", f"t-{uuid.uuid4().hex[:6]}"
    items = [_item(topic, 0), _item(topic, 1, ce_type="who.knows.What")]
    seen = [item async for item in observed(_stream(items), agent)]
    assert seen == items
    consumed = "bus_events_consumed_total"
    assert _value(consumed, agent=agent, topic=topic, event_type="MessageSent") == 1
    assert _value(consumed, agent=agent, topic=topic, event_type="unknown") == 1
    assert _value("bus_event_processing_seconds_count", agent=agent) == 2
    assert agents.processed[(topic, 0)] == 2


async def test_a_message_whose_handler_raises_counts_as_failed(vocabulary: Vocabulary) -> None:
    agent, topic = f"a-{uuid.uuid4().hex[:6]}", f"t-{uuid.uuid4().hex[:6]}"

    async def handler() -> None:
        async for _ in observed(_stream([_item(topic, 0), _item(topic, 1)]), agent):
            raise RuntimeError("bug in the handler")

    with pytest.raises(RuntimeError):
        await handler()
    failed = {"agent": agent, "topic": topic, "error": "abandoned"}
    for _ in range(50):  # the event loop closes the abandoned generator soon after
        gc.collect()
        await asyncio.sleep(0.01)
        if _value("bus_events_failed_total", **failed):
            break
    assert _value("bus_events_failed_total", **failed) == 1
    assert _value("bus_event_processing_seconds_count", agent=agent) == 0


async def test_acknowledged_sends_count_as_routed_with_their_latency(
    vocabulary: Vocabulary,
) -> None:
    agent, topic = f"a-{uuid.uuid4().hex[:6]}", f"t-{uuid.uuid4().hex[:6]}"
    sensor = DeliverySensor()
    event_time = "2020-01-01T00:00:00.000Z"  # long ago: the latency shows it
    async for item in observed(_stream([_item(topic, 0, ce_time=event_time)]), agent):
        assert in_flight() is not None
        out = SimpleNamespace(headers=item.message.headers)
        sent = sensor.on_send_initiated(None, "inbox.police", out, 1, 1)
        sensor.on_send_completed(None, sent, None)
        letter = sensor.on_send_initiated(None, "dead", out, 1, 1)
        assert letter is None  # dead letters are counted by reason instead
        refused = sensor.on_send_initiated(None, "inbox.police", out, 1, 1)
        sensor.on_send_error(None, TimeoutError(), refused)
    assert in_flight() is None
    routed = {"agent": agent, "topic": "inbox.police", "authority": "police"}
    assert _value("bus_events_routed_total", **routed, event_type="MessageSent") == 1
    assert _value("bus_event_delivery_latency_seconds_count", agent=agent) == 1
    assert _value("bus_event_delivery_latency_seconds_sum", agent=agent) > 365 * 24 * 3600
    failed = {"agent": agent, "topic": topic, "error": "TimeoutError"}
    assert _value("bus_events_failed_total", **failed) == 1


async def test_without_an_event_time_latency_runs_from_the_kafka_timestamp(
    vocabulary: Vocabulary,
) -> None:
    agent, topic = f"a-{uuid.uuid4().hex[:6]}", f"t-{uuid.uuid4().hex[:6]}"
    sensor = DeliverySensor()
    async for _ in observed(_stream([_item(topic, 0)]), agent):
        sent = sensor.on_send_initiated(None, "elsewhere", SimpleNamespace(headers=None), 1, 1)
        sensor.on_send_completed(None, sent, None)
    latency = _value("bus_event_delivery_latency_seconds_sum", agent=agent)
    assert 2.0 <= latency < 60.0  # the message's Kafka timestamp was two seconds old
    routed = {"agent": agent, "topic": "elsewhere", "authority": "none", "event_type": "unknown"}
    assert _value("bus_events_routed_total", **routed) == 1


def test_sends_outside_an_agent_are_not_counted(vocabulary: Vocabulary) -> None:
    out = SimpleNamespace(headers=[])
    assert DeliverySensor().on_send_initiated(None, "inbox.police", out, 1, 1) is None


def test_dead_letters_are_counted_by_source_topic_and_reason() -> None:
    topic = f"t-{uuid.uuid4().hex[:6]}"
    dead_lettered("router", topic, "no-owner")
    labels = {"agent": "router", "topic": topic, "reason": "no-owner"}
    assert _value("bus_events_dead_lettered_total", **labels) == 1
