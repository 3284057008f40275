"""The router: Kafka in and out around ``bus.routing.route``.

It reads the assistants' topic and the agency services' status-update topic
(co-partitioned, both keyed by conversation id), keeps each conversation's
state in a store, forwards the original bytes to each destination and sends
what it cannot route to the dead-letter topic.
"""

from __future__ import annotations

import json

from bus.catalogue import Catalogue
from bus.errors import ConfigurationError, DecodeError
from bus.routing import Origin, SubjectState, route
from bus.schemas.runtime import Runtime
from bus.worker.outputs import Outputs
from bus.worker.processor import Processor
from bus.worker.record import Record
from bus.worker.state import Store

STORE = "router-subjects"


class Router(Processor):
    name = "router"

    def __init__(
        self, catalogue: Catalogue, runtime: Runtime, outputs: Outputs, changelog: str
    ) -> None:
        topics = catalogue.topics
        co_partitions(catalogue, (topics.assistant_events, topics.service_updates))
        self.reads = (topics.assistant_events, topics.service_updates)
        self.subjects: Store[SubjectState] = Store(STORE, changelog, _dump, _load)
        self.stores = (self.subjects,)
        self.catalogue = catalogue
        self.runtime = runtime
        self.outputs = outputs
        self.service_updates = topics.service_updates
        self.dead_letters = topics.dead_letters

    async def process(self, record: Record) -> None:
        origin: Origin = "service" if record.topic == self.service_updates else "assistant"
        try:
            event = await self.runtime.decode(record.value or b"")
        except DecodeError as exc:
            self._reject(record, exc.reason, str(exc))
            return
        subject = event.subject
        if subject is None or record.key != subject.encode():
            self._reject(
                record,
                "wrong-key",
                f"the Kafka key must be the conversation id (or request id) "
                f"{event.subject!r}, not {record.key!r}, to keep the conversation in order",
            )
            return
        state = self.subjects.get(record.partition, subject) or SubjectState()
        decision = route(event, origin, state, self.catalogue, record.position)
        for delivery in decision.deliveries:
            if delivery.event is None:
                value, headers = record.value, record.headers
            else:
                value, headers = self.runtime.wire(delivery.event)
            self.outputs.send(delivery.topic, record.key, value, headers)
            self.metrics.routed(
                delivery.topic, None if delivery.event is None else delivery.event.type
            )
        if decision.dead_letter is not None:
            self._reject(record, decision.dead_letter, decision.error)
        elif not decision.duplicate:
            self.subjects.put(record.partition, subject, state)

    def _reject(self, record: Record, reason: str, error: str) -> None:
        self.outputs.dead_letter(self.dead_letters, record, reason, error, self.name)


def co_partitions(catalogue: Catalogue, names: tuple[str, ...]) -> int:
    """A store keyed by conversation spans these topics: they must be partitioned alike."""
    specs = {spec.name: spec for spec in catalogue.topic_specs()}
    counts = {specs[name].partitions for name in names}
    if len(counts) != 1:
        raise ConfigurationError(
            f"{', '.join(names)} must have the same number of partitions (one store keyed "
            f"by conversation spans them); got {sorted(counts)}"
        )
    return counts.pop()


def _dump(state: SubjectState) -> bytes:
    return json.dumps(state.to_json(), separators=(",", ":")).encode()


def _load(raw: bytes) -> SubjectState:
    return SubjectState.from_json(json.loads(raw))
