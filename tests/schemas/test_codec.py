"""The codec against a registry kept in a dict (the real registry is in the integration tests)."""

import hashlib
import json
from typing import Any

import pytest

from bus.errors import (
    CorruptRecordError,
    EncodeError,
    NotWireFormatError,
    RegistryError,
    SchemaError,
    UnknownSchemaIdError,
)
from bus.schemas.codec import AvroCodec
from bus.schemas.contracts import Contract, load_contracts
from bus.schemas.event import Event, new_event
from bus.schemas.samples import sample_datum
from bus.schemas.wire import frame
from bus.settings import PROJECT_ROOT

CONTRACTS = load_contracts(PROJECT_ROOT / "schemas")
GREETING = "gov.agencybus.conversation.Greeting"


class DictRegistry:
    def __init__(self) -> None:
        self.by_id: dict[int, str] = {}
        self.subjects: dict[str, list[str]] = {}
        self.fetches = 0

    async def register(self, subject: str, schema: str) -> int:
        versions = self.subjects.setdefault(subject, [])
        if schema not in versions:
            versions.append(schema)
        schema_id = int(hashlib.sha256(schema.encode()).hexdigest()[:7], 16)
        self.by_id[schema_id] = schema
        return schema_id

    async def lookup(self, subject: str, schema: str) -> tuple[int, int] | None:
        versions = self.subjects.get(subject, [])
        if schema not in versions:
            return None
        return await self.register(subject, schema), versions.index(schema) + 1

    async def schema_by_id(self, schema_id: int) -> str:
        self.fetches += 1
        if schema_id not in self.by_id:
            raise RegistryError("not found", status=404, error_code=40403)
        return self.by_id[schema_id]


@pytest.fixture
async def codec() -> AvroCodec:
    codec = AvroCodec(DictRegistry(), CONTRACTS)
    await codec.prepare()
    return codec


@pytest.mark.parametrize("name", sorted(CONTRACTS))
async def test_every_contract_round_trips_through_the_codec(codec: AvroCodec, name: str) -> None:
    contract: Contract = CONTRACTS[name]
    event = Event(name, sample_datum(contract.schema))
    decoded = codec.decode(codec.encode(event))
    assert decoded.type == name
    again = codec.encode(decoded)
    assert again == codec.encode(event)


async def test_encoded_bytes_are_the_confluent_wire_format(codec: AvroCodec) -> None:
    data = codec.encode(new_event(GREETING, source="assistant:x", text="hi", language=None))
    assert data[0] == 0
    assert int.from_bytes(data[1:5], "big") == codec.writer(GREETING).id


async def test_bad_field_raises_an_error_naming_schema_and_field_path(codec: AvroCodec) -> None:
    event = new_event(GREETING, source="assistant:x", text="hi", language=None)
    event.header["occurred_at"] = "not a time"
    with pytest.raises(EncodeError) as caught:
        codec.encode(event)
    assert caught.value.schema == GREETING
    assert caught.value.field == "header.occurred_at"
    assert GREETING in str(caught.value) and "header.occurred_at" in str(caught.value)


async def test_missing_field_is_named(codec: AvroCodec) -> None:
    event = new_event(GREETING, source="assistant:x", language=None)
    with pytest.raises(EncodeError, match=r"'text'.*missing"):
        codec.encode(event)


async def test_unknown_event_type_is_a_schema_error(codec: AvroCodec) -> None:
    with pytest.raises(SchemaError, match="unknown event type"):
        codec.writer("gov.agencybus.Nope")


async def test_garbage_is_not_wire_format(codec: AvroCodec) -> None:
    with pytest.raises(NotWireFormatError):
        await codec.decode_async(b"hello world")


async def test_unknown_schema_id_is_reported_as_such(codec: AvroCodec) -> None:
    with pytest.raises(UnknownSchemaIdError):
        await codec.decode_async(frame(123, b"\x02"))


async def test_truncated_body_is_a_corrupt_record(codec: AvroCodec) -> None:
    data = codec.encode(new_event(GREETING, source="assistant:x", text="hello", language=None))
    with pytest.raises(CorruptRecordError):
        await codec.decode_async(data[:-4])


async def test_trailing_bytes_are_a_corrupt_record(codec: AvroCodec) -> None:
    data = codec.encode(new_event(GREETING, source="assistant:x", text="hello", language=None))
    with pytest.raises(CorruptRecordError, match="after its record"):
        await codec.decode_async(data + b"\x00")


async def test_a_foreign_writer_schema_is_fetched_once_and_resolved_to_the_local_one() -> None:
    registry = DictRegistry()
    codec = AvroCodec(registry, CONTRACTS)
    await codec.prepare()
    older: dict[str, Any] = json.loads(CONTRACTS[GREETING].canonical)
    older["fields"] = [f for f in older["fields"] if f["name"] != "language"]
    older_id = await registry.register(GREETING, json.dumps(older))
    local = codec.encode(new_event(GREETING, source="s", text="t", language=None))
    body = local[5:-1]  # the local encoding ends with the null branch of `language`
    first = await codec.decode_async(frame(older_id, body))
    second = await codec.decode_async(frame(older_id, body))
    assert first.data["language"] is None and second.data["text"] == "t"
    assert registry.fetches == 1
