"""Metrics of the Faust agents, fed from the edges so the agents stay thin.

- ``observed(stream.events(), agent)`` wraps an agent's stream: it counts what
  the agent reads, times each message and notices a message the handler
  abandoned (it raised).
- ``DeliverySensor`` is a Faust sensor: every send an agent makes while
  handling a message is counted, once Kafka acknowledges it, as routed, with
  its end-to-end latency; a refused send counts as failed.
- ``dead_lettered`` counts a dead letter by source topic and reason.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

import faust

from bus.metrics.definitions import (
    DELIVERY_LATENCY_SECONDS,
    EVENTS_CONSUMED,
    EVENTS_DEAD_LETTERED,
    EVENTS_FAILED,
    EVENTS_ROUTED,
    PROCESSING_SECONDS,
)
from bus.metrics.labels import Vocabulary, event_time, header_values

T = TypeVar("T")
ABANDONED = "abandoned"  # the handler stopped (raised) before finishing the message

vocabulary = Vocabulary()


@dataclass
class InFlight:
    """The message an agent is handling in this task."""

    agent: str
    topic: str
    partition: int
    offset: int
    timestamp_s: float | None


@dataclass(frozen=True)
class _Send:
    agent: str
    source_topic: str
    topic: str
    event_type: str
    since_s: float | None


_current: ContextVar[InFlight | None] = ContextVar("bus_metrics_in_flight", default=None)
# The next offset to process per (topic, partition), from the messages the agents finished.
processed: dict[tuple[str, int], int] = {}


_children: dict[tuple[Any, ...], Any] = {}


def _child(metric: Any, *labels: str) -> Any:
    """``metric.labels(*labels)``, looked up once: prometheus-client checks and locks each call."""
    key = (metric, *labels)
    child = _children.get(key)
    if child is None:
        child = _children[key] = metric.labels(*labels)
    return child


async def observed(events: AsyncIterator[T], agent: str) -> AsyncIterator[T]:
    """Yield the stream's events unchanged, measuring each one's handling."""
    async for item in events:
        message: Any = getattr(item, "message", None)
        if message is None:
            yield item
            continue
        flight = InFlight(
            agent, message.topic, message.partition, message.offset, message.timestamp or None
        )
        ce_type = header_values(message.headers).get("ce_type", b"").decode(errors="replace")
        _child(EVENTS_CONSUMED, agent, message.topic, vocabulary.event_type(ce_type)).inc()
        _current.set(flight)
        started = time.perf_counter()
        try:
            yield item
        except GeneratorExit:
            # Closed while a message was in hand: the agent's handler raised.
            EVENTS_FAILED.labels(agent, message.topic, ABANDONED).inc()
            raise
        _child(PROCESSING_SECONDS, agent).observe(time.perf_counter() - started)
        processed[(message.topic, message.partition)] = message.offset + 1
        _current.set(None)


def dead_lettered(agent: str, topic: str, reason: str) -> None:
    EVENTS_DEAD_LETTERED.labels(agent, topic, reason).inc()


def in_flight() -> InFlight | None:
    """The message the current task's agent is handling, if any."""
    return _current.get()


def delivery_started(topic: str, headers: Any) -> _Send | None:
    """What to count once Kafka acknowledges a send the current agent makes to ``topic``."""
    flight = _current.get()
    if flight is None or topic in vocabulary.dead_letter_topics:
        return None
    values = header_values(headers)
    ce_type = values.get("ce_type", b"").decode(errors="replace")
    since = event_time(values) or flight.timestamp_s
    return _Send(flight.agent, flight.topic, topic, vocabulary.event_type(ce_type), since)


def delivered(state: _Send) -> None:
    authority = vocabulary.authority(state.topic)
    _child(EVENTS_ROUTED, state.agent, state.topic, authority, state.event_type).inc()
    if state.since_s is not None:
        _child(DELIVERY_LATENCY_SECONDS, state.agent).observe(max(0.0, time.time() - state.since_s))


def not_delivered(state: _Send, exc: BaseException) -> None:
    EVENTS_FAILED.labels(state.agent, state.source_topic, type(exc).__name__).inc()


def on_acknowledged(state: _Send | None, future: Any) -> None:
    """A done-callback for a producer's future, for sends made without Faust's sensors."""
    if state is None:
        return
    if future.cancelled():
        not_delivered(state, asyncio.CancelledError())
    elif future.exception() is not None:
        not_delivered(state, future.exception())
    else:
        delivered(state)


class DeliverySensor(faust.Sensor):
    """Counts the agents' deliveries when Kafka acknowledges them."""

    def on_send_initiated(
        self, producer: Any, topic: str, message: Any, keysize: int, valsize: int
    ) -> _Send | None:
        return delivery_started(topic, message.headers)

    def on_send_completed(self, producer: Any, state: Any, metadata: Any) -> None:
        if isinstance(state, _Send):
            delivered(state)

    def on_send_error(self, producer: Any, exc: BaseException, state: Any) -> None:
        if isinstance(state, _Send):
            not_delivered(state, exc)

    def on_rebalance_start(self, app: Any) -> dict[str, Any]:
        processed.clear()  # partitions may move to another worker
        return {}
