"""Metrics of the worker's processors, fed by the loop so the processors stay thin.

The label ``agent`` names the processor (router, auditor, audit-chain,
escalator, echo), as the dashboards and alerts expect.
"""

from __future__ import annotations

import time
from typing import Any

from confluent_kafka import KafkaError

from bus.metrics.definitions import (
    DELIVERY_LATENCY_SECONDS,
    EVENTS_CONSUMED,
    EVENTS_DEAD_LETTERED,
    EVENTS_FAILED,
    EVENTS_ROUTED,
    PROCESSING_SECONDS,
)
from bus.metrics.labels import Vocabulary, event_time, header_values

vocabulary = Vocabulary()
"""The worker's label values; ``bus.metrics.worker.vocabulary`` sets it at start."""

_children: dict[tuple[Any, ...], Any] = {}


def _child(metric: Any, *labels: str) -> Any:
    """``metric.labels(*labels)``, looked up once: prometheus-client checks and locks each call."""
    key = (metric, *labels)
    child = _children.get(key)
    if child is None:
        child = _children[key] = metric.labels(*labels)
    return child


class ProcessorMetrics:
    """One processor's counters, with the label lookups done once per label set."""

    def __init__(self, agent: str) -> None:
        self.agent = agent
        self._processing = _child(PROCESSING_SECONDS, agent)

    def consumed(self, record: Any) -> None:
        ce_type = b""
        for key, value in record.headers:
            if key == "ce_type":
                ce_type = value
                break
        event_type = vocabulary.event_type(ce_type.decode(errors="replace"))
        _child(EVENTS_CONSUMED, self.agent, record.topic, event_type).inc()

    def processed(self, seconds: float) -> None:
        self._processing.observe(seconds)

    def failed(self, topic: str, error: str) -> None:
        _child(EVENTS_FAILED, self.agent, topic, error).inc()

    def dead_lettered(self, topic: str, reason: str) -> None:
        dead_lettered(self.agent, topic, reason)

    def delivery(self, record: Any, topic: str, headers: Any) -> Any:
        """A delivery report callback counting the output as routed, with its latency."""
        values = header_values(headers)
        event_type = vocabulary.event_type(values.get("ce_type", b"").decode(errors="replace"))
        since = event_time(values)
        if since is None and record.timestamp is not None:
            since = record.timestamp / 1000
        routed = _child(EVENTS_ROUTED, self.agent, topic, vocabulary.authority(topic), event_type)
        latency = _child(DELIVERY_LATENCY_SECONDS, self.agent)
        failed = (self.agent, record.topic)

        def delivered(error: KafkaError | None, message: Any) -> None:
            if error is not None:
                _child(EVENTS_FAILED, *failed, error.name()).inc()
                return
            routed.inc()
            if since is not None:
                latency.observe(max(0.0, time.time() - since))

        return delivered


def dead_lettered(agent: str, topic: str, reason: str) -> None:
    _child(EVENTS_DEAD_LETTERED, agent, topic, reason).inc()
