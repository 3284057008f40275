"""Broker fixtures for the whole suite: one real Kafka per test session.

A broker at ``BUS_BOOTSTRAP_SERVERS`` (default 127.0.0.1:9092) is used when one
answers; otherwise the project's own ``bus kafka start`` starts one on a free
port in a temporary folder, and ``bus kafka stop`` stops it at the end.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
import yaml
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import SecretStr

from bus.kafka.admin import TopicSpec, admin_client, create_topics
from bus.kafka.cluster import LocalCluster, free_base_port
from bus.kafka.local import answers_metadata, free_port
from bus.settings import Settings
from bus.supervise import Service, http_ok, run_bus, start_bus

NewTopicFactory = Callable[..., Awaitable[str]]


def bus_or_fail(*args: str) -> str:
    """Run the ``bus`` command as a user would; fail the test with its output if it fails."""
    result = run_bus(*args)
    if result.returncode != 0:
        pytest.fail(f"bus {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
    return result.stdout


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    existing = os.environ.get("BUS_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    if asyncio.run(answers_metadata(existing, timeout_s=3.0)):
        yield existing
        return
    port = free_port()
    node_dir = tmp_path_factory.mktemp("kafka")
    bus_or_fail("kafka", "start", "--port", str(port), "--data-dir", str(node_dir))
    try:
        yield f"127.0.0.1:{port}"
    finally:
        bus_or_fail("kafka", "stop", "--port", str(port), "--data-dir", str(node_dir))


@pytest.fixture(scope="session")
def bus_settings(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        bootstrap_servers=kafka_bootstrap,
        worker_dir=tmp_path_factory.mktemp("worker"),
        app_id=f"bus-test-{uuid.uuid4().hex[:8]}",
    )


@pytest.fixture(scope="session")
def bus_env(bus_settings: Settings) -> dict[str, str]:
    """Environment variables that point a ``bus`` subprocess at the test broker."""
    return {"BUS_BOOTSTRAP_SERVERS": bus_settings.bootstrap_servers}


@pytest.fixture
def unique_name(request: pytest.FixtureRequest) -> Callable[[str], str]:
    """Names no other test uses, so tests never see each other's topics or groups."""
    test = request.node.name.split("[")[0].removeprefix("test_")[:40]

    def make(prefix: str) -> str:
        return f"{prefix}.{test}.{uuid.uuid4().hex[:8]}"

    return make


@pytest.fixture(scope="session")
async def kafka_admin(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    async with admin_client(kafka_bootstrap) as admin:
        yield admin


@pytest.fixture
def new_topic(
    kafka_admin: AIOKafkaAdminClient, unique_name: Callable[[str], str]
) -> NewTopicFactory:
    """Create a fresh topic on the real broker and return its name."""

    async def create(prefix: str, partitions: int = 1, config: dict[str, str] | None = None) -> str:
        name = unique_name(prefix)
        await create_topics(kafka_admin, [TopicSpec(name, partitions, 1, config or {})])
        return name

    return create


@pytest.fixture(scope="session")
def registry_url(
    bus_settings: Settings, bus_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A real ``bus registry serve`` process on its own ``_schemas`` topic."""
    port = free_port()
    env = {**bus_env, "BUS_REGISTRY_TOPIC": f"_schemas.test.{uuid.uuid4().hex[:8]}"}
    registry = start_bus(
        "registry",
        ["registry", "serve", "--port", str(port)],
        env,
        tmp_path_factory.mktemp("registry-log"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        registry.wait_until(http_ok(url + "/subjects"), timeout_s=60)
        yield url
    finally:
        registry.stop()


@pytest.fixture
def settings_with_registry(bus_settings: Settings, registry_url: str) -> Settings:
    return bus_settings.model_copy(update={"schema_registry_url": registry_url})


@pytest.fixture
def start_worker(
    settings_with_registry: Settings, tmp_path: Path
) -> Iterator[Callable[..., Service]]:
    """Start real ``bus worker`` processes; every one still running is stopped afterwards."""
    started: list[Service] = []

    def start(name: str = "worker", **settings: str) -> Service:
        env = {
            "BUS_BOOTSTRAP_SERVERS": settings_with_registry.bootstrap_servers,
            "BUS_SCHEMA_REGISTRY_URL": settings_with_registry.schema_registry_url,
            "BUS_WORKER_DIR": str(tmp_path / f"state-{name}"),
            "BUS_METRICS_PORT": str(free_port()),
            **{f"BUS_{key.upper()}": value for key, value in settings.items()},
        }
        service = start_bus(name, ["worker"], env, tmp_path / "logs")
        started.append(service)
        return service

    yield start
    for service in started:
        service.stop()


def _authority(prefix: str, code: str, name: str, owns: str) -> dict[str, object]:
    return {
        "code": code,
        "name": name,
        "inbox": f"{prefix}.inbox.{code}",
        "assistant_topic": f"{prefix}.assistant.{code}",
        "services": [f"{owns}-application"],
        "intents": [owns],
    }


@pytest.fixture
def catalogue_path(tmp_path: Path, unique_name: Callable[[str], str]) -> Path:
    """A catalogue of three authorities on topics of this test only."""
    prefix = unique_name("rt")
    document = {
        "topics": {
            "defaults": {"partitions": 4, "replication_factor": 1},
            "assistant_events": f"{prefix}.assistant-events",
            "service_updates": f"{prefix}.service-updates",
            "dead_letters": f"{prefix}.deadletters",
            "audit": f"{prefix}.audit",
        },
        "authorities": [
            _authority(prefix, "police", "Police and Border Guard Board", "passport"),
            _authority(prefix, "tax-board", "Tax and Customs Board", "tax"),
            _authority(prefix, "social-insurance", "Social Insurance Board", "pension"),
        ],
        "routing": {"fallback": "police"},
    }
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


SUPER_USER = "admin"


@pytest.fixture(scope="module")
def secured_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A dedicated single-node broker with SASL/SCRAM-SHA-512 and ACLs on a free port.

    Yields the super user's settings; ``bus kafka stop`` stops it after the module.
    """
    port, node_dir = str(free_port()), str(tmp_path_factory.mktemp("secured-kafka"))
    password = uuid.uuid4().hex
    env = {"BUS_SASL_USERNAME": SUPER_USER, "BUS_SASL_PASSWORD": password}
    started = run_bus("kafka", "start", "--sasl", "--port", port, "--data-dir", node_dir, env=env)
    if started.returncode != 0:
        pytest.fail(f"bus kafka start --sasl exited {started.returncode}:\n{started.stderr}")
    try:
        yield Settings(
            bootstrap_servers=f"127.0.0.1:{port}",
            security_protocol="SASL_PLAINTEXT",
            sasl_username=SUPER_USER,
            sasl_password=SecretStr(password),
            worker_dir=tmp_path_factory.mktemp("secured-worker"),
        )
    finally:
        run_bus("kafka", "stop", "--port", port, "--data-dir", node_dir, env=env)


@pytest.fixture(scope="module")
def kafka_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """A dedicated three-broker KRaft cluster (``bus kafka start --brokers 3``) on free ports."""
    port, cluster_dir = free_base_port(3), tmp_path_factory.mktemp("kafka-cluster")
    where = ["--brokers", "3", "--port", str(port), "--data-dir", str(cluster_dir)]
    bus_or_fail("kafka", "start", *where)
    try:
        yield LocalCluster(Settings().home, port, cluster_dir)
    finally:
        bus_or_fail("kafka", "stop", *where)
