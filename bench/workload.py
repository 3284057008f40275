"""Realistic events for the bench: the demo's citizens' conversations, encoded once.

``bus.demo.scenario`` builds conversations of every kind (answered,
redirected, service requests, unroutable); the workload keeps the first N
events and knows how many records the router must write for them.
"""

from __future__ import annotations

import asyncio
import math
import statistics
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer

from bus.catalogue import Catalogue
from bus.client import Publisher
from bus.demo.scenario import build
from bus.schemas.cloudevents import Headers, ce_headers, dataschema
from bus.schemas.codec import AvroCodec
from bus.schemas.event import Event
from bus.settings import Settings

Record = tuple[bytes | None, bytes, Headers]
EVENTS_PER_CONVERSATION = 4.4


@dataclass
class Workload:
    events: list[Event]
    records: list[Record]
    outputs: int
    """Records the router writes for these events: deliveries plus dead letters."""
    routed: set[str]
    """Ids of the events that reach at least one inbox or assistant topic."""

    def __len__(self) -> int:
        return len(self.events)

    def sizes(self) -> dict[str, float]:
        values = [len(value) for _, value, _ in self.records]
        headers = [sum(len(k) + len(v) for k, v in h) for _, _, h in self.records]
        return {
            "value_bytes_mean": round(statistics.fmean(values), 1),
            "value_bytes_min": min(values),
            "value_bytes_max": max(values),
            "headers_bytes_mean": round(statistics.fmean(headers), 1),
        }


async def build_workload(settings: Settings, catalogue: Catalogue, count: int) -> Workload:
    """The first ``count`` events of a scenario, in the wire format with CloudEvents headers."""
    conversations = math.ceil(count / EVENTS_PER_CONVERSATION) + 10
    scenario = build(catalogue, conversations, seed=9)
    while len(scenario.events) < count:
        conversations *= 2
        scenario = build(catalogue, conversations, seed=9)
    events = scenario.events[:count]
    async with Publisher(settings) as publisher:
        records = [wire_record(publisher.codec, settings, event) for event in events]
    outputs = 0
    routed = set()
    for event in events:
        topics = scenario.expected.get(event.id or "")
        if topics:
            outputs += len(topics)
            routed.add(event.id or "")
        else:
            outputs += 1  # a dead letter
    return Workload(events, records, outputs, routed)


def wire_record(codec: AvroCodec, settings: Settings, event: Event) -> Record:
    """Key, wire bytes and CloudEvents headers, as ``bus.client.Publisher`` sends them."""
    writer = codec.writer(event.type)
    uri = dataschema(settings.schema_registry_url, writer.subject, writer.version)
    return event.key, codec.encode(event), ce_headers(event, uri)


async def produce(bootstrap_servers: str, topic: str, records: list[Record]) -> None:
    """Fill a topic as fast as the producer goes, in order per key."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers, acks="all", linger_ms=20, max_batch_size=262144
    )
    await producer.start()
    try:
        chunk = 5000
        for start in range(0, len(records), chunk):
            pending = [
                await producer.send(topic, value, key=key, headers=headers)
                for key, value, headers in records[start : start + chunk]
            ]
            await asyncio.gather(*pending)
    finally:
        await producer.stop()
