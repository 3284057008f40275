"""Audit records: what is kept of an event, their canonical bytes and the hash chain.

A record's hash is SHA-256 over a domain tag and the Avro binary encoding of the
record (with ``record_hash`` zeroed and the pseudonyms sorted), under the local
``AuditRecord`` contract. ``prev_hash`` is inside the encoded record, so each hash
covers the whole chain before it.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import fastavro

from bus.schemas.contracts import Contract
from bus.schemas.event import Event
from bus.schemas.types import AUDIT_RECORD

ZERO_HASH = bytes(32)
RECORD_DOMAIN = b"agencybus-audit-record-v1\x00"
UNDECODABLE = "undecodable:"
"""Prefix of ``event_type`` for messages that are not bus events; their bytes are audited too."""

REPLAY_HEADER = "bus_replay"
"""Kafka header marking a replayed event; the auditor does not audit it twice."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_UNDECODABLE_IDS = uuid.UUID("6f1c2a0e-5b7d-4e0a-9d3c-8a1b2c3d4e5f")


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch, exactly (no float rounding)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def canonical_uuid(text: str) -> str:
    """The id as a lower-case UUID string, so it survives Avro's ``uuid`` type unchanged.

    An id that is not a UUID is mapped to a name-based UUID of it, since a reader
    would refuse it (and the record's hash must not depend on how it was spelled).
    """
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return str(uuid.uuid5(_UNDECODABLE_IDS, text))


def digest(value: bytes | None) -> bytes:
    """SHA-256 of a Kafka value's exact bytes (a tombstone counts as empty)."""
    return hashlib.sha256(value or b"").digest()


@dataclass(frozen=True)
class AuditedMessage:
    """A Kafka message as the auditor saw it."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int | None
    value: bytes | None
    headers: list[tuple[str, bytes]]


def is_replay(headers: Iterable[tuple[str, bytes | None]] | None) -> bool:
    return any(key == REPLAY_HEADER for key, _ in headers or [])


def new_record(
    message: AuditedMessage,
    event: Event | None,
    pseudonyms: Mapping[str, str],
    *,
    audited_at: datetime,
    decode_reason: str | None = None,
) -> dict[str, Any]:
    """The audit record of one message, not yet chained (both hashes zero).

    A message that is not a bus event is still recorded, by its digest, with
    ``event_type`` ``undecodable:<reason>`` and CloudEvents headers if it has any.
    """
    kafka_time = from_ms(message.timestamp_ms) if message.timestamp_ms is not None else None
    if event is not None:
        header = event.header
        event_id = event.id or ""
        event_type = event.type
        source = event.source or ""
        authority, conversation = header.get("authority"), header.get("conversation_id")
        event_time = event.occurred_at or kafka_time or audited_at
    else:
        ce = {key: (value or b"").decode("utf-8", "replace") for key, value in message.headers}
        where = f"{message.topic}:{message.partition}:{message.offset}"
        event_id = ce.get("ce_id") or str(uuid.uuid5(_UNDECODABLE_IDS, where))
        event_type = UNDECODABLE + (decode_reason or "decode-failed")
        source = ce.get("ce_source", "")
        authority, conversation = None, None
        event_time = kafka_time or audited_at
    return {
        "event_id": canonical_uuid(event_id),
        "event_type": event_type,
        "source": source,
        "authority": authority,
        "conversation_id": conversation,
        "topic": message.topic,
        "partition": message.partition,
        "offset": message.offset,
        "schema_id": event.schema_id if event is not None else None,
        "event_time": event_time,
        "audited_at": audited_at,
        "digest": digest(message.value),
        "prev_hash": ZERO_HASH,
        "record_hash": ZERO_HASH,
        "pseudonyms": dict(pseudonyms),
        "kafka_timestamp": kafka_time,
    }


class RecordHasher:
    """Computes and checks record hashes under the local ``AuditRecord`` contract."""

    def __init__(self, contracts: Mapping[str, Contract]) -> None:
        self._schema = fastavro.parse_schema(contracts[AUDIT_RECORD].schema)

    def canonical(self, record: Mapping[str, Any]) -> bytes:
        """The bytes a record's hash is taken over; independent of map order."""
        data = {
            **record,
            "record_hash": ZERO_HASH,
            "pseudonyms": dict(sorted((record.get("pseudonyms") or {}).items())),
        }
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, self._schema, data)
        return RECORD_DOMAIN + buffer.getvalue()

    def hash(self, record: Mapping[str, Any]) -> bytes:
        return hashlib.sha256(self.canonical(record)).digest()

    def link(self, record: Mapping[str, Any], prev_hash: bytes) -> dict[str, Any]:
        """The record chained after ``prev_hash``, with its own hash set."""
        linked = {**record, "prev_hash": prev_hash, "record_hash": ZERO_HASH}
        linked["record_hash"] = self.hash(linked)
        return linked
