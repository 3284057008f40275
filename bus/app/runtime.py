"""What the agents of one worker share: the settings, the codec and its registry client."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bus.app.commit_gate import CommitGate
from bus.errors import RegistryError, UnknownSchemaIdError
from bus.schemas.cloudevents import Headers, ce_headers, dataschema
from bus.schemas.codec import AvroCodec
from bus.schemas.contracts import load_contracts
from bus.schemas.event import Event
from bus.schemas.registry_client import RegistryClient
from bus.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRY_MAX_S = 5.0


class Runtime:
    """Prepared lazily on the first event, inside the worker's event loop."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.contracts = load_contracts(settings.schemas_dir)
        self._registry: RegistryClient | None = None
        self._codec: AvroCodec | None = None
        self._lock = asyncio.Lock()
        self.commit_gate = CommitGate()  # see bus.app.commit_gate

    async def codec(self) -> AvroCodec:
        if self._codec is None:
            async with self._lock:
                if self._codec is None:
                    self._codec = await self._prepare()
        return self._codec

    async def _prepare(self) -> AvroCodec:
        registry = RegistryClient(self.settings.schema_registry_url)
        codec = AvroCodec(registry, self.contracts)
        await self._retrying(codec.prepare, "register the bus's schemas")
        self._registry = registry
        return codec

    async def decode(self, data: bytes) -> Event:
        """Decode an event; waits out a registry outage instead of dead-lettering good data."""
        codec = self._codec or await self.codec()
        try:
            return codec.decode(data)  # the hot path: a schema id seen before, no awaiting
        except UnknownSchemaIdError:
            pass
        return await self._retrying(lambda: codec.decode_async(data), "fetch a writer schema")

    async def encode(self, event: Event) -> tuple[bytes, Headers]:
        """The wire bytes and CloudEvents headers of an event."""
        codec = await self.codec()
        writer = codec.writer(event.type)
        uri = dataschema(self.settings.schema_registry_url, writer.subject, writer.version)
        return codec.encode(event), ce_headers(event, uri)

    async def _retrying(self, action: Callable[[], Awaitable[T]], what: str) -> T:
        delay = 0.2
        while True:
            try:
                return await action()
            except RegistryError as exc:
                if exc.status < 500:
                    raise  # the registry answered: a wrong schema or id, not an outage
                log.warning("cannot %s yet (%s); retrying in %.1fs", what, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)

    async def close(self) -> None:
        if self._registry is not None:
            await self._registry.close()
