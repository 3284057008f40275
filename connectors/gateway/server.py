"""The gateway's HTTP API (aiohttp): events in, replies out, every answer JSON.

- ``POST /v1/events/{type}`` (plain JSON) or ``POST /v1/events`` (a CloudEvent):
  202 ``{"id": ...}`` once Kafka acknowledged the write.
- ``GET /v1/replies?after=N&conversation_id=C&wait=S``: 200 ``{"events": [...],
  "next": N}``, waiting up to S seconds for something after N (long-poll).
- ``GET /v1/replies/stream?conversation_id=C``: server-sent events; each
  ``id:`` is the number to resume after (``Last-Event-ID``).
- ``GET /healthz``: whether each reply topic is being read.
- ``GET /readyz``: 200 when Kafka answers and every reply topic is read, else 503
  (``bus.health``).

Errors, every one ``{"error": ...}`` JSON: 400 not JSON, no type or a malformed
request (e.g. a header over 8190 bytes), 401 unknown caller, 404/405 no such
route or method, 408 headers or body too slow (the connection is closed), 413
body too large, 422 the event does not fit its schema (``schema`` and ``field``
in the answer), 429 over the client's rate limit or too many connections from
one address (``Retry-After``), 503 Kafka did not acknowledge (nothing was
accepted; retry).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiohttp import web

from bus.catalogue import Catalogue
from bus.errors import EncodeError
from bus.health import KafkaCheck, add_readiness_route
from bus.kafka.connection import security_kwargs
from bus.lifecycle import AsyncResource
from bus.metrics.http import add_metrics_route, http_metrics
from bus.schemas.runtime import Runtime
from bus.settings import Settings
from connectors.base.errors import BrokerUnavailableError
from connectors.base.jsonable import event_to_json
from connectors.base.metrics import GATEWAY_PRODUCE_SECONDS
from connectors.base.producer import EventProducer
from connectors.base.signing import SIGNATURE_HEADER
from connectors.gateway.clients import Authenticator, GatewayClient
from connectors.gateway.guard import (
    ConnectionGuard,
    GuardedHandler,
    answer_and_close,
    guard_requests,
)
from connectors.gateway.intake import BadRequestError, build_event, parse_request
from connectors.gateway.problems import error_response, json_errors
from connectors.gateway.ratelimit import RateLimiter
from connectors.gateway.replies import Reply, ReplyFeed

log = logging.getLogger(__name__)
MAX_WAIT_S = 60.0
KEEPALIVE_S = 15.0


UNKNOWN_CALLER = "unknown caller: send Authorization: Bearer <api key> or sign it"


class Gateway(AsyncResource):
    """The HTTP gateway, bound to ``settings.gateway_host:gateway_port`` (0 picks a free port)."""

    def __init__(
        self, settings: Settings, catalogue: Catalogue, clients: list[GatewayClient]
    ) -> None:
        self.settings = settings
        self.catalogue = catalogue
        self.runtime = Runtime(settings)
        self.producer = EventProducer(
            settings, runtime=self.runtime, timeout_s=settings.gateway_produce_timeout_s
        )
        self._auth = Authenticator(clients)
        self._rates = RateLimiter({c.name: c.rate_limit for c in clients if c.rate_limit})
        self.guard = ConnectionGuard(
            settings.gateway_header_timeout_s, settings.gateway_max_connections_per_client
        )
        topics = {catalogue.authorities[c.authority].assistant_topic for c in clients}
        self.feeds = {
            topic: ReplyFeed(
                settings.bootstrap_servers, topic, self.runtime, **security_kwargs(settings)
            )
            for topic in topics
        }
        self._runner: web.AppRunner | None = None
        self._listener: asyncio.Server | None = None
        self.port = settings.gateway_port

    @property
    def url(self) -> str:
        return f"http://{self.settings.gateway_host}:{self.port}"

    def app(self) -> web.Application:
        app = web.Application(
            client_max_size=self.settings.gateway_max_body_bytes,
            middlewares=[guard_requests(), http_metrics("gateway"), json_errors()],
        )
        add_metrics_route(app)
        app.add_routes(
            [
                web.post("/v1/events", self._post_event),
                web.post("/v1/events/{type}", self._post_event),
                web.get("/v1/replies", self._replies),
                web.get("/v1/replies/stream", self._stream),
                web.get("/healthz", self._health),
            ]
        )
        add_readiness_route(app, KafkaCheck(self.settings), self._replies_read)
        return app

    async def start(self) -> None:
        await self.runtime.codec()  # the registry ids of every contract, before the first request
        for feed in self.feeds.values():
            feed.start()
        # Open reply streams get a few seconds to end, then are cancelled.
        self._runner = web.AppRunner(self.app(), shutdown_timeout=3.0)
        await self._runner.setup()
        server = self._runner.server
        assert server is not None
        self._listener = await asyncio.get_running_loop().create_server(
            lambda: GuardedHandler(
                self.guard,
                server,
                access_log=None,
                keepalive_timeout=self.settings.gateway_idle_timeout_s,
            ),
            self.settings.gateway_host,
            self.settings.gateway_port,
        )
        self.port = int(self._listener.sockets[0].getsockname()[1])
        log.info("gateway listening on %s", self.url)

    async def stop(self) -> None:
        for feed in self.feeds.values():
            await feed.stop()
        if self._listener is not None:
            self._listener.close()
        if self._runner is not None:
            await self._runner.cleanup()  # closes the connections aiohttp handles
        self.guard.close_refused()
        await self.producer.stop()
        await self.runtime.close()

    async def _body(self, request: web.Request) -> bytes:
        limit = self.settings.gateway_max_body_bytes
        if request.content_length is not None and request.content_length > limit:
            raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=request.content_length)
        async with asyncio.timeout(self.settings.gateway_body_timeout_s):
            return await request.read()

    def _client(self, request: web.Request, body: bytes) -> GatewayClient | web.Response:
        """The authenticated caller within its rate limit, or the 401 or 429 to answer."""
        client = self._auth.authenticate(request.headers, body)
        if client is None:
            return error_response(401, UNKNOWN_CALLER)
        wait = self._rates.retry_after(client.name)
        if wait is not None:
            limit = client.rate_limit
            assert limit is not None
            return error_response(
                429,
                f"{client.name} is over its rate limit of {limit.per_second:g} requests a "
                f"second (bursts of {limit.burst}); retry after {wait} s",
                headers={"Retry-After": str(wait)},
                retry=True,
            )
        return client

    async def _post_event(self, request: web.Request) -> web.Response:
        try:
            body = await self._body(request)
        except web.HTTPRequestEntityTooLarge:
            limit = self.settings.gateway_max_body_bytes
            return error_response(413, f"the body is larger than {limit} bytes", max_bytes=limit)
        except TimeoutError:
            timeout = self.settings.gateway_body_timeout_s
            late = error_response(408, f"the body did not arrive within {timeout:g} s", retry=True)
            return await answer_and_close(request, late)
        client = self._client(request, body)
        if isinstance(client, web.Response):
            return client
        try:
            incoming = parse_request(request.headers, body, request.match_info.get("type"))
            signature = request.headers.get(SIGNATURE_HEADER)
            event = build_event(incoming, client, self.runtime.contracts, signature)
            value, headers = await self.producer.encode(event)
        except BadRequestError as exc:
            return error_response(400, str(exc))
        except EncodeError as exc:
            return error_response(422, str(exc), schema=exc.schema, field=exc.field)
        topic = self.catalogue.topics.assistant_events
        try:
            with GATEWAY_PRODUCE_SECONDS.time():
                written = await self.producer.send(topic, event.key, value, headers)
        except BrokerUnavailableError as exc:
            log.warning("answering 503 to %s: %s", client.name, exc)
            return error_response(503, str(exc), retry=True)
        return web.json_response(
            {
                "id": event.id,
                "type": event.type,
                "partition": written.partition,
                "offset": written.offset,
            },
            status=202,
        )

    def _feed(self, request: web.Request) -> tuple[GatewayClient, ReplyFeed] | web.Response:
        client = self._client(request, b"")
        if isinstance(client, web.Response):
            return client
        topic = self.catalogue.authorities[client.authority].assistant_topic
        return client, self.feeds[topic]

    async def _replies(self, request: web.Request) -> web.Response:
        found = self._feed(request)
        if isinstance(found, web.Response):
            return found
        _, feed = found
        try:
            after = int(request.query.get("after", "0"))
            wait = min(float(request.query.get("wait", "0")), MAX_WAIT_S)
        except ValueError:
            return error_response(400, "'after' must be an integer and 'wait' a number of seconds")
        conversation = request.query.get("conversation_id")
        replies = await feed.wait_after(after, conversation, wait)
        return web.json_response(
            {
                "events": [_reply_json(r) for r in replies],
                "next": replies[-1].seq if replies else max(after, 0),
            }
        )

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        found = self._feed(request)
        if isinstance(found, web.Response):
            return found
        _, feed = found
        conversation = request.query.get("conversation_id")
        resume = request.headers.get("Last-Event-ID") or request.query.get("after")
        after = int(resume) if resume and resume.isdigit() else feed.last_seq
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        while True:
            replies = await feed.wait_after(after, conversation, KEEPALIVE_S)
            if not replies:
                await response.write(b": keep-alive\n\n")
                continue
            for reply in replies:
                data = json.dumps(_reply_json(reply), separators=(",", ":"))
                await response.write(
                    f"id: {reply.seq}\nevent: {reply.event.type}\ndata: {data}\n\n".encode()
                )
                after = reply.seq

    async def _health(self, request: web.Request) -> web.Response:
        feeds = {topic: feed.ready for topic, feed in self.feeds.items()}
        return web.json_response({"status": "ok", "replies": feeds})

    def _replies_read(self) -> str | None:
        """For ``/readyz``: every reply topic is being read."""
        waiting = sorted(topic for topic, feed in self.feeds.items() if not feed.ready)
        return f"not reading replies from {', '.join(waiting)}" if waiting else None


def _reply_json(reply: Reply) -> dict[str, Any]:
    return {"seq": reply.seq, **event_to_json(reply.event)}


async def serve(gateway: Gateway) -> None:
    """Run until cancelled (SIGINT/SIGTERM in the CLI)."""
    async with gateway:
        await asyncio.Event().wait()
