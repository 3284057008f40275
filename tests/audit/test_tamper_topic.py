"""``bus audit verify`` on real audit topics: a chain written through Kafka verifies, a copy
with one record altered, deleted or reordered, or a checkpoint forged, fails where it is."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bus.audit.chain import ChainWriter
from bus.audit.checkpoint import CheckpointSigner
from bus.audit.log import encode, log_consumer, partitions_of, read_log
from bus.audit.proof import RecordProver
from bus.audit.record import new_record
from bus.audit.resume import resume
from bus.client import Publisher
from bus.schemas.codec import AvroCodec
from bus.settings import Settings
from bus.supervise import run_bus

from .chains import CONTRACTS, HASHER, KEY, PSEUDONYMS, SIGNATURES, SIGNER, T0, message_event

pytestmark = [pytest.mark.broker]

RECORDS = 30
EVERY = 10  # each writer signs every 10 records and at its end: checkpoints at 10, 16, 27, 33


async def _write_chain(
    settings: Settings, codec: AvroCodec, topic: str, first: int, n: int
) -> None:
    """Append ``n`` records through a fresh ChainWriter, as a (re)started worker would.

    The records name made-up events, so every chain ends on a checkpoint: nothing is left
    for ``verify`` to prove against events (tests/audit/test_forged_record.py does that)."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all")
    consumer = log_consumer(settings.bootstrap_servers)
    await producer.start()
    await consumer.start()

    async def send(partition: int, kind: str, data: dict[str, Any]) -> Any:
        delivery = await producer.send(topic, encode(codec, kind, data), partition=partition)

        async def offset() -> int:
            return int((await delivery).offset)

        return asyncio.ensure_future(offset())

    async def recover(partition: int) -> bytes:
        prover = RecordProver(codec.decode_async, CONTRACTS, PSEUDONYMS)
        return await resume(
            consumer, codec, topic, partition, hasher=HASHER, signatures=SIGNATURES, prover=prover
        )

    writer = ChainWriter(
        HASHER, SIGNER, send=send, recover=recover, every_records=EVERY, interval_s=3600
    )
    try:
        for i in range(first, first + n):
            message, event = message_event(i)
            pii = ("author_id", "text")
            await writer.append(
                0, new_record(message, event, PSEUDONYMS.pseudonyms(event.data, pii), audited_at=T0)
            )
        await writer.checkpoint(0)  # as a writer that stops cleanly: its events are made up
        await producer.flush()
    finally:
        await consumer.stop()
        await producer.stop()


async def _raw(settings: Settings, codec: AvroCodec, topic: str) -> list[bytes]:
    consumer = log_consumer(settings.bootstrap_servers)
    await consumer.start()
    try:
        partitions = await partitions_of(settings.bootstrap_servers, topic)
        entries = [entry async for entry in read_log(consumer, codec, topic, partitions)]
    finally:
        await consumer.stop()
    values = []
    for entry in entries:
        kind = "record" if entry.record is not None else "checkpoint"
        values.append(encode(codec, kind, entry.record or entry.checkpoint or {}))
    return values


async def _copy(settings: Settings, topic: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all")
    await producer.start()
    try:
        for value in values:
            await producer.send(topic, value, partition=0)
        await producer.flush()
    finally:
        await producer.stop()


def _verify(settings: Settings, topic: str) -> tuple[int, str]:
    env = {
        "BUS_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "BUS_SCHEMA_REGISTRY_URL": settings.schema_registry_url,
    }
    public = KEY.public_key().public_bytes_raw().hex()
    result = run_bus("audit", "verify", "--topic", topic, "--public-key", public, env=env)
    return result.returncode, result.stdout + result.stderr


@pytest.fixture
async def audit_log(
    settings_with_registry: Settings, new_topic: Callable[..., Awaitable[str]]
) -> tuple[AvroCodec, list[bytes]]:
    """A real audit topic written by two writers in turn (a restart), and its message values."""
    settings = settings_with_registry
    topic = await new_topic("audit", 1)
    async with Publisher(settings) as publisher:
        codec = publisher.codec
        await _write_chain(settings, codec, topic, 0, 15)
        await _write_chain(settings, codec, topic, 15, RECORDS - 15)
        values = await _raw(settings, codec, topic)
    code, output = await asyncio.to_thread(_verify, settings, topic)
    assert code == 0, output
    assert "OK: 30 records and 4 signed checkpoints in 1 chains" in output
    return codec, values


def _flip_source(value: bytes) -> bytes:
    at = value.index(b"assistant:tax-board")
    return value[:at] + b"A" + value[at + 1 :]


def _forged(codec: AvroCodec, value: bytes, right_key_id: bool) -> bytes:
    checkpoint = codec.decode(value).data
    forger = CheckpointSigner(Ed25519PrivateKey.generate())
    forged = forger.sign(0, checkpoint["offset"], checkpoint["head_hash"], T0)
    if right_key_id:
        forged["key_id"] = checkpoint["key_id"]
    return encode(codec, "checkpoint", forged)


@pytest.mark.parametrize(
    ("case", "offset", "why"),
    [
        ("alter", 5, "the record was altered"),
        ("delete", 5, "removed, inserted or reordered"),
        ("reorder", 5, "removed, inserted or reordered"),
        ("forge", 10, "signed with key"),
        ("forge-same-key-id", 27, "does not verify"),
    ],
)
async def test_a_tampered_copy_of_the_audit_topic_fails_at_the_right_offset(
    audit_log: tuple[AvroCodec, list[bytes]],
    settings_with_registry: Settings,
    new_topic: Callable[..., Awaitable[str]],
    case: str,
    offset: int,
    why: str,
) -> None:
    codec, values = audit_log
    values = list(values)
    if case == "alter":
        values[5] = _flip_source(values[5])
    elif case == "delete":
        del values[5]
    elif case == "reorder":
        values[5], values[6] = values[6], values[5]
    else:
        values[offset] = _forged(codec, values[offset], case == "forge-same-key-id")
    copy = await new_topic("tampered", 1)
    await _copy(settings_with_registry, copy, values)
    code, output = await asyncio.to_thread(_verify, settings_with_registry, copy)
    assert code == 1, output
    assert f"FAILED at audit partition 0, offset {offset} " in output
    assert why in output
