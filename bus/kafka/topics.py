"""Bring the cluster's topics in line with the catalogue: plan (pure), then apply.

Kafka can add partitions and change topic configs in place, but cannot remove
partitions, and changing the replication factor needs a partition
reassignment; those differences are reported, never acted on.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewPartitions
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError, for_code

from bus.errors import ConfigurationError
from bus.kafka.admin import TopicSpec, admin_client, create_topics

TOPIC_CONFIG_SOURCE = 1  # DescribeConfigs: set on the topic itself (not a broker default)
SETTLE_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class ActualTopic:
    """A topic as the cluster has it.

    ``config`` holds every effective value; ``overrides`` only those set on the
    topic, which AlterConfigs replaces as a whole and so must be sent back.
    """

    name: str
    partitions: int
    replication: int
    config: dict[str, str]
    overrides: dict[str, str]


@dataclass(frozen=True)
class CreateTopic:
    spec: TopicSpec

    def describe(self) -> str:
        spec = self.spec
        configs = ", ".join(f"{key}={value}" for key, value in sorted(spec.config.items()))
        return (
            f"create     {spec.name}: {spec.partitions} partitions, "
            f"replication {spec.replication}" + (f", {configs}" if configs else "")
        )


@dataclass(frozen=True)
class AddPartitions:
    topic: str
    current: int
    wanted: int

    def describe(self) -> str:
        return (
            f"partitions {self.topic}: {self.current} -> {self.wanted} "
            "(keys hash to new partitions from now on)"
        )


@dataclass(frozen=True)
class AlterConfig:
    topic: str
    changed: dict[str, tuple[str | None, str]]
    configs: dict[str, str]  # the topic's whole set of overrides to write

    def describe(self) -> str:
        diffs = ", ".join(f"{key} {old} -> {new}" for key, (old, new) in self.changed.items())
        return f"config     {self.topic}: {diffs}"


@dataclass(frozen=True)
class Unsupported:
    """A difference Kafka cannot (or this command will not) reconcile."""

    topic: str
    reason: str

    def describe(self) -> str:
        return f"warning    {self.topic}: {self.reason}"


Change = CreateTopic | AddPartitions | AlterConfig | Unsupported


def plan(desired: list[TopicSpec], actual: dict[str, ActualTopic]) -> list[Change]:
    """What to do so that the cluster has ``desired``; warnings for what cannot be done."""
    changes: list[Change] = []
    for spec in desired:
        now = actual.get(spec.name)
        if now is None:
            changes.append(CreateTopic(spec))
            continue
        if spec.partitions > now.partitions:
            changes.append(AddPartitions(spec.name, now.partitions, spec.partitions))
        elif spec.partitions < now.partitions:
            changes.append(
                Unsupported(
                    spec.name,
                    f"has {now.partitions} partitions, the catalogue asks for {spec.partitions}: "
                    "Kafka cannot remove partitions, left as is",
                )
            )
        if spec.replication != now.replication:
            changes.append(
                Unsupported(
                    spec.name,
                    f"replication factor is {now.replication}, the catalogue asks for "
                    f"{spec.replication}: not supported here, reassign the partitions "
                    "with kafka-reassign-partitions",
                )
            )
        changed = {
            key: (now.config.get(key), value)
            for key, value in spec.config.items()
            if now.config.get(key) != value
        }
        if changed:
            changes.append(AlterConfig(spec.name, changed, {**now.overrides, **spec.config}))
    return changes


def actionable(changes: list[Change]) -> list[Change]:
    return [change for change in changes if not isinstance(change, Unsupported)]


async def apply_topics(
    bootstrap_servers: str, desired: list[TopicSpec], *, dry_run: bool = False, **security: Any
) -> list[Change]:
    """Plan against the cluster and, unless ``dry_run``, carry the plan out and wait for it."""
    async with admin_client(bootstrap_servers, **security) as admin:
        changes = plan(desired, await describe(admin, [spec.name for spec in desired]))
        if not dry_run and actionable(changes):
            await _apply(admin, changes)
            await _settle(admin, desired)
        return changes


async def describe(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, ActualTopic]:
    """Those of ``names`` that exist, with partitions, replication and configs."""
    existing = sorted(set(await admin.list_topics()) & set(names))
    if not existing:
        return {}
    metadata = await admin.describe_topics(existing)
    configs = await _configs(admin, existing)
    topics = {}
    for topic in metadata:
        name = topic["topic"]
        _raise_for(topic["error_code"], f"cannot describe topic {name!r}")
        effective, overrides = configs[name]
        topics[name] = ActualTopic(
            name=name,
            partitions=len(topic["partitions"]),
            replication=min((len(p["replicas"]) for p in topic["partitions"]), default=0),
            config=effective,
            overrides=overrides,
        )
    return topics


async def _configs(
    admin: AIOKafkaAdminClient, names: list[str]
) -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
    found = {}
    for response in await admin.describe_configs(resources):
        for code, message, _type, name, entries in response.resources:
            _raise_for(code, f"cannot read the configs of topic {name!r}", message)
            effective = {entry[0]: entry[1] for entry in entries if entry[1] is not None}
            overrides = {entry[0]: entry[1] for entry in entries if entry[3] == TOPIC_CONFIG_SOURCE}
            if None in overrides.values():
                raise ConfigurationError(
                    f"topic {name!r} has a sensitive config that altering would erase"
                )
            found[name] = (effective, overrides)
    return found


async def _apply(admin: AIOKafkaAdminClient, changes: list[Change]) -> None:
    await create_topics(admin, [c.spec for c in changes if isinstance(c, CreateTopic)])
    more = {c.topic: NewPartitions(c.wanted) for c in changes if isinstance(c, AddPartitions)}
    if more:
        try:
            await admin.create_partitions(more)
        except KafkaError as exc:
            raise ConfigurationError(f"cannot add partitions: {exc}") from None
    alters = [
        ConfigResource(ConfigResourceType.TOPIC, c.topic, c.configs)
        for c in changes
        if isinstance(c, AlterConfig)
    ]
    if alters:
        for response in await admin.alter_configs(alters):
            for code, message, _type, name in response.resources:
                _raise_for(code, f"cannot alter the configs of topic {name!r}", message)


async def _settle(admin: AIOKafkaAdminClient, desired: list[TopicSpec]) -> None:
    """Wait until the brokers' metadata shows the changes, so a rerun plans nothing."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_TIMEOUT_S
    names = [spec.name for spec in desired]
    pending: list[Change] = []
    while True:
        try:
            if not (pending := actionable(plan(desired, await describe(admin, names)))):
                return
        except ConfigurationError:
            if loop.time() > deadline:
                raise
        if loop.time() > deadline:
            still = "; ".join(change.describe() for change in pending)
            raise ConfigurationError(
                f"the cluster did not show the changes within {SETTLE_TIMEOUT_S:.0f}s: {still}"
            )
        await asyncio.sleep(0.2)


def _raise_for(code: int, context: str, message: str | None = None) -> None:
    if code:
        error: Any = for_code(code)
        detail = f": {message}" if message else ""
        raise ConfigurationError(f"{context}{detail} ({error.__name__}, code {code})")
