"""The router agent: Kafka in and out around ``bus.routing.route``.

It reads the assistants' topic and the agency services' status-update topic
(co-partitioned, both keyed by conversation id), keeps per-conversation state
in a Faust table, forwards the original bytes to each destination and sends
what it cannot route to the dead-letter topic.
"""

from __future__ import annotations

import logging
from typing import Any

from bus.app.runtime import Runtime
from bus.app.stream import events, send_dead_letter
from bus.catalogue import Catalogue
from bus.errors import ConfigurationError, DecodeError
from bus.routing import Decision, Origin, SubjectState, route

NAME = "router"
TABLE = "router-subjects"
log = logging.getLogger(__name__)


def register(app: Any, runtime: Runtime, catalogue: Catalogue) -> None:
    topics = catalogue.topics
    partitions = _co_partitions(catalogue)
    raw = {"key_serializer": "raw", "value_serializer": "raw"}
    source = app.topic(topics.assistant_events, topics.service_updates, **raw)
    dead_letters = app.topic(topics.dead_letters, **raw)
    outputs: dict[str, Any] = {}
    subjects = app.Table(TABLE, default=None, partitions=partitions)

    def output(name: str) -> Any:
        if name not in outputs:
            outputs[name] = app.topic(name, **raw)
        return outputs[name]

    async def router(stream: Any) -> None:
        async for item in events(stream, runtime, NAME):
            message = item.message
            origin: Origin = "service" if message.topic == topics.service_updates else "assistant"
            try:
                event = await runtime.decode(message.value)
            except DecodeError as exc:
                await send_dead_letter(dead_letters, message, exc.reason, str(exc), NAME)
                continue
            if event.key is None or message.key != event.key:
                await send_dead_letter(
                    dead_letters,
                    message,
                    "wrong-key",
                    f"the Kafka key must be the conversation id (or request id) "
                    f"{event.subject!r}, not {message.key!r}, to keep the conversation in order",
                    NAME,
                )
                continue
            state = SubjectState.from_json(subjects.get(event.subject))
            position = f"{message.topic}:{message.partition}:{message.offset}"
            decision = route(event, origin, state, catalogue, position)
            await _deliver(decision, message, output, runtime)
            if decision.dead_letter is not None:
                await send_dead_letter(
                    dead_letters, message, decision.dead_letter, decision.error, NAME
                )
            elif not decision.duplicate:
                subjects[event.subject] = state.to_json()

    app.agent(source, name=NAME)(router)


async def _deliver(decision: Decision, message: Any, output: Any, runtime: Runtime) -> None:
    for delivery in decision.deliveries:
        topic = output(delivery.topic)
        if delivery.event is None:
            await topic.send(key=message.key, value=message.value, headers=message.headers)
        else:
            value, headers = await runtime.encode(delivery.event)
            await topic.send(key=message.key, value=value, headers=headers)


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
