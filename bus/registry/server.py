"""Run the registry: its topic on Kafka, the replay of that topic, the REST API."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator, Sequence
from typing import Any

from aiohttp import web
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from bus.errors import ConfigurationError, RegistryError
from bus.health import KafkaCheck, add_health_routes
from bus.kafka.admin import TopicSpec, ensure_topics
from bus.kafka.connection import client_kwargs, security_kwargs
from bus.metrics.http import add_metrics_route, http_metrics
from bus.registry.api import STORE, errors, reply, routes
from bus.registry.auth import UserBook, basic_auth
from bus.registry.store import Record, RegistryState, SchemaStore
from bus.settings import Settings

log = logging.getLogger(__name__)


class KafkaLog:
    """Partition 0 of the registry topic: append records and replay them into a state."""

    def __init__(
        self, bootstrap_servers: str, topic: str, timeout_s: float = 10.0, **security: Any
    ) -> None:
        self.topic = topic
        self._partition = TopicPartition(topic, 0)
        self._timeout = timeout_s
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers, acks="all", enable_idempotence=True, **security
        )
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            **security,
        )
        # A broker answers one request per connection at a time, so asking the reading
        # consumer for the log end would wait behind its long-polling fetch.
        self._offsets = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers, group_id=None, enable_auto_commit=False, **security
        )

    async def start(self) -> None:
        try:
            await self._producer.start()
            await self._offsets.start()
            await self._consumer.start()
        except KafkaError as exc:
            raise RegistryError(f"cannot connect to Kafka for topic {self.topic!r}: {exc}") from exc
        self._consumer.assign([self._partition])
        await self._consumer.seek_to_beginning(self._partition)

    async def stop(self) -> None:
        await self._consumer.stop()
        await self._offsets.stop()
        await self._producer.stop()

    async def catch_up(self, state: RegistryState, until: int | None = None) -> None:
        """Apply every record before ``until`` (default: the current log end)."""
        tp = self._partition
        try:
            async with asyncio.timeout(self._timeout):
                if until is None:
                    until = (await self._offsets.end_offsets([tp]))[tp]
                while await self._consumer.position(tp) < until:
                    batches = await self._consumer.getmany(tp, timeout_ms=1000)
                    for record in batches.get(tp, []):
                        state.apply(record.key, record.value)
        except (TimeoutError, KafkaError) as exc:
            raise RegistryError(
                f"cannot read the registry topic {self.topic!r}: {exc!r}",
                status=500,
                error_code=50002 if isinstance(exc, TimeoutError) else 50001,
            ) from exc

    async def append(self, state: RegistryState, records: Sequence[Record]) -> None:
        """Write the records and replay up to them, so the state shows this write."""
        try:
            async with asyncio.timeout(self._timeout):
                sent = [
                    await self._producer.send(self.topic, value, key=key, partition=0)
                    for key, value in records
                ]
                last = [await future for future in sent][-1]
        except (TimeoutError, KafkaError) as exc:
            raise RegistryError(
                f"cannot write to the registry topic {self.topic!r}: {exc!r}",
                status=500,
                error_code=50001,
            ) from exc
        await self.catch_up(state, last.offset + 1)


async def ensure_registry_topic(settings: Settings) -> None:
    """Create the compacted one-partition topic if missing (replicated up to three times)."""
    try:
        admin = AIOKafkaAdminClient(**client_kwargs(settings))
        await admin.start()
        try:
            brokers = len((await admin.describe_cluster())["brokers"])
        finally:
            await admin.close()
        spec = TopicSpec(
            settings.registry_topic,
            partitions=1,
            replication=max(1, min(3, brokers)),
            config={"cleanup.policy": "compact"},
        )
        await ensure_topics(settings.bootstrap_servers, [spec], **security_kwargs(settings))
    except KafkaError as exc:
        raise RegistryError(
            f"cannot reach Kafka at {settings.bootstrap_servers} ({exc}); start it with "
            "`bus kafka start` or set BUS_BOOTSTRAP_SERVERS"
        ) from exc


def create_app(settings: Settings) -> web.Application:
    """The registry as an aiohttp application; its store starts with the app."""

    async def store_context(app: web.Application) -> AsyncIterator[None]:
        await ensure_registry_topic(settings)
        kafka = KafkaLog(
            settings.bootstrap_servers, settings.registry_topic, **security_kwargs(settings)
        )
        store = SchemaStore(kafka)
        try:
            await kafka.start()
            await store.load()
        except BaseException:
            await kafka.stop()
            raise
        log.info(
            "schema registry replayed topic %r at %s: %d subjects",
            settings.registry_topic,
            settings.bootstrap_servers,
            len(store.state.subjects()),
        )
        app[STORE] = store
        yield
        await kafka.stop()

    def schemas_read() -> str | None:
        return None if STORE in app else f"reading {settings.registry_topic!r} to its end"

    middlewares = [http_metrics("registry"), errors]
    if settings.registry_users is not None:
        book = UserBook(settings.registry_users)
        book.users()  # a missing or wrong file stops the start, not the first request
        middlewares.append(basic_auth(book, reply))
    app = web.Application(middlewares=middlewares)
    app.add_routes(routes)
    add_metrics_route(app)
    app.cleanup_ctx.append(store_context)
    add_health_routes(app, schemas_read, KafkaCheck(settings))
    return app


def server_ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """HTTPS with the registry's certificate, or None for plain HTTP."""
    certfile, keyfile = settings.registry_certfile, settings.registry_keyfile
    if certfile is None:
        if keyfile is not None:
            raise ConfigurationError(
                "BUS_REGISTRY_KEYFILE needs BUS_REGISTRY_CERTFILE (--certfile)"
            )
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(certfile, keyfile)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigurationError(
            f"cannot load the registry's certificate {certfile} and key {keyfile}: {exc}"
        ) from exc
    return context


def serve(settings: Settings, host: str, port: int) -> None:
    """Serve until SIGINT or SIGTERM."""
    context = server_ssl_context(settings)
    app = create_app(settings)
    web.run_app(app, host=host, port=port, access_log=None, ssl_context=context)
