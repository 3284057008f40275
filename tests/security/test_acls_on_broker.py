"""Each principal on a real secured broker: what the catalogue grants works, the rest is refused.

One dedicated SASL/SCRAM broker with the StandardAuthorizer for the module
(``secured_kafka``); the catalogue's topics and ``bus acl apply`` are set up
once, as an operator would, through the ``bus`` command.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from aiokafka.admin import NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)
from pydantic import SecretStr

from bus.catalogue import load_catalogue
from bus.client import Publisher, Subscriber
from bus.errors import AccessDeniedError
from bus.kafka.admin import admin_client
from bus.kafka.connection import security_kwargs
from bus.security.access import require_readable
from bus.settings import Settings
from bus.supervise import Service, run_bus, start_bus
from tests.security.applied import (
    Applied,
    apply_catalogue,
    consume_one,
    produce,
    refused_to_produce,
    refused_to_read,
    serve_registry,
)

pytestmark = [pytest.mark.broker, pytest.mark.slow]

AUTHORIZATION_FAILED = TopicAuthorizationFailedError.errno  # 29
AUDIT_TOPIC = load_catalogue(Settings().catalogue).topics.audit


@pytest.fixture(scope="module")
def secured_bus(secured_kafka: Settings, tmp_path_factory: pytest.TempPathFactory) -> Applied:
    # the admin creates every catalogue topic (audit and escalation topics included)
    return apply_catalogue(secured_kafka, tmp_path_factory.mktemp("acl"))


def test_acl_apply_a_second_time_changes_nothing(secured_bus: Applied) -> None:
    again = run_bus(
        "acl", "apply", "--credentials", str(secured_bus.credentials), env=secured_bus.env
    )
    assert again.returncode == 0, again.stderr
    assert "no changes" in again.stdout
    dry = run_bus("acl", "apply", "--dry-run", env=secured_bus.env)
    assert dry.returncode == 0 and "no changes" in dry.stdout and "+ " not in dry.stdout


async def test_an_agency_service_reads_its_inbox_and_writes_status_updates_and_nothing_else(
    secured_bus: Applied,
) -> None:
    service = secured_bus.as_("service-tax-board")
    marker = uuid.uuid4().bytes
    await produce(secured_bus.admin, "bus.inbox.tax-board", marker)
    assert await consume_one(service, "bus.inbox.tax-board", "service-tax-board-a") == marker
    await produce(service, "bus.service-updates")
    await refused_to_read(service, "bus.inbox.police")
    await refused_to_read(service, "bus.assistant.tax-board")
    for topic in ("bus.inbox.police", "bus.assistant-events", "bus.inbox.tax-board", AUDIT_TOPIC):
        await refused_to_produce(service, topic)
    with pytest.raises(GroupAuthorizationFailedError):
        await consume_one(service, "bus.inbox.tax-board", "someone-elses-group")


async def test_an_assistant_writes_its_events_and_reads_only_its_own_replies(
    secured_bus: Applied,
) -> None:
    assistant = secured_bus.as_("assistant-police")
    marker = uuid.uuid4().bytes
    await produce(assistant, "bus.assistant-events")
    await produce(secured_bus.admin, "bus.assistant.police", marker)
    assert await consume_one(assistant, "bus.assistant.police", "assistant-police-a") == marker
    await refused_to_read(assistant, "bus.assistant.tax-board")
    await refused_to_read(assistant, "bus.inbox.police")
    for topic in ("bus.inbox.police", "bus.service-updates", "bus.assistant.police", AUDIT_TOPIC):
        await refused_to_produce(assistant, topic)


async def test_only_the_auditor_writes_the_audit_topic_and_only_auditors_read_it(
    secured_bus: Applied,
) -> None:
    marker = uuid.uuid4().bytes
    await produce(secured_bus.as_("auditor"), AUDIT_TOPIC, marker)
    replay = secured_bus.as_("audit-reader")
    assert await consume_one(replay, AUDIT_TOPIC, "audit-reader-a") == marker
    await refused_to_produce(replay, AUDIT_TOPIC)
    others = set(secured_bus.passwords) - {"auditor", "audit-reader"}
    assert len(others) == 13
    for principal in sorted(others):
        settings = secured_bus.as_(principal)
        await refused_to_produce(settings, AUDIT_TOPIC)
        with pytest.raises(AccessDeniedError):
            await require_readable(settings, [AUDIT_TOPIC])


async def test_no_principal_may_create_alter_or_delete_topics(secured_bus: Applied) -> None:
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
    secured_bus: Applied, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = secured_bus.as_("router").model_copy(update={"sasl_password": SecretStr("nope")})
    with pytest.raises(KafkaConnectionError):
        async with admin_client(wrong.bootstrap_servers, **security_kwargs(wrong)):
            pass
    assert "SaslAuthenticationFailed" in caplog.text


async def test_registry_worker_assistant_and_service_each_run_under_their_own_principal(
    secured_bus: Applied, tmp_path: Path
) -> None:
    """The real processes take their credentials from BUS_* settings, as in production."""
    registry, url = await serve_registry(secured_bus, tmp_path)
    started: list[Service] = [registry]
    try:
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
