"""The registry's state, kept in a compacted Kafka topic that every registry process replays.

There is no leader. Each process builds the same view by applying the topic's
records in log order, and catches up to the log end before it answers, so a
client reads its own writes on any process.

Records (JSON keys, so compaction keeps the newest record of each):

* ``{"keytype":"SCHEMA","subject":S,"fingerprint":F}`` -> ``{"subject","schema",
  "deleted":false,"version","id"}``: schema F registered under S. ``version``
  and ``id`` are what the writer assigned from its caught-up view (next
  version of S; id from the fingerprint, probing +1 past ids held by other
  schemas). A reader keeps them unless another schema already holds them, and
  then falls back to log order (next version; probe). Writing them down keeps
  versions and ids stable when hard deletes and compaction remove older
  records. A tombstone is a hard delete.
* ``{"keytype":"DELETE_VERSION","subject":S,"fingerprint":F}`` -> marker: soft
  delete. Its own key, so it never moves the SCHEMA record.
* ``{"keytype":"CONFIG","subject":S or null}`` -> ``{"compatibilityLevel"}``;
  a tombstone removes the level.

Known limits: writers check and write without a lock across processes. Two
processes registering different schemas to one subject within the same few
milliseconds both succeed with different versions (log order decides), but
neither was checked for compatibility against the other. If one of such a
pair is later hard-deleted and compacted away, a fresh process may number the
survivor differently from older processes.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import avro.schema

from bus.errors import RegistryError, SchemaError
from bus.registry.compat import (
    MAX_ID,
    Compatibility,
    ParsedSchema,
    check_compatibility,
    id_candidate,
    parse_schema,
)

log = logging.getLogger(__name__)

DEFAULT_COMPATIBILITY = Compatibility.BACKWARD
Record = tuple[bytes, bytes | None]


def _json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def schema_key(subject: str, fingerprint: str) -> bytes:
    return _json({"keytype": "SCHEMA", "subject": subject, "fingerprint": fingerprint})


def delete_key(subject: str, fingerprint: str) -> bytes:
    return _json({"keytype": "DELETE_VERSION", "subject": subject, "fingerprint": fingerprint})


def config_key(subject: str | None) -> bytes:
    return _json({"keytype": "CONFIG", "subject": subject})


@dataclass(slots=True)
class Version:
    """One schema registered under one subject."""

    subject: str
    version: int
    fingerprint: str
    schema_id: int
    deleted: bool = False


@dataclass(slots=True)
class _Schema:
    text: str
    avro: avro.schema.Schema
    schema_id: int
    users: int = 0


def not_found(code: int, message: str) -> RegistryError:
    return RegistryError(message, status=404, error_code=code)


class RegistryState:
    """The view built from the log; every query raises Confluent's errors."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Forget every record: the log is read again from its start."""
        self._subjects: dict[str, dict[str, Version]] = {}
        self._schemas: dict[str, _Schema] = {}
        self._ids: dict[int, str] = {}
        self._configs: dict[str | None, Compatibility] = {}

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        """Apply one record; records this version cannot read are logged and skipped."""
        try:
            k = json.loads(key or b"")
            data = None if value is None else json.loads(value)
            keytype = k.get("keytype")
            if keytype == "SCHEMA":
                self._apply_schema(k["subject"], k["fingerprint"], data)
            elif keytype == "DELETE_VERSION":
                found = self._subjects.get(k["subject"], {}).get(k["fingerprint"])
                if found is not None and data is not None:
                    found.deleted = True
            elif keytype == "CONFIG":
                if data is None:
                    self._configs.pop(k.get("subject"), None)
                else:
                    level = Compatibility.parse(data["compatibilityLevel"])
                    self._configs[k.get("subject")] = level
        except (ValueError, KeyError, TypeError, AttributeError, SchemaError) as exc:
            log.warning("skipping unreadable registry record %r: %s", key, exc)

    def _apply_schema(self, subject: str, fingerprint: str, data: dict[str, Any] | None) -> None:
        if data is not None and fingerprint not in self._schemas:
            # The key's fingerprint is kept as written: a later Avro library that
            # normalises differently must not lose or renumber stored schemas.
            text = data["schema"]
            schema_id = self.assign_id(fingerprint, data.get("id"))
            self._schemas[fingerprint] = _Schema(text, parse_schema(text).avro, schema_id)
            self._ids[schema_id] = fingerprint
        versions = self._subjects.setdefault(subject, {})
        old = versions.pop(fingerprint, None)
        if data is not None:
            wanted = data.get("version")
            taken = {v.version for v in versions.values()}
            if not isinstance(wanted, int) or wanted < 1 or wanted in taken:
                wanted = max(taken, default=0) + 1
            schema = self._schemas[fingerprint]
            schema.users += 1
            deleted = bool(data.get("deleted", False))
            versions[fingerprint] = Version(subject, wanted, fingerprint, schema.schema_id, deleted)
        if old is not None:
            self._release(fingerprint)
        if not versions:
            del self._subjects[subject]

    def _release(self, fingerprint: str) -> None:
        schema = self._schemas[fingerprint]
        schema.users -= 1
        if schema.users == 0:
            del self._schemas[fingerprint]
            del self._ids[schema.schema_id]

    def assign_id(self, fingerprint: str, wanted: object = None) -> int:
        """The schema's id: its own if known, else ``wanted`` if free, else a free probe."""
        if fingerprint in self._schemas:
            return self._schemas[fingerprint].schema_id
        if isinstance(wanted, int) and 1 <= wanted <= MAX_ID and wanted not in self._ids:
            return wanted
        candidate = id_candidate(fingerprint)
        while candidate in self._ids:
            candidate = candidate % MAX_ID + 1
        return candidate

    def next_version(self, subject: str) -> int:
        return max((v.version for v in self._subjects.get(subject, {}).values()), default=0) + 1

    def subjects(self, *, deleted: bool = False) -> list[str]:
        """Subjects with a live version (or with any version, soft-deleted ones too)."""
        return sorted(
            subject
            for subject, versions in self._subjects.items()
            if deleted or any(not v.deleted for v in versions.values())
        )

    def versions(self, subject: str, *, deleted: bool = False) -> list[Version]:
        """The subject's versions, oldest first; 40401 if it has none."""
        found = sorted(
            (v for v in self._subjects.get(subject, {}).values() if deleted or not v.deleted),
            key=lambda v: v.version,
        )
        if not found:
            raise not_found(40401, f"Subject '{subject}' not found.")
        return found

    def version(self, subject: str, spec: str | int, *, deleted: bool = False) -> Version:
        """A version by number or ``latest`` (also ``-1``); 42202, 40401 or 40402."""
        number = parse_version(spec)
        versions = self.versions(subject, deleted=deleted)
        if number is None:
            return versions[-1]
        for v in versions:
            if v.version == number:
                return v
        raise not_found(40402, f"Version {number} not found for subject '{subject}'.")

    def find(self, subject: str, fingerprint: str) -> Version | None:
        """The subject's version holding this schema, soft-deleted or not."""
        return self._subjects.get(subject, {}).get(fingerprint)

    def text(self, fingerprint: str) -> str:
        return self._schemas[fingerprint].text

    def by_id(self, schema_id: int) -> str:
        fingerprint = self._ids.get(schema_id)
        if fingerprint is None:
            raise not_found(40403, f"Schema {schema_id} not found.")
        return self._schemas[fingerprint].text

    def uses_of(self, schema_id: int) -> list[Version]:
        fingerprint = self._ids.get(schema_id)
        return [
            v
            for vs in self._subjects.values()
            for v in vs.values()
            if v.fingerprint == fingerprint and not v.deleted
        ]

    def live_schemas(self, subject: str) -> list[tuple[int, avro.schema.Schema]]:
        live = self._subjects.get(subject, {}).values()
        ordered = sorted((v for v in live if not v.deleted), key=lambda v: v.version)
        return [(v.version, self._schemas[v.fingerprint].avro) for v in ordered]

    def config(self, subject: str | None) -> Compatibility | None:
        return self._configs.get(subject)

    def compatibility(self, subject: str | None) -> Compatibility:
        """The level in force: the subject's own, else the global one, else BACKWARD."""
        return self._configs.get(subject) or self._configs.get(None) or DEFAULT_COMPATIBILITY


