"""Each principal on a real secured broker: what the catalogue grants works, the rest is refused.

One dedicated SASL/SCRAM broker with the StandardAuthorizer for the module
(``secured_kafka``); the catalogue's topics and ``bus acl apply`` are set up
once, as an operator would, through the ``bus`` command.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)
from pydantic import SecretStr

from bus.catalogue import load_catalogue
from bus.client import Publisher, Subscriber
from bus.errors import AccessDeniedError
from bus.kafka.admin import admin_client
from bus.kafka.connection import client_kwargs, security_kwargs
from bus.kafka.local import free_port
from bus.security.access import require_readable
from bus.security.credentials import read_passwords
from bus.settings import Settings
from bus.supervise import Service, http_ok, run_bus, start_bus

pytestmark = [pytest.mark.broker, pytest.mark.slow]

AUTHORIZATION_FAILED = TopicAuthorizationFailedError.errno  # 29
AUDIT_TOPIC = load_catalogue(Settings().catalogue).topics.audit


@dataclass(frozen=True)
class SecuredBus:
    admin: Settings
    passwords: dict[str, str]
    credentials: Path
    env: dict[str, str]

    def as_(self, principal: str) -> Settings:
        password = SecretStr(self.passwords[principal])
        return self.admin.model_copy(update={"sasl_username": principal, "sasl_password": password})

    def env_of(self, principal: str) -> dict[str, str]:
        return {
            **self.env,
            "BUS_SASL_USERNAME": principal,
            "BUS_SASL_PASSWORD": self.passwords[principal],
        }


def _admin_env(settings: Settings) -> dict[str, str]:
    assert settings.sasl_username and settings.sasl_password
    return {
        "BUS_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "BUS_SECURITY_PROTOCOL": settings.security_protocol,
        "BUS_SASL_USERNAME": settings.sasl_username,
        "BUS_SASL_PASSWORD": settings.sasl_password.get_secret_value(),
    }


@pytest.fixture(scope="module")
def secured_bus(
    secured_kafka: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SecuredBus]:
    env = _admin_env(secured_kafka)
    credentials = tmp_path_factory.mktemp("acl") / "kafka-users.txt"
    # the admin creates every catalogue topic (audit and escalation topics included)
    for args in (["topics", "apply"], ["acl", "apply", "--credentials", str(credentials)]):
        result = run_bus(*args, env=env)
        assert result.returncode == 0, result.stderr
    yield SecuredBus(secured_kafka, read_passwords(credentials), credentials, env)


async def _produce(settings: Settings, topic: str, value: bytes = b"x") -> None:
    producer = AIOKafkaProducer(**client_kwargs(settings), acks="all", enable_idempotence=True)
    try:
        await producer.start()
        await producer.send_and_wait(topic, value, key=b"k")
    finally:
        await producer.stop()


async def _consume_one(settings: Settings, topic: str, group: str) -> bytes:
    consumer = AIOKafkaConsumer(
        topic, **client_kwargs(settings), group_id=group, auto_offset_reset="earliest"
    )
    try:
        await consumer.start()
        message = await asyncio.wait_for(consumer.getone(), 30)
        await consumer.commit()
        return bytes(message.value or b"")
    finally:
        await consumer.stop()


async def _refused_to_produce(settings: Settings, topic: str) -> None:
    # a principal that may write nowhere is refused the idempotent producer id first
    with pytest.raises((TopicAuthorizationFailedError, ClusterAuthorizationFailedError)):
        await _produce(settings, topic)


async def _refused_to_read(settings: Settings, topic: str) -> None:
    with pytest.raises(AccessDeniedError, match=topic):
        async with Subscriber(settings, topics=[topic], group_id=f"{settings.sasl_username}-t"):
            pass


def test_acl_apply_a_second_time_changes_nothing(secured_bus: SecuredBus) -> None:
    again = run_bus(
        "acl", "apply", "--credentials", str(secured_bus.credentials), env=secured_bus.env
    )
    assert again.returncode == 0, again.stderr
    assert "no changes" in again.stdout
    dry = run_bus("acl", "apply", "--dry-run", env=secured_bus.env)
    assert dry.returncode == 0 and "no changes" in dry.stdout and "+ " not in dry.stdout


async def test_an_agency_service_reads_its_inbox_and_writes_status_updates_and_nothing_else(
    secured_bus: SecuredBus,
) -> None:
    service = secured_bus.as_("service-tax-board")
    marker = uuid.uuid4().bytes
    await _produce(secured_bus.admin, "bus.inbox.tax-board", marker)
    assert await _consume_one(service, "bus.inbox.tax-board", "service-tax-board-a") == marker
    await _produce(service, "bus.service-updates")
    await _refused_to_read(service, "bus.inbox.police")
    await _refused_to_read(service, "bus.assistant.tax-board")
    for topic in ("bus.inbox.police", "bus.assistant-events", "bus.inbox.tax-board", AUDIT_TOPIC):
        await _refused_to_produce(service, topic)
    with pytest.raises(GroupAuthorizationFailedError):
        await _consume_one(service, "bus.inbox.tax-board", "someone-elses-group")


async def test_an_assistant_writes_its_events_and_reads_only_its_own_replies(
    secured_bus: SecuredBus,
) -> None:
    assistant = secured_bus.as_("assistant-police")
    marker = uuid.uuid4().bytes
    await _produce(assistant, "bus.assistant-events")
    await _produce(secured_bus.admin, "bus.assistant.police", marker)
    assert await _consume_one(assistant, "bus.assistant.police", "assistant-police-a") == marker
    await _refused_to_read(assistant, "bus.assistant.tax-board")
    await _refused_to_read(assistant, "bus.inbox.police")
    for topic in ("bus.inbox.police", "bus.service-updates", "bus.assistant.police", AUDIT_TOPIC):
        await _refused_to_produce(assistant, topic)


async def test_only_the_auditor_writes_the_audit_topic_and_only_auditors_read_it(
    secured_bus: SecuredBus,
) -> None:
    marker = uuid.uuid4().bytes
    await _produce(secured_bus.as_("auditor"), AUDIT_TOPIC, marker)
    replay = secured_bus.as_("audit-reader")
    assert await _consume_one(replay, AUDIT_TOPIC, "audit-reader-a") == marker
    await _refused_to_produce(replay, AUDIT_TOPIC)
    others = set(secured_bus.passwords) - {"auditor", "audit-reader"}
    assert len(others) == 13
    for principal in sorted(others):
        settings = secured_bus.as_(principal)
        await _refused_to_produce(settings, AUDIT_TOPIC)
        with pytest.raises(AccessDeniedError):
            await require_readable(settings, [AUDIT_TOPIC])


async def test_no_principal_may_create_alter_or_delete_topics(secured_bus: SecuredBus) -> None:
    for principal in sorted(secured_bus.passwords):
        settings = secured_bus.as_(principal)
        async with admin_client(settings.bootstrap_servers, **security_kwargs(settings)) as admin:
            created = await admin.create_topics([NewTopic(f"bus.new.{principal}", 1, 1)])
            assert [code for _, code, _ in created.topic_errors] == [AUTHORIZATION_FAILED]
            retention = {"retention.ms": "1000"}
            altered = await admin.alter_configs(
                [ConfigResource(ConfigResourceType.TOPIC, "bus.assistant-events", retention)]
            )
            codes = [r[0] for response in altered for r in response.resources]
            assert codes == [AUTHORIZATION_FAILED], principal
            deleted = await admin.delete_topics(["bus.service-updates"])
            assert [code for _, code in deleted.topic_error_codes] == [AUTHORIZATION_FAILED]


async def test_a_wrong_password_is_refused(
    secured_bus: SecuredBus, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = secured_bus.as_("router").model_copy(update={"sasl_password": SecretStr("nope")})
    with pytest.raises(KafkaConnectionError):
        async with admin_client(wrong.bootstrap_servers, **security_kwargs(wrong)):
            pass
    assert "SaslAuthenticationFailed" in caplog.text


async def test_registry_worker_assistant_and_service_each_run_under_their_own_principal(
    secured_bus: SecuredBus, tmp_path: Path
) -> None:
    """The real processes take their credentials from BUS_* settings, as in production."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    started: list[Service] = []
    try:
        registry = start_bus(
            "registry",
            ["registry", "serve", "--port", str(port)],
            secured_bus.env_of("registry"),
            tmp_path,
        )
        started.append(registry)
        await asyncio.to_thread(registry.wait_until, http_ok(url + "/subjects"), 60)
        worker_env = {  # the router's worker: the other agents run under their own principals
            **secured_bus.env_of("router"),
            "BUS_AGENTS": "router,echo",
            "BUS_SCHEMA_REGISTRY_URL": url,
            "BUS_WORKER_DIR": str(tmp_path / "state"),
        }
        worker = start_bus("worker", ["worker"], worker_env, tmp_path)
        started.append(worker)
        await asyncio.to_thread(worker.wait_until, lambda: worker.logged("Worker ready"), 90)
        assistant = secured_bus.as_("assistant-tax-board").model_copy(
            update={"schema_registry_url": url}
        )
        service = secured_bus.as_("service-tax-board").model_copy(
            update={"schema_registry_url": url}
        )
        async with Publisher(assistant) as publisher:
            sent = await publisher.emit(
                "bus.assistant-events",
                "gov.agencybus.conversation.Greeting",
                source="assistant:tax-board",
                conversation_id=f"c-{uuid.uuid4()}",
                text="Tere!",
                language="et",
            )
        async with Subscriber(
            service, topics=["bus.inbox.tax-board"], group_id="service-tax-board-e2e"
        ) as inbox:
            async for delivery in inbox:
                if delivery.event.id == sent.id:
                    break
        assert delivery.event.type == "gov.agencybus.conversation.Greeting"
        assert worker.running and not worker.logged("AuthorizationFailed")
    finally:
        for service_process in started:
            service_process.stop()
