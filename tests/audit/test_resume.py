"""Where a restarted chain writer may continue: only from what its checkpoints sign or the
events prove (``bus.audit.resume``), without Kafka."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bus.audit.chain import ChainWriter
from bus.audit.checkpoint import CheckpointSigner
from bus.audit.proof import RecordProver, position
from bus.audit.record import AuditedMessage
from bus.audit.resume import ChainHalted, proven_head
from bus.audit.verify import LogEntry
from bus.schemas.event import Event

from .chains import CONTRACTS, HASHER, PSEUDONYMS, SIGNATURES, SIGNER, T0, chain, message_event

RECORDS = 10  # checkpoint every 4: the last signs offset 8; records at 10 and 11 are unsigned


def _events(first: int, count: int) -> tuple[dict[Any, AuditedMessage], dict[bytes, Event]]:
    on_kafka, decoded = {}, {}
    for i in range(first, first + count):
        message, event = message_event(i)
        on_kafka[(message.topic, message.partition, message.offset)] = message
        decoded[message.value or b""] = event
    return on_kafka, decoded


def _prover(decoded: dict[bytes, Event]) -> RecordProver:
    async def decode(value: bytes) -> Event:
        return decoded[value]

    return RecordProver(decode, CONTRACTS, PSEUDONYMS)


def _tail(entries: list[LogEntry]) -> tuple[dict[str, Any], list[LogEntry]]:
    """The last checkpoint and the entries from the record it signs, as ``signed_tail`` reads."""
    checkpoint = [e.checkpoint for e in entries if e.checkpoint is not None][-1]
    return checkpoint, [e for e in entries if e.offset >= checkpoint["offset"]]


def _resume(entries: list[LogEntry], on_kafka: dict[Any, AuditedMessage], prover: RecordProver):
    checkpoint, tail = _tail(entries)
    return asyncio.run(
        proven_head(
            0, checkpoint, tail, on_kafka, hasher=HASHER, signatures=SIGNATURES, prover=prover
        )
    )


def _append(entries: list[LogEntry], record: dict[str, Any]) -> list[LogEntry]:
    head = [e.record for e in entries if e.record is not None][-1]["record_hash"]
    linked = HASHER.link(record, head)
    return [*entries, LogEntry(0, entries[-1].offset + 1, record=linked)]


def test_records_after_the_last_checkpoint_that_their_events_prove_give_the_head() -> None:
    entries = chain(RECORDS)
    on_kafka, decoded = _events(0, RECORDS)
    head = _resume(entries, on_kafka, _prover(decoded))
    assert head == entries[-1].record["record_hash"]  # type: ignore[index]


def test_a_record_chained_to_the_head_with_a_field_its_event_does_not_have_halts() -> None:
    entries = chain(RECORDS)
    last = entries[-1].record or {}
    forged = _append(entries, {**last, "authority": "forged-authority"})
    on_kafka, decoded = _events(0, RECORDS)
    with pytest.raises(ChainHalted, match=r"offset 12: .*authority differ"):
        _resume(forged, on_kafka, _prover(decoded))


def test_a_record_whose_event_is_not_on_kafka_halts() -> None:
    entries = chain(RECORDS + 1)  # its last event is made up below: not on Kafka
    on_kafka, decoded = _events(0, RECORDS)
    with pytest.raises(ChainHalted, match="no longer on Kafka"):
        _resume(entries, on_kafka, _prover(decoded))


def test_a_record_with_pseudonyms_made_under_another_key_halts() -> None:
    entries = chain(RECORDS)
    last = entries[-1].record or {}
    forged = _append(entries, {**last, "pseudonyms": {"author_id": "hmac:" + "0" * 32}})
    on_kafka, decoded = _events(0, RECORDS)
    with pytest.raises(ChainHalted, match="pseudonyms differ"):
        _resume(forged, on_kafka, _prover(decoded))


def test_a_checkpoint_after_the_last_good_one_that_does_not_verify_halts() -> None:
    entries = chain(RECORDS)
    head = entries[-1].record["record_hash"]  # type: ignore[index]
    forger = CheckpointSigner(Ed25519PrivateKey.generate())
    forged = forger.sign(0, entries[-1].offset, head, T0)
    entries.append(LogEntry(0, entries[-1].offset + 1, checkpoint=forged))
    on_kafka, decoded = _events(0, RECORDS)
    with pytest.raises(ChainHalted, match="signed with key"):
        _resume(entries, on_kafka, _prover(decoded))


def test_a_halted_chain_is_never_extended_until_its_partition_is_given_away() -> None:
    recovered: list[int] = []

    async def recover(partition: int) -> bytes:
        recovered.append(partition)
        raise ChainHalted("audit partition 0, offset 12: forged")

    async def send(partition: int, kind: str, data: dict[str, Any]) -> Any:
        raise AssertionError("a halted chain sends nothing")

    writer = ChainWriter(
        HASHER, SIGNER, send=send, recover=recover, every_records=4, interval_s=3600
    )
    record = chain(1)[0].record or {}

    async def twice() -> None:
        for _ in range(2):
            with pytest.raises(ChainHalted, match="forged"):
                await writer.append(0, record)

    asyncio.run(twice())
    assert recovered == [0] and "forged" in writer.halted[0]
    writer.forget({0})
    assert writer.halted == {}
    assert position(record) == ("bus.assistant-events", 0, 100)
