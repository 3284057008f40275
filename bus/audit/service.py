"""The auditor's commands against Kafka: verify the topic or archives, archive the topic."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Mapping
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from bus.audit.archive import ArchiveFile, archive_files, archived_heads, read_files, write_file
from bus.audit.checkpoint import CheckpointSigner, CheckpointVerifier, signing_key
from bus.audit.log import decode_entry, log_consumer, partitions_of, read_log, read_range
from bus.audit.manifest import check_manifest, write_manifest
from bus.audit.proof import RecordProver, position, read_events
from bus.audit.record import ZERO_HASH, RecordHasher, digest
from bus.audit.verify import Failure, LogEntry, Report, verify_partitions
from bus.errors import BusError
from bus.kafka.connection import security_kwargs
from bus.schemas.codec import AvroCodec
from bus.schemas.contracts import load_contracts
from bus.schemas.registry_client import registry_client
from bus.settings import Settings


def _prepare(directory: Path) -> dict[int, tuple[int, bytes]]:
    directory.mkdir(parents=True, exist_ok=True)
    return archived_heads(directory)


async def _collect(entries: AsyncIterator[LogEntry]) -> list[LogEntry]:
    return [entry async for entry in entries]


async def verify_topic(
    settings: Settings, topic: str, signatures: CheckpointVerifier, *, events: bool
) -> Report:
    """Verify the audit topic's chains (and with ``events`` the audited events' digests)."""
    contracts = load_contracts(settings.schemas_dir)
    security = security_kwargs(settings)
    partitions = await partitions_of(settings.bootstrap_servers, topic, **security)
    registry = registry_client(settings)
    consumer = log_consumer(settings.bootstrap_servers, **security)
    try:
        await consumer.start()
        codec = AvroCodec(registry, contracts)
        entries = await _collect(read_log(consumer, codec, topic, partitions))
        report = verify_partitions(entries, RecordHasher(contracts), signatures)
        if report.ok:
            prover = RecordProver(codec.decode_async, contracts)
            await prove_unsigned(consumer, prover, entries, report)
        if report.ok and events:
            await check_events(consumer, entries, report)
        return report
    finally:
        await consumer.stop()
        await registry.close()


async def prove_unsigned(
    consumer: AIOKafkaConsumer, prover: RecordProver, entries: list[LogEntry], report: Report
) -> None:
    """Prove the records no checkpoint covers yet: a forged one at the head fails here."""
    unsigned = [
        entry
        for entry in entries
        if entry.record is not None and entry.offset > report.signed.get(entry.partition, -1)
    ]
    events = await read_events(consumer, [position(e.record or {}) for e in unsigned])
    for entry in unsigned:
        record = entry.record or {}
        problem = await prover.problem(record, events.get(position(record)))
        if problem is not None:
            report.failure = Failure(
                entry.partition,
                entry.offset,
                -1,
                f"no checkpoint signs this record yet and {problem}",
                entry.where,
            )
            return
        report.proven += 1


async def verify_archive(
    settings: Settings, directory: Path, signatures: CheckpointVerifier, *, events: bool
) -> Report:
    """Verify archive files on their own: chains across files, names, checkpoints.

    A folder without archive files is an error, not an archive that verifies.
    """
    contracts = load_contracts(settings.schemas_dir)
    files = _archive_to_verify(directory)
    entries = list(read_files(files))
    report = verify_partitions(entries, RecordHasher(contracts), signatures)
    if report.ok:
        report.failure = _check_names(files, entries)
    if report.ok:
        check_manifest(directory, signatures, report)
    if report.ok and events:
        consumer = log_consumer(settings.bootstrap_servers, **security_kwargs(settings))
        try:
            await consumer.start()
            await check_events(consumer, entries, report)
        finally:
            await consumer.stop()
    return report


def _archive_to_verify(directory: Path) -> list[ArchiveFile]:
    if not directory.is_dir():
        raise BusError(f"{directory} is not a folder, so there is no archive to verify")
    files = archive_files(directory)
    if not files:
        raise BusError(
            f"{directory} holds no audit archive files (audit-p*.avro): give the folder "
            "`bus audit archive --out` wrote to"
        )
    return files


def _check_names(files: Iterable[ArchiveFile], entries: list[LogEntry]) -> Failure | None:
    """A file's name must say what is in it (partition, offsets), or it was swapped."""
    by_file: dict[str, list[LogEntry]] = defaultdict(list)
    for entry in entries:
        by_file[entry.where].append(entry)
    for archive in files:
        name = archive.path.name
        inside = by_file.get(name, [])
        if not inside:
            return Failure(archive.partition, archive.first_offset, 0, "empty file", name)
        if (inside[0].offset, inside[-1].offset) != (archive.first_offset, archive.last_offset):
            first = inside[0]
            return Failure(first.partition, first.offset, 0, "file name and content differ", name)
    return None


