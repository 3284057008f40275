"""A broker, then the worker, dies under load: nothing acknowledged is lost.

The router runs as a real ``bus worker`` on a dedicated three-broker cluster
(``bus kafka start --brokers 3``) with topics at replication factor 3 and
``min.insync.replicas=2``. While the demo's scenario streams through it, the
broker leading the assistants' topic is SIGKILLed and later restarted; once
it is back, the worker is SIGKILLed and a new worker of the same app takes
over. Both faults share one stream, so the cluster and the topics are set up
once. Every event the publisher had acknowledged must arrive exactly where
the scenario says (by event id, so an at-least-once redelivery counts once),
in conversation order.
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

CONVERSATIONS = 220  # ~1,000 events from assistants plus the services' status updates
CHUNK = 10
PAUSE_S = 0.1
KILL_AT, RESTART_AT = 15, 40  # batch numbers: the broker
WORKER_KILL_AT = 65  # batch number: the worker, once the broker is back
TIMEOUT_S = 240.0
READY = "Worker ready"  # what Faust logs once a rebalance is done


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


def _longest_gap(start: float, end: float, times: list[float]) -> float:
    """The longest time between ``start`` and ``end`` in which nothing in ``times`` happened."""
    inside = [start] + [t for t in times if start <= t < end]
    if inside[-1] < end < float("inf"):
        inside.append(end)
    return max(b - a for a, b in itertools.pairwise(inside)) if len(inside) > 1 else 0.0


def _restart(cluster: LocalCluster) -> None:
    where = ["--brokers", "3", "--port", str(cluster.port), "--data-dir", str(cluster.dir)]
    result = run_bus("kafka", "start", *where)
    assert result.returncode == 0, result.stderr


async def test_sigkill_of_a_broker_then_of_the_worker_under_load_loses_no_acknowledged_event(
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

    worker_env = {
        "bootstrap_servers": servers,
        "catalogue": str(cluster_catalogue),
        "app_id": unique_name("failover"),
        "topic_replication_factor": "3",
        "agents": "router,echo",  # the router is under test; fewer agents, less CPU
    }
    workers = [start_worker("worker", **worker_env)]
    await asyncio.to_thread(workers[0].wait_until, lambda: workers[0].logged(READY), 90)
    settings = settings_with_registry.model_copy(
        update={"bootstrap_servers": servers, "catalogue": cluster_catalogue}
    )
    scenario = build(catalogue, CONVERSATIONS)
    chunks = [scenario.events[i : i + CHUNK] for i in range(0, len(scenario.events), CHUNK)]
    assert len(chunks) > WORKER_KILL_AT + 25 > RESTART_AT + 25
    timeline: dict[str, float] = {}
    acked: list[float] = []

    async with Harness(settings, catalogue, scenario) as harness:

        async def restart_broker() -> None:
            await asyncio.to_thread(_restart, kafka_cluster)
            timeline["restarted"] = time.monotonic()

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
                    restart = asyncio.create_task(restart_broker())
                if number == WORKER_KILL_AT:
                    assert restart is not None
                    await restart  # one fault at a time, so each stall is its own
                    workers[0].kill()
                    timeline["worker killed"] = time.monotonic()
                    workers.append(start_worker("worker-restarted", **worker_env))
                await harness.publish(chunk)  # acks=all: returns once every event is acknowledged
                acked.append(time.monotonic())
                await asyncio.sleep(PAUSE_S)

        publishing = asyncio.create_task(stream())
        progress: list[float] = []
        deadline = time.monotonic() + TIMEOUT_S
        seen = 0
        while not (publishing.done() and harness.done()):
            assert workers[-1].running, workers[-1].log_tail()
            assert time.monotonic() < deadline, f"{harness.shortfall()}\n{workers[-1].log_tail(15)}"
            if publishing.done() and publishing.exception():
                raise publishing.exception()  # type: ignore[misc]
            await harness.read_once()
            if len(harness.observed.counts) > seen:
                seen = len(harness.observed.counts)
                progress.append(time.monotonic())
        await publishing
        assert workers[-1].running, workers[-1].log_tail()
        assert workers[-1].logged(READY)

    assert harness.problems() == []
    worker_killed = timeline["worker killed"]
    stall = _longest_gap(timeline["killed"], worker_killed, progress)
    worker_stall = _longest_gap(worker_killed, float("inf"), progress)
    publish_stall = max(b - a for a, b in itertools.pairwise(acked))
    print(
        f"\nbroker {victim.port} SIGKILLed after {KILL_AT} of {len(chunks)} batches, restarted "
        f"{timeline['restarted'] - timeline['restarting']:.1f}s after the restart began; "
        f"worker SIGKILLed and replaced after {WORKER_KILL_AT} batches: "
        f"{len(scenario.events)} events, every acknowledged one delivered; deliveries stalled "
        f"at most {stall:.1f}s for the broker, {worker_stall:.1f}s for the worker; "
        f"acknowledgements at most {publish_stall:.1f}s; "
        f"{harness.observed.duplicates()} redeliveries dropped by event id"
    )
    assert kafka_cluster.nodes[victim.port - kafka_cluster.port].pid() is not None
