"""A broker of the three-broker cluster dies under load: nothing acknowledged is lost.

The router runs as a real ``bus worker`` on a dedicated three-broker cluster
(``bus kafka start --brokers 3``) with topics at replication factor 3 and
``min.insync.replicas=2``. While the demo's scenario streams through it, the
broker leading the assistants' topic is SIGKILLed and later restarted. Every
event the publisher had acknowledged must arrive exactly where the scenario
says (by event id, so a redelivery counts once), in conversation order.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from bus.catalogue import load_catalogue
from bus.demo.harness import Harness
from bus.demo.scenario import build
from bus.kafka.admin import admin_client
from bus.kafka.cluster import LocalCluster
from bus.settings import Settings
from bus.supervise import Service, run_bus

pytestmark = [pytest.mark.broker, pytest.mark.slow]

CONVERSATIONS = 150  # ~680 events from assistants plus the services' status updates
CHUNK = 10
PAUSE_S = 0.1
KILL_AT, RESTART_AT = 15, 40  # batch numbers
TIMEOUT_S = 180.0


@pytest.fixture
def cluster_catalogue(tmp_path: Path) -> Path:
    """The shipped catalogue with the settings a production cluster would use."""
    document = yaml.safe_load(Settings().catalogue.read_text())
    document["topics"]["defaults"].update(
        replication_factor=3, partitions=4, config={"min.insync.replicas": 2}
    )
    path = tmp_path / "cluster-catalogue.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def _restart(cluster: LocalCluster) -> None:
    where = ["--brokers", "3", "--port", str(cluster.port), "--data-dir", str(cluster.dir)]
    result = run_bus("kafka", "start", *where)
    assert result.returncode == 0, result.stderr


async def test_sigkill_of_a_broker_under_load_loses_no_acknowledged_event(
    kafka_cluster: LocalCluster,
    cluster_catalogue: Path,
    settings_with_registry: Settings,
    start_worker: Callable[..., Service],
    unique_name: Callable[[str], str],
) -> None:
    servers = kafka_cluster.bootstrap_servers
    env = {"BUS_BOOTSTRAP_SERVERS": servers}
    applied = run_bus("topics", "apply", "--catalogue", str(cluster_catalogue), env=env)
    assert applied.returncode == 0, applied.stderr
    catalogue = load_catalogue(cluster_catalogue)
    source = catalogue.topics.assistant_events
    async with admin_client(servers) as admin:
        (described,) = await admin.describe_topics([source])
    assert {len(p["replicas"]) for p in described["partitions"]} == {3}
    victim = kafka_cluster.nodes[described["partitions"][0]["leader"] - 1]

    worker = start_worker(
        "worker",
        bootstrap_servers=servers,
        catalogue=str(cluster_catalogue),
        app_id=unique_name("failover"),
        topic_replication_factor="3",
    )
    await asyncio.to_thread(worker.wait_until, lambda: worker.logged("Worker ready"), 90)
    settings = settings_with_registry.model_copy(
        update={"bootstrap_servers": servers, "catalogue": cluster_catalogue}
    )
    scenario = build(catalogue, CONVERSATIONS)
    chunks = [scenario.events[i : i + CHUNK] for i in range(0, len(scenario.events), CHUNK)]
    assert len(chunks) > RESTART_AT + 10
    timeline: dict[str, float] = {}
    acked: list[float] = []

    async with Harness(settings, catalogue, scenario) as harness:

        async def stream() -> None:
            restart: asyncio.Task[None] | None = None
            for number, chunk in enumerate(chunks):
                if number == KILL_AT:
                    pid = victim.pid()
                    assert pid is not None
                    os.killpg(pid, signal.SIGKILL)
                    timeline["killed"] = time.monotonic()
                if number == RESTART_AT:
                    timeline["restarting"] = time.monotonic()
                    restart = asyncio.create_task(asyncio.to_thread(_restart, kafka_cluster))
                await harness.publish(chunk)  # acks=all: returns once every event is acknowledged
                acked.append(time.monotonic())
                await asyncio.sleep(PAUSE_S)
            assert restart is not None
            await restart
            timeline["restarted"] = time.monotonic()

        publishing = asyncio.create_task(stream())
        progress: list[float] = []
        deadline = time.monotonic() + TIMEOUT_S
        seen = 0
        while not (publishing.done() and harness.done()):
            assert worker.running, worker.log_tail()
            assert time.monotonic() < deadline, harness.shortfall()
            if publishing.done() and publishing.exception():
                raise publishing.exception()  # type: ignore[misc]
            await harness.read_once()
            if len(harness.observed.counts) > seen:
                seen = len(harness.observed.counts)
                progress.append(time.monotonic())
        await publishing

    assert harness.problems() == []
    after_kill = [timeline["killed"]] + [t for t in progress if t >= timeline["killed"]]
    stall = max(b - a for a, b in itertools.pairwise(after_kill))
    publish_stall = max(b - a for a, b in itertools.pairwise(acked))
    print(
        f"\nbroker {victim.port} SIGKILLed after {KILL_AT} of {len(chunks)} batches, restarted "
        f"{timeline['restarted'] - timeline['restarting']:.1f}s after the restart began: "
        f"{len(scenario.events)} events, every acknowledged one delivered; deliveries stalled "
        f"at most {stall:.1f}s, acknowledgements at most {publish_stall:.1f}s; "
        f"{harness.observed.duplicates()} redeliveries dropped by event id"
    )
    assert kafka_cluster.nodes[victim.port - kafka_cluster.port].pid() is not None
