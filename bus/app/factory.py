"""Build the bus's Faust application from the settings and the catalogue."""

from __future__ import annotations

from typing import Any

import faust

from bus.app.agent_topics import selected_agents, topics_of
from bus.app.runtime import Runtime
from bus.catalogue import Catalogue, load_catalogue
from bus.kafka.admin import TopicSpec
from bus.kafka.connection import faust_credentials
from bus.kafka.partitioner import CachingPartitioner
from bus.metrics.worker import instrument
from bus.settings import Settings

THROUGHPUT: dict[str, Any] = {
    # Measured with `make bench` (see its README section): with Faust's default linger of 0
    # every record the router writes leaves in its own small produce request, and those
    # requests (socket writes that wake the broker) were the largest item in the router's
    # profile. 5 ms lets records to the same partitions share a request (about a third
    # less CPU per event) and costs at most 5 ms of latency; bigger batches keep a busy
    # partition from waiting for its previous batch to drain.
    "producer_linger": 0.005,
    "producer_max_batch_size": 256 * 1024,
    # aiokafka hashes each record's key in pure Python (murmur2): a tenth of a Faust
    # pass-through agent's time. The bus writes many records per conversation key.
    "producer_partitioner": CachingPartitioner(),
}


def faust_broker(bootstrap_servers: str) -> list[str]:
    return [f"kafka://{server.strip()}" for server in bootstrap_servers.split(",") if server]


def create_app(settings: Settings, catalogue: Catalogue | None = None) -> tuple[Any, Runtime]:
    """The Faust app with the agents ``settings.agents`` selects, and their shared runtime."""
    from bus.app import commit_gate, faust_fixes, faust_tuning, transactions
    from bus.app.agents import auditor, echo, escalator, router

    agents = selected_agents(settings)
    faust_fixes.apply()
    faust_tuning.apply()
    catalogue = catalogue or load_catalogue(settings.catalogue)
    app = faust.App(
        settings.app_id,
        broker=faust_broker(settings.bootstrap_servers),
        broker_credentials=faust_credentials(settings),
        store="rocksdb://",
        datadir=str(settings.worker_data_dir),
        processing_guarantee=settings.processing_guarantee,
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication_factor,
        topic_allow_declare=True,
        producer_acks=-1,
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=max(1.0, settings.session_timeout_s / 5),
        consumer_auto_offset_reset="earliest",
        web_enabled=False,
        **THROUGHPUT,
    )
    runtime = Runtime(settings)
    if settings.processing_guarantee == "exactly_once":
        commit_gate.install(app, runtime.commit_gate)
        transactions.apply()
    if "echo" in agents:
        echo.register(app, runtime)
    if "router" in agents:
        router.register(app, runtime, catalogue)
    instrument(app, settings, catalogue, runtime.contracts)
    if "auditor" in agents:
        auditor.register(app, runtime, catalogue)
    if "escalator" in agents:
        escalator.register(app, runtime, catalogue)

    async def close_runtime(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        await runtime.close()  # the registry client's HTTP session, before the loop closes

    app.on_before_shutdown.connect(close_runtime)

    return app, runtime


def worker_topics(settings: Settings, catalogue: Catalogue | None = None) -> list[TopicSpec]:
    """The topics the selected agents read and write, created before the worker starts.

    Under ACLs the catalogue's topics exist already (``bus topics apply``, by
    the admin) and a principal sees only the topics it may use, so the worker
    creates only the missing ones of its own agents.
    """
    catalogue = catalogue or load_catalogue(settings.catalogue)
    return topics_of(selected_agents(settings), settings, catalogue)
