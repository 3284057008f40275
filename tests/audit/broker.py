"""Helpers of the audit tests that run on the real broker: a catalogue, keys, reading back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from aiokafka import AIOKafkaConsumer, TopicPartition
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bus.audit.log import decode_entry
from bus.audit.verify import LogEntry
from bus.kafka.admin import admin_client, topic_partitions
from bus.schemas.codec import AvroCodec


def write_catalogue(tmp_path: Path, prefix: str, audited: list[str] | None = None) -> Path:
    """A one-authority catalogue whose every topic is this test's own."""
    topics: dict[str, Any] = {
        "defaults": {"partitions": 2, "replication_factor": 1},
        "assistant_events": f"{prefix}.assistant-events",
        "service_updates": f"{prefix}.service-updates",
        "dead_letters": f"{prefix}.deadletters",
        "audit": f"{prefix}.audit",
    }
    if audited is not None:
        topics["audited"] = audited
    document = {
        "topics": topics,
        "authorities": [
            {
                "code": "tax-board",
                "name": "Tax and Customs Board",
                "inbox": f"{prefix}.inbox.tax-board",
                "assistant_topic": f"{prefix}.assistant.tax-board",
                "services": ["income-tax-return"],
                "intents": ["tax"],
            }
        ],
        "routing": {"fallback": "tax-board"},
    }
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def key_pair() -> tuple[str, str]:
    """A fresh Ed25519 key pair as hex: (private, public)."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return private.hex(), public.hex()


async def read_audit(
    bootstrap: str,
    codec: AvroCodec,
    topic: str,
    done: Callable[[list[LogEntry]], bool],
    timeout_s: float = 240,
) -> tuple[list[LogEntry], list[bytes]]:
    """Read the audit topic until ``done(entries)``; the entries and every raw value."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, max_poll_records=5000
    )
    await consumer.start()
    entries: list[LogEntry] = []
    raw: list[bytes] = []
    try:
        partitions: set[int] = set()
        async with admin_client(bootstrap) as admin:
            while not partitions:
                partitions = (await topic_partitions(admin)).get(topic, set())
                await asyncio.sleep(0.2)
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        deadline = time.monotonic() + timeout_s
        while not done(entries):
            assert time.monotonic() < deadline, f"audit incomplete: {len(entries)} entries"
            batches = await consumer.getmany(timeout_ms=500)
            for tp, messages in batches.items():
                for message in messages:
                    raw.append(message.value)
                    entries.append(
                        await decode_entry(codec, tp.partition, message.offset, message.value)
                    )
    finally:
        await consumer.stop()
    return entries, raw


def records(entries: list[LogEntry]) -> list[dict[str, Any]]:
    return [entry.record for entry in entries if entry.record is not None]
