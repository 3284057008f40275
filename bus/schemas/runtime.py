"""The codec as long-running processes use it: prepared once, patient with the registry.

The worker, the Subscriber and the connectors decode events whose writer
schema they may not have seen yet. While the registry is unreachable (a 5xx
or no answer) they back off, up to ``RETRY_MAX_S``, and try again instead of
dead-lettering good data; an answer from the registry (a 4xx, e.g. an unknown
id) is final and raised at once. This is the bus's one registry-retry policy.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bus.errors import RegistryError, SchemaError, UnknownSchemaIdError
from bus.schemas.cloudevents import Headers, ce_headers, dataschema
from bus.schemas.codec import AvroCodec
from bus.schemas.contracts import load_contracts
from bus.schemas.event import Event
from bus.schemas.registry_client import registry_client
from bus.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRY_FIRST_S = 0.2
RETRY_MAX_S = 5.0


async def retrying(
    action: Callable[[], Awaitable[T]],
    what: str,
    *,
    stopping: Callable[[], bool] = lambda: False,
) -> T:
    """Run ``action`` until the registry answers; back off while it is unreachable (5xx)."""
    delay = RETRY_FIRST_S
    while True:
        try:
            return await action()
        except RegistryError as exc:
            if exc.status < 500 or stopping():
                raise  # the registry answered: a wrong schema or id, not an outage
            log.warning("cannot %s yet (%s); retrying in %.1fs", what, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)


class Runtime:
    """The contracts, the registry client and the codec of one process, prepared lazily."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.contracts = load_contracts(settings.schemas_dir)
        self.registry = registry_client(settings)
        self._codec = AvroCodec(self.registry, self.contracts)
        self._prepared = False
        self._lock = asyncio.Lock()

    async def codec(self) -> AvroCodec:
        """The codec, once the registry knows every local contract (registering them)."""
        if not self._prepared:
            async with self._lock:
                if not self._prepared:
                    await retrying(self._codec.prepare, "register the bus's schemas")
                    self._prepared = True
        return self._codec

    @property
    def prepared(self) -> AvroCodec:
        """The codec without waiting: for hot paths after ``codec()`` was awaited once."""
        if not self._prepared:
            raise SchemaError("the codec is not prepared yet: await Runtime.codec() first")
        return self._codec

    async def decode(self, data: bytes) -> Event:
        """Decode an event; a schema id seen before (the hot path) waits on nothing."""
        codec = self._codec if self._prepared else await self.codec()
        try:
            return codec.decode(data)
        except UnknownSchemaIdError:
            pass
        return await retrying(lambda: codec.decode_async(data), "fetch a writer schema")

    def wire(self, event: Event) -> tuple[bytes, Headers]:
        """The wire bytes and CloudEvents headers of an event (the codec must be prepared)."""
        codec = self.prepared
        writer = codec.writer(event.type)
        uri = dataschema(self.settings.schema_registry_url, writer.subject, writer.version)
        return codec.encode(event), ce_headers(event, uri)

    async def encode(self, event: Event) -> tuple[bytes, Headers]:
        await self.codec()
        return self.wire(event)

    async def close(self) -> None:
        await self.registry.close()
