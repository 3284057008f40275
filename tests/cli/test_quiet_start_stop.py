"""Starting and stopping every long-running part on a new cluster logs no ERROR.

Harmless start-up and shutdown noise at ERROR (aiokafka's ``Group Coordinator
Request failed`` while a new cluster makes its offsets topic, aiohttp's
``Unclosed client session``) teaches operators to ignore ERROR. Each part runs
as a real process on a broker of this test only, new like a first user's,
until it is ready, and is stopped with SIGTERM as an operator would. A record
that is no bus event waits on the assistants' topic: the router dead-letters
it (a warning), the others skip it.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
import yaml
from aiokafka import AIOKafkaProducer

from bus.kafka.local import free_port
from bus.supervise import Service, run_bus, start_bus

from ..conftest import Officials
from ..probes import OwnBroker, connector_files, until_status

NOISE = re.compile(r" (ERROR|CRITICAL) |Traceback|Unclosed|Task was destroyed")


async def _poison(bootstrap_servers: str, topic: str) -> None:
    """Bytes that are no bus event: the router dead-letters them, the others skip them."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"garbage: not an event", key=b"c-1")
    finally:
        await producer.stop()


@pytest.mark.broker
@pytest.mark.slow
def test_every_part_starts_and_stops_on_a_new_cluster_without_an_error_line(
    own_broker: OwnBroker, catalogue_path: Path, tmp_path: Path
) -> None:
    clients, secrets = connector_files(catalogue_path, tmp_path, "QUIET")
    ports = {name: free_port() for name in ("registry", "worker", "officials", "gateway")}
    ports |= {name: free_port() for name in ("webhooks", "rasa-bridge")}
    env = {
        "BUS_BOOTSTRAP_SERVERS": own_broker.bootstrap_servers,
        "BUS_SCHEMA_REGISTRY_URL": f"http://127.0.0.1:{ports['registry']}",
        "BUS_CATALOGUE": str(catalogue_path),
        "BUS_OFFICIALS": str(Officials.write(tmp_path / "officials.yaml").path),
        "BUS_RASA_TOPIC": "quiet.rasa",
        "BUS_WORKER_DIR": str(tmp_path / "worker"),
        "BUS_METRICS_PORT": str(ports["worker"]),
        **secrets,
    }
    applied = run_bus("topics", "apply", env=env)
    assert applied.returncode == 0, applied.stderr
    topic = yaml.safe_load(catalogue_path.read_text())["topics"]["assistant_events"]
    asyncio.run(_poison(own_broker.bootstrap_servers, topic))
    rasa = ["rasa-bridge", "--authority", "police", "--metrics-port", str(ports["rasa-bridge"])]
    commands = {  # the registry first: the others need it
        "registry": ["registry", "serve", "--port", str(ports["registry"])],
        "worker": ["worker"],
        "officials": ["officials", "serve", "--port", str(ports["officials"])],
        "gateway": ["gateway", "serve", "--port", str(ports["gateway"]), "--clients", str(clients)],
        "webhooks": ["webhooks", "run", "--metrics-port", str(ports["webhooks"])],
        "rasa-bridge": rasa,
    }
    started: dict[str, Service] = {}
    try:
        for name, args in commands.items():
            started[name] = start_bus(name, args, env, tmp_path / "logs")
            until_status(f"http://127.0.0.1:{ports[name]}/readyz", 200, timeout_s=120)
        for name, service in reversed(started.items()):
            service.stop()
            assert service.process.returncode == 0, (name, service.log_tail())
    finally:
        for service in reversed(started.values()):
            service.stop()
    for name, service in started.items():
        noise = [line for line in service.log_tail(10_000).splitlines() if NOISE.search(line)]
        assert not noise, f"{name} logged:\n" + "\n".join(noise)
