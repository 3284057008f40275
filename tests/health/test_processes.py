"""Every long-running process says on /readyz whether it can work, and turns unready without Kafka.

The registry, the officials' API, the gateway, the webhook runner and the Rasa
bridge run as real processes on a broker of this test only; the broker is
stopped (``bus kafka stop``) and started again, and each ``/readyz`` must go
503 with the reason and back to 200 while ``/healthz`` stays 200.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from bus.health import KafkaCheck, add_health_routes, readiness_handler, task_check
from bus.kafka.local import free_port
from bus.settings import Settings
from bus.supervise import Service, run_bus, start_bus

from ..conftest import Officials
from ..probes import OwnBroker, connector_files, get_json, until_status


@dataclass
class Process:
    service: Service
    url: str


@pytest.mark.broker
@pytest.mark.slow
def test_readyz_follows_kafka_in_every_long_running_process(
    own_broker: OwnBroker, catalogue_path: Path, tmp_path: Path
) -> None:
    clients, secrets = connector_files(catalogue_path, tmp_path, "HEALTH")
    officials = Officials.write(tmp_path / "officials.yaml")
    ports = {name: free_port() for name in ("registry", "officials", "gateway", "hooks", "rasa")}
    env = {
        "BUS_BOOTSTRAP_SERVERS": own_broker.bootstrap_servers,
        "BUS_SCHEMA_REGISTRY_URL": f"http://127.0.0.1:{ports['registry']}",
        "BUS_CATALOGUE": str(catalogue_path),
        "BUS_OFFICIALS": str(officials.path),
        "BUS_RASA_TOPIC": "health.rasa",
        **secrets,
    }
    applied = run_bus("topics", "apply", env=env)
    assert applied.returncode == 0, applied.stderr
    commands = {
        "registry": ["registry", "serve", "--port", str(ports["registry"])],
        "officials": ["officials", "serve", "--port", str(ports["officials"])],
        "gateway": ["gateway", "serve", "--port", str(ports["gateway"]), "--clients", str(clients)],
        "hooks": ["webhooks", "run", "--metrics-port", str(ports["hooks"])],
        "rasa": ["rasa-bridge", "--authority", "police", "--metrics-port", str(ports["rasa"])],
    }
    started: dict[str, Process] = {}
    try:
        for name, args in commands.items():  # the registry first: the others need it
            service = start_bus(name, args, env, tmp_path / "logs")
            started[name] = Process(service, f"http://127.0.0.1:{ports[name]}")
            until_status(started[name].url + "/readyz", 200, 120)
        for name, process in started.items():
            assert get_json(process.url + "/readyz") == (200, {"status": "ready"}), name
            assert get_json(process.url + "/healthz")[0] == 200, name
        with urllib.request.urlopen(started["hooks"].url + "/metrics", timeout=10) as response:
            assert b"bus_webhook" in response.read()

        own_broker("stop")
        for name, process in started.items():
            away = until_status(process.url + "/readyz", 503, 60)
            assert away["status"] == "not ready", name
            assert "Kafka does not answer" in away["reason"], (name, away)
            assert get_json(process.url + "/healthz")[0] == 200, name  # alive: keep it running

        own_broker("start")
        for name, process in started.items():
            assert until_status(process.url + "/readyz", 200, 120) == {"status": "ready"}, name
        for name, process in reversed(started.items()):
            process.service.stop()
            assert process.service.process.returncode == 0, (name, process.service.log_tail())
    finally:
        for process in reversed(started.values()):
            process.service.stop()


async def test_readyz_names_every_check_that_fails() -> None:
    calls: list[str] = []

    def store() -> str | None:
        calls.append("store")
        return "reading _schemas to its end"

    handler = readiness_handler(store, lambda: None, lambda: "replies not read")
    response = await handler(make_mocked_request("GET", "/readyz"))
    assert isinstance(response, web.Response)
    assert response.status == 503
    assert response.text is not None
    assert "reading _schemas to its end; replies not read" in response.text
    assert calls == ["store"]
    ready = await readiness_handler(lambda: None)(make_mocked_request("GET", "/readyz"))
    assert ready.status == 200


async def test_a_kafka_check_is_started_and_stopped_with_its_app() -> None:
    check = KafkaCheck(Settings(bootstrap_servers="127.0.0.1:9"), interval_s=0.1, timeout_s=0.5)
    assert check() == "Kafka does not answer: not checked yet"
    app = web.Application()
    add_health_routes(app, check)
    runner = web.AppRunner(app)
    await runner.setup()  # starts the check
    try:
        await _eventually(lambda: check.error not in (None, "not checked yet"))
        assert "Kafka does not answer" in (check() or "")
    finally:
        await runner.cleanup()  # stops it
    assert check._task is not None and check._task.done()


async def test_a_task_check_is_unready_once_a_task_has_ended() -> None:
    forever = asyncio.create_task(asyncio.Event().wait(), name="delivery:police")
    ended = asyncio.create_task(asyncio.sleep(0), name="delivery:tax-board")
    await ended
    check = task_check("webhook delivery", lambda: [forever, ended])
    assert check() == "webhook delivery stopped: delivery:tax-board"
    forever.cancel()


async def _eventually(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)
