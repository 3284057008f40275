"""``bus topics apply``: the plan without Kafka, then applying it to the real broker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from bus.audit.auditor import audit_specs
from bus.catalogue import load_catalogue
from bus.kafka.admin import TopicSpec
from bus.kafka.topics import (
    ActualTopic,
    AddPartitions,
    AlterConfig,
    CreateTopic,
    Unsupported,
    apply_topics,
    plan,
)
from bus.settings import PROJECT_ROOT
from bus.supervise import run_bus

EXAMPLE = PROJECT_ROOT / "deploy" / "catalogue" / "agencies.yaml"
WEEK, MONTH = "604800000", "2592000000"


def _spec(partitions: int = 3, replication: int = 1, **config: str) -> TopicSpec:
    return TopicSpec("bus.inbox.police", partitions, replication, {"retention.ms": WEEK, **config})


def _actual(
    partitions: int = 3,
    replication: int = 1,
    config: dict[str, str] | None = None,
    overrides: dict[str, str] | None = None,
) -> dict[str, ActualTopic]:
    effective = {"retention.ms": WEEK, "cleanup.policy": "delete", **(config or {})}
    topic = ActualTopic("bus.inbox.police", partitions, replication, effective, overrides or {})
    return {topic.name: topic}


# --- plan ------------------------------------------------------------------------------------


def test_a_missing_topic_is_planned_for_creation() -> None:
    assert plan([_spec()], {}) == [CreateTopic(_spec())]


def test_a_topic_as_the_catalogue_says_needs_no_change() -> None:
    assert plan([_spec()], _actual()) == []


def test_a_config_equal_to_the_brokers_default_is_not_pinned() -> None:
    assert plan([_spec(**{"cleanup.policy": "delete"})], _actual()) == []


def test_more_partitions_in_the_catalogue_are_added() -> None:
    assert plan([_spec(partitions=6)], _actual(partitions=3)) == [
        AddPartitions("bus.inbox.police", 3, 6)
    ]


def test_fewer_partitions_in_the_catalogue_only_warn() -> None:
    [change] = plan([_spec(partitions=2)], _actual(partitions=3))
    assert isinstance(change, Unsupported)
    assert "cannot remove partitions" in change.describe()


def test_a_different_replication_factor_is_reported_as_unsupported() -> None:
    [change] = plan([_spec(replication=3)], _actual(replication=1))
    assert isinstance(change, Unsupported)
    assert "replication factor is 1, the catalogue asks for 3" in change.reason


def test_a_changed_config_is_altered_keeping_the_topics_other_overrides() -> None:
    actual = _actual(
        config={"max.message.bytes": "2097152"}, overrides={"max.message.bytes": "2097152"}
    )
    [change] = plan([_spec(**{"retention.ms": MONTH})], actual)
    assert change == AlterConfig(
        "bus.inbox.police",
        changed={"retention.ms": (WEEK, MONTH)},
        configs={"max.message.bytes": "2097152", "retention.ms": MONTH},
    )
    assert change.describe().endswith(f"retention.ms {WEEK} -> {MONTH}")


def test_a_config_unknown_to_the_topic_shows_as_new() -> None:
    [change] = plan([_spec(**{"min.insync.replicas": "2"})], _actual())
    assert isinstance(change, AlterConfig)
    assert change.changed == {"min.insync.replicas": (None, "2")}


# --- on the real broker ----------------------------------------------------------------------


@pytest.fixture
async def catalogue_copy(
    tmp_path: Path, unique_name: Callable[[str], str], kafka_admin: AIOKafkaAdminClient
) -> AsyncIterator[Path]:
    """The example catalogue with topic names of its own; its topics are deleted afterwards."""
    prefix = unique_name("tp")
    document = yaml.safe_load(EXAMPLE.read_text())
    topics = document["topics"]
    renamed = {}
    for key in ("assistant_events", "service_updates", "dead_letters", "audit"):
        renamed[topics[key]] = topics[key] = f"{prefix}.{key}"
    for authority in document["authorities"]:
        authority["inbox"] = f"{prefix}.inbox.{authority['code']}"
        authority["assistant_topic"] = f"{prefix}.assistant.{authority['code']}"
    topics["overrides"] = {renamed[name]: value for name, value in topics["overrides"].items()}
    path = tmp_path / "agencies.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    yield path
    names = [spec.name for spec in load_catalogue(path).topic_specs()]
    existing = set(await kafka_admin.list_topics())
    await kafka_admin.delete_topics([name for name in names if name in existing])


async def _partitions(admin: AIOKafkaAdminClient, name: str) -> int:
    [topic] = await admin.describe_topics([name])
    return len(topic["partitions"])


async def _config(admin: AIOKafkaAdminClient, name: str, key: str) -> str:
    [response] = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name)])
    [(_code, _message, _type, _name, entries)] = response.resources
    return next(entry[1] for entry in entries if entry[0] == key)


def _police_inbox(specs: list[TopicSpec]) -> TopicSpec:
    return next(spec for spec in specs if spec.name.endswith(".inbox.police"))


async def _until(read: Callable[[], Awaitable[str]], value: str, timeout_s: float = 10) -> None:
    """Wait for the broker's metadata to show a change made outside ``apply_topics``."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while await read() != value:
        assert asyncio.get_running_loop().time() < deadline, f"never became {value!r}"
        await asyncio.sleep(0.1)


