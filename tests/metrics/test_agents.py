"""The processors' metrics as the loop feeds them, without Kafka."""

from __future__ import annotations

import time
import uuid

import pytest
from prometheus_client import REGISTRY

from bus.metrics import agents
from bus.metrics.agents import ProcessorMetrics, dead_lettered
from bus.metrics.labels import Vocabulary
from bus.worker.record import Record

TYPE = "gov.agencybus.conversation.MessageSent"


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _record(topic: str, offset: int, ce_type: str = TYPE) -> Record:
    headers = [("ce_type", ce_type.encode())]
    stamp = int((time.time() - 2.0) * 1000)
    return Record(topic, 0, offset, b"k", b"v", headers, stamp)


@pytest.fixture
def vocabulary(monkeypatch: pytest.MonkeyPatch) -> Vocabulary:
    known = Vocabulary(
        event_types={TYPE: "MessageSent"},
        authority_of_topic={"inbox.police": "police"},
        dead_letter_topics=frozenset({"dead"}),
    )
    monkeypatch.setattr(agents, "vocabulary", known)
    return known


def test_every_record_is_counted_by_type_and_timed(vocabulary: Vocabulary) -> None:
    agent, topic = f"a-{uuid.uuid4().hex[:6]}", f"t-{uuid.uuid4().hex[:6]}"
    metrics = ProcessorMetrics(agent)
    metrics.consumed(_record(topic, 0))
    metrics.consumed(_record(topic, 1, ce_type="who.knows.What"))
    metrics.processed(0.002)
    metrics.processed(0.003)
    consumed = "bus_events_consumed_total"
    assert _value(consumed, agent=agent, topic=topic, event_type="MessageSent") == 1
    assert _value(consumed, agent=agent, topic=topic, event_type="unknown") == 1
    assert _value("bus_event_processing_seconds_count", agent=agent) == 2


def test_outputs_count_as_routed_with_their_latency_once_committed(
    vocabulary: Vocabulary,
) -> None:
    agent, topic = f"a-{uuid.uuid4().hex[:6]}", f"t-{uuid.uuid4().hex[:6]}"
    metrics = ProcessorMetrics(agent)
    long_ago = Record(topic, 0, 0, b"k", b"v", [("ce_time", b"2020-01-01T00:00:00.000Z")], None)
    metrics.consumed(long_ago)
    metrics.routed("inbox.police", TYPE)
    metrics.routed("inbox.police", "gov.agencybus.conversation.Redirected")
    routed = {"agent": agent, "topic": "inbox.police", "authority": "police"}
    assert _value("bus_events_routed_total", **routed, event_type="MessageSent") == 0
    metrics.committed()
    assert _value("bus_events_routed_total", **routed, event_type="MessageSent") == 1
    assert _value("bus_events_routed_total", **routed, event_type="unknown") == 1
    assert _value("bus_event_delivery_latency_seconds_count", agent=agent) == 2  # per delivery
    assert _value("bus_event_delivery_latency_seconds_sum", agent=agent) > 365 * 24 * 3600


def test_outputs_of_an_aborted_transaction_are_not_counted(vocabulary: Vocabulary) -> None:
    agent, topic = f"a-{uuid.uuid4().hex[:6]}", f"t-{uuid.uuid4().hex[:6]}"
    metrics = ProcessorMetrics(agent)
    metrics.consumed(_record(topic, 0))
    metrics.routed("inbox.police")
    metrics.discard()
    metrics.committed()
    routed = {"agent": agent, "topic": "inbox.police", "authority": "police"}
    assert _value("bus_events_routed_total", **routed, event_type="MessageSent") == 0


def test_without_an_event_time_latency_runs_from_the_kafka_timestamp(
    vocabulary: Vocabulary,
) -> None:
    agent, topic = f"a-{uuid.uuid4().hex[:6]}", f"t-{uuid.uuid4().hex[:6]}"
    metrics = ProcessorMetrics(agent)
    metrics.consumed(_record(topic, 0, ce_type="x.y.Z"))
    metrics.routed("elsewhere")
    metrics.committed()
    latency = _value("bus_event_delivery_latency_seconds_sum", agent=agent)
    assert 2.0 <= latency < 60.0  # the record's Kafka timestamp was two seconds old
    routed = {"agent": agent, "topic": "elsewhere", "authority": "none", "event_type": "unknown"}
    assert _value("bus_events_routed_total", **routed) == 1


def test_a_processor_failure_is_counted_by_source_topic_and_error() -> None:
    agent, topic = f"a-{uuid.uuid4().hex[:6]}", f"t-{uuid.uuid4().hex[:6]}"
    ProcessorMetrics(agent).failed(topic, "KeyError")
    assert _value("bus_events_failed_total", agent=agent, topic=topic, error="KeyError") == 1


def test_dead_letters_are_counted_by_source_topic_and_reason() -> None:
    topic = f"t-{uuid.uuid4().hex[:6]}"
    dead_lettered("router", topic, "no-owner")
    labels = {"agent": "router", "topic": topic, "reason": "no-owner"}
    assert _value("bus_events_dead_lettered_total", **labels) == 1
