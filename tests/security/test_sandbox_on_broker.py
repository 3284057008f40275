"""A sandbox's candidate on a real secured broker: its input to read, its answers to write, no more.

``bus topics apply`` and ``bus acl apply`` set the sandbox up from a catalogue
that declares one, as an operator would; the candidate then tries every
topic a citizen, an agency service or an assistant reads.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import ClusterAuthorizationFailedError, TopicAuthorizationFailedError
from pydantic import SecretStr

from bus.catalogue import load_catalogue
from bus.client import Publisher, Subscriber
from bus.client.subscriber import Delivery
from bus.errors import AccessDeniedError
from bus.kafka.connection import client_kwargs
from bus.kafka.local import free_port
from bus.security.credentials import read_passwords
from bus.settings import Settings
from bus.supervise import Service, http_ok, run_bus, start_bus
from connectors.candidate.runner import run_candidate
from tests.conftest import kafka_env

pytestmark = [pytest.mark.broker, pytest.mark.slow]

CANDIDATE = "candidate-police-v2"
INPUT, ANSWERS = "bus.sandbox.police-v2.input", "bus.sandbox.police-v2.answers"


@dataclass(frozen=True)
class Applied:
    catalogue: Path
    passwords: dict[str, str]


@pytest.fixture(scope="module")
def applied(secured_kafka: Settings, tmp_path_factory: pytest.TempPathFactory) -> Applied:
    """The admin applied a catalogue with one sandbox: its topics, users and ACLs."""
    folder = tmp_path_factory.mktemp("sandbox-acl")
    document = yaml.safe_load(Settings().catalogue.read_text())
    ends = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    document["sandboxes"] = [
        {"name": "police-v2", "authority": "police", "principal": CANDIDATE, "ends": ends}
    ]
    catalogue = folder / "catalogue.yaml"
    catalogue.write_text(yaml.safe_dump(document, sort_keys=False))
    credentials = folder / "kafka-users.txt"
    env = {**kafka_env(secured_kafka), "BUS_CATALOGUE": str(catalogue)}
    for args in (["topics", "apply"], ["acl", "apply", "--credentials", str(credentials)]):
        result = run_bus(*args, env=env)
        assert result.returncode == 0, result.stderr
    return Applied(catalogue, read_passwords(credentials))


def _as(settings: Settings, applied: Applied, principal: str) -> Settings:
    password = SecretStr(applied.passwords[principal])
    return settings.model_copy(update={"sasl_username": principal, "sasl_password": password})


@pytest.fixture(scope="module")
def candidate(secured_kafka: Settings, applied: Applied) -> Settings:
    """The candidate's settings."""
    return _as(secured_kafka, applied, CANDIDATE)


async def _produce(settings: Settings, topic: str, value: bytes) -> None:
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
        return bytes(message.value or b"")
    finally:
        await consumer.stop()


async def test_the_candidate_reads_its_input_and_writes_its_answers(
    candidate: Settings, secured_kafka: Settings
) -> None:
    marker = uuid.uuid4().bytes
    await _produce(secured_kafka, INPUT, marker)
    assert await _consume_one(candidate, INPUT, f"{CANDIDATE}-a") == marker
    await _produce(candidate, ANSWERS, marker)
    assert await _consume_one(secured_kafka, ANSWERS, "admin-check") == marker


async def test_whatever_the_candidate_writes_elsewhere_is_denied(candidate: Settings) -> None:
    for topic in (
        "bus.assistant-events",
        "bus.assistant.police",
        "bus.inbox.police",
        "bus.service-updates",
        "bus.escalations",
        "bus.deadletters",
        INPUT,
    ):
        with pytest.raises((TopicAuthorizationFailedError, ClusterAuthorizationFailedError)):
            await _produce(candidate, topic, b"a citizen must never see this")


async def test_the_candidate_reads_no_conversation_outside_its_input(candidate: Settings) -> None:
    for topic in ("bus.assistant-events", "bus.assistant.police", "bus.inbox.police"):
        with pytest.raises(AccessDeniedError, match=topic):
            async with Subscriber(candidate, topics=[topic], group_id=f"{CANDIDATE}-b"):
                pass


async def test_the_feed_runs_as_the_auditor_and_the_candidate_answers_as_itself(
    secured_kafka: Settings, applied: Applied, tmp_path: Path
) -> None:
    """Real processes under their own principals: registry, the auditor's feed, the candidate."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**kafka_env(secured_kafka), "BUS_CATALOGUE": str(applied.catalogue)}
    started: list[Service] = []
    try:
        registry = start_bus(
            "registry",
            ["registry", "serve", "--port", str(port)],
            {**env, **_credentials(applied, "registry")},
            tmp_path,
        )
        started.append(registry)
        await asyncio.to_thread(registry.wait_until, http_ok(url + "/subjects"), 60)
        feed_env = {
            **env,
            **_credentials(applied, "auditor"),
            "BUS_AGENTS": "sandbox",
            "BUS_APP_ID": "auditor",
            "BUS_SCHEMA_REGISTRY_URL": url,
            "BUS_WORKER_DIR": str(tmp_path / "state"),
        }
        feed = start_bus("worker", ["worker"], feed_env, tmp_path)
        started.append(feed)
        await asyncio.to_thread(feed.wait_until, lambda: feed.logged("Worker ready"), 90)
        assistant = _as(secured_kafka, applied, "assistant-police").model_copy(
            update={"schema_registry_url": url}
        )
        async with Publisher(assistant) as publisher:
            turn = await publisher.emit(
                "bus.assistant-events",
                "gov.agencybus.conversation.MessageSent",
                source="assistant:police",
                authority="police",
                conversation_id=f"c-{uuid.uuid4()}",
                message_id="m1",
                author_role="END_USER",
                text="I lost my passport, my code is 37605030299",
            )
        candidate = _as(secured_kafka, applied, CANDIDATE).model_copy(
            update={"schema_registry_url": url}
        )
        box = load_catalogue(applied.catalogue).sandbox("police-v2")
        assert await run_candidate(candidate, box, limit=1) == 1
        async with Subscriber(
            _as(secured_kafka, applied, "auditor").model_copy(update={"schema_registry_url": url}),
            topics=[INPUT],
            group_id="auditor-check",
            on_error="skip",  # the raw marker of the first test
        ) as fed:
            seen = [delivery.event async for delivery in _first(fed)]
        assert [event.id for event in seen] == [turn.id]
        assert "37605030299" not in seen[0].data["text"]
        assert feed.running and not feed.logged("AuthorizationFailed"), feed.log_tail()
    finally:
        for service in started:
            service.stop()


def _credentials(applied: Applied, principal: str) -> dict[str, str]:
    return {"BUS_SASL_USERNAME": principal, "BUS_SASL_PASSWORD": applied.passwords[principal]}


async def _first(subscriber: Subscriber) -> AsyncIterator[Delivery]:
    async for delivery in subscriber:
        yield delivery
        return
