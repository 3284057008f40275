"""A secured broker set up as an operator would, and its principals at work on it.

``apply_catalogue`` runs ``bus topics apply`` and ``bus acl apply`` as the
super user; ``Applied.as_`` gives the settings of one principal it made, and
the coroutines below are what that principal tries: produce, consume, and be
refused.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import ClusterAuthorizationFailedError, TopicAuthorizationFailedError
from pydantic import SecretStr

from bus.client import Subscriber
from bus.errors import AccessDeniedError
from bus.kafka.connection import client_kwargs
from bus.kafka.local import free_port
from bus.security.credentials import read_passwords
from bus.settings import Settings
from bus.supervise import Service, http_ok, run_bus, start_bus
from tests.conftest import kafka_env


@dataclass(frozen=True)
class Applied:
    """The super user's settings, the principals' passwords and the ``bus`` environment."""

    admin: Settings
    passwords: dict[str, str]
    credentials: Path
    env: dict[str, str]

    def as_(self, principal: str) -> Settings:
        password = SecretStr(self.passwords[principal])
        return self.admin.model_copy(update={"sasl_username": principal, "sasl_password": password})

    def env_of(self, principal: str) -> dict[str, str]:
        """The environment of a ``bus`` process running as ``principal``."""
        return {
            **self.env,
            "BUS_SASL_USERNAME": principal,
            "BUS_SASL_PASSWORD": self.passwords[principal],
        }


def apply_catalogue(admin: Settings, folder: Path, catalogue: Path | None = None) -> Applied:
    """``bus topics apply`` and ``bus acl apply`` for ``catalogue`` (else the settings' own)."""
    env = kafka_env(admin)
    if catalogue is not None:
        env["BUS_CATALOGUE"] = str(catalogue)
    credentials = folder / "kafka-users.txt"
    for args in (["topics", "apply"], ["acl", "apply", "--credentials", str(credentials)]):
        result = run_bus(*args, env=env)
        assert result.returncode == 0, f"bus {' '.join(args)}: {result.stderr}"
    return Applied(admin, read_passwords(credentials), credentials, env)


async def produce(settings: Settings, topic: str, value: bytes = b"x") -> None:
    producer = AIOKafkaProducer(**client_kwargs(settings), acks="all", enable_idempotence=True)
    try:
        await producer.start()
        await producer.send_and_wait(topic, value, key=b"k")
    finally:
        await producer.stop()


async def consume_one(settings: Settings, topic: str, group: str) -> bytes:
    """The first record of ``topic`` for ``group``, committed."""
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


async def refused_to_produce(settings: Settings, topic: str) -> None:
    # a principal that may write nowhere is refused the idempotent producer id first
    with pytest.raises((TopicAuthorizationFailedError, ClusterAuthorizationFailedError)):
        await produce(settings, topic, b"a citizen must never see this")


async def refused_to_read(settings: Settings, topic: str) -> None:
    with pytest.raises(AccessDeniedError, match=topic):
        async with Subscriber(settings, topics=[topic], group_id=f"{settings.sasl_username}-t"):
            pass


async def serve_registry(applied: Applied, folder: Path) -> tuple[Service, str]:
    """``bus registry serve`` under the registry's principal, ready; and its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    registry = start_bus(
        "registry", ["registry", "serve", "--port", str(port)], applied.env_of("registry"), folder
    )
    try:
        await asyncio.to_thread(registry.wait_until, http_ok(url + "/subjects"), 60)
    except BaseException:
        registry.stop()
        raise
    return registry, url