async def check_events(consumer: AIOKafkaConsumer, entries: list[LogEntry], report: Report) -> None:
    """Re-read every audited event and compare its digest with the record's."""
    wanted: dict[tuple[str, int], dict[int, tuple[bytes, LogEntry]]] = defaultdict(dict)
    for entry in entries:
        if entry.record is not None:
            record = entry.record
            key = (record["topic"], record["partition"])
            wanted[key][record["offset"]] = (record["digest"], entry)
    for (topic, partition), offsets in sorted(wanted.items()):
        tp = TopicPartition(topic, partition)
        seen: set[int] = set()
        async for message in read_range(consumer, tp, min(offsets), max(offsets) + 1):
            expected = offsets.get(message.offset)
            if expected is None:
                continue
            seen.add(message.offset)
            if digest(message.value) != expected[0]:
                report.failure = _event_failure(expected[1], "its bytes changed")
                return
            report.events_checked += 1
        missing = sorted(set(offsets) - seen)
        if missing:
            report.failure = _event_failure(offsets[missing[0]][1], "it is no longer on Kafka")
            return


def _event_failure(entry: LogEntry, why: str) -> Failure:
    record = entry.record or {}
    return Failure(
        entry.partition,
        entry.offset,
        -1,
        f"audited event {record.get('topic')}[{record.get('partition')}]@{record.get('offset')} "
        f"does not have the recorded digest: {why}",
        entry.where,
    )


async def archive_topic(
    settings: Settings, topic: str, directory: Path, *, max_entries: int
) -> list[Path]:
    """Append the audit log's new entries to ``directory``; return the files written."""
    contracts = load_contracts(settings.schemas_dir)
    signer = CheckpointSigner(signing_key(settings))
    done = await asyncio.to_thread(_prepare, directory)
    security = security_kwargs(settings)
    partitions = await partitions_of(settings.bootstrap_servers, topic, **security)
    registry = registry_client(settings)
    consumer = log_consumer(settings.bootstrap_servers, **security)
    hasher = RecordHasher(contracts)
    written: list[Path] = []
    try:
        await consumer.start()
        codec = AvroCodec(registry, contracts)
        continuation = _Continuation(directory, topic, done, hasher)
        await continuation.check_ends(consumer, partitions)
        runs: dict[int, list[LogEntry]] = defaultdict(list)
        heads: dict[int, bytes] = {p: head for p, (_, head) in done.items()}
        async for entry in read_log(consumer, codec, topic, partitions):
            if continuation.archived(entry):
                continue
            run = runs[entry.partition]
            run.append(entry)
            if entry.record is not None:
                heads[entry.partition] = hasher.hash(entry.record)
            if len(run) >= max_entries:
                head = heads.get(entry.partition, ZERO_HASH)
                written.append(write_file(directory, run, head, contracts))
                runs[entry.partition] = []
        continuation.finish()
        for partition, run in sorted(runs.items()):
            if run:
                written.append(
                    write_file(directory, run, heads.get(partition, ZERO_HASH), contracts)
                )
        await asyncio.to_thread(write_manifest, directory, topic, signer)
    finally:
        await consumer.stop()
        await registry.close()
    return written


