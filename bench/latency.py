"""End-to-end latency at a fixed offered load, from the assistant's produce to the receipt.

The bus path: producer -> assistants' topic -> router worker -> inbox or
assistant topic -> ``bus.client.Subscriber`` (read_committed: under
exactly-once an output arrives when its transaction commits). The baseline: the same
producer -> topic -> plain pipe process -> topic -> plain aiokafka consumer.
Sender and receiver share this process and its clock; only events the
router delivers somewhere (not dead letters) are timed, on both paths.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.env import PIPE_READY, WORKER_READY, BenchEnv
from bench.stats import latency_summary
from bench.workload import Record, Workload
from bus.catalogue import load_catalogue
from bus.client import Subscriber
from bus.errors import BusError
from bus.kafka.admin import TopicSpec

WARMUP = 100
SETTLE_S = 180.0


@dataclass(frozen=True)
class Load:
    rate: float
    """Offered events per second."""
    seconds: float

    @property
    def count(self) -> int:
        return int(self.rate * self.seconds)


class Clock:
    """When each event id was sent and first received."""

    def __init__(self) -> None:
        self.sent: dict[str, float] = {}
        self.received: dict[str, float] = {}

    def receive(self, event_id: str) -> None:
        if event_id not in self.received:
            self.received[event_id] = time.perf_counter()

    def latencies(self, ids: list[str]) -> list[float]:
        return [self.received[i] - self.sent[i] for i in ids if i in self.received]


async def _send_paced(
    producer: AIOKafkaProducer,
    topic: str,
    records: list[tuple[str, Record]],
    rate: float,
    clock: Clock,
) -> None:
    began = time.perf_counter()
    pending = []
    for n, (event_id, (key, value, headers)) in enumerate(records):
        due = began + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        clock.sent[event_id] = time.perf_counter()
        pending.append(await producer.send(topic, value, key=key, headers=headers))
    await asyncio.gather(*pending)


async def _until_received(
    clock: Clock, ids: list[str], timeout_s: float, receiver: asyncio.Task[None]
) -> None:
    deadline = time.monotonic() + timeout_s
    while any(i not in clock.received for i in ids):
        if receiver.done():
            receiver.result()  # raises what stopped the receiver
            raise BusError("the receiver stopped before every event arrived")
        if time.monotonic() > deadline:
            missing = sum(i not in clock.received for i in ids)
            raise BusError(f"{missing} of {len(ids)} events did not arrive in {timeout_s:.0f}s")
        await asyncio.sleep(0.05)


async def _measure(
    env: BenchEnv,
    workload: Workload,
    topic: str,
    load: Load,
    clock: Clock,
    receive: Callable[[], Coroutine[Any, Any, None]],
) -> dict[str, float]:
    labelled = [(e.id or "", r) for e, r in zip(workload.events, workload.records, strict=True)]
    warmup, measured = labelled[:WARMUP], labelled[WARMUP : WARMUP + load.count]
    producer = AIOKafkaProducer(
        bootstrap_servers=env.settings.bootstrap_servers, acks="all", linger_ms=0
    )
    await producer.start()
    receiver = asyncio.create_task(receive())
    try:
        await _send_paced(producer, topic, warmup, load.rate, clock)
        await _until_received(
            clock, [i for i, _ in warmup if i in workload.routed], SETTLE_S, receiver
        )
        await _send_paced(producer, topic, measured, load.rate, clock)
        timed = [i for i, _ in measured if i in workload.routed]
        await _until_received(clock, timed, SETTLE_S, receiver)
    finally:
        receiver.cancel()
        with suppress(asyncio.CancelledError):
            await receiver
        await producer.stop()
    return latency_summary(clock.latencies(timed))


async def bus_run(
    env: BenchEnv, workload: Workload, load: Load, run: str, **worker_env: str
) -> dict[str, float]:
    """``worker_env``: the worker's settings, e.g. ``processing_guarantee="exactly_once"``."""
    source, updates = env.name(f"lat-{run}.assistant-events"), env.name(f"lat-{run}.updates")
    path = env.catalogue(f"lat-{run}", source, updates)
    catalogue = load_catalogue(path)
    await env.create(*catalogue.topic_specs())
    worker = await env.start_worker(
        f"lat-router-{run}", env.name(f"lat-router-{run}"), path, **worker_env
    )
    clock = Clock()
    topics = [a.inbox for a in catalogue.authorities.values()]
    topics += [a.assistant_topic for a in catalogue.authorities.values()]

    async def receive() -> None:
        async with Subscriber(
            env.settings, topics=topics, group_id=env.name(f"lat-client-{run}")
        ) as inbox:
            async for delivery in inbox:
                clock.receive(delivery.event.id or "")

    try:
        await env.ready(worker, WORKER_READY)
        return await _measure(env, workload, source, load, clock, receive)
    finally:
        await env.stop(worker)


async def pipe_run(env: BenchEnv, workload: Workload, load: Load, run: str) -> dict[str, float]:
    source, sink = env.name(f"lat-pipe-{run}.source"), env.name(f"lat-pipe-{run}.sink")
    partitions = env.base_catalogue().topic_specs()[0].partitions
    await env.create(TopicSpec(source, partitions), TopicSpec(sink, partitions))
    pipe = env.start_pipe(f"lat-pipe-{run}", source, sink, env.name(f"lat-pipe-{run}"))
    clock = Clock()

    async def receive() -> None:
        consumer = AIOKafkaConsumer(
            sink,
            bootstrap_servers=env.settings.bootstrap_servers,
            group_id=env.name(f"lat-pipe-client-{run}"),
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=500)
                for records in batches.values():
                    for record in records:
                        clock.receive(dict(record.headers)["ce_id"].decode())
        finally:
            await consumer.stop()

    try:
        await env.ready(pipe, PIPE_READY)
        return await _measure(env, workload, source, load, clock, receive)
    finally:
        await env.stop(pipe)
