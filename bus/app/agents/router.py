"""The router agent: Kafka in and out around ``bus.routing.route``.

It reads the assistants' topic and the agency services' status-update topic
(co-partitioned, both keyed by conversation id), keeps per-conversation state
in a Faust table, forwards the original bytes to each destination and sends
what it cannot route to the dead-letter topic.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from bus.app.batches import MAX_BATCH, at_hand, buffered
from bus.app.direct import producer_of, send
from bus.app.runtime import Runtime
from bus.app.stream import send_dead_letter
from bus.catalogue import Catalogue
from bus.errors import ConfigurationError, DecodeError
from bus.metrics.agents import observed
from bus.routing import Decision, Origin, SubjectState, route
from bus.routing.batch import BatchStates

NAME = "router"
TABLE = "router-subjects"
log = logging.getLogger(__name__)


def register(app: Any, runtime: Runtime, catalogue: Catalogue) -> None:
    topics = catalogue.topics
    partitions = _co_partitions(catalogue)
    raw = {"key_serializer": "raw", "value_serializer": "raw"}
    source = app.topic(topics.assistant_events, topics.service_updates, **raw)
    dead_letters = app.topic(topics.dead_letters, **raw)
    # Values are the state's JSON as bytes ("raw"), read and written by the router itself: the same
    # bytes Faust's "json" serializer wrote before, without its codec layers on every access.
    subjects = app.Table(TABLE, default=None, partitions=partitions, value_type=bytes)

    async def router(stream: Any) -> None:
        # Messages are acked by hand once their batch's state is written, so a commit
        # never covers a message whose decision is not on record.
        stream.enable_acks = False
        async for batch in at_hand(stream.events(), buffered(stream), MAX_BATCH):
            await _route(batch, stream)
            # An idle router keeps no message alive: a stop waits until every message
            # handed over is acked or gone, and another agent may not ack it (a skip).
            del batch

    async def _route(batch: list[Any], stream: Any) -> None:
        states: BatchStates[Any] = BatchStates(lambda subject: _load(subjects, subject))
        producer = await producer_of(app)
        handled: list[Any] = []
        async for item in observed(_current(batch, app), NAME):
            stream._set_current_event(item)  # the table's partition is the message's
            await _handle(item, states, producer)
            handled.append(item)
        for subject, state, item in states.changes():
            stream._set_current_event(item)
            subjects[subject] = _dump(state)
        for item in handled:
            stream._set_current_event(item)  # an ack of a handled event, not a skip
            await stream.ack(item)
        stream._set_current_event(None)

    async def _handle(item: Any, states: BatchStates[Any], producer: Any) -> None:
        message = item.message
        origin: Origin = "service" if message.topic == topics.service_updates else "assistant"
        try:
            event = await runtime.decode(message.value)
        except DecodeError as exc:
            await send_dead_letter(dead_letters, message, exc.reason, str(exc), NAME)
            return
        subject = event.subject
        if subject is None or message.key != subject.encode():
            await send_dead_letter(
                dead_letters,
                message,
                "wrong-key",
                f"the Kafka key must be the conversation id (or request id) "
                f"{event.subject!r}, not {message.key!r}, to keep the conversation in order",
                NAME,
            )
            return
        state = states.get(subject)
        position = f"{message.topic}:{message.partition}:{message.offset}"
        decision = route(event, origin, state, catalogue, position)
        await _deliver(decision, message, producer, runtime)
        if decision.dead_letter is not None:
            reason, error = decision.dead_letter, decision.error
            await send_dead_letter(dead_letters, message, reason, error, NAME)
        elif not decision.duplicate:
            states.changed(subject, item)

    app.agent(source, name=NAME)(router)


async def _deliver(decision: Decision, message: Any, producer: Any, runtime: Runtime) -> None:
    for delivery in decision.deliveries:
        if delivery.event is None:
            await send(producer, delivery.topic, message.key, message.value, message.headers)
        else:
            value, headers = await runtime.encode(delivery.event)
            await send(producer, delivery.topic, message.key, value, headers)


def _load(subjects: Any, subject: str) -> SubjectState:
    # The store itself: one RocksDB lookup, where the table's ``get`` makes two.
    raw = subjects.data.get(subject)
    return SubjectState.from_json(json.loads(raw) if raw else None)


def _dump(state: SubjectState) -> bytes:
    return json.dumps(state.to_json(), separators=(",", ":")).encode()


async def _current(batch: list[Any], app: Any) -> AsyncIterator[Any]:
    """The batch's messages of the consumer's current generation.

    Those read before a rebalance are read again from the committed offsets,
    so they are neither handled (under exactly-once their outputs would join
    the new transactions) nor acked; those read after it are handled.
    """
    for item in batch:
        if item.message.generation_id == app.consumer_generation_id:
            yield item


def _co_partitions(catalogue: Catalogue) -> int:
    """The table's changelog must be partitioned like both of the agent's source topics."""
    specs = {spec.name: spec for spec in catalogue.topic_specs()}
    counts = {
        specs[name].partitions
        for name in (catalogue.topics.assistant_events, catalogue.topics.service_updates)
    }
    if len(counts) != 1:
        raise ConfigurationError(
            f"{catalogue.topics.assistant_events} and {catalogue.topics.service_updates} must "
            f"have the same number of partitions (the router joins them by key); got {counts}"
        )
    return counts.pop()