def parse_version(spec: str | int) -> int | None:
    """A version number, or None for ``latest``; 42202 for anything else."""
    if spec in ("latest", "-1", -1):
        return None
    try:
        number = int(spec)
    except ValueError:
        number = 0
    if not 1 <= number <= MAX_ID:
        raise RegistryError(
            f"The specified version '{spec}' is not a valid version id. "
            f'Allowed values are between [1, {MAX_ID}] and the string "latest"',
            status=422,
            error_code=42202,
        )
    return number


class Log(Protocol):
    """Where the records live: the Kafka topic in production, a list in unit tests."""

    async def catch_up(self, state: RegistryState, until: int | None = None) -> None:
        """Apply every record before offset ``until`` (default: the log end) to ``state``."""

    async def append(self, state: RegistryState, records: Sequence[Record]) -> None:
        """Write the records, then catch up to them: the state shows this write."""


class SchemaStore:
    """The registry's operations: catch up, decide, append, read the outcome back."""

    def __init__(self, log: Log) -> None:
        self.state = RegistryState()
        self._log = log
        self._lock = asyncio.Lock()

    async def load(self) -> None:
        """Replay the whole log; call once before serving."""
        async with self.view():
            pass

    @asynccontextmanager
    async def view(self) -> AsyncIterator[RegistryState]:
        """The state caught up with every write acknowledged before this call."""
        async with self._lock:
            await self._log.catch_up(self.state)
            yield self.state

    async def _append(self, records: Sequence[Record]) -> None:
        await self._log.append(self.state, records)

    async def register(self, subject: str, schema: ParsedSchema) -> int:
        """The schema's id in the subject, registering it as the next version if new."""
        async with self.view() as state:
            existing = state.find(subject, schema.fingerprint)
            if existing is not None and not existing.deleted:
                return existing.schema_id
            level = state.compatibility(subject)
            problems = check_compatibility(schema.avro, state.live_schemas(subject), level)
            if problems:
                raise RegistryError(
                    f"Schema being registered is incompatible with an earlier schema for "
                    f"subject '{subject}' ({level}): " + "; ".join(problems),
                    status=409,
                    error_code=409,
                )
            value = {
                "subject": subject,
                "schema": schema.text,
                "deleted": False,
                "version": state.next_version(subject),
                "id": state.assign_id(schema.fingerprint),
            }
            records: list[Record] = [(schema_key(subject, schema.fingerprint), _json(value))]
            if existing is not None:
                records.append((delete_key(subject, schema.fingerprint), None))
            await self._append(records)
            written = state.find(subject, schema.fingerprint)
            if written is None:
                raise RegistryError(f"subject '{subject}' was deleted while registering")
            return written.schema_id

    async def delete_version(self, subject: str, spec: str, *, permanent: bool) -> int:
        async with self.view() as state:
            latest = parse_version(spec) is None
            found = state.version(subject, spec, deleted=permanent or not latest)
            if permanent and not found.deleted:
                raise not_found(
                    40407,
                    f"Subject '{subject}' Version {found.version} was not deleted first "
                    "before being permanently deleted",
                )
            if not permanent and found.deleted:
                raise not_found(
                    40406,
                    f"Subject '{subject}' Version {found.version} was soft deleted. "
                    "Set permanent=true to delete permanently",
                )
            await self._append(self._deletions(subject, [found], permanent=permanent))
            return found.version

    async def delete_subject(self, subject: str, *, permanent: bool) -> list[int]:
        async with self.view() as state:
            versions = state.versions(subject, deleted=True)
            live = [v for v in versions if not v.deleted]
            if permanent and live:
                raise not_found(
                    40405,
                    f"Subject '{subject}' was not deleted first before being permanently deleted",
                )
            if not permanent and not live:
                raise not_found(
                    40404,
                    f"Subject '{subject}' was soft deleted. Set permanent=true to delete "
                    "permanently",
                )
            doomed = versions if permanent else live
            records = self._deletions(subject, doomed, permanent=permanent)
            if permanent and state.config(subject) is not None:
                records.append((config_key(subject), None))
            await self._append(records)
            return [v.version for v in doomed]

    @staticmethod
    def _deletions(subject: str, versions: list[Version], *, permanent: bool) -> list[Record]:
        records: list[Record] = []
        for v in versions:
            if permanent:
                records.append((schema_key(subject, v.fingerprint), None))
                records.append((delete_key(subject, v.fingerprint), None))
            else:
                marker = {"subject": subject, "fingerprint": v.fingerprint}
                records.append((delete_key(subject, v.fingerprint), _json(marker)))
        return records

    async def set_config(self, subject: str | None, level: Compatibility) -> None:
        async with self._lock:
            await self._append([(config_key(subject), _json({"compatibilityLevel": level}))])

    async def delete_config(self, subject: str | None) -> Compatibility:
        """Remove a level; return the level that was in force before."""
        async with self.view() as state:
            own = state.config(subject)
            if own is None and subject is not None:
                raise not_found(
                    40408,
                    f"Subject '{subject}' does not have subject-level compatibility configured",
                )
            await self._append([(config_key(subject), None)])
            return own or DEFAULT_COMPATIBILITY
