"""Soak: many events through one worker of every agent, and its memory part-way and at the end.

One ``bus worker`` runs the router, echo, auditor and escalator
(``SOAK_AGENTS``) on a topic the bench fills while the worker works, with
new conversations of the demo's kinds in chunks, so the bench never holds
them all. The worker's resident memory (``VmRSS``) is read when it has
committed a fifth of the events (200,000 of 1,000,000) and when it has
committed them all: a worker that keeps something per event, or per
conversation for ever, grows between the two.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from dataclasses import dataclass

from bench.env import WORKER_READY, BenchEnv
from bench.machine import process_rss_mib
from bench.offsets import Committed
from bench.workload import EVENTS_PER_CONVERSATION, producer, send, wire_record
from bus.catalogue import Catalogue, load_catalogue
from bus.client import Publisher
from bus.demo.scenario import build
from bus.errors import BusError
from bus.supervise import Service

SOAK_AGENTS = ("router", "echo", "auditor", "escalator")
CHUNK = 20_000
STALL_S = 180.0
POLL_S = 1.0


@dataclass(frozen=True)
class Soak:
    events: int
    checkpoint: int
    """After how many committed events the first reading was taken."""
    rss_checkpoint_mib: float
    rss_end_mib: float
    peak_mib: float
    seconds: float
    """From the first committed event to the last."""

    @property
    def rate(self) -> float:
        return (self.events - self.checkpoint) / self.seconds if self.seconds else 0.0


async def soak_run(env: BenchEnv, events: int) -> Soak:
    source, updates = env.name("soak.assistant-events"), env.name("soak.service-updates")
    path = env.catalogue("soak", source, updates)
    catalogue = load_catalogue(path)
    await env.create(*catalogue.topic_specs())
    app_id = env.name("soak")
    worker = await env.start_worker("soak", app_id, path, agents=",".join(SOAK_AGENTS))
    feeder: asyncio.Task[None] | None = None
    try:
        await env.ready(worker, WORKER_READY)
        feeder = asyncio.create_task(_feed(env, env.base_catalogue(), source, events))
        partitions = next(s.partitions for s in catalogue.topic_specs() if s.name == source)
        async with Committed(env.settings.bootstrap_servers, app_id, source, partitions) as done:
            return await _watch(worker, done, feeder, events)
    finally:
        if feeder is not None:
            feeder.cancel()
        await env.stop(worker)


async def _watch(
    worker: Service, committed: Committed, feeder: asyncio.Task[None], events: int
) -> Soak:
    """Read the worker's memory at a fifth of the events and at the end."""
    checkpoint = events // 5
    at_checkpoint: float | None = None
    began: tuple[float, int] | None = None
    done, moved = 0, time.monotonic()
    while done < events:
        await asyncio.sleep(POLL_S)
        if feeder.done():
            feeder.result()  # raises what stopped the feeder
        if not worker.running:
            raise BusError(f"the soak worker died at {done:,} of {events:,} events")
        now = await committed.count()
        if now > done:
            done, moved = now, time.monotonic()
        elif time.monotonic() - moved > STALL_S:
            raise BusError(f"the soak worker made no progress for {STALL_S:.0f}s at {done:,}")
        if at_checkpoint is None and done >= checkpoint:
            at_checkpoint = process_rss_mib(worker.process.pid)[0]
            began = (time.monotonic(), done)
    end, peak = process_rss_mib(worker.process.pid)
    assert at_checkpoint is not None and began is not None
    return Soak(events, began[1], at_checkpoint, end, peak, max(time.monotonic() - began[0], 0.001))


async def _feed(env: BenchEnv, catalogue: Catalogue, topic: str, events: int) -> None:
    """Produce ``events`` new events in chunks, each chunk built and encoded just in time."""
    sender = producer(env.settings.bootstrap_servers)
    sent = 0
    async with Publisher(env.settings) as publisher:
        while sent < events:
            count = min(CHUNK, events - sent)
            conversations = math.ceil(count / EVENTS_PER_CONVERSATION) + 10
            chunk = build(catalogue, conversations, seed=uuid.uuid4().int).events[:count]
            for event in chunk:
                send(sender, topic, wire_record(publisher.codec, env.settings, event))
            sent += len(chunk)
            if await asyncio.to_thread(sender.flush, 60):
                raise BusError(f"the soak's events were not acknowledged at {sent:,}")
