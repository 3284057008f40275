"""Verify audit chains: each record's hash, each link, each checkpoint's signature and head.

Plain classes over decoded entries, so the topic, the archives and the tests share
one implementation. The first problem found is reported with its position.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bus.audit.checkpoint import CheckpointVerifier
from bus.audit.record import ZERO_HASH, RecordHasher


@dataclass(frozen=True)
class LogEntry:
    """One message of an audit partition: a record, a checkpoint, or bytes that did not decode."""

    partition: int
    offset: int
    record: dict[str, Any] | None = None
    checkpoint: dict[str, Any] | None = None
    error: str | None = None
    where: str = ""
    """Where it was read from, for the report (e.g. an archive file's name)."""


@dataclass(frozen=True)
class Failure:
    partition: int
    offset: int
    index: int
    reason: str
    where: str = ""

    def __str__(self) -> str:
        place = f" in {self.where}" if self.where else ""
        return (
            f"audit partition {self.partition}, offset {self.offset} "
            f"(entry #{self.index} of the chain{place}): {self.reason}"
        )


@dataclass
class Report:
    records: int = 0
    checkpoints: int = 0
    partitions: int = 0
    events_checked: int = 0
    proven: int = 0
    """Records no checkpoint covers yet, proven against their events (``bus.audit.proof``)."""
    failure: Failure | None = None
    heads: dict[int, bytes] = field(default_factory=dict)
    signed: dict[int, int] = field(default_factory=dict)
    """Per chain, the offset of the last record a good checkpoint signs (-1: none)."""

    @property
    def ok(self) -> bool:
        return self.failure is None


Fail = Callable[[str], Failure]


class ChainVerifier:
    """Checks one audit partition's entries, fed in log order.

    ``head`` and ``after_offset`` let a check start where an earlier one (or an
    earlier archive file) ended.
    """

    def __init__(
        self,
        partition: int,
        hasher: RecordHasher,
        signatures: CheckpointVerifier,
        *,
        head: bytes = ZERO_HASH,
        after_offset: int = -1,
    ) -> None:
        self.partition = partition
        self.head = head
        self.last_offset = after_offset
        self.records = 0
        self.checkpoints = 0
        self.signed_offset = -1
        self._first_offset: int | None = None
        self._index = 0
        self._hasher = hasher
        self._signatures = signatures
        self._hashes: dict[int, bytes] = {}

    def feed(self, entry: LogEntry) -> Failure | None:
        index = self._index
        self._index += 1

        def fail(reason: str) -> Failure:
            return Failure(self.partition, entry.offset, index, reason, entry.where)

        if entry.partition != self.partition:
            return fail(f"entry of partition {entry.partition} in the chain of {self.partition}")
        if entry.offset <= self.last_offset:
            return fail(
                f"offset {entry.offset} does not follow offset {self.last_offset}: "
                "entries are reordered or repeated"
            )
        if entry.error is not None:
            return fail(f"does not decode: {entry.error}")
        self.last_offset = entry.offset
        if entry.record is not None:
            return self._record(entry.record, entry.offset, fail)
        if entry.checkpoint is not None:
            return self._checkpoint(entry.checkpoint, fail)
        return fail("holds neither an audit record nor a checkpoint")

    def _record(self, record: dict[str, Any], offset: int, fail: Fail) -> Failure | None:
        if record["prev_hash"] != self.head:
            return fail(
                f"prev_hash {record['prev_hash'].hex()[:16]}... is not the hash of the record "
                f"before it ({self.head.hex()[:16]}...): a record was removed, inserted or "
                "reordered here"
            )
        computed = self._hasher.hash(record)
        if computed != record["record_hash"]:
            return fail(
                f"record_hash {record['record_hash'].hex()[:16]}... does not match the "
                f"record's content ({computed.hex()[:16]}...): the record was altered"
            )
        self.head = computed
        self._hashes[offset] = computed
        if self._first_offset is None:
            self._first_offset = offset
        self.records += 1
        return None

    def _checkpoint(self, checkpoint: dict[str, Any], fail: Fail) -> Failure | None:
        if checkpoint["partition"] != self.partition:
            return fail(
                f"checkpoint for partition {checkpoint['partition']} in the chain of "
                f"{self.partition}"
            )
        problem = self._signatures.problem(checkpoint)
        if problem is not None:
            return fail(problem)
        offset = checkpoint["offset"]
        known = self._hashes.get(offset)
        before_start = self._first_offset is None or offset < self._first_offset
        if known is None and not before_start:
            return fail(f"checkpoint names offset {offset}, which holds no audit record here")
        if known is not None and known != checkpoint["head_hash"]:
            return fail(
                f"checkpoint signs head {checkpoint['head_hash'].hex()[:16]}... at offset "
                f"{offset}, but the record there hashes to {known.hex()[:16]}...: the chain "
                "was rewritten"
            )
        self.checkpoints += 1
        self.signed_offset = max(self.signed_offset, offset)
        return None


def verify_partitions(
    entries: Iterable[LogEntry],
    hasher: RecordHasher,
    signatures: CheckpointVerifier,
    report: Report | None = None,
    *,
    anchors: Mapping[int, bytes] | None = None,
) -> Report:
    """Feed entries (any partitions, each in log order) to one verifier per partition.

    ``anchors`` gives the head a partition's chain starts from when the entries
    are a later part of it; otherwise each chain must start at the zero hash.
    """
    report = report or Report()
    chains: dict[int, ChainVerifier] = {}
    for entry in entries:
        chain = chains.get(entry.partition)
        if chain is None:
            head = (anchors or {}).get(entry.partition, ZERO_HASH)
            chain = ChainVerifier(entry.partition, hasher, signatures, head=head)
            chains[entry.partition] = chain
        failure = chain.feed(entry)
        if failure is not None:
            report.failure = failure
            break
    report.partitions = len(chains)
    report.records += sum(chain.records for chain in chains.values())
    report.checkpoints += sum(chain.checkpoints for chain in chains.values())
    report.heads = {p: chain.head for p, chain in chains.items()}
    report.signed = {p: chain.signed_offset for p, chain in chains.items()}
    return report
