"""The data map against a real secured broker: who it says may read a topic can, and nobody else.

One SASL/SCRAM broker with ACLs for the module (``secured_kafka``), set up as an
operator would: ``bus topics apply`` and ``bus acl apply`` as the super user.
The map is read as tools read it (``bus datamap --format json``), then every
principal it lists tries to consume every topic it lists (those without
personal data too: the workers' changelogs and the registry's topic, created
here as the workers and the registry would), the full cross product, each
attempt a fresh consumer under that principal's SCRAM password.
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition

from bus.kafka.admin import TopicSpec, ensure_topics
from bus.kafka.connection import librdkafka_config, security_kwargs
from bus.security.principals import worker_app_id
from bus.settings import Settings
from bus.supervise import run_bus
from tests.security.applied import Applied, apply_catalogue

pytestmark = [pytest.mark.broker, pytest.mark.slow]

ATTEMPT_S = 30.0
"""How long one consume attempt may take to get its record or its refusal."""


@dataclass(frozen=True)
class Secured:
    applied: Applied
    datamap: dict[str, Any]


@pytest.fixture(scope="module")
def secured(secured_kafka: Settings, tmp_path_factory: pytest.TempPathFactory) -> Secured:
    applied = apply_catalogue(secured_kafka, tmp_path_factory.mktemp("datamap-acl"))
    result = run_bus("datamap", "--format", "json", env=applied.env)
    assert result.returncode == 0, result.stderr
    datamap = json.loads(result.stdout)
    quiet = [TopicSpec(topic["name"]) for topic in datamap["without_personal_data"]]
    asyncio.run(
        ensure_topics(secured_kafka.bootstrap_servers, quiet, **security_kwargs(secured_kafka))
    )
    _mark_every_topic(secured_kafka, [topic["name"] for topic in _all_topics(datamap)])
    return Secured(applied, datamap)


def _all_topics(datamap: dict[str, Any]) -> list[dict[str, Any]]:
    return [*datamap["topics"], *datamap["without_personal_data"]]


def _mark_every_topic(admin: Settings, topics: list[str]) -> None:
    """One record in partition 0 of each topic, so a permitted consumer has one to get."""
    producer = Producer({**librdkafka_config(admin), "acks": "all"})
    for topic in topics:
        producer.produce(topic, value=b"datamap marker", key=b"marker", partition=0)
    assert producer.flush(ATTEMPT_S) == 0


def _consumes(settings: Settings, topic: str) -> bool:
    """Whether ``settings``' principal gets the record in ``topic``'s partition 0 (True) or
    is refused (False); anything else fails the test."""
    config = {
        **librdkafka_config(settings),
        "group.id": _group(settings),
        "enable.auto.commit": False,
    }
    consumer = Consumer(config)
    try:
        # without DESCRIBE the broker hides the topic's leader: no fetch can even be sent
        described = consumer.list_topics(topic, timeout=ATTEMPT_S).topics[topic].error
        if described is not None and described.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED:
            return False
        consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        seen = []
        while True:
            message = consumer.poll(ATTEMPT_S)
            if message is None:
                raise AssertionError(f"{settings.sasl_username} on {topic}: nothing but {seen}")
            error = message.error()
            if error is None:
                return True
            if error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED:
                return False
            seen.append(error)
    finally:
        consumer.close()


def _group(settings: Settings) -> str:
    """A consumer group the principal may use (librdkafka wants one even for ``assign``)."""
    name = str(settings.sasl_username)
    return worker_app_id(name, settings) if name == "router" else f"{name}-datamap"


def test_every_principal_consumes_exactly_the_topics_the_map_says_it_may_read(
    secured: Secured,
) -> None:
    readers = [reader["name"] for reader in secured.datamap["readers"]]
    expected = {
        (reader, topic["name"]): reader in topic["readers"]
        for topic in _all_topics(secured.datamap)
        for reader in readers
    }
    # every principal acl apply made, and no other
    assert set(readers) == set(secured.applied.passwords)
    with ThreadPoolExecutor(max_workers=6) as pool:
        attempts = {
            pair: pool.submit(_consumes, secured.applied.as_(pair[0]), pair[1]) for pair in expected
        }
        actual = {pair: attempt.result() for pair, attempt in attempts.items()}
    disagreements = sorted(
        f"{reader} {'read' if actual[reader, topic] else 'was refused'} {topic}"
        for reader, topic in expected
        if actual[reader, topic] != expected[reader, topic]
    )
    assert disagreements == []
    assert len(expected) == 15 * (15 + 4)  # 15 topics with personal data, 4 without
    assert 0 < sum(expected.values()) < len(expected)


def test_a_field_the_map_says_a_principal_may_not_read_is_refused_on_every_topic_it_travels(
    secured: Secured,
) -> None:
    field = next(
        f for f in secured.datamap["fields"] if f["field"] == "ServiceRequestCreated.fields"
    )
    assert "assistant-police" not in field["access"]
    assistant = secured.applied.as_("assistant-police")
    for passage in field["passages"]:
        assert not _consumes(assistant, passage["topic"]), passage["topic"]
    assert field["access"]["service-police"] == "clear"
    assert _consumes(secured.applied.as_("service-police"), "bus.inbox.police")
