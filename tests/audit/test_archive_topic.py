"""``bus audit archive`` on real audit topics: it continues its own archive and refuses a
folder that holds another log's, which it would otherwise skip offsets against."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete

from bus.audit.log import encode
from bus.audit.verify import LogEntry
from bus.client import Publisher
from bus.schemas.codec import AvroCodec
from bus.settings import Settings
from bus.supervise import run_bus

from .chains import KEY, KEY_HEX, chain

pytestmark = [pytest.mark.broker]

NewTopic = Callable[..., Awaitable[str]]


async def _append(
    settings: Settings, codec: AvroCodec, topic: str, entries: list[LogEntry]
) -> None:
    """Produce the entries in order to partition 0 (their offsets are their positions)."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all")
    await producer.start()
    try:
        for entry in entries:
            kind = "record" if entry.record is not None else "checkpoint"
            data = entry.record or entry.checkpoint or {}
            await producer.send_and_wait(topic, encode(codec, kind, data), partition=0)
    finally:
        await producer.stop()


async def _delete_before(admin: AIOKafkaAdminClient, topic: str, offset: int) -> None:
    """What retention does to the oldest entries."""
    await admin.delete_records({TopicPartition(topic, 0): RecordsToDelete(offset)})


def _files(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


async def _bus(settings: Settings, *args: str) -> tuple[int, str, str]:
    env = {
        "BUS_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "BUS_SCHEMA_REGISTRY_URL": settings.schema_registry_url,
        "BUS_AUDIT_SIGNING_KEY": KEY_HEX,
    }
    result = await asyncio.to_thread(run_bus, *args, env=env)
    return result.returncode, result.stdout, result.stderr


@pytest.fixture
async def codec(settings_with_registry: Settings) -> AvroCodec:
    async with Publisher(settings_with_registry) as publisher:
        return publisher.codec


async def test_archiving_the_same_log_again_continues_its_archive_after_retention_too(
    settings_with_registry: Settings,
    codec: AvroCodec,
    new_topic: NewTopic,
    kafka_admin: AIOKafkaAdminClient,
    tmp_path: Path,
) -> None:
    settings, out = settings_with_registry, str(tmp_path)
    topic = await new_topic("audit", 1)
    entries = chain(12)
    await _append(settings, codec, topic, entries[:7])
    code, _, stderr = await _bus(settings, "audit", "archive", "--topic", topic, "--out", out)
    assert code == 0, stderr
    await _append(settings, codec, topic, entries[7:])
    await _delete_before(kafka_admin, topic, 7)
    code, stdout, stderr = await _bus(settings, "audit", "archive", "--topic", topic, "--out", out)
    assert code == 0, stderr
    assert "1 new file(s)" in stdout
    public = KEY.public_key().public_bytes_raw().hex()
    code, stdout, _ = await _bus(
        settings, "audit", "verify", "--archive", out, "--public-key", public
    )
    assert code == 0 and "OK: 12 records and 3 signed checkpoints in 1 chains" in stdout


@pytest.mark.parametrize(
    ("records", "deleted", "found"),
    [
        (10, 0, "chain has head"),
        (10, 7, "links to chain head"),
        (6, 0, "chain has head"),
        (2, 0, "ends at offset 1"),
    ],
    ids=["longer", "longer, its start gone", "as long", "shorter"],
)
async def test_a_folder_with_another_logs_archive_is_refused_and_left_as_it_was(
    settings_with_registry: Settings,
    codec: AvroCodec,
    new_topic: NewTopic,
    kafka_admin: AIOKafkaAdminClient,
    tmp_path: Path,
    records: int,
    deleted: int,
    found: str,
) -> None:
    settings, out = settings_with_registry, str(tmp_path)
    archived, other = await new_topic("audit", 1), await new_topic("audit", 1)
    await _append(settings, codec, archived, chain(6))
    code, _, stderr = await _bus(settings, "audit", "archive", "--topic", archived, "--out", out)
    assert code == 0, stderr
    before = _files(tmp_path)
    await _append(settings, codec, other, chain(records, first=100))
    if deleted:
        await _delete_before(kafka_admin, other, deleted)

    code, stdout, stderr = await _bus(settings, "audit", "archive", "--topic", other, "--out", out)
    assert code == 1, stdout
    assert stderr.startswith(f"bus: error: {out} holds an archive of another audit log")
    assert found in stderr and "empty folder" in stderr
    assert _files(tmp_path) == before
