"""The bus over TLS on a real broker: every client connects with BUS_SSL_CAFILE; plaintext
and an untrusted certificate are refused.

One dedicated ``bus kafka start --tls`` broker for the module (``tls_kafka``), and
one with ``--tls --sasl`` for SASL_SSL.
"""

from __future__ import annotations

import asyncio
import ssl
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from aiokafka.errors import KafkaConnectionError
from confluent_kafka.admin import AdminClient
from pydantic import SecretStr

from bus.client import Publisher, Subscriber
from bus.kafka.admin import admin_client
from bus.kafka.connection import librdkafka_config, security_kwargs
from bus.kafka.local import answers_metadata, free_port
from bus.security.tls import ensure_server_files
from bus.settings import Settings
from bus.supervise import Service, http_ok, run_bus, start_bus

from ..conftest import Officials, kafka_env
from ..probes import get_json, until_status

pytestmark = [pytest.mark.broker, pytest.mark.slow]

GREETING = "gov.agencybus.conversation.Greeting"


@pytest.fixture(scope="module")
def tls_bus(tls_kafka: Settings) -> Settings:
    """The TLS broker with the catalogue's topics, created by ``bus topics apply`` over TLS."""
    result = run_bus("topics", "apply", env=kafka_env(tls_kafka))
    assert result.returncode == 0, result.stderr
    return tls_kafka


