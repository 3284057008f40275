"""Build the bus's Faust application from the settings and the catalogue."""

from __future__ import annotations

from typing import Any

import faust

from bus.app.runtime import Runtime
from bus.audit.auditor import audit_specs
from bus.catalogue import Catalogue, load_catalogue
from bus.kafka.admin import TopicSpec
from bus.kafka.connection import faust_credentials
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
}


def faust_broker(bootstrap_servers: str) -> list[str]:
    return [f"kafka://{server.strip()}" for server in bootstrap_servers.split(",") if server]


def create_app(settings: Settings, catalogue: Catalogue | None = None) -> tuple[Any, Runtime]:
    """The Faust app with every agent of the bus registered, and their shared runtime."""
    from bus.app import faust_fixes, faust_tuning
    from bus.app.agents import auditor, echo, escalator, router

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
    echo.register(app, runtime)
    router.register(app, runtime, catalogue)
    instrument(app, settings, catalogue, runtime.contracts)
    auditor.register(app, runtime, catalogue)
    escalator.register(app, runtime, catalogue)
    return app, runtime


def worker_topics(settings: Settings, catalogue: Catalogue | None = None) -> list[TopicSpec]:
    """The topics the worker's agents read and write, created before it starts."""
    catalogue = catalogue or load_catalogue(settings.catalogue)
    n, r = settings.topic_partitions, settings.topic_replication_factor
    specs = [TopicSpec(settings.heartbeat_topic, n, r), TopicSpec(settings.echo_topic, n, r)]
    specs += catalogue.topic_specs()
    specs += audit_specs(catalogue)
    names = {spec.name for spec in specs}
    if settings.dead_letter_topic not in names:
        specs.append(TopicSpec(settings.dead_letter_topic, n, r))
    return specs
