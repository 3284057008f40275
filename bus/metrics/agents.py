"""Metrics of the worker's processors, fed by the loop so the processors stay thin.

The label ``agent`` names the processor (router, auditor, audit-chain,
escalator, echo), as the dashboards and alerts expect.
"""

from __future__ import annotations

import time
from typing import Any

from bus.metrics.definitions import (
    DELIVERY_LATENCY_SECONDS,
    EVENTS_CONSUMED,
    EVENTS_DEAD_LETTERED,
    EVENTS_FAILED,
    EVENTS_ROUTED,
    PROCESSING_SECONDS,
    UNKNOWN,
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
    """One processor's counters, cheap on the hot path.

    Outputs are tallied in plain dicts while records are handled and reach
    Prometheus when the loop commits them (``committed``): a delivery counts
    once it is on record for good (acknowledged, and under exactly-once in a
    committed transaction), and its latency runs from its source event's own
    time to that commit (one observation per delivery). An aborted transaction's tallies are dropped
    (``discard``).
    """

    def __init__(self, agent: str) -> None:
        self.agent = agent
        self._processing = _child(PROCESSING_SECONDS, agent)
        self._latency = _child(DELIVERY_LATENCY_SECONDS, agent)
        self._record: Any = None
        self._type = UNKNOWN
        self._since: float | None = None
        self._routed: dict[tuple[str, str], int] = {}
        self._since_list: list[float] = []

    def consumed(self, record: Any) -> None:
        ce_type = b""
        for key, value in record.headers:
            if key == "ce_type":
                ce_type = value
                break
        self._record, self._since = record, None
        self._type = vocabulary.event_type(ce_type.decode(errors="replace"))
        _child(EVENTS_CONSUMED, self.agent, record.topic, self._type).inc()

    def processed(self, seconds: float) -> None:
        self._processing.observe(seconds)

    def routed(self, topic: str, type_name: str | None = None) -> None:
        """An output of the record in hand (``type_name``: a new event's, else the record's)."""
        label = self._type if type_name is None else vocabulary.event_type(type_name)
        key = (topic, label)
        self._routed[key] = self._routed.get(key, 0) + 1
        if self._since is None:
            self._since = _event_time(self._record)
        if self._since is not None:
            self._since_list.append(self._since)

    def committed(self) -> None:
        if self._routed:
            for (topic, label), count in self._routed.items():
                authority = vocabulary.authority(topic)
                _child(EVENTS_ROUTED, self.agent, topic, authority, label).inc(count)
            self._routed = {}
        if self._since_list:
            now = time.time()
            for since in self._since_list:
                self._latency.observe(max(0.0, now - since))
            self._since_list = []

    def discard(self) -> None:
        self._routed, self._since_list = {}, []

    def failed(self, topic: str, error: str) -> None:
        failed(self.agent, topic, error)


def _event_time(record: Any) -> float | None:
    """The event's own time (``ce_time``), else its Kafka timestamp, as Unix seconds."""
    since = event_time(header_values(record.headers))
    if since is None and record.timestamp is not None:
        since = record.timestamp / 1000
    return since


def dead_lettered(agent: str, topic: str, reason: str) -> None:
    _child(EVENTS_DEAD_LETTERED, agent, topic, reason).inc()


def failed(agent: str, topic: str, error: str) -> None:
    _child(EVENTS_FAILED, agent, topic, error).inc()
