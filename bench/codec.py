"""Codec rates on the real schemas: the bus's AvroCodec against Apache avro and plain fastavro.

The bus's codec parses every schema once and frames the Confluent wire
format. The baselines produce the same bytes: Apache ``avro`` with a writer
and reader per schema (its usual use), and fastavro parsing the schema for
every event (what code without a schema cache does).
"""

from __future__ import annotations

import io
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import avro.io
import avro.schema
import fastavro

from bus.schemas.codec import AvroCodec
from bus.schemas.event import Event
from bus.schemas.wire import frame, unframe


def rate(action: Callable[[Any], Any], items: list[Any]) -> float:
    """Items per second through ``action``."""
    began = time.perf_counter()
    for item in items:
        action(item)
    return len(items) / (time.perf_counter() - began)


class ApacheAvro:
    """The same encode/decode with the Apache ``avro`` package, one writer/reader per type."""

    def __init__(self, codec: AvroCodec, schemas: dict[str, dict[str, Any]]) -> None:
        self._ids = {name: codec.writer(name).id for name in schemas}
        parsed = {name: avro.schema.parse(json.dumps(s)) for name, s in schemas.items()}
        self._writers = {name: avro.io.DatumWriter(s) for name, s in parsed.items()}
        self._readers = {self._ids[n]: avro.io.DatumReader(s, s) for n, s in parsed.items()}

    def encode(self, event: Event) -> bytes:
        buffer = io.BytesIO()
        self._writers[event.type].write(event.data, avro.io.BinaryEncoder(buffer))
        return frame(self._ids[event.type], buffer.getvalue())

    def decode(self, data: bytes) -> Any:
        schema_id, body = unframe(data)
        return self._readers[schema_id].read(avro.io.BinaryDecoder(io.BytesIO(body)))


class UncachedFastavro:
    """fastavro parsing the schema on every call, as code without a schema cache does."""

    def __init__(self, codec: AvroCodec, schemas: dict[str, dict[str, Any]]) -> None:
        self._ids = {name: codec.writer(name).id for name in schemas}
        self._schemas = schemas
        self._by_id = {self._ids[n]: s for n, s in schemas.items()}

    def encode(self, event: Event) -> bytes:
        buffer = io.BytesIO()
        schema = fastavro.parse_schema(self._schemas[event.type])
        fastavro.schemaless_writer(buffer, schema, event.data)
        return frame(self._ids[event.type], buffer.getvalue())

    def decode(self, data: bytes) -> Any:
        schema_id, body = unframe(data)
        schema = fastavro.parse_schema(self._by_id[schema_id])
        return fastavro.schemaless_reader(io.BytesIO(body), schema, None)


def _complete(codec: AvroCodec, event: Event) -> Event:
    """The event with every field filled in and uuids as strings, which all three accept."""
    decoded = codec.decode(codec.encode(event))
    return Event(event.type, _strings(decoded.data), decoded.schema_id)


def _strings(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strings(v) for v in value]
    return str(value) if isinstance(value, uuid.UUID) else value


def measure(
    codec: AvroCodec, schemas: dict[str, dict[str, Any]], events: list[Event]
) -> dict[str, float]:
    """One run: encode and decode rates (events/s) of the bus's codec and both baselines."""
    events = [_complete(codec, event) for event in events]
    wire = [codec.encode(event) for event in events]
    apache = ApacheAvro(codec, schemas)
    plain = UncachedFastavro(codec, schemas)
    assert apache.encode(events[0]) == wire[0] == plain.encode(events[0])
    return {
        "bus_encode": rate(codec.encode, events),
        "bus_decode": rate(codec.decode, wire),
        "avro_encode": rate(apache.encode, events),
        "avro_decode": rate(apache.decode, wire),
        "fastavro_encode": rate(plain.encode, events),
        "fastavro_decode": rate(plain.decode, wire),
    }
