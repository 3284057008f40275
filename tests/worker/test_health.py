"""A worker says on /readyz whether it can work, and turns unready while Kafka is away."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from bus.kafka.local import free_port
from bus.supervise import Service, http_ok, start_bus

from ..probes import OwnBroker, get_json, until_status

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def test_readyz_is_503_while_kafka_is_away_and_200_again_when_it_is_back(
    own_broker: OwnBroker, tmp_path: Path
) -> None:
    bootstrap = f"127.0.0.1:{own_broker.port}"
    registry_port, metrics_port = free_port(), free_port()
    env = {"BUS_BOOTSTRAP_SERVERS": bootstrap}
    started: list[Service] = []
    try:
        registry = start_bus(
            "registry", ["registry", "serve", "--port", str(registry_port)], env, tmp_path
        )
        started.append(registry)
        registry.wait_until(http_ok(f"http://127.0.0.1:{registry_port}/subjects"), 60)
        worker_env = {
            **env,
            "BUS_SCHEMA_REGISTRY_URL": f"http://127.0.0.1:{registry_port}",
            "BUS_AGENTS": "echo",
            "BUS_WORKER_DIR": str(tmp_path / "worker"),
            "BUS_METRICS_PORT": str(metrics_port),
        }
        worker = start_bus("worker", ["worker"], worker_env, tmp_path)
        started.append(worker)
        base = f"http://127.0.0.1:{metrics_port}"
        assert until_status(base + "/readyz", 200, 90) == {"status": "ready"}
        assert get_json(base + "/healthz")[0] == 200
        with urllib.request.urlopen(base + "/metrics", timeout=10) as response:
            assert b"bus_event_processing_seconds" in response.read()

        own_broker("stop")
        away = until_status(base + "/readyz", 503, 60)
        assert "Kafka does not answer" in away["reason"]
        assert get_json(base + "/healthz")[0] == 200  # alive: no reason to restart it

        own_broker("start")
        until_status(base + "/readyz", 200, 120)
        worker.stop()
        assert worker.process.returncode == 0, worker.log_tail()
    finally:
        for service in reversed(started):
            service.stop()
