"""Drive a scenario through the router and check what came out where.

It publishes the assistants' events, plays the agency services (answering
each service request in their inboxes with status updates), reads every
output topic and compares the deliveries with the scenario's expectations.
The demo prints its findings; the routing tests assert there are no problems.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bus.catalogue import Catalogue
from bus.client import Publisher
from bus.demo.scenario import Scenario, status_updates
from bus.errors import BusError
from bus.kafka.admin import ensure_topics
from bus.lifecycle import AsyncResource
from bus.schemas.event import Event
from bus.schemas.types import REDIRECTED, SERVICE_REQUEST
from bus.schemas.types import SERVICE_REQUEST_CREATED as CREATED
from bus.settings import Settings
from bus.supervise import Service


@dataclass
class Observed:
    """What arrived where: (topic, event id) counts and each topic's order per conversation."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    order: dict[tuple[str, bytes], list[str]] = field(default_factory=lambda: defaultdict(list))
    types: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    answered: set[str] = field(default_factory=set)
    updates: set[str] = field(default_factory=set)
    redirected: Counter[str] = field(default_factory=Counter)
    written_ms: list[int] = field(default_factory=list)
    """When each new delivery was written (its Kafka timestamp), to time a recovery."""

    def duplicates(self) -> int:
        return sum(self.counts.values()) - len(self.counts)

    def first_written_after(self, moment_s: float) -> float | None:
        """Seconds from ``moment_s`` (Unix time) to the first delivery written after it."""
        later = [ms / 1000 for ms in self.written_ms if ms / 1000 > moment_s]
        return min(later) - moment_s if later else None


