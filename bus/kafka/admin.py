"""Create the topics the bus needs, leaving existing ones as they are; find their partitions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from bus.errors import ConfigurationError


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int = 1
    replication: int = 1
    config: dict[str, str] = field(default_factory=dict)


@asynccontextmanager
async def admin_client(
    bootstrap_servers: str, **security: Any
) -> AsyncIterator[AIOKafkaAdminClient]:
    """A started admin client, closed on exit (``security``: see bus.kafka.connection)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **security)
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


async def topic_partitions(admin: AIOKafkaAdminClient) -> dict[str, set[int]]:
    """Each topic's partition ids, for topics the cluster describes without an error.

    aiokafka's consumer knows the partitions of the topics it follows only.
    This asks for every topic, not for named ones, because a Metadata request
    naming a missing topic creates it on a cluster that auto-creates topics.
    """
    return {
        str(topic["topic"]): {int(p["partition"]) for p in topic["partitions"]}
        for topic in await admin.describe_topics()
        if topic["error_code"] == 0
    }


async def gone_topics(
    admin: AIOKafkaAdminClient, topics: Iterable[str], timeout_s: float
) -> list[str]:
    """The topics the cluster answers it does not have (deleted, or its data wiped); none
    when it does not answer within ``timeout_s``: a consumer waits for Kafka by itself.

    aiokafka asks for metadata in a tight loop while a consumer has a partition of
    a missing topic assigned, so a consumer that assigns partitions checks with this.
    """
    try:
        async with asyncio.timeout(timeout_s):
            found = await topic_partitions(admin)
    except (TimeoutError, KafkaError):
        return []
    return [topic for topic in topics if not found.get(topic)]


async def ensure_topics(
    bootstrap_servers: str, specs: Iterable[TopicSpec], **security: Any
) -> list[str]:
    """Create the topics that do not exist yet; return the names created."""
    async with admin_client(bootstrap_servers, **security) as admin:
        existing = set(await admin.list_topics())
        return await create_topics(admin, [spec for spec in specs if spec.name not in existing])


async def create_topics(admin: AIOKafkaAdminClient, specs: list[TopicSpec]) -> list[str]:
    """Create ``specs``; return the names created (not those that appeared meanwhile).

    Kafka answers with an error code per topic rather than failing the request,
    so each is checked here.
    """
    if not specs:
        return []
    new = [
        NewTopic(spec.name, spec.partitions, spec.replication, topic_configs=spec.config)
        for spec in specs
    ]
    response = await admin.create_topics(new)
    created = []
    for name, code, message in response.topic_errors:
        if code == TopicAlreadyExistsError.errno:
            continue  # another process created it between our listing and our request
        if code != 0:
            raise ConfigurationError(f"cannot create topic {name!r}: {message} (code {code})")
        created.append(name)
    return created
