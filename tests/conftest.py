"""Broker fixtures for the whole suite: one real Kafka per test session.

A broker at ``BUS_BOOTSTRAP_SERVERS`` (default 127.0.0.1:9092) is used when one
answers; otherwise the project's own ``bus kafka start`` starts one on a free
port in a temporary folder, and ``bus kafka stop`` stops it at the end.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import SecretStr

from bus.catalogue.hours import DAYS
from bus.kafka.admin import TopicSpec, admin_client, create_topics
from bus.kafka.cluster import LocalCluster, free_base_port
from bus.kafka.local import answers_metadata, free_port
from bus.officials.auth import new_token
from bus.settings import Settings
from bus.supervise import Service, http_ok, run_bus, start_bus

from .probes import OwnBroker

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


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[OwnBroker]:
    """A dedicated single-node broker this test may stop and start again."""
    kafka = OwnBroker(free_port(), tmp_path / "kafka")
    kafka("start")
    try:
        yield kafka
    finally:
        run_bus("kafka", "stop", "--port", str(kafka.port), "--data-dir", str(kafka.folder))


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


def kafka_env(settings: Settings) -> dict[str, str]:
    """The ``BUS_*`` variables that point a ``bus`` process at ``settings``' broker."""
    env = {
        "BUS_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "BUS_SECURITY_PROTOCOL": settings.security_protocol,
    }
    if settings.ssl_cafile is not None:
        env["BUS_SSL_CAFILE"] = str(settings.ssl_cafile)
    if settings.sasl_username and settings.sasl_password:
        env["BUS_SASL_USERNAME"] = settings.sasl_username
        env["BUS_SASL_PASSWORD"] = settings.sasl_password.get_secret_value()
    return env


@pytest.fixture(scope="module")
def tls_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A dedicated single-node broker whose listeners speak only TLS (``bus kafka start --tls``),
    on a free port; yields the settings of a client that trusts the broker's local CA."""
    port, node_dir = str(free_port()), tmp_path_factory.mktemp("tls-kafka")
    started = run_bus("kafka", "start", "--tls", "--port", port, "--data-dir", str(node_dir))
    if started.returncode != 0:
        pytest.fail(f"bus kafka start --tls exited {started.returncode}:\n{started.stderr}")
    try:
        yield Settings(
            bootstrap_servers=f"127.0.0.1:{port}",
            security_protocol="SSL",
            ssl_cafile=node_dir / "tls" / "ca.pem",
            worker_dir=tmp_path_factory.mktemp("tls-worker"),
        )
    finally:
        run_bus("kafka", "stop", "--port", port, "--data-dir", str(node_dir))


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


# --- escalation: a catalogue, officials, a worker and the officials' API, all real ---

TALLINN = ZoneInfo("Europe/Tallinn")


def closed_days() -> list[str]:
    """Weekdays that are neither yesterday, today nor tomorrow in Tallinn: closed all test long."""
    today = datetime.now(UTC).astimezone(TALLINN).weekday()
    near = {(today + d) % 7 for d in (-1, 0, 1)}
    return [DAYS[d] for d in range(7) if d not in near][:2]


def write_catalogue(path: Path, prefix: str, first_response_s: float = 600) -> None:
    policy = {
        "low_confidence": {"threshold": 0.5, "turns": 2},
        "sensitive_intents": ["passport.stolen"],
        "sensitive_keywords": ["threat"],
        "service_levels": {"passport-application": 2},
        "low_rating": 0.4,
        "first_response_s": first_response_s,
    }
    document = {
        "topics": {
            "defaults": {"partitions": 2, "replication_factor": 1},
            "assistant_events": f"{prefix}.assistant-events",
            "service_updates": f"{prefix}.service-updates",
            "dead_letters": f"{prefix}.deadletters",
        },
        "authorities": [
            {
                "code": "police",
                "name": "Police and Border Guard Board",
                "inbox": f"{prefix}.inbox.police",
                "assistant_topic": f"{prefix}.assistant.police",
                "services": ["passport-application"],
                "intents": ["passport"],
                "escalation": policy,
            },
            {
                "code": "tax-board",
                "name": "Tax and Customs Board",
                "inbox": f"{prefix}.inbox.tax-board",
                "assistant_topic": f"{prefix}.assistant.tax-board",
                "intents": ["tax"],
                "working_hours": {
                    "timezone": "Europe/Tallinn",
                    "days": closed_days(),
                    "open": "09:00",
                    "close": "17:00",
                },
                "escalation": policy,
            },
            {
                "code": "social-insurance",
                "name": "Social Insurance Board",
                "inbox": f"{prefix}.inbox.social-insurance",
                "assistant_topic": f"{prefix}.assistant.social-insurance",
                "intents": ["pension"],
                "escalation": policy,
            },
        ],
        "routing": {"fallback": "police"},
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False))


@dataclass
class Officials:
    path: Path
    tokens: dict[str, str] = field(default_factory=dict)

    @classmethod
    def write(cls, path: Path) -> Officials:
        people = [  # anna is her authority's supervisor
            ("anna", "Anna Tamm", "police", True),
            ("bert", "Bert Kask", "police", False),
            ("carl", "Carl Saar", "tax-board", False),
        ]
        tokens, entries = {}, []
        for official, name, authority, supervisor in people:
            token, digest = new_token()
            tokens[official] = token
            entries.append(
                {
                    "id": official,
                    "name": name,
                    "authority": authority,
                    "token_sha256": digest,
                    "supervisor": supervisor,
                }
            )
        path.write_text(yaml.safe_dump({"officials": entries}))
        return cls(path, tokens)