class _Continuation:
    """The topic must continue the chains already archived in the folder.

    Archiving skips, by offset, the entries the folder holds. Were the folder
    another log's archive, the skipped offsets would be this log's entries, lost
    without a word; so the last archived record must be this log's, and this
    log's next record must link to it. Either may be gone (retention), not both.
    """

    def __init__(
        self,
        directory: Path,
        topic: str,
        done: Mapping[int, tuple[int, bytes]],
        hasher: RecordHasher,
    ) -> None:
        self._directory = directory
        self._topic = topic
        self._done = done
        self._hasher = hasher
        self._last_records: dict[int, dict[str, Any]] = {}
        self._linked: set[int] = set()
        self._checked: set[int] = set()

    async def check_ends(self, consumer: AIOKafkaConsumer, partitions: Iterable[int]) -> None:
        """Each archived partition must exist and reach past the archive's last offset."""
        for partition in sorted(set(self._done) - set(partitions)):
            raise self._mismatch(partition, f"{self._topic} has no partition {partition}")
        tps = [TopicPartition(self._topic, partition) for partition in sorted(self._done)]
        for tp, end in sorted((await consumer.end_offsets(tps)).items()):
            last = self._done[tp.partition][0]
            if end <= last:
                raise self._mismatch(tp.partition, f"{self._topic} ends at offset {end - 1} there")

    def archived(self, entry: LogEntry) -> bool:
        """Whether the folder holds the entry already; raises if it cannot be this log's."""
        if entry.partition not in self._done:
            return False
        last, head = self._done[entry.partition]
        if entry.offset <= last:
            if entry.record is not None:
                self._last_records[entry.partition] = entry.record
            return True
        self._check_last_record(entry.partition)
        if entry.record is not None and entry.partition not in self._linked:
            self._linked.add(entry.partition)
            if entry.record["prev_hash"] != head:
                raise self._mismatch(
                    entry.partition,
                    f"the record at offset {entry.offset} of {self._topic} links to chain head "
                    f"{bytes(entry.record['prev_hash']).hex()[:16]}",
                )
        return False

    def finish(self) -> None:
        """Check the partitions that had no new entries."""
        for partition in self._done:
            self._check_last_record(partition)

    def _check_last_record(self, partition: int) -> None:
        if partition in self._checked:
            return
        self._checked.add(partition)
        record = self._last_records.get(partition)
        if record is None:
            return
        head = self._hasher.hash(record)
        if head != self._done[partition][1]:
            raise self._mismatch(
                partition, f"{self._topic}'s chain has head {head.hex()[:16]} there"
            )

    def _mismatch(self, partition: int, found: str) -> BusError:
        last, head = self._done[partition]
        return BusError(
            f"{self._directory} holds an archive of another audit log, not of {self._topic}: "
            f"its partition {partition} ends at offset {last} with chain head "
            f"{head.hex()[:16]}, but {found}; archive {self._topic} into an empty folder or "
            "its own (or, if it is this log's, run `bus audit verify`: it was altered)"
        )


async def audit_ends(settings: Settings, topic: str) -> dict[int, int]:
    """The audit topic's end offset per partition (where a later check can start)."""
    security = security_kwargs(settings)
    partitions = await partitions_of(settings.bootstrap_servers, topic, **security)
    consumer = log_consumer(settings.bootstrap_servers, **security)
    try:
        await consumer.start()
        tps = [TopicPartition(topic, p) for p in partitions]
        return {tp.partition: offset for tp, offset in (await consumer.end_offsets(tps)).items()}
    finally:
        await consumer.stop()


async def verify_segment(
    settings: Settings,
    topic: str,
    starts: Mapping[int, int],
    signatures: CheckpointVerifier,
    *,
    wanted: set[str],
    timeout_s: float,
) -> Report:
    """Once every event id in ``wanted`` is audited, verify what was appended after ``starts``.

    Each chain is checked from its first record there, anchored on that record's
    ``prev_hash``: this proves the part written since, not the log before it.
    """
    contracts = load_contracts(settings.schemas_dir)
    security = security_kwargs(settings)
    partitions = await partitions_of(settings.bootstrap_servers, topic, **security)
    registry = registry_client(settings)
    consumer = log_consumer(settings.bootstrap_servers, **security)
    deadline = time.monotonic() + timeout_s
    try:
        await consumer.start()
        codec = AvroCodec(registry, contracts)
        while True:
            entries = await _segment(consumer, codec, topic, partitions, starts)
            seen = {str(e.record["event_id"]) for e in entries if e.record is not None}
            if wanted <= seen:
                break
            if time.monotonic() > deadline:
                raise BusError(
                    f"{len(wanted - seen)} of {len(wanted)} events were not audited in "
                    f"{timeout_s:.0f}s (is the worker running?)"
                )
            await asyncio.sleep(0.5)
        anchors: dict[int, bytes] = {}
        for entry in entries:
            if entry.record is not None:
                anchors.setdefault(entry.partition, entry.record["prev_hash"])
        return verify_partitions(entries, RecordHasher(contracts), signatures, anchors=anchors)
    finally:
        await consumer.stop()
        await registry.close()


async def _segment(
    consumer: AIOKafkaConsumer,
    codec: AvroCodec,
    topic: str,
    partitions: list[int],
    starts: Mapping[int, int],
) -> list[LogEntry]:
    entries = []
    for partition in partitions:
        tp = TopicPartition(topic, partition)
        end = (await consumer.end_offsets([tp]))[tp]
        async for message in read_range(consumer, tp, starts.get(partition, 0), end):
            entries.append(await decode_entry(codec, partition, message.offset, message.value))
    return entries
