"""Whether audit records tell the truth about the events they name.

Anyone who can write to the audit topic (a leaked credential, an operator) can
append a record correctly chained to the head. Its hash proves nothing, but
the record names its event (topic, partition, offset, SHA-256 of the bytes),
and the event is still on Kafka: a record is proven when the event at that
position gives the same record again. The chain writer resumes only from
records signed by its own checkpoints or proven this way; ``bus audit verify``
proves the records no checkpoint covers yet.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, cast

import fastavro
from aiokafka import AIOKafkaConsumer, TopicPartition

from bus.audit.auditor import record_of
from bus.audit.log import read_range
from bus.audit.pseudonym import Pseudonymizer
from bus.audit.record import AuditedMessage, digest
from bus.schemas.contracts import Contract
from bus.schemas.event import Event
from bus.schemas.types import AUDIT_RECORD

Position = tuple[str, int, int]
"""An audited event's topic, partition and offset."""

DERIVED = (
    "event_id",
    "event_type",
    "source",
    "authority",
    "conversation_id",
    "topic",
    "partition",
    "offset",
    "schema_id",
    "event_time",
    "digest",
    "kafka_timestamp",
)
"""The fields of a record that follow from its event alone (not the pseudonyms: they need
the pseudonym key; not ``audited_at``, the hashes or the chain)."""


def position(record: Mapping[str, Any]) -> Position:
    return (record["topic"], int(record["partition"]), int(record["offset"]))


async def read_events(
    consumer: AIOKafkaConsumer, positions: Iterable[Position]
) -> dict[Position, AuditedMessage]:
    """The audited events still on Kafka at ``positions``, read one source partition at a time."""
    wanted: dict[tuple[str, int], set[int]] = defaultdict(set)
    for topic, partition, offset in positions:
        wanted[(topic, partition)].add(offset)
    found: dict[Position, AuditedMessage] = {}
    for (topic, partition), offsets in sorted(wanted.items()):
        tp = TopicPartition(topic, partition)
        async for message in read_range(consumer, tp, min(offsets), max(offsets) + 1):
            if message.offset in offsets:
                found[(topic, partition, message.offset)] = AuditedMessage(
                    topic=topic,
                    partition=partition,
                    offset=message.offset,
                    timestamp_ms=message.timestamp,
                    value=message.value,
                    headers=[(key, value or b"") for key, value in message.headers or ()],
                )
    return found


class RecordProver:
    """Derives a record again from its event and says what differs.

    With ``pseudonymizer`` (the writer has the key) the pseudonyms are compared
    too; without it (a verifier holds only the public key) the rest is.
    """

    def __init__(
        self,
        decode: Callable[[bytes], Awaitable[Event]],
        contracts: Mapping[str, Contract],
        pseudonymizer: Pseudonymizer | None = None,
    ) -> None:
        self._decode = decode
        self._contracts = contracts
        self._pseudonymizer = pseudonymizer or Pseudonymizer(bytes(32))
        self._fields = DERIVED + (("pseudonyms",) if pseudonymizer is not None else ())
        self._schema = fastavro.parse_schema(contracts[AUDIT_RECORD].schema)

    async def problem(self, record: Mapping[str, Any], event: AuditedMessage | None) -> str | None:
        """Why ``record`` is not the record of ``event`` (None: it is)."""
        where = "{}[{}]@{}".format(*position(record))
        if event is None:
            return f"its event {where} is no longer on Kafka, so the record cannot be proven"
        if digest(event.value) != record["digest"]:
            return f"its digest is not the SHA-256 of the event {where}"
        again = await record_of(event, self._decode, self._contracts, self._pseudonymizer)
        ours, theirs = self._normal(again), self._normal(record)
        differing = [name for name in self._fields if ours[name] != theirs[name]]
        if differing:
            return f"it does not describe the event {where}: {', '.join(differing)} differ"
        return None

    def _normal(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The record as Avro gives it back, so both sides have the same types and precision."""
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, self._schema, dict(record))
        buffer.seek(0)
        return cast(dict[str, Any], fastavro.schemaless_reader(buffer, self._schema, None))
