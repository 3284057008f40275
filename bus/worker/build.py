"""A worker from the settings: its processors, its Kafka clients and its loop."""

from __future__ import annotations

import asyncio
import faulthandler
import logging
import signal

from confluent_kafka import Consumer

from bus.audit.auditor import intake_topic
from bus.audit.pseudonym import pseudonym_key
from bus.catalogue import Catalogue, load_catalogue
from bus.catalogue.agent_topics import STORES, changelog_topic, selected_agents, topics_of
from bus.errors import ConfigurationError
from bus.kafka.admin import TopicSpec, admin_client, ensure_topics, topic_partitions
from bus.kafka.connection import librdkafka_config, security_kwargs
from bus.metrics.worker import instrument
from bus.privacy.scrubber import Scrubber
from bus.schemas.runtime import Runtime
from bus.settings import Settings
from bus.worker.auditor import AuditChain, Auditor
from bus.worker.echo import Echo
from bus.worker.escalator import Escalator
from bus.worker.health import serve_health, stop_health
from bus.worker.identity import Identity, claim
from bus.worker.loop import StreamLoop
from bus.worker.outputs import Outputs
from bus.worker.processor import Processor
from bus.worker.router import Router
from bus.worker.sandbox import SandboxFeed

log = logging.getLogger(__name__)

STOP_REPORT_S = 15.0


def processors(
    settings: Settings, catalogue: Catalogue, runtime: Runtime, outputs: Outputs
) -> list[Processor]:
    """The processors of the agents ``BUS_AGENTS`` selects, in a fixed order."""
    agents = selected_agents(settings)
    found: list[Processor] = []
    if "echo" in agents:
        found.append(Echo(settings, runtime, outputs))
    if "router" in agents:
        changelog = changelog_topic(settings, STORES["router"])
        found.append(Router(catalogue, runtime, outputs, changelog))
    if "auditor" in agents:
        if catalogue.audited_topics():
            found.append(Auditor(catalogue, runtime, outputs, pseudonym_key(settings)))
            found.append(AuditChain(settings, catalogue, runtime, outputs))
        else:
            log.warning("the catalogue lists no audited topics: the auditor does not run")
    if "escalator" in agents:
        changelog = changelog_topic(settings, STORES["escalator"])
        found.append(Escalator(settings, catalogue, runtime, outputs, changelog))
    if "sandbox" in agents and catalogue.sandboxes:
        scrubber = Scrubber.from_settings(settings)
        found.append(SandboxFeed(settings, catalogue, runtime, outputs, scrubber))
    return found


def worker_topics(settings: Settings, catalogue: Catalogue | None = None) -> list[TopicSpec]:
    """The topics the selected processors read and write, created before the worker starts.

    Under ACLs the catalogue's topics exist already (``bus topics apply``, by
    the admin) and a principal sees only the topics it may use, so the worker
    creates only the missing ones of its own processors.
    """
    catalogue = catalogue or load_catalogue(settings.catalogue)
    return topics_of(selected_agents(settings), settings, catalogue)


def stream_loop(
    settings: Settings, identity: Identity, catalogue: Catalogue, runtime: Runtime
) -> StreamLoop:
    exactly_once = settings.processing_guarantee == "exactly_once"
    config = librdkafka_config(settings)
    transactional_id = f"{settings.app_id}-{identity.instance}" if exactly_once else None
    outputs = Outputs(config, transactional_id)
    session_ms = int(settings.session_timeout_s * 1000)
    consumer = Consumer(
        {
            **config,
            "group.id": settings.app_id,
            "group.instance.id": identity.instance,
            "client.id": f"{settings.app_id}-{identity.instance}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "isolation.level": "read_committed",
            # Range gives every member the same partition numbers of each topic, so a
            # store keyed by conversation sees all of a conversation's topics.
            "partition.assignment.strategy": "range",
            "session.timeout.ms": session_ms,
            "heartbeat.interval.ms": max(500, min(3000, session_ms // 4)),
            "fetch.wait.max.ms": 50,
        }
    )
    restorer = Consumer(
        {
            **config,
            "group.id": settings.app_id,  # never joins it: partitions are assigned by hand
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    return StreamLoop(
        processors(settings, catalogue, runtime, outputs),
        outputs,
        consumer,
        restorer,
        exactly_once=exactly_once,
        commit_interval_s=settings.commit_interval_s,
        dead_letter_topic=catalogue.topics.dead_letters,
        lag_interval_s=settings.metrics_lag_interval_s,
    )


async def check_partitions(settings: Settings, specs: list[TopicSpec]) -> None:
    """Topics whose partition n must exist for every n of another (the audit intake: one
    partition per audit chain) must have at least the partitions the catalogue implies."""
    if not specs:
        return
    async with admin_client(settings.bootstrap_servers, **security_kwargs(settings)) as admin:
        found = await topic_partitions(admin)
    short = [
        f"{spec.name} has {len(found[spec.name])}, needs {spec.partitions}"
        for spec in specs
        if spec.name in found and len(found[spec.name]) < spec.partitions
    ]
    if short:
        raise ConfigurationError(
            f"too few partitions: {'; '.join(short)}; run `bus topics apply` (it adds them)"
        )


async def run_worker(settings: Settings) -> None:
    """Run until SIGTERM or SIGINT: then finish the batch in hand, commit, and return."""
    catalogue = load_catalogue(settings.catalogue)
    identity = claim(settings)
    try:
        topics = worker_topics(settings, catalogue)
        await ensure_topics(settings.bootstrap_servers, topics, **security_kwargs(settings))
        await check_partitions(settings, [s for s in topics if s.name == intake_topic(catalogue)])
        runtime = Runtime(settings)
        await runtime.codec()
        instrument(settings, catalogue, runtime.contracts)
        loop = stream_loop(settings, identity, catalogue, runtime)
        http = await serve_health(settings.metrics_host, identity.metrics_port, loop.readiness)
        log.info(
            "worker %s (%s, slot %d in %s)",
            identity.instance,
            settings.processing_guarantee,
            identity.slot,
            settings.worker_data_dir,
        )
        stop = asyncio.Event()

        def stopping() -> None:
            log.info("stopping: finishing the records in hand")
            stop.set()
            # A stop that hangs says where: every thread's stack in the log.
            faulthandler.dump_traceback_later(STOP_REPORT_S, exit=False)

        for sig in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(sig, stopping)
        try:
            await loop.run(stop)
        finally:
            await stop_health(http)
            await runtime.close()
        log.info("worker stopped")
    finally:
        identity.release()
