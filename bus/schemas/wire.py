"""The Confluent wire format: magic byte 0, a 4-byte big-endian schema id, the Avro body."""

from __future__ import annotations

import struct

from bus.errors import NotWireFormatError

MAGIC = 0
_PREFIX = struct.Struct(">bI")
PREFIX_SIZE = _PREFIX.size


def frame(schema_id: int, body: bytes) -> bytes:
    return _PREFIX.pack(MAGIC, schema_id) + body


def unframe(data: bytes | None) -> tuple[int, memoryview]:
    """Split a message value into its schema id and Avro body."""
    if data is None:
        raise NotWireFormatError("the value is empty (a tombstone), not an Avro event")
    if len(data) < PREFIX_SIZE or data[0] != MAGIC:
        head = bytes(data[:8]).hex()
        raise NotWireFormatError(
            f"the value does not start with magic byte 0 and a schema id "
            f"(first bytes: {head or 'none'}); produce it with a Confluent Avro serializer"
        )
    _, schema_id = _PREFIX.unpack_from(data)
    return schema_id, memoryview(data)[PREFIX_SIZE:]