@pytest.mark.broker
async def test_apply_creates_every_topic_of_the_catalogue_and_a_rerun_changes_nothing(
    catalogue_copy: Path, bus_env: dict[str, str], kafka_admin: AIOKafkaAdminClient
) -> None:
    catalogue = load_catalogue(catalogue_copy)
    first = await asyncio.to_thread(
        run_bus, "topics", "apply", "--catalogue", str(catalogue_copy), env=bus_env
    )
    assert first.returncode == 0, first.stderr
    count = len(catalogue.topic_specs()) + 1  # 4 shared, 3 for escalation, 2 per authority
    assert count == 16  # and the audit chains' intake, partitioned like the audit topic
    assert first.stdout.count("create ") == count
    assert f"applied {count} change(s)" in first.stdout

    existing = set(await kafka_admin.list_topics())
    for spec in catalogue.topic_specs():
        assert spec.name in existing
        assert await _partitions(kafka_admin, spec.name) == spec.partitions
    dead_letters = catalogue.topics.dead_letters
    assert await _config(kafka_admin, dead_letters, "retention.ms") == MONTH

    again = await asyncio.to_thread(
        run_bus, "topics", "apply", "--catalogue", str(catalogue_copy), env=bus_env
    )
    assert again.returncode == 0, again.stderr
    [line] = again.stdout.splitlines()
    assert line.startswith("no changes:")


@pytest.mark.broker
async def test_dry_run_prints_the_plan_and_changes_nothing(
    catalogue_copy: Path, bus_env: dict[str, str], kafka_admin: AIOKafkaAdminClient
) -> None:
    result = await asyncio.to_thread(
        run_bus, "topics", "apply", "--dry-run", "--catalogue", str(catalogue_copy), env=bus_env
    )
    assert result.returncode == 0, result.stderr
    assert "dry run, nothing changed" in result.stdout
    catalogue = load_catalogue(catalogue_copy)
    names = {spec.name for spec in [*catalogue.topic_specs(), *audit_specs(catalogue)]}
    assert f"{len(names)} change(s) planned" in result.stdout
    assert not names & set(await kafka_admin.list_topics())


@pytest.mark.broker
async def test_a_changed_retention_is_altered_and_the_topics_own_settings_kept(
    catalogue_copy: Path, kafka_bootstrap: str, kafka_admin: AIOKafkaAdminClient
) -> None:
    specs = load_catalogue(catalogue_copy).topic_specs()
    await apply_topics(kafka_bootstrap, specs)
    inbox = _police_inbox(specs)
    await kafka_admin.alter_configs(
        [
            ConfigResource(
                ConfigResourceType.TOPIC,
                inbox.name,
                {**inbox.config, "max.message.bytes": "2097152"},
            )
        ]
    )
    await _until(lambda: _config(kafka_admin, inbox.name, "max.message.bytes"), "2097152")
    longer = replace(inbox, config={**inbox.config, "retention.ms": MONTH})

    [planned] = await apply_topics(kafka_bootstrap, [longer], dry_run=True)
    assert isinstance(planned, AlterConfig)
    assert planned.changed == {"retention.ms": (WEEK, MONTH)}
    assert await _config(kafka_admin, inbox.name, "retention.ms") == WEEK

    assert len(await apply_topics(kafka_bootstrap, [longer])) == 1
    assert await _config(kafka_admin, inbox.name, "retention.ms") == MONTH
    assert await _config(kafka_admin, inbox.name, "max.message.bytes") == "2097152"
    assert await apply_topics(kafka_bootstrap, [longer]) == []


@pytest.mark.broker
async def test_more_partitions_are_added_and_fewer_are_left_with_a_warning(
    catalogue_copy: Path, kafka_bootstrap: str, kafka_admin: AIOKafkaAdminClient
) -> None:
    specs = load_catalogue(catalogue_copy).topic_specs()
    inbox = _police_inbox(specs)
    await apply_topics(kafka_bootstrap, [inbox])

    assert await apply_topics(kafka_bootstrap, [replace(inbox, partitions=5)]) == [
        AddPartitions(inbox.name, inbox.partitions, 5)
    ]
    assert await _partitions(kafka_admin, inbox.name) == 5

    [warning] = await apply_topics(kafka_bootstrap, [replace(inbox, partitions=2)])
    assert isinstance(warning, Unsupported)
    assert await _partitions(kafka_admin, inbox.name) == 5
