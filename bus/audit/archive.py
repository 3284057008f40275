"""Archives of the audit log: Avro object container files any Avro tool can read.

One file holds a run of one partition's entries (``AuditLogEntry``); its name
``audit-p<partition>-<first offset>-<last offset>-<head hash>.avro`` says where
it sits, and its first record links to the last record of the file before it.
Names and bytes are deterministic: archiving the same log twice gives the same files.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fastavro

from bus.audit.record import ZERO_HASH
from bus.audit.verify import LogEntry
from bus.errors import BusError
from bus.schemas.contracts import Contract
from bus.schemas.types import AUDIT_LOG_ENTRY

NAME = re.compile(r"^audit-p(\d+)-(\d+)-(\d+)-([0-9a-f]{16})\.avro$")


@dataclass(frozen=True)
class ArchiveFile:
    path: Path
    partition: int
    first_offset: int
    last_offset: int
    head: str


def file_name(partition: int, first: int, last: int, head: bytes) -> str:
    return f"audit-p{partition:04d}-{first:012d}-{last:012d}-{head.hex()[:16]}.avro"


def archive_files(directory: Path) -> list[ArchiveFile]:
    """The archive files in ``directory``, by partition and offset."""
    found = []
    for path in sorted(directory.glob("audit-p*.avro")):
        match = NAME.match(path.name)
        if match:
            p, first, last, head = match.groups()
            found.append(ArchiveFile(path, int(p), int(first), int(last), head))
    return sorted(found, key=lambda f: (f.partition, f.first_offset))


def write_file(
    directory: Path,
    entries: list[LogEntry],
    head: bytes,
    contracts: Mapping[str, Contract],
) -> Path:
    """Write one partition's run of entries; ``head`` is the chain's hash after them."""
    first, last = entries[0], entries[-1]
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / file_name(first.partition, first.offset, last.offset, head)
    # The contract as written, not fastavro.parse_schema's output: the writer embeds
    # the schema it is given, and a parsed one's keys follow the hash seed.
    schema = contracts[AUDIT_LOG_ENTRY].schema
    metadata = {
        "agencybus.audit.partition": str(first.partition),
        "agencybus.audit.head": head.hex(),
    }
    sync = hashlib.sha256(b"sync" + head).digest()[:16]
    temporary = path.with_suffix(".tmp")
    with temporary.open("wb") as file:
        fastavro.writer(
            file, schema, (_record(e) for e in entries), metadata=metadata, sync_marker=sync
        )
    temporary.replace(path)
    return path


def _record(entry: LogEntry) -> dict[str, Any]:
    if entry.error is not None:
        raise BusError(f"audit partition {entry.partition} offset {entry.offset}: {entry.error}")
    return {
        "partition": entry.partition,
        "offset": entry.offset,
        "record": entry.record,
        "checkpoint": entry.checkpoint,
    }


def read_files(files: Iterable[ArchiveFile]) -> Iterator[LogEntry]:
    """The entries of archive files, in order, each naming its file."""
    for archive in files:
        with archive.path.open("rb") as file:
            try:
                for item in fastavro.reader(file):
                    assert isinstance(item, dict)
                    yield LogEntry(
                        item["partition"],
                        item["offset"],
                        record=item["record"],
                        checkpoint=item["checkpoint"],
                        where=archive.path.name,
                    )
            except (ValueError, EOFError, OSError) as exc:
                yield LogEntry(
                    archive.partition,
                    archive.last_offset,
                    error=f"the file does not read as Avro: {exc}",
                    where=archive.path.name,
                )


def archived_heads(directory: Path) -> dict[int, tuple[int, bytes]]:
    """Per partition: the last archived offset and the chain head there (to continue from)."""
    heads: dict[int, tuple[int, bytes]] = {}
    for archive in archive_files(directory):
        with archive.path.open("rb") as file:
            reader = fastavro.reader(file)
            head = bytes.fromhex(reader.metadata.get("agencybus.audit.head", ZERO_HASH.hex()))
        heads[archive.partition] = (archive.last_offset, head)
    return heads
