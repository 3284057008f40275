"""Realistic events for the bench: the demo's citizens' conversations, encoded once.

``bus.demo.scenario`` builds conversations of every kind (answered,
redirected, service requests, unroutable); the workload keeps the first N
events and knows which of them the router delivers somewhere.
"""

from __future__ import annotations

import asyncio
import math
import statistics
from dataclasses import dataclass

from confluent_kafka import Producer

from bus.catalogue import Catalogue
from bus.client import Publisher
from bus.demo.scenario import build
from bus.errors import BusError
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
    routed = {event.id or "" for event in events if scenario.expected.get(event.id or "")}
    return Workload(events, records, routed)


def wire_record(codec: AvroCodec, settings: Settings, event: Event) -> Record:
    """Key, wire bytes and CloudEvents headers, as ``bus.client.Publisher`` sends them."""
    writer = codec.writer(event.type)
    uri = dataschema(settings.schema_registry_url, writer.subject, writer.version)
    return event.key, codec.encode(event), ce_headers(event, uri)


async def produce(bootstrap_servers: str, topic: str, records: list[Record]) -> None:
    """Fill a topic as fast as librdkafka goes (in the background: a thread of its own)."""
    await asyncio.to_thread(_produce, bootstrap_servers, topic, records)


def producer(bootstrap_servers: str) -> Producer:
    """A producer that puts each key where ``bus.client.Publisher`` does (murmur2)."""
    return Producer(
        {
            "bootstrap.servers": bootstrap_servers,
            "acks": "all",
            "linger.ms": 20,
            "batch.size": 256 * 1024,
            "partitioner": "murmur2_random",
        }
    )


def send(producer: Producer, topic: str, record: Record) -> None:
    key, value, headers = record
    pairs: list[tuple[str, str | bytes | None]] = list(headers)
    while True:
        try:
            producer.produce(topic, value, key, headers=pairs)
            return
        except BufferError:  # the local queue is full: let deliveries drain it
            producer.poll(0.05)


def _produce(bootstrap_servers: str, topic: str, records: list[Record]) -> None:
    sender = producer(bootstrap_servers)
    for record in records:
        send(sender, topic, record)
    if sender.flush(60):
        raise BusError(f"not every record to {topic} was acknowledged in 60s")
