"""Run the bus end to end on a local Kafka and print what happened.

It starts what is not running yet (Kafka, the registry, a worker), sends the
simulated assistants' conversations and a few poison messages through the
echo agent, reads everything back and stops what it started.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter, defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from urllib.parse import urlparse

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bus.app.factory import worker_topics
from bus.client import Publisher
from bus.deadletters import DeadLetter
from bus.demo.traffic import ASSISTANTS, conversations
from bus.errors import BusError
from bus.kafka.admin import ensure_topics
from bus.kafka.local import LocalKafka, answers_metadata
from bus.schemas.event import Event
from bus.schemas.wire import frame
from bus.settings import Settings
from bus.supervise import Service, http_ok, start_bus

CONVERSATIONS_PER_ASSISTANT = 10
READ_TIMEOUT_S = 120.0


@dataclass
class Outcome:
    published: list[Event] = field(default_factory=list)
    echoed: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    latencies_ms: list[float] = field(default_factory=list)
    types: Counter[str] = field(default_factory=Counter)
    dead_letters: list[DeadLetter] = field(default_factory=list)

    @property
    def order_kept(self) -> bool:
        sent: dict[str, list[str]] = defaultdict(list)
        for event in self.published:
            sent[event.subject or ""].append(event.id or "")
        return all(self.echoed.get(cid) == ids for cid, ids in sent.items())


def run_demo(settings: Settings) -> int:
    with ExitStack() as started:
        kafka_note = _ensure_kafka(settings, started)
        asyncio.run(ensure_topics(settings.bootstrap_servers, worker_topics(settings)))
        registry_note = _ensure_registry(settings, started)
        log_dir = settings.home / "demo"
        worker = start_bus("worker", ["worker"], _env(settings), log_dir)
        started.callback(worker.stop)
        print("agency assistant bus demo")
        print(f"  kafka     {kafka_note}")
        print(f"  registry  {registry_note}")
        print(f"  worker    pid {worker.process.pid}, log {worker.log_file}")
        outcome, warmup_s = asyncio.run(_exchange(settings, worker))
        return _report(outcome, warmup_s)


def _env(settings: Settings) -> dict[str, str]:
    return {
        "BUS_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "BUS_SCHEMA_REGISTRY_URL": settings.schema_registry_url,
        "BUS_APP_ID": settings.app_id,
    }


def _ensure_kafka(settings: Settings, started: ExitStack) -> str:
    if asyncio.run(answers_metadata(settings.bootstrap_servers)):
        return f"{settings.bootstrap_servers} (already running)"
    host, _, port = settings.bootstrap_servers.split(",")[0].rpartition(":")
    if host not in ("127.0.0.1", "localhost"):
        raise BusError(
            f"no Kafka answers at {settings.bootstrap_servers}; check BUS_BOOTSTRAP_SERVERS"
        )
    node = LocalKafka(settings.home, port=int(port), heap=settings.kafka_heap)
    status = node.start()
    started.callback(node.stop)
    return f"{status.version} at {status.bootstrap_servers} (started for the demo)"


def _ensure_registry(settings: Settings, started: ExitStack) -> str:
    url = settings.schema_registry_url.rstrip("/")
    if http_ok(url + "/subjects")():
        return f"{url} (already running)"
    port = urlparse(url).port or 8081
    registry = start_bus(
        "registry",
        ["registry", "serve", "--port", str(port)],
        _env(settings),
        settings.home / "demo",
    )
    started.callback(registry.stop)
    registry.wait_until(http_ok(url + "/subjects"), timeout_s=60)
    return f"{url} (started for the demo)"


async def _exchange(settings: Settings, worker: Service) -> tuple[Outcome, float]:
    outcome = Outcome()
    async with Publisher(settings) as publisher:
        reader = _Reader(settings)
        await reader.start()
        try:
            began = time.monotonic()
            warmup = next(iter(conversations(1)))
            await publisher.publish(settings.heartbeat_topic, warmup)
            await reader.wait_for(outcome, {warmup.id or ""}, worker)
            warmup_s = time.monotonic() - began
            outcome = Outcome()
            sent_at: dict[str, float] = {}
            for event in conversations(CONVERSATIONS_PER_ASSISTANT):
                sent_at[event.id or ""] = time.monotonic()
                await publisher.publish(settings.heartbeat_topic, event)
                outcome.published.append(event)
            await _send_poison(settings, publisher.codec.encode(outcome.published[0]))
            await reader.wait_for(outcome, set(sent_at), worker, sent_at=sent_at, letters=3)
        finally:
            await reader.stop()
    return outcome, warmup_s


async def _send_poison(settings: Settings, good: bytes) -> None:
    """Garbage, an unknown schema id and a truncated body: each must become a dead letter."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all")
    await producer.start()
    try:
        for value in (b"not avro at all", frame(0x7FFFFFFF, good[5:]), good[: len(good) // 2]):
            await producer.send_and_wait(settings.heartbeat_topic, value, key=b"poison")
    finally:
        await producer.stop()


class _Reader:
    """Reads the echo and dead-letter topics from their current ends."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.bootstrap_servers, enable_auto_commit=False
        )

    async def start(self) -> None:
        await self.consumer.start()
        partitions = [
            TopicPartition(topic, p)
            for topic in (self.settings.echo_topic, self.settings.dead_letter_topic)
            for p in self.consumer.partitions_for_topic(topic) or await self._partitions(topic)
        ]
        self.consumer.assign(partitions)
        await self.consumer.seek_to_end(*partitions)

    async def _partitions(self, topic: str) -> set[int]:
        await self.consumer._client.force_metadata_update()
        return self.consumer.partitions_for_topic(topic) or set()

    async def stop(self) -> None:
        await self.consumer.stop()

    async def wait_for(
        self,
        outcome: Outcome,
        ids: set[str],
        worker: Service,
        sent_at: dict[str, float] | None = None,
        letters: int = 0,
    ) -> None:
        from bus.app.runtime import Runtime

        runtime = Runtime(self.settings)
        deadline = time.monotonic() + READ_TIMEOUT_S
        missing = set(ids)
        while (missing or len(outcome.dead_letters) < letters) and time.monotonic() < deadline:
            if not worker.running:
                raise BusError(f"the worker stopped:\n{worker.log_tail()}")
            batches = await self.consumer.getmany(timeout_ms=500)
            for tp, messages in batches.items():
                for message in messages:
                    if tp.topic == self.settings.dead_letter_topic:
                        letter = DeadLetter.from_message(
                            message.key, message.value, message.headers
                        )
                        outcome.dead_letters.append(letter)
                        continue
                    event = await runtime.decode(message.value or b"")
                    missing.discard(event.id or "")
                    outcome.echoed[event.subject or ""].append(event.id or "")
                    outcome.types[event.type.rsplit(".", 1)[-1]] += 1
                    if sent_at and event.id in sent_at:
                        outcome.latencies_ms.append((time.monotonic() - sent_at[event.id]) * 1000)
        await runtime.close()
        if missing:
            raise BusError(
                f"{len(missing)} events did not come back within {READ_TIMEOUT_S:.0f}s; "
                f"worker log:\n{worker.log_tail()}"
            )


def _report(outcome: Outcome, warmup_s: float) -> int:
    sent, back = len(outcome.published), sum(len(ids) for ids in outcome.echoed.values())
    reasons = Counter(letter.reason for letter in outcome.dead_letters)
    lat = sorted(outcome.latencies_ms)
    p50 = statistics.median(lat) if lat else 0.0
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else 0.0
    print(f"  first event through the worker after {warmup_s:.1f}s (start-up and rebalance)")
    print()
    print(
        f"published {sent} events in {len(outcome.echoed)} conversations "
        f"from {len(ASSISTANTS)} assistants, plus 3 poison messages"
    )
    print(f"echoed back by the echo agent: {back}/{sent}")
    for name, count in sorted(outcome.types.items()):
        print(f"  {name:<24} {count}")
    print(f"per-conversation order kept: {'yes' if outcome.order_kept else 'NO'}")
    print(f"latency publish -> echo: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    print(f"dead letters: {len(outcome.dead_letters)}")
    for reason, count in sorted(reasons.items()):
        print(f"  {reason:<24} {count}")
    ok = back == sent and outcome.order_kept and len(outcome.dead_letters) >= 3
    print("demo: OK" if ok else "demo: FAILED")
    return 0 if ok else 1
