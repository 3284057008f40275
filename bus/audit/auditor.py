"""What the auditor does with one message, without Kafka: decode, pseudonymise, record."""

from __future__ import annotations

import zlib
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from bus.audit.pseudonym import Pseudonymizer
from bus.audit.record import AuditedMessage, new_record
from bus.catalogue import Catalogue
from bus.errors import DecodeError
from bus.kafka.admin import TopicSpec
from bus.privacy.fields import identifier_pseudonyms
from bus.privacy.scrubber import Scrubber
from bus.schemas.contracts import Contract
from bus.schemas.event import Event


def intake_topic(catalogue: Catalogue) -> str:
    """Where unchained records wait for the writer of their audit partition."""
    return f"{catalogue.topics.audit}-intake"


def chains(catalogue: Catalogue) -> int:
    """How many hash chains the audit log has: one per partition of the audit topic."""
    return next(s.partitions for s in catalogue.topic_specs() if s.name == catalogue.topics.audit)


def audit_specs(catalogue: Catalogue) -> list[TopicSpec]:
    """The intake topic, partitioned like the audit topic (partition n feeds chain n)."""
    audit = next(spec for spec in catalogue.topic_specs() if spec.name == catalogue.topics.audit)
    return [TopicSpec(intake_topic(catalogue), audit.partitions, audit.replication)]


def chain_key(message: AuditedMessage) -> bytes:
    return f"{message.topic}:{message.partition}".encode()


def chain_of(message: AuditedMessage, chains: int) -> int:
    """The chain (audit partition) of a source partition: always the same one, so the
    partition's events stay in order; a topic's partitions spread over the chains."""
    return (zlib.crc32(message.topic.encode()) + message.partition) % chains


async def record_of(
    message: AuditedMessage,
    decode: Callable[[bytes], Awaitable[Event]],
    contracts: Mapping[str, Contract],
    pseudonymizer: Pseudonymizer,
) -> dict[str, Any]:
    """The unchained audit record of a message; undecodable bytes are recorded by digest."""
    now = datetime.now(UTC)
    try:
        if message.value is None:
            raise DecodeError("a tombstone (no value)")
        event = await decode(message.value)
    except DecodeError as exc:
        return new_record(message, None, {}, audited_at=now, decode_reason=exc.reason)
    contract = contracts.get(event.type)
    if contract is None:
        return new_record(message, event, {}, audited_at=now)
    pseudonyms = pseudonymizer.pseudonyms(event.data, contract.pii_fields)
    if contract.free_text_fields:
        pseudonyms |= identifier_pseudonyms(event.data, contract, Scrubber(pseudonymizer))
    return new_record(message, event, pseudonyms, audited_at=now)