@dataclass
class Api:
    url: str
    officials: Officials

    def call(
        self, method: str, path: str, who: str | None, body: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        """An HTTP call as official ``who`` (None: no token, '?' a wrong one)."""
        headers = {"Content-Type": "application/json"}
        if who is not None:
            token = "not-a-token" if who == "?" else self.officials.tokens[who]
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return int(response.status), json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    async def acall(
        self, method: str, path: str, who: str | None, body: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        return await asyncio.to_thread(self.call, method, path, who, body)

    async def case_of(
        self, conversation: str, who: str, timeout_s: float = 90, **expected: Any
    ) -> dict[str, Any]:
        """The case of ``conversation`` in ``who``'s queue, once it has the expected fields."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            status, body = await self.acall("GET", "/api/cases", who)
            assert status == 200, body
            for case in body["cases"]:
                if case["conversation_id"] == conversation and all(
                    case.get(k) == v for k, v in expected.items()
                ):
                    return dict(case)
            await asyncio.sleep(0.3)
        raise AssertionError(f"no case of {conversation} with {expected} for {who}")


@dataclass
class EscalationSystem:
    """A catalogue on fresh topics, a worker and the officials' API, as real processes."""

    settings: Settings
    catalogue_path: Path
    officials: Officials
    api: Api
    env: dict[str, str]
    worker: Service
    server: Service
    start_worker: Callable[..., Service]

    def start_worker_again(self, name: str) -> Service:
        """Another worker of the same app, with its own (empty) local state."""
        self.worker = self.start_worker(name, **self.env)
        self.worker.wait_until(lambda: self.worker.logged("Worker ready"), timeout_s=120)
        return self.worker


@pytest.fixture
def escalation_system(
    settings_with_registry: Settings,
    start_worker: Callable[..., Service],
    unique_name: Callable[[str], str],
    tmp_path: Path,
) -> Iterator[Callable[..., EscalationSystem]]:
    """Start the escalation system; ``first_response_s`` sets the cases' service level,
    ``presence_lease_s`` the officials' presence lease (worker and API), ``worker_settings``
    more of the worker's (e.g. ``processing_guarantee``)."""
    servers: list[Service] = []

    def start(
        first_response_s: float = 600,
        presence_lease_s: float | None = None,
        **worker_settings: str,
    ) -> EscalationSystem:
        if presence_lease_s is not None:
            worker_settings["presence_lease_s"] = str(presence_lease_s)
        catalogue_path = tmp_path / "catalogue.yaml"
        write_catalogue(catalogue_path, unique_name("esc"), first_response_s)
        officials = Officials.write(tmp_path / "officials.yaml")
        env = {
            "app_id": unique_name("app"),
            "catalogue": str(catalogue_path),
            "escalation_check_s": "0.5",
            **worker_settings,
        }
        worker = start_worker("worker", **env)
        worker.wait_until(lambda: worker.logged("Worker ready"), timeout_s=120)
        port = free_port()
        server_env = {
            "BUS_BOOTSTRAP_SERVERS": settings_with_registry.bootstrap_servers,
            "BUS_SCHEMA_REGISTRY_URL": settings_with_registry.schema_registry_url,
            "BUS_CATALOGUE": str(catalogue_path),
            "BUS_OFFICIALS": str(officials.path),
        }
        if presence_lease_s is not None:
            server_env["BUS_PRESENCE_LEASE_S"] = str(presence_lease_s)
        server = start_bus(
            "officials", ["officials", "serve", "--port", str(port)], server_env, tmp_path / "logs"
        )
        servers.append(server)
        url = f"http://127.0.0.1:{port}"
        server.wait_until(http_ok(url + "/"), timeout_s=120)
        return EscalationSystem(
            settings_with_registry.model_copy(update={"catalogue": catalogue_path}),
            catalogue_path,
            officials,
            Api(url, officials),
            {key: str(value) for key, value in env.items()},
            worker,
            server,
            start_worker,
        )

    yield start
    for server in servers:
        server.stop()


Scraped = Callable[..., Awaitable[dict[str, float]]]


def _scrape(url: str) -> dict[str, float]:
    """Every sample of a /metrics page, keyed ``name{label="value",...}`` (labels sorted)."""
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(url, timeout=30) as response:
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = float(sample.value)
    return samples


@pytest.fixture
def scraped() -> Scraped:
    """``await scraped(url, {series: value})``: the /metrics samples at ``url`` once the
    series have those values (missing series count as 0); fails after ``timeout_s``."""

    async def until(
        url: str, expected: dict[str, float], timeout_s: float = 60
    ) -> dict[str, float]:
        deadline = time.monotonic() + timeout_s
        while True:
            found = await asyncio.to_thread(_scrape, url)
            seen = {key: found.get(key, 0.0) for key in expected}
            if seen == expected:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"{url}: expected {expected}, found {seen}")
            await asyncio.sleep(0.3)

    return until
