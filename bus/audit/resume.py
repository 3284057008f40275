"""Where a restarted chain writer continues: the head it can prove, or nowhere.

The writer's own last checkpoint (its signature checks under the writer's key)
vouches for the chain up to the record it signs. Every record after it must
link to the one before and be proven against its event (``bus.audit.proof``).
Anything else after that checkpoint (a record that does not prove, a
checkpoint that does not verify, bytes that do not decode) halts the chain:
extending it would make the next checkpoint vouch for what nobody can prove.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from bus.audit.checkpoint import CheckpointVerifier
from bus.audit.log import decode_entry, read_range
from bus.audit.proof import Position, RecordProver, position, read_events
from bus.audit.record import ZERO_HASH, AuditedMessage, RecordHasher
from bus.audit.verify import ChainVerifier, LogEntry
from bus.errors import BusError
from bus.schemas.codec import AvroCodec

FIRST_WINDOW = 64


class ChainHalted(BusError):
    """An audit chain holds something its writer cannot prove; it is not extended."""


async def signed_tail(
    consumer: AIOKafkaConsumer,
    codec: AvroCodec,
    topic: str,
    partition: int,
    signatures: CheckpointVerifier,
) -> tuple[dict[str, Any] | None, list[LogEntry]]:
    """The last checkpoint that verifies, and the entries from the record it signs to the end.

    Without such a checkpoint, the whole partition (the chain from its first record).
    """
    tp = TopicPartition(topic, partition)
    start = (await consumer.beginning_offsets([tp]))[tp]
    end = (await consumer.end_offsets([tp]))[tp]

    async def entries_in(lower: int, upper: int) -> list[LogEntry]:
        return [
            await decode_entry(codec, partition, message.offset, message.value)
            async for message in read_range(consumer, tp, lower, upper)
        ]

    checkpoint: dict[str, Any] | None = None
    read: list[LogEntry] = []  # from ``upper`` to the end, kept so nothing is read twice
    upper, window = end, FIRST_WINDOW
    while upper > start and checkpoint is None:
        lower = max(start, upper - window)
        found = await entries_in(lower, upper)
        for entry in found:
            if _signed_here(entry.checkpoint, partition, signatures):
                checkpoint = entry.checkpoint
        read = found + read
        upper, window = lower, window * 4
    first = int(checkpoint["offset"]) if checkpoint is not None else start
    if first < upper:  # the signed record lies before the window its checkpoint was in
        read = await entries_in(first, upper) + read
    entries = [entry for entry in read if entry.offset >= first]
    return checkpoint, entries


def _signed_here(
    checkpoint: dict[str, Any] | None, partition: int, signatures: CheckpointVerifier
) -> bool:
    return (
        checkpoint is not None
        and checkpoint["partition"] == partition
        and signatures.problem(checkpoint) is None
    )


async def proven_head(
    partition: int,
    checkpoint: Mapping[str, Any] | None,
    entries: list[LogEntry],
    events: Mapping[Position, AuditedMessage],
    *,
    hasher: RecordHasher,
    signatures: CheckpointVerifier,
    prover: RecordProver,
) -> bytes:
    """The chain's head once every entry after ``checkpoint`` checks; else ChainHalted."""
    signed_offset = int(checkpoint["offset"]) if checkpoint is not None else -1
    head, after = ZERO_HASH, -1
    if checkpoint is not None and entries and entries[0].record is not None:
        head, after = entries[0].record["prev_hash"], signed_offset - 1
    chain = ChainVerifier(partition, hasher, signatures, head=head, after_offset=after)
    for entry in entries:
        failure = chain.feed(entry)
        if failure is not None:
            raise ChainHalted(f"{failure}; the chain is halted")
        if entry.record is not None and entry.offset > signed_offset:
            problem = await prover.problem(entry.record, events.get(position(entry.record)))
            if problem is not None:
                raise ChainHalted(
                    f"audit partition {partition}, offset {entry.offset}: the record after the "
                    f"last signed checkpoint does not prove: {problem}; the chain is halted"
                )
    return chain.head


async def resume(
    consumer: AIOKafkaConsumer,
    codec: AvroCodec,
    topic: str,
    partition: int,
    *,
    hasher: RecordHasher,
    signatures: CheckpointVerifier,
    prover: RecordProver,
) -> bytes:
    """The head a writer may continue ``partition``'s chain from (see the module's text)."""
    checkpoint, entries = await signed_tail(consumer, codec, topic, partition, signatures)
    signed_offset = int(checkpoint["offset"]) if checkpoint is not None else -1
    unsigned = [e.record for e in entries if e.record is not None and e.offset > signed_offset]
    events = await read_events(consumer, [position(record) for record in unsigned])
    return await proven_head(
        partition,
        checkpoint,
        entries,
        events,
        hasher=hasher,
        signatures=signatures,
        prover=prover,
    )