async def test_registry_worker_publisher_and_subscriber_work_over_tls(
    tls_bus: Settings, tmp_path: Path
) -> None:
    """The registry and the publisher/subscriber (aiokafka) and the worker (librdkafka)
    take the CA from BUS_SSL_CAFILE, as a deployment would."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = kafka_env(tls_bus)
    started: list[Service] = []
    try:
        registry = start_bus("registry", ["registry", "serve", "--port", str(port)], env, tmp_path)
        started.append(registry)
        await asyncio.to_thread(registry.wait_until, http_ok(url + "/subjects"), 60)
        worker_env = {
            **env,
            "BUS_AGENTS": "router,echo",
            "BUS_SCHEMA_REGISTRY_URL": url,
            "BUS_WORKER_DIR": str(tmp_path / "state"),
            "BUS_METRICS_PORT": str(free_port()),
        }
        worker = start_bus("worker", ["worker"], worker_env, tmp_path)
        started.append(worker)
        await asyncio.to_thread(worker.wait_until, lambda: worker.logged("Worker ready"), 90)
        settings = tls_bus.model_copy(update={"schema_registry_url": url})
        async with Publisher(settings) as publisher:
            sent = await publisher.emit(
                "bus.assistant-events",
                GREETING,
                source="assistant:tax-board",
                conversation_id=f"c-{uuid.uuid4()}",
                text="Tere!",
                language="et",
            )
        async with Subscriber(
            settings, topics=["bus.inbox.tax-board"], group_id="service-tax-board-tls"
        ) as inbox:
            async for delivery in inbox:
                if delivery.event.id == sent.id:
                    break
        assert delivery.event.type == GREETING
        assert worker.running
    finally:
        for process in started:
            process.stop()


async def test_a_plaintext_client_is_refused_at_once(tls_kafka: Settings) -> None:
    plaintext = tls_kafka.model_copy(update={"security_protocol": "PLAINTEXT"})
    with pytest.raises(KafkaConnectionError, match="Unable to bootstrap"):
        async with admin_client(plaintext.bootstrap_servers, **security_kwargs(plaintext)):
            pass
    assert not await answers_metadata(plaintext.bootstrap_servers)


def test_a_plaintext_command_says_to_set_the_protocol_and_the_ca(tls_kafka: Settings) -> None:
    result = run_bus("topics", "apply", env={"BUS_BOOTSTRAP_SERVERS": tls_kafka.bootstrap_servers})
    assert result.returncode == 1
    assert "BUS_SECURITY_PROTOCOL=SSL" in result.stderr and "BUS_SSL_CAFILE" in result.stderr


async def test_a_client_that_does_not_trust_the_local_ca_is_refused(
    tls_kafka: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    untrusting = tls_kafka.model_copy(update={"ssl_cafile": None})  # the system's CAs only
    with pytest.raises(KafkaConnectionError):
        async with admin_client(untrusting.bootstrap_servers, **security_kwargs(untrusting)):
            pass
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text


def test_the_officials_api_and_the_connectors_get_ready_over_tls_with_a_secured_registry(
    tls_kafka: Settings, catalogue_path: Path, tmp_path: Path
) -> None:
    """Every other long-running process on TLS Kafka, with the registry on HTTPS with users:
    /readyz is 200 only once each has read its topics and reached Kafka."""
    document = yaml.safe_load(catalogue_path.read_text())
    document["authorities"][0]["webhook"] = "http://127.0.0.1:9/never-called"
    document["authorities"][0]["webhook_secret"] = "hook-secret"
    catalogue_path.write_text(yaml.safe_dump(document))
    clients = tmp_path / "clients.yaml"
    police_bot = {"name": "police-bot", "authority": "police", "api_keys": ["gateway-key"]}
    clients.write_text(yaml.safe_dump({"clients": [police_bot]}))
    users, password = tmp_path / "users.yaml", uuid.uuid4().hex
    add = ["registry", "add-user", "bus", "--role", "read-write", "--users", str(users)]
    added = run_bus(*add, input=password)
    assert added.returncode == 0, added.stderr
    certificate = ensure_server_files(tmp_path / "registry-tls", "registry")
    ports = {name: free_port() for name in ("registry", "officials", "gateway", "hooks", "rasa")}
    env = {
        **kafka_env(tls_kafka),
        "BUS_SCHEMA_REGISTRY_URL": f"https://127.0.0.1:{ports['registry']}",
        "BUS_SCHEMA_REGISTRY_CAFILE": str(certificate.ca),
        "BUS_SCHEMA_REGISTRY_USER": "bus",
        "BUS_SCHEMA_REGISTRY_PASSWORD": password,
        "BUS_REGISTRY_USERS": str(users),
        "BUS_REGISTRY_CERTFILE": str(certificate.cert),
        "BUS_REGISTRY_KEYFILE": str(certificate.key),
        "BUS_REGISTRY_TOPIC": f"_schemas.tls.{uuid.uuid4().hex[:8]}",
        "BUS_CATALOGUE": str(catalogue_path),
        "BUS_OFFICIALS": str(Officials.write(tmp_path / "officials.yaml").path),
        "BUS_RASA_TOPIC": f"tls.rasa.{uuid.uuid4().hex[:8]}",
    }
    applied = run_bus("topics", "apply", env=env)
    assert applied.returncode == 0, applied.stderr
    commands = {
        "officials": ["officials", "serve", "--port", str(ports["officials"])],
        "gateway": ["gateway", "serve", "--port", str(ports["gateway"]), "--clients", str(clients)],
        "hooks": ["webhooks", "run", "--metrics-port", str(ports["hooks"])],
        "rasa": ["rasa-bridge", "--authority", "police", "--metrics-port", str(ports["rasa"])],
    }
    registry_ready = f"https://127.0.0.1:{ports['registry']}/readyz"
    trusting = ssl.create_default_context(cafile=certificate.ca)

    def registry_is_ready() -> bool:
        try:
            with urllib.request.urlopen(registry_ready, timeout=2, context=trusting) as answer:
                return int(answer.status) == 200
        except OSError:
            return False

    started: list[Service] = []
    try:
        serve = ["registry", "serve", "--port", str(ports["registry"])]
        registry = start_bus("registry", serve, env, tmp_path / "logs")
        started.append(registry)
        registry.wait_until(registry_is_ready, timeout_s=90)
        for name, args in commands.items():
            started.append(start_bus(name, args, env, tmp_path / "logs"))
            until_status(f"http://127.0.0.1:{ports[name]}/readyz", 200, 120)
        for name in commands:
            assert get_json(f"http://127.0.0.1:{ports[name]}/readyz")[0] == 200, name
        assert all(service.running for service in started)
    finally:
        for service in reversed(started):
            service.stop()


def test_librdkafka_clients_see_the_broker_over_tls(tls_kafka: Settings) -> None:
    """The worker's and the connectors' client (confluent-kafka) with the same settings."""
    metadata = AdminClient(librdkafka_config(tls_kafka)).list_topics(timeout=30)
    brokers = [f"{b.host}:{b.port}" for b in metadata.brokers.values()]
    assert brokers == [tls_kafka.bootstrap_servers]


def test_status_tells_the_protocol_and_the_ca_file(tls_kafka: Settings) -> None:
    assert tls_kafka.ssl_cafile is not None
    port = tls_kafka.bootstrap_servers.rsplit(":", 1)[1]
    folder = tls_kafka.ssl_cafile.parent.parent
    status = run_bus("kafka", "status", "--port", port, "--data-dir", str(folder))
    assert status.returncode == 0, status.stderr
    assert "(SSL)" in status.stdout and f"BUS_SSL_CAFILE={tls_kafka.ssl_cafile}" in status.stdout


@pytest.fixture(scope="module")
def sasl_tls_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """``bus kafka start --tls --sasl``: SCRAM over TLS, the super user's settings."""
    port, node_dir = str(free_port()), tmp_path_factory.mktemp("sasl-tls-kafka")
    env = {"BUS_SASL_USERNAME": "admin", "BUS_SASL_PASSWORD": uuid.uuid4().hex}
    where = ["--port", port, "--data-dir", str(node_dir)]
    started = run_bus("kafka", "start", "--tls", "--sasl", *where, env=env)
    assert started.returncode == 0, started.stderr
    assert "(SASL_SSL)" in started.stdout
    try:
        yield Settings(
            bootstrap_servers=f"127.0.0.1:{port}",
            security_protocol="SASL_SSL",
            sasl_username="admin",
            sasl_password=SecretStr(env["BUS_SASL_PASSWORD"]),
            ssl_cafile=node_dir / "tls" / "ca.pem",
        )
    finally:
        run_bus("kafka", "stop", *where)


async def test_sasl_ssl_takes_the_principal_over_tls_and_refuses_sasl_plaintext(
    sasl_tls_kafka: Settings,
) -> None:
    result = run_bus("topics", "apply", env=kafka_env(sasl_tls_kafka))
    assert result.returncode == 0, result.stderr
    assert AdminClient(librdkafka_config(sasl_tls_kafka)).list_topics(timeout=30).topics
    in_clear = sasl_tls_kafka.model_copy(update={"security_protocol": "SASL_PLAINTEXT"})
    with pytest.raises(KafkaConnectionError):
        async with admin_client(in_clear.bootstrap_servers, **security_kwargs(in_clear)):
            pass
