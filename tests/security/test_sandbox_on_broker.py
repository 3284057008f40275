"""A sandbox's candidate on a real secured broker: its input to read, its answers to write, no more.

``bus topics apply`` and ``bus acl apply`` set the sandbox up from a catalogue
that declares one, as an operator would; the candidate then tries every
topic a citizen, an agency service or an assistant reads.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import ClusterAuthorizationFailedError, TopicAuthorizationFailedError
from pydantic import SecretStr

from bus.client import Subscriber
from bus.errors import AccessDeniedError
from bus.kafka.connection import client_kwargs
from bus.security.credentials import read_passwords
from bus.settings import Settings
from bus.supervise import run_bus
from tests.conftest import kafka_env

pytestmark = [pytest.mark.broker, pytest.mark.slow]

CANDIDATE = "candidate-police-v2"
INPUT, ANSWERS = "bus.sandbox.police-v2.input", "bus.sandbox.police-v2.answers"


@pytest.fixture(scope="module")
def candidate(
    secured_kafka: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    """The candidate's settings after the admin applied a catalogue with one sandbox."""
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
    password = SecretStr(read_passwords(credentials)[CANDIDATE])
    yield secured_kafka.model_copy(update={"sasl_username": CANDIDATE, "sasl_password": password})


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
