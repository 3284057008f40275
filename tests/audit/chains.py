"""Building real audit chains in memory for the unit tests (shared by them, not fixtures)."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import fastavro
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bus.audit.checkpoint import CheckpointSigner, CheckpointVerifier
from bus.audit.pseudonym import Pseudonymizer
from bus.audit.record import (
    AUDIT_RECORD,
    ZERO_HASH,
    AuditedMessage,
    RecordHasher,
    new_record,
)
from bus.audit.verify import LogEntry
from bus.privacy.fields import identifier_pseudonyms
from bus.privacy.scrubber import Scrubber
from bus.schemas.contracts import load_contracts
from bus.schemas.event import new_event
from bus.settings import Settings

CONTRACTS = load_contracts(Settings().schemas_dir)
HASHER = RecordHasher(CONTRACTS)
KEY = Ed25519PrivateKey.generate()
SIGNER = CheckpointSigner(KEY)
SIGNATURES = CheckpointVerifier(KEY.public_key())
KEY_HEX = KEY.private_bytes_raw().hex()
"""``KEY`` as ``BUS_AUDIT_SIGNING_KEY``: what `bus audit archive` signs its manifest with."""
PSEUDONYMS = Pseudonymizer(b"k" * 32)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def message_event(i: int) -> tuple[AuditedMessage, Any]:
    event = new_event(
        "gov.agencybus.conversation.MessageSent",
        source="assistant:tax-board",
        conversation_id=f"c-{i % 3}",
        authority="tax-board",
        occurred_at=T0 + timedelta(seconds=i),
        event_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"test-event-{i}")),
        message_id=f"m-{i}",
        author_role="END_USER",
        author_id=f"citizen-{i % 2}",
        text=f"my id code is 3800101{i:04d}",
    )
    message = AuditedMessage(
        "bus.assistant-events", 0, 100 + i, 1_767_225_600_000 + i, f"bytes {i}".encode(), []
    )
    return message, event


def pseudonyms_of(event: Any) -> dict[str, str]:
    """What the auditor records of an event's personal data (``bus.audit.auditor.record_of``)."""
    contract = CONTRACTS[event.type]
    found = PSEUDONYMS.pseudonyms(event.data, contract.pii_fields)
    return found | identifier_pseudonyms(event.data, contract, Scrubber(PSEUDONYMS))


def chain(
    records: int, *, checkpoint_every: int = 4, partition: int = 0, first: int = 0
) -> list[LogEntry]:
    """A valid chain: records at consecutive offsets, a signed checkpoint after every few.

    ``first`` picks the events: chains with different ones are different logs."""
    entries: list[LogEntry] = []
    head, offset = ZERO_HASH, 0
    for i in range(records):
        message, event = message_event(first + i)
        record = new_record(message, event, pseudonyms_of(event), audited_at=T0)
        linked = HASHER.link(record, head)
        head = linked["record_hash"]
        entries.append(LogEntry(partition, offset, record=linked))
        offset += 1
        if (i + 1) % checkpoint_every == 0:
            checkpoint = SIGNER.sign(partition, offset - 1, head, T0)
            entries.append(LogEntry(partition, offset, checkpoint=checkpoint))
            offset += 1
    return entries


def avro_bytes(record: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(
        buffer, fastavro.parse_schema(CONTRACTS[AUDIT_RECORD].schema), record
    )
    return buffer.getvalue()


def from_avro_bytes(data: bytes) -> dict[str, Any]:
    schema = fastavro.parse_schema(CONTRACTS[AUDIT_RECORD].schema)
    record = fastavro.schemaless_reader(io.BytesIO(data), schema, None)
    assert isinstance(record, dict)
    return record
