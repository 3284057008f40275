"""Avro events to and from the Confluent wire format, with every schema parsed once.

Writer schemas are looked up by id in the registry the first time an id is
seen and cached for the life of the process (ids are immutable). When the
writer's record is one of the local contracts, the local schema is the reader
schema, so a consumer sees the fields of the version it was built for.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import fastavro

from bus.errors import (
    CorruptRecordError,
    EncodeError,
    RegistryError,
    SchemaError,
    UnknownSchemaIdError,
)
from bus.schemas.contracts import Contract
from bus.schemas.event import Event
from bus.schemas.validation import first_invalid_field, first_unknown_field
from bus.schemas.wire import frame, unframe


class SchemaSource(Protocol):
    """The part of a registry client the codec needs."""

    async def register(self, subject: str, schema: str) -> int: ...

    async def lookup(self, subject: str, schema: str) -> tuple[int, int] | None: ...

    async def schema_by_id(self, schema_id: int) -> str: ...


@dataclass(frozen=True)
class WriterSchema:
    """A local contract with the id and version the registry gave it."""

    name: str
    subject: str
    id: int
    version: int
    parsed: Any


@dataclass(frozen=True)
class _ReadPlan:
    name: str
    writer: Any
    reader: Any | None


class AvroCodec:
    """Encode and decode the bus's events; call ``prepare`` once before use."""

    def __init__(self, registry: SchemaSource, contracts: Mapping[str, Contract]) -> None:
        self._registry = registry
        self._contracts = dict(contracts)
        self._local = {name: fastavro.parse_schema(c.schema) for name, c in contracts.items()}
        self._writers: dict[str, WriterSchema] = {}
        self._plans: dict[int, _ReadPlan] = {}

    async def prepare(self, *, register: bool = True) -> None:
        """Learn the registry ids of the local contracts, registering them if asked.

        The contracts are looked up side by side: a process starts (and a
        restarted worker is back) without waiting for dozens of round trips.
        """
        found = await asyncio.gather(
            *(self._learn(name, contract, register) for name, contract in self._contracts.items())
        )
        for writer in found:
            self._writers[writer.name] = writer
            self._plans[writer.id] = _ReadPlan(writer.name, writer.parsed, None)

    async def _learn(self, name: str, contract: Contract, register: bool) -> WriterSchema:
        if register:
            await self._registry.register(contract.subject, contract.canonical)
        found = await self._registry.lookup(contract.subject, contract.canonical)
        if found is None:
            raise SchemaError(
                f"schema {name} is not registered under subject {contract.subject!r}: "
                "run `bus schemas register` first"
            )
        schema_id, version = found
        return WriterSchema(name, contract.subject, schema_id, version, self._local[name])

    def writer(self, type_name: str) -> WriterSchema:
        try:
            return self._writers[type_name]
        except KeyError:
            known = ", ".join(sorted(self._writers)) or "none (was prepare() called?)"
            raise SchemaError(f"unknown event type {type_name!r}; known types: {known}") from None

    @property
    def types(self) -> list[str]:
        return sorted(self._writers)

    def encode(self, event: Event) -> bytes:
        """The event in the wire format; raises EncodeError naming the schema and field."""
        writer = self.writer(event.type)
        buffer = io.BytesIO()
        try:
            fastavro.schemaless_writer(buffer, writer.parsed, event.data)
        except Exception as exc:
            raise _encode_error(writer, self._contracts[writer.name], event.data, exc) from exc
        return frame(writer.id, buffer.getvalue())

    def check_fields(self, event: Event) -> None:
        """Raise EncodeError if the event has a field its schema lacks (``encode`` drops it)."""
        writer = self.writer(event.type)
        found = first_unknown_field(self._contracts[writer.name].schema, event.data)
        if found is not None:
            field, problem = found
            raise EncodeError(
                f"{_described(writer)}: field {field!r} {problem}", schema=writer.name, field=field
            )

    def decode(self, data: bytes) -> Event:
        """Decode with cached schemas only; an id not seen before raises UnknownSchemaIdError."""
        schema_id, body = unframe(data)
        plan = self._plans.get(schema_id)
        if plan is None:
            raise UnknownSchemaIdError(f"schema id {schema_id} is not known to this process")
        return _read(plan, schema_id, body)

    async def decode_async(self, data: bytes) -> Event:
        """Decode, fetching the writer schema from the registry the first time its id is seen."""
        schema_id, body = unframe(data)
        plan = self._plans.get(schema_id)
        if plan is None:
            plan = await self._fetch_plan(schema_id)
        return _read(plan, schema_id, body)

    async def _fetch_plan(self, schema_id: int) -> _ReadPlan:
        try:
            text = await self._registry.schema_by_id(schema_id)
        except RegistryError as exc:
            if exc.status == 404:
                raise UnknownSchemaIdError(
                    f"schema id {schema_id} is not in the registry: {exc}"
                ) from exc
            raise
        writer: Any = fastavro.parse_schema(json.loads(text))
        name = str(writer.get("name", "unknown")) if isinstance(writer, dict) else str(writer)
        reader = self._local.get(name)
        plan = _ReadPlan(name, writer, reader)
        self._plans[schema_id] = plan
        return plan


def _read(plan: _ReadPlan, schema_id: int, body: memoryview) -> Event:
    stream = io.BytesIO(body)
    try:
        record = fastavro.schemaless_reader(stream, plan.writer, plan.reader)
    except Exception as exc:
        raise CorruptRecordError(
            f"the body of a {plan.name} event (schema id {schema_id}) does not decode: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    if stream.tell() != len(body):
        raise CorruptRecordError(
            f"a {plan.name} event (schema id {schema_id}) has {len(body) - stream.tell()} "
            "bytes after its record"
        )
    if not isinstance(record, dict):
        raise CorruptRecordError(f"schema id {schema_id} is not a record schema")
    return Event(plan.name, record, schema_id)


def _encode_error(
    writer: WriterSchema, contract: Contract, data: Any, exc: Exception
) -> EncodeError:
    found = first_invalid_field(contract.schema, data)
    field, problem = found if found else ("?", f"{type(exc).__name__}: {exc}")
    return EncodeError(
        f"{_described(writer)}: field {field!r}: {problem}", schema=writer.name, field=field
    )


def _described(writer: WriterSchema) -> str:
    return f"{writer.name} (subject {writer.subject}, version {writer.version})"
