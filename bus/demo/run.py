"""Run the bus end to end on a local Kafka and print what happened.

It starts what is not running yet (Kafka, the registry, a worker), applies
the example catalogue's topics, sends simulated citizens' conversations with
the authorities' assistants (plus a poison message) through the router, plays
the agency services answering service requests, checks every delivery and
stops what it started.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from contextlib import ExitStack
from urllib.parse import urlparse

from bus.audit.checkpoint import CheckpointVerifier, verify_key
from bus.audit.service import audit_ends, verify_segment
from bus.catalogue import Catalogue, load_catalogue
from bus.demo.connectors import run_connectors_leg
from bus.demo.escalation import run_escalation
from bus.demo.harness import Harness
from bus.demo.sandbox import run_sandbox_leg
from bus.demo.scenario import Scenario, build
from bus.errors import BusError
from bus.kafka.local import LocalKafka, answers_metadata
from bus.kafka.topics import actionable, apply_topics
from bus.settings import Settings
from bus.supervise import Service, http_ok, start_bus

CONVERSATIONS = 60
TIMEOUT_S = 120.0


def run_demo(settings: Settings) -> int:
    catalogue = load_catalogue(settings.catalogue)
    with ExitStack() as started:
        print("agency assistant bus demo")
        print(f"  kafka     {_ensure_kafka(settings, started)}")
        changes = asyncio.run(apply_topics(settings.bootstrap_servers, catalogue.topic_specs()))
        print(
            f"  topics    {len(catalogue.topic_specs())} from {settings.catalogue.name}, "
            f"{len(actionable(changes))} created or changed"
        )
        print(f"  registry  {_ensure_registry(settings, started)}")
        worker = start_bus("worker", ["worker"], _env(settings), settings.home / "demo")
        started.callback(worker.stop)
        print(f"  worker    pid {worker.process.pid}, log {worker.log_file}")
        audit_starts = asyncio.run(audit_ends(settings, catalogue.topics.audit))
        scenario = build(catalogue, CONVERSATIONS, seed=int(time.time()))
        harness, elapsed = asyncio.run(_exchange(settings, catalogue, scenario, worker))
        code = _report(catalogue, scenario, harness, elapsed)
        escalated = run_escalation(settings, catalogue, _env(settings), started)
        code = max(code, 0 if escalated else 1)
        workdir = settings.home / "demo" / "connectors"
        code = max(code, run_connectors_leg(settings, catalogue, started, workdir))
        code = max(code, run_sandbox_leg(settings, catalogue, settings.home / "demo" / "sandbox"))
        code = max(code, _verify_audit(settings, catalogue, scenario, audit_starts))
        print("demo: OK" if code == 0 else "demo: FAILED")
        return code


def _verify_audit(
    settings: Settings, catalogue: Catalogue, scenario: Scenario, starts: dict[int, int]
) -> int:
    """The demo's part of the audit log: every event recorded, the chains and signatures good."""
    topic = catalogue.topics.audit
    signatures = CheckpointVerifier(verify_key(settings))
    wanted = {event.id or "" for event in scenario.events}
    report = asyncio.run(
        verify_segment(settings, topic, starts, signatures, wanted=wanted, timeout_s=TIMEOUT_S)
    )
    print(
        f"audit log: {report.records} records and {report.checkpoints} signed checkpoints "
        f"appended to {topic} in {report.partitions} hash chains, every event recorded"
    )
    if report.failure is not None:
        print(f"  audit verify FAILED at {report.failure}")
        return 1
    print("audit verify: OK (no record altered, removed or reordered; signatures good)")
    return 0


def _env(settings: Settings) -> dict[str, str]:
    return {
        "BUS_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "BUS_SCHEMA_REGISTRY_URL": settings.schema_registry_url,
        "BUS_APP_ID": settings.app_id,
        "BUS_CATALOGUE": str(settings.catalogue),
        "BUS_AUDIT_CHECKPOINT_INTERVAL_S": "1",
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
    args = ["registry", "serve", "--port", str(port)]
    registry = start_bus("registry", args, _env(settings), settings.home / "demo")
    started.callback(registry.stop)
    registry.wait_until(http_ok(url + "/subjects"), timeout_s=60)
    return f"{url} (started for the demo)"


async def _exchange(
    settings: Settings, catalogue: Catalogue, scenario: Scenario, worker: Service
) -> tuple[Harness, float]:
    async with Harness(settings, catalogue, scenario) as harness:
        began = time.monotonic()
        await harness.publish(scenario.events)
        await harness.publish_poison()
        await harness.read_until_done([worker], TIMEOUT_S)
        return harness, time.monotonic() - began


def _report(catalogue: Catalogue, scenario: Scenario, harness: Harness, elapsed: float) -> int:
    seen = harness.observed
    per_topic = Counter(topic for topic, _ in seen.counts)
    print()
    print(
        f"{len(scenario.events)} events from the assistants of {len(catalogue.authorities)} "
        f"authorities in {CONVERSATIONS} conversations, routed in {elapsed:.1f}s "
        "(including the worker's start-up):"
    )
    for authority in catalogue.authorities.values():
        print(
            f"  {authority.name[:44]:<44} inbox {per_topic[authority.inbox]:>4}   "
            f"assistant {per_topic[authority.assistant_topic]:>4}"
        )
    print(f"conversations redirected to another authority: {len(scenario.redirects)}")
    for conversation, (source, target) in list(scenario.redirects.items())[:3]:
        print(f"  {conversation[:8]}  {source} -> {target}")
    print(
        f"service requests: {len(scenario.requests)} created, {len(seen.updates)} status "
        "updates back to the assistants that started them"
    )
    reasons = Counter(seen.reasons.values())
    print(f"dead letters: {sum(reasons.values())}")
    for reason, count in sorted(reasons.items()):
        print(f"  {reason:<26} {count}")
    problems = harness.problems()
    verdict = "NO" if problems else "yes"
    print(f"per-conversation order kept, every event where it belongs: {verdict}")
    for problem in problems[:10]:
        print(f"  {problem}")
    return 0 if not problems else 1
