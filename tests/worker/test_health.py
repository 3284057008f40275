"""A worker says on /readyz whether it can work, and turns unready while Kafka is away."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bus.kafka.local import free_port
from bus.supervise import Service, http_ok, run_bus, start_bus

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def _get(url: str) -> tuple[int, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status), json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")
    except OSError:
        return 0, {}


def _until(url: str, status: int, timeout_s: float) -> dict[str, str]:
    deadline = time.monotonic() + timeout_s
    while True:
        found, body = _get(url)
        if found == status:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"{url}: expected {status}, last {found} {body}")
        time.sleep(0.5)


@dataclass
class OwnBroker:
    """A broker of this test only, to stop and start again."""

    port: int
    folder: Path

    def __call__(self, action: str) -> None:
        where = ["--port", str(self.port), "--data-dir", str(self.folder)]
        result = run_bus("kafka", action, *where)
        assert result.returncode == 0, result.stderr


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[OwnBroker]:
    kafka = OwnBroker(free_port(), tmp_path / "kafka")
    kafka("start")
    try:
        yield kafka
    finally:
        run_bus("kafka", "stop", "--port", str(kafka.port), "--data-dir", str(kafka.folder))


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
        assert _until(base + "/readyz", 200, 90) == {"status": "ready"}
        assert _get(base + "/healthz")[0] == 200
        with urllib.request.urlopen(base + "/metrics", timeout=10) as response:
            assert b"bus_event_processing_seconds" in response.read()

        own_broker("stop")
        away = _until(base + "/readyz", 503, 60)
        assert "Kafka does not answer" in away["reason"]
        assert _get(base + "/healthz")[0] == 200  # alive: no reason to restart it

        own_broker("start")
        _until(base + "/readyz", 200, 120)
        worker.stop()
        assert worker.process.returncode == 0, worker.log_tail()
    finally:
        for service in reversed(started):
            service.stop()
