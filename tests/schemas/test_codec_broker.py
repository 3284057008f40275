"""Every contract through the real registry and broker, read by the bus and by plain fastavro."""

from __future__ import annotations

import asyncio
import io
import json
import urllib.request
from collections.abc import Awaitable, Callable

import fastavro
import pytest

from bus.client import Publisher
from bus.schemas.codec import AvroCodec
from bus.schemas.contracts import load_contracts
from bus.schemas.event import Event
from bus.schemas.registry_client import RegistryClient
from bus.schemas.samples import sample_datum
from bus.settings import Settings
from tests.records import read_records

pytestmark = pytest.mark.broker


@pytest.fixture
async def published(
    settings_with_registry: Settings, new_topic: Callable[..., Awaitable[str]]
) -> tuple[list[Event], list]:  # type: ignore[type-arg]
    contracts = load_contracts(settings_with_registry.schemas_dir)
    topic = await new_topic("contracts", 1)
    events = [Event(name, sample_datum(c.schema)) for name, c in sorted(contracts.items())]
    async with Publisher(settings_with_registry) as publisher:
        for event in events:
            await publisher.publish(topic, event)
    messages = await read_records(settings_with_registry.bootstrap_servers, topic, len(events))
    return events, messages


async def test_every_contract_round_trips_with_real_registry_ids(
    settings_with_registry: Settings,
    published: tuple[list[Event], list],  # type: ignore[type-arg]
) -> None:
    events, messages = published
    assert len(messages) == len(events)
    url = settings_with_registry.schema_registry_url
    async with (
        Publisher(settings_with_registry, auto_register=False) as publisher,
        RegistryClient(url) as registry,
    ):
        fresh = AvroCodec(registry, {})
        for event, message in zip(events, messages, strict=True):
            decoded = await fresh.decode_async(message.value)
            assert decoded.type == event.type
            assert publisher.codec.encode(decoded) == message.value
            writer = publisher.codec.writer(event.type)
            assert decoded.schema_id == writer.id
            schema_uri = dict(message.headers)["ce_dataschema"].decode()
            assert schema_uri.endswith(f"/subjects/{writer.subject}/versions/{writer.version}")


async def test_plain_fastavro_with_the_registry_rest_api_reads_what_the_bus_wrote(
    settings_with_registry: Settings,
    published: tuple[list[Event], list],  # type: ignore[type-arg]
) -> None:
    events, messages = published
    for event, message in zip(events, messages, strict=True):
        value: bytes = message.value
        assert value[0] == 0
        schema_id = int.from_bytes(value[1:5], "big")
        url = f"{settings_with_registry.schema_registry_url}/schemas/ids/{schema_id}"
        body = await asyncio.to_thread(lambda u=url: urllib.request.urlopen(u).read())
        schema = json.loads(json.loads(body)["schema"])
        record = fastavro.schemaless_reader(io.BytesIO(value[5:]), fastavro.parse_schema(schema))
        assert schema["namespace"] + "." + schema["name"] == event.type
        assert record.keys() == event.data.keys()
