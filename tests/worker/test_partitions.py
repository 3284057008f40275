"""A worker refuses topics it cannot use whole, saying how to fix them, on the real broker."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from bus.audit.auditor import chains, intake_topic
from bus.catalogue import load_catalogue
from bus.kafka.admin import TopicSpec, create_topics, topic_partitions
from bus.kafka.local import free_port
from bus.settings import Settings
from bus.supervise import run_bus

pytestmark = [pytest.mark.broker]


async def test_an_audit_intake_with_fewer_partitions_than_chains_stops_the_worker_until_applied(
    catalogue_path: Path, bus_settings: Settings, kafka_admin: AIOKafkaAdminClient, tmp_path: Path
) -> None:
    catalogue = load_catalogue(catalogue_path)
    intake, wanted = intake_topic(catalogue), chains(catalogue)
    assert wanted > 1
    await create_topics(kafka_admin, [TopicSpec(intake, 1, 1)])
    env = {
        "BUS_BOOTSTRAP_SERVERS": bus_settings.bootstrap_servers,
        "BUS_CATALOGUE": str(catalogue_path),
        "BUS_AGENTS": "auditor",
        "BUS_WORKER_DIR": str(tmp_path / "worker"),
        "BUS_METRICS_PORT": str(free_port()),
    }
    refused = await asyncio.to_thread(run_bus, "worker", env=env, timeout_s=120)
    assert refused.returncode == 2, refused.stderr
    assert f"{intake} has 1, needs {wanted}" in refused.stderr
    assert "run `bus topics apply`" in refused.stderr
    applied = await asyncio.to_thread(
        run_bus, "topics", "apply", "--catalogue", str(catalogue_path), env=env
    )
    assert applied.returncode == 0, applied.stderr
    assert len((await topic_partitions(kafka_admin))[intake]) == wanted
