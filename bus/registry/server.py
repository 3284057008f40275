"""Run the registry: its topic on Kafka, the replay of that topic, the REST API."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator, Sequence

from aiohttp import web
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from bus.errors import ConfigurationError, RegistryError
from bus.health import KafkaCheck, add_health_routes
from bus.kafka.admin import TopicSpec, admin_client, ensure_topics, topic_partitions
from bus.kafka.connection import client_kwargs, security_kwargs
from bus.logs import Repeats
from bus.metrics.http import add_metrics_route, http_metrics
from bus.registry.api import STORE, errors, reply, routes
from bus.registry.auth import UserBook, basic_auth
from bus.registry.store import Record, RegistryState, SchemaStore
from bus.settings import Settings

log = logging.getLogger(__name__)

END_OFFSETS_S = 2.0
"""How long the log end may take before the registry asks whether its topic still exists."""


class KafkaLog:
    """Partition 0 of the registry topic: append records and replay them into a state.

    The reading consumer has the partition assigned only while it reads: aiokafka
    asks for metadata in a tight loop while an assigned partition's topic is
    missing, so a registry idle on a wiped cluster would flood the broker and
    the log. A topic the cluster has lost is made again, empty, and the state
    read from scratch, so the registry serves again at once (the schemas
    registered before are gone with the cluster's data and must be registered
    again). Not detected: a topic deleted and made again by someone else that
    already holds as many records as this process had read.
    """

    def __init__(self, settings: Settings, timeout_s: float = 10.0) -> None:
        self.settings = settings
        self.topic = settings.registry_topic
        self._partition = TopicPartition(self.topic, 0)
        self._timeout = timeout_s
        self._next = 0
        """The offset after the last record applied to the state."""
        self._repeats = Repeats()
        connection = client_kwargs(settings)
        self._producer = AIOKafkaProducer(**connection, acks="all", enable_idempotence=True)
        self._consumer = AIOKafkaConsumer(
            **connection, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest"
        )
        # A broker answers one request per connection at a time, so asking the reading
        # consumer for the log end would wait behind its long-polling fetch.
        self._offsets = AIOKafkaConsumer(**connection, group_id=None, enable_auto_commit=False)

    async def start(self) -> None:
        try:
            await self._producer.start()
            await self._offsets.start()
            await self._consumer.start()
        except KafkaError as exc:
            raise RegistryError(f"cannot connect to Kafka for topic {self.topic!r}: {exc}") from exc

    async def stop(self) -> None:
        await self._consumer.stop()
        await self._offsets.stop()
        await self._producer.stop()

    async def catch_up(self, state: RegistryState, until: int | None = None) -> None:
        """Apply every record before ``until`` (default: the current log end)."""
        try:
            async with asyncio.timeout(self._timeout):
                if until is None:
                    until = await self._log_end(state)
                await self._read(state, until)
        except (TimeoutError, KafkaError) as exc:
            raise RegistryError(
                f"cannot read the registry topic {self.topic!r}: {exc!r}",
                status=500,
                error_code=50002 if isinstance(exc, TimeoutError) else 50001,
            ) from exc

    async def _log_end(self, state: RegistryState) -> int:
        """The topic's log end; the topic made again first if the cluster has lost it."""
        tp = self._partition
        while True:
            try:
                async with asyncio.timeout(END_OFFSETS_S):
                    return int((await self._offsets.end_offsets([tp]))[tp])
            except TimeoutError:
                if await self._exists():
                    continue
            self._repeats.warn(
                log,
                "missing",
                "the registry topic %r is missing from Kafka at %s (its data was wiped or the "
                "topic deleted): making it again, empty; register the schemas again with "
                "`bus schemas register`",
                self.topic,
                self.settings.bootstrap_servers,
            )
            await ensure_registry_topic(self.settings)
            self._start_over(state)

    async def _exists(self) -> bool:
        async with admin_client(**client_kwargs(self.settings)) as admin:
            return self.topic in await topic_partitions(admin)

    def _start_over(self, state: RegistryState) -> None:
        state.clear()
        self._next = 0

    async def _read(self, state: RegistryState, until: int) -> None:
        tp = self._partition
        if until < self._next:
            log.warning(
                "the registry topic %r ends at %d, before the %d records read: it was made "
                "again; reading it from the start",
                self.topic,
                until,
                self._next,
            )
            self._start_over(state)
        if self._next >= until:
            return
        self._consumer.assign([tp])
        self._consumer.seek(tp, self._next)
        try:
            while self._next < until:
                batches = await self._consumer.getmany(tp, timeout_ms=1000)
                for record in batches.get(tp, []):
                    state.apply(record.key, record.value)
                self._next = await self._consumer.position(tp)
        finally:
            self._consumer.unsubscribe()

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
        async with admin_client(**client_kwargs(settings)) as admin:
            brokers = len((await admin.describe_cluster())["brokers"])
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
        kafka = KafkaLog(settings)
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
