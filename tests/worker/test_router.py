"""The router in real ``bus worker`` processes on the real broker, with 10,000+ mixed events.

The demo's harness publishes the scenario, plays the three agency services
(answering service requests with status updates) and reads every output
topic back; it reports every delivery that differs from the scenario.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bus.catalogue import load_catalogue
from bus.client import Publisher
from bus.demo.harness import Harness
from bus.demo.scenario import build
from bus.settings import Settings
from bus.supervise import Service

pytestmark = [pytest.mark.broker, pytest.mark.slow]

CONVERSATIONS = 2300  # ~10,500 events from assistants, plus the services' status updates
TIMEOUT_S = 240.0
READY = "Worker ready"  # what a worker logs once its partitions are assigned and restored


async def _run(
    settings: Settings,
    catalogue_path: Path,
    start_worker: Callable[..., Service],
    app_id: str,
    *,
    workers: int = 1,
    kill_midway: bool = False,
    exactly_once: bool = False,
) -> Harness:
    catalogue = load_catalogue(catalogue_path)
    scenario = build(catalogue, CONVERSATIONS)
    assert len(scenario.events) >= 10_000
    env = {"app_id": app_id, "catalogue": str(catalogue_path)}
    if exactly_once:
        env["processing_guarantee"] = "exactly_once"
    half = len(scenario.events) // 2
    async with Harness(settings, catalogue, scenario) as harness:
        running = [start_worker(f"worker-{n}", **env) for n in range(workers)]
        for worker in running:
            await asyncio.to_thread(worker.wait_until, lambda w=worker: w.logged(READY))
        await harness.publish(scenario.events[:half])
        await harness.publish_poison()
        restarted_at = 0.0
        if kill_midway:
            while harness.progress() < 0.25:
                await harness.read_once()
            running[0].kill()
            # The same folder: the same slot, static member and transactional id.
            restarted_at = time.time()
            running.append(start_worker("worker-0", **env))
        await harness.publish(scenario.events[half:])
        await harness.read_until_done(running, TIMEOUT_S)
        survivors = running[1:] if kill_midway else running
        if kill_midway:
            back = harness.observed.first_written_after(restarted_at)
            print(f"restarted after SIGKILL: first delivery {back:.1f}s after the restart")
        assert all(worker.running for worker in survivors)
    for worker in survivors:  # a graceful stop commits and ends the transactions cleanly
        await asyncio.to_thread(worker.stop)
        assert worker.process.returncode == 0, worker.log_tail()
        assert not worker.logged("Traceback"), worker.log_tail(80)
    assert harness.problems() == []
    assert "not-wire-format" in harness.observed.reasons.values()
    if exactly_once:
        assert harness.observed.duplicates() == 0
    return harness


Run = Callable[..., Awaitable[Harness]]


@pytest.fixture
def run_router(
    settings_with_registry: Settings,
    catalogue_path: Path,
    start_worker: Callable[..., Service],
    unique_name: Callable[[str], str],
) -> Run:
    """``await run_router(workers=, kill_midway=, exactly_once=)``: the scenario through workers."""

    async def run(**options: Any) -> Harness:
        app_id = unique_name("app")
        return await _run(settings_with_registry, catalogue_path, start_worker, app_id, **options)

    return run


async def test_router_delivers_every_event_to_exactly_the_right_topics_in_order(
    run_router: Run,
) -> None:
    await run_router()


async def test_a_worker_killed_midstream_and_restarted_loses_nothing(run_router: Run) -> None:
    harness = await run_router(kill_midway=True)
    print(f"at-least-once after SIGKILL: {harness.observed.duplicates()} redeliveries")


async def test_two_workers_share_the_partitions_and_deliver_the_same_result(
    run_router: Run,
) -> None:
    await run_router(workers=2)


async def test_exactly_once_router_delivers_each_event_once_to_read_committed_consumers(
    run_router: Run,
) -> None:
    await run_router(exactly_once=True)


async def test_an_exactly_once_worker_killed_midstream_and_restarted_delivers_each_event_once(
    run_router: Run,
) -> None:
    await run_router(kill_midway=True, exactly_once=True)


async def test_an_event_with_the_wrong_key_is_dead_lettered_with_its_bytes(
    settings_with_registry: Settings,
    catalogue_path: Path,
    start_worker: Callable[..., Service],
    unique_name: Callable[[str], str],
) -> None:
    catalogue = load_catalogue(catalogue_path)
    worker = start_worker("worker", app_id=unique_name("app"), catalogue=str(catalogue_path))
    await asyncio.to_thread(worker.wait_until, lambda: worker.logged(READY))
    event = build(catalogue, 1).events[0]
    async with Publisher(settings_with_registry) as publisher:
        value = publisher.codec.encode(event)
    producer = AIOKafkaProducer(bootstrap_servers=settings_with_registry.bootstrap_servers)
    await producer.start()
    try:
        topic = catalogue.topics.assistant_events
        await producer.send_and_wait(topic, value, key=b"not-the-conversation")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        catalogue.topics.dead_letters,
        bootstrap_servers=settings_with_registry.bootstrap_servers,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        message = await asyncio.wait_for(consumer.getone(), 90)
    finally:
        await consumer.stop()
    assert dict(message.headers)["bus_dlq_reason"] == b"wrong-key"
    assert message.value == value and message.key == b"not-the-conversation"
