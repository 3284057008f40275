"""Create the topics the bus needs, leaving existing ones as they are."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from bus.errors import ConfigurationError


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int = 1
    replication: int = 1
    config: dict[str, str] = field(default_factory=dict)


async def ensure_topics(bootstrap_servers: str, specs: Iterable[TopicSpec]) -> list[str]:
    """Create the topics that do not exist yet; return the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [spec for spec in specs if spec.name not in existing]
        if not missing:
            return []
        new = [
            NewTopic(spec.name, spec.partitions, spec.replication, topic_configs=spec.config)
            for spec in missing
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
    finally:
        await admin.close()