class Harness(AsyncResource):
    def __init__(self, settings: Settings, catalogue: Catalogue, scenario: Scenario) -> None:
        self.settings = settings
        self.catalogue = catalogue
        self.scenario = scenario
        self.observed = Observed()
        self.update_requests: dict[str, str] = {}
        self.publisher = Publisher(settings)
        self.partitions = {spec.name: spec.partitions for spec in catalogue.topic_specs()}
        authorities = catalogue.authorities.values()
        self.outputs = sorted(
            {a.inbox for a in authorities}
            | {a.assistant_topic for a in authorities}
            | {catalogue.topics.dead_letters}
        )
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.bootstrap_servers,
            enable_auto_commit=False,
            isolation_level="read_committed",
            max_poll_records=2000,
        )
        self.wanted = {
            (topic, eid) for eid, topics in scenario.expected.items() for topic in topics
        } | {(catalogue.topics.dead_letters, eid) for eid in scenario.dead}

    async def start(self) -> None:
        await ensure_topics(self.settings.bootstrap_servers, self.catalogue.topic_specs())
        await self.publisher.start()
        await self.consumer.start()
        partitions = [
            TopicPartition(topic, p)
            for topic in self.outputs
            for p in range(self.partitions[topic])
        ]
        self.consumer.assign(partitions)
        await self.consumer.seek_to_end(*partitions)

    async def stop(self) -> None:
        await self.consumer.stop()
        await self.publisher.stop()

    async def publish(self, events: list[Event]) -> None:
        await self.publisher.publish_many(self.catalogue.topics.assistant_events, events)

    async def publish_poison(self, value: bytes = b"garbage: not an Avro event") -> None:
        producer = AIOKafkaProducer(bootstrap_servers=self.settings.bootstrap_servers)
        await producer.start()
        try:
            topic = self.catalogue.topics.assistant_events
            await producer.send_and_wait(topic, value, key=b"poison")
        finally:
            await producer.stop()

    def progress(self) -> float:
        return len(self.wanted & set(self.observed.counts)) / max(1, len(self.wanted))

    def shortfall(self) -> str:
        seen = self.observed
        missing = sorted(self.wanted - set(seen.counts))
        return (
            f"{len(missing)} deliveries missing (e.g. {missing[:3]}); "
            f"{len(seen.updates)}/{2 * len(self.scenario.requests)} status updates; "
            f"{sum(seen.redirected.values())}/{3 * len(self.scenario.redirects)} redirects; "
            f"dead letters {dict(Counter(seen.reasons.values()))}; "
            f"requests without both updates: {self.unanswered()[:3]}"
        )

    def unanswered(self) -> list[str]:
        back = Counter(seen for seen in self.update_requests.values())
        return [request for request in self.scenario.requests if back[request] < 2]

    def done(self) -> bool:
        return (
            self.wanted <= set(self.observed.counts)
            and len(self.observed.updates) >= 2 * len(self.scenario.requests)
            and sum(self.observed.redirected.values()) >= 3 * len(self.scenario.redirects)
        )

    async def read_until_done(self, workers: list[Service], timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not self.done():
            if not any(worker.running for worker in workers):
                logs = "\n".join(w.log_tail(30) for w in workers)
                raise BusError(f"every worker has stopped:\n{logs}")
            if time.monotonic() > deadline:
                logs = "\n".join(w.log_tail(15) for w in workers)
                raise BusError(f"not done after {timeout_s:.0f}s: {self.shortfall()}\n{logs}")
            await self.read_once()

    async def read_once(self) -> None:
        batches = await self.consumer.getmany(timeout_ms=500)
        for tp, messages in batches.items():
            for message in messages:
                await self._observe(tp.topic, message)

    async def _observe(self, topic: str, message: object) -> None:
        headers = {k: (v or b"").decode() for k, v in message.headers}  # type: ignore[attr-defined]
        offset = message.offset  # type: ignore[attr-defined]
        eid = headers.get("ce_id") or f"raw@{topic}:{offset}"
        kind = headers.get("ce_type", "")
        seen = self.observed
        seen.counts[(topic, eid)] += 1
        seen.types[eid] = kind
        if seen.counts[(topic, eid)] > 1:
            return
        seen.order[(topic, message.key or b"")].append(eid)  # type: ignore[attr-defined]
        seen.written_ms.append(message.timestamp)  # type: ignore[attr-defined]
        if "bus_dlq_reason" in headers:
            seen.reasons[eid] = headers["bus_dlq_reason"]
        elif kind == REDIRECTED and eid not in self.scenario.expected:
            seen.redirected[topic] += 1
        elif kind.startswith(SERVICE_REQUEST) and kind != CREATED:
            seen.updates.add(eid)
            update = await self.publisher.codec.decode_async(message.value)  # type: ignore[attr-defined]
            self.update_requests[eid] = str(update.header.get("request_id"))
        elif kind == CREATED and eid not in seen.answered:
            seen.answered.add(eid)
            await self._answer(message.value, topic)  # type: ignore[attr-defined]

    async def _answer(self, value: bytes, inbox: str) -> None:
        """Play the agency service that owns ``inbox``."""
        created = await self.publisher.codec.decode_async(value)
        provider = next(a for a in self.catalogue.authorities.values() if a.inbox == inbox)
        for type_name, fields in status_updates(created, provider):
            await self.publisher.publish_status_update(
                self.catalogue.topics.service_updates,
                created,
                type_name,
                source=f"service:{provider.code}",
                **fields,
            )

    def problems(self) -> list[str]:
        """Every way the deliveries differ from the scenario; empty when all is right."""
        found: list[str] = []
        seen, scenario = self.observed, self.scenario
        delivered: dict[str, set[str]] = defaultdict(set)
        for topic, eid in seen.counts:
            delivered[eid].add(topic)
        for eid, topics in scenario.expected.items():
            if delivered.get(eid, set()) != topics:
                found.append(
                    f"event {eid} went to {sorted(delivered.get(eid, set()))}, "
                    f"expected {sorted(topics)}"
                )
        for eid, reason in scenario.dead.items():
            if seen.reasons.get(eid) != reason:
                found.append(
                    f"event {eid}: dead-letter reason {seen.reasons.get(eid)!r}, "
                    f"expected {reason!r}"
                )
        if len(seen.redirected) and sum(seen.redirected.values()) != 3 * len(scenario.redirects):
            found.append(
                f"{sum(seen.redirected.values())} Redirected deliveries, expected "
                f"{3 * len(scenario.redirects)}"
            )
        position = {event.id: index for index, event in enumerate(scenario.events)}
        for (topic, key), ids in seen.order.items():
            order = [position[eid] for eid in ids if eid in position]
            if order != sorted(order):
                found.append(f"order broken for conversation {key!r} on {topic}")
        return found
