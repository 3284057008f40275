"""Publish typed events to the bus from any asyncio program."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from aiokafka import AIOKafkaProducer

from bus.client.status import status_update
from bus.kafka.connection import client_kwargs
from bus.kafka.partitioner import CachingPartitioner
from bus.lifecycle import AsyncResource
from bus.schemas.cloudevents import Headers, ce_headers, dataschema
from bus.schemas.codec import AvroCodec
from bus.schemas.contracts import load_contracts
from bus.schemas.event import Event, new_event
from bus.schemas.registry_client import registry_client
from bus.schemas.types import resolve
from bus.settings import Settings


class Publisher(AsyncResource):
    """Encodes events in the Confluent wire format and produces them with ``acks=all``.

    Keys are the conversation (or service request) id, so one conversation's
    events stay in order; every record carries CloudEvents headers. Types may be
    named in full or short (``Greeting``); a field the type's schema lacks raises
    EncodeError rather than being dropped.
    """

    def __init__(self, settings: Settings, *, auto_register: bool = True) -> None:
        self.settings = settings
        self._auto_register = auto_register
        self._registry = registry_client(settings)
        self.contracts = load_contracts(settings.schemas_dir)
        self.codec = AvroCodec(self._registry, self.contracts)
        self._producer = AIOKafkaProducer(
            **client_kwargs(settings),
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            partitioner=CachingPartitioner(),
        )

    async def start(self) -> None:
        """Register or look up the schemas, then connect; a failure closes both again."""
        try:
            await self.codec.prepare(register=self._auto_register)
            await self._producer.start()
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        await self._producer.stop()
        await self._registry.close()

    async def publish(self, topic: str, event: Event, *, key: bytes | None = None) -> Any:
        """Produce one event and wait for the broker's acknowledgement.

        ``key`` is for events about no conversation (e.g. an official's presence).
        """
        value, headers = self._record(event)
        key = event.key if key is None else key
        return await self._producer.send_and_wait(topic, value, key=key, headers=headers)

    async def publish_many(self, topic: str, events: Iterable[Event]) -> list[Any]:
        """Produce events in order, then wait for all acknowledgements at once.

        Every event is encoded before any is sent, so one that does not fit its
        schema publishes none. The idempotent producer keeps per-key order
        across the batches in flight.
        """
        records = [(event.key, *self._record(event)) for event in events]
        pending = [
            await self._producer.send(topic, value, key=key, headers=headers)
            for key, value, headers in records
        ]
        return list(await asyncio.gather(*pending))

    async def emit(self, topic: str, type_name: str, *, source: str, **fields: Any) -> Event:
        """Build an event with a fresh header (see ``new_event``) and publish it."""
        event = new_event(resolve(type_name, self.contracts), source=source, **fields)
        await self.publish(topic, event)
        return event

    @staticmethod
    def status_update(created: Event, type_name: str, *, source: str, **fields: Any) -> Event:
        """A status event answering ``created`` (see ``bus.client.status.status_update``)."""
        return status_update(created, type_name, source=source, **fields)

    async def publish_status_update(
        self, topic: str, created: Event, type_name: str, *, source: str, **fields: Any
    ) -> Event:
        """Build a status event answering ``created`` and publish it."""
        event = status_update(created, type_name, source=source, **fields)
        await self.publish(topic, event)
        return event

    def _record(self, event: Event) -> tuple[bytes, Headers]:
        """The wire bytes and CloudEvents headers of an event, checked field by field."""
        full = resolve(event.type, self.contracts)
        if full != event.type:
            event = replace(event, type=full)
        self.codec.check_fields(event)
        writer = self.codec.writer(event.type)
        uri = dataschema(self.settings.schema_registry_url, writer.subject, writer.version)
        return self.codec.encode(event), ce_headers(event, uri)
