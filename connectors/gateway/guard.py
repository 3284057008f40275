"""The gateway's connections: aiohttp's handler with JSON parse errors, a header timeout and
a cap on connections per remote address.

aiohttp waits for a request's headers as long as a connection stays open, and
answers a malformed request (an oversized header, a bad request line) with
text/plain. :class:`GuardedHandler` is its connection handler with those two
changed and nothing else: every request still goes through the app.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import LineTooLong
from aiohttp.typedefs import Middleware
from aiohttp.web_request import BaseRequest

from connectors.base.metrics import GATEWAY_CONNECTIONS_CLOSED
from connectors.gateway.problems import Handler, error_response, raw_response

log = logging.getLogger(__name__)
LINGER_S = 2.0
"""How long a refused connection may still send before it is closed (so it reads the 429)."""


class _Phase(enum.Enum):
    OPENED = "opened"  # no byte yet: a timeout closes it silently
    HEADERS = "headers"  # a request has begun: a timeout answers 408
    REQUEST = "request"  # in the app: handlers time their own reads
    IDLE = "idle"  # between requests: aiohttp's keep-alive timeout applies


class ConnectionGuard:
    """The limits every connection of one gateway shares, and its open connections by address."""

    def __init__(self, header_timeout_s: float, max_per_address: int) -> None:
        self.header_timeout_s = header_timeout_s
        self.max_per_address = max_per_address
        self.open: Counter[str] = Counter()
        self.refused: set[asyncio.Transport] = set()

    def admit(self, address: str) -> bool:
        if self.open[address] >= self.max_per_address:
            return False
        self.open[address] += 1
        return True

    def release(self, address: str) -> None:
        self.open[address] -= 1
        if self.open[address] <= 0:
            del self.open[address]

    def close_refused(self) -> None:
        """Close refused connections still lingering (at shutdown)."""
        for transport in list(self.refused):
            transport.close()
        self.refused.clear()


class GuardedHandler(web.RequestHandler):
    """One connection: refused over the cap, closed with 408 when its headers are late.

    A request's headers must arrive within ``header_timeout_s`` of the connection
    opening or of the request's first byte; the body is timed by the handler that
    reads it. A connection idle between requests is aiohttp's keep-alive timeout's.
    """

    def __init__(self, guard: ConnectionGuard, manager: web.Server, **kwargs: Any) -> None:
        super().__init__(manager, loop=asyncio.get_running_loop(), **kwargs)
        self.guard = guard
        self.address = "unknown"
        self.phase = _Phase.OPENED
        self.refused: asyncio.Transport | None = None
        self.deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        self.address = str(peer[0]) if peer else "unknown"
        if not self.guard.admit(self.address):
            self._refuse(transport)
            return
        super().connection_made(transport)
        self._start_deadline(self.guard.header_timeout_s, self._headers_late)

    def data_received(self, data: bytes) -> None:
        if self.refused is not None:
            return
        if data and self.phase in (_Phase.OPENED, _Phase.IDLE):
            if self.phase is _Phase.IDLE:
                self._start_deadline(self.guard.header_timeout_s, self._headers_late)
            self.phase = _Phase.HEADERS
        super().data_received(data)

    def eof_received(self) -> None:
        if self.refused is not None:
            self.refused.close()
            return
        super().eof_received()

    def connection_lost(self, exc: BaseException | None) -> None:
        self._cancel_deadline()
        if self.refused is not None:
            self.guard.refused.discard(self.refused)
            self.refused = None
            return
        self.guard.release(self.address)
        super().connection_lost(exc)

    def request_started(self) -> None:
        """The app has the request: its headers are complete."""
        self._cancel_deadline()
        self.phase = _Phase.REQUEST

    def request_finished(self) -> None:
        self.phase = _Phase.IDLE

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """aiohttp's answer to a request it could not parse or an unhandled exception, as JSON."""
        super().handle_error(request, status, exc, message)  # logs; refuses once answered
        if isinstance(exc, LineTooLong):
            limit = max(self.max_line_size, self.max_field_size)
            response = error_response(
                status,
                f"the request line or a header is longer than {limit} bytes",
                max_bytes=limit,
            )
        elif status < 500:
            detail = message or exc or "unreadable"
            response = error_response(status, f"malformed HTTP request: {detail}")
        else:
            response = error_response(status, None)
        response.force_close()
        return response

    def _refuse(self, transport: asyncio.BaseTransport) -> None:
        """Answer 429 at once, stop writing, and drop what the client still sends for a while."""
        assert isinstance(transport, asyncio.Transport)
        self.refused = transport
        self.guard.refused.add(transport)
        limit = self.guard.max_per_address
        GATEWAY_CONNECTIONS_CLOSED.labels("too-many-connections").inc()
        log.warning("refusing a connection from %s: it has %d open", self.address, limit)
        transport.write(
            raw_response(
                429,
                f"too many connections from {self.address}: at most {limit} at a time",
                headers={"Retry-After": "1"},
                retry=True,
            )
        )
        if transport.can_write_eof():
            transport.write_eof()
        self._start_deadline(LINGER_S, transport.close)

    def _headers_late(self) -> None:
        self.deadline = None
        transport = self.transport
        if transport is None or self.phase not in (_Phase.OPENED, _Phase.HEADERS):
            return
        if self.phase is _Phase.HEADERS:
            GATEWAY_CONNECTIONS_CLOSED.labels("header-timeout").inc()
            timeout = self.guard.header_timeout_s
            transport.write(
                raw_response(
                    408, f"the request's headers did not arrive within {timeout:g} s", retry=True
                )
            )
        else:
            GATEWAY_CONNECTIONS_CLOSED.labels("silent").inc()
        self.force_close()

    def _start_deadline(self, seconds: float, callback: Callable[[], object]) -> None:
        self._cancel_deadline()
        self.deadline = asyncio.get_running_loop().call_later(seconds, callback)

    def _cancel_deadline(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None


def guard_requests() -> Middleware:
    """Middleware telling a :class:`GuardedHandler` when its request is in the app, and
    ending a connection whose request body was not read (its position is unknown)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        connection = request.protocol
        guarded = connection if isinstance(connection, GuardedHandler) else None
        if guarded is not None:
            guarded.request_started()
        try:
            response = await handler(request)
            if not request.content.is_eof() and not response.prepared:
                response.force_close()
            return response
        finally:
            if guarded is not None:
                guarded.request_finished()

    return middleware


async def answer_and_close(request: web.Request, response: web.Response) -> web.Response:
    """Send ``response`` now and close the connection, without draining the rest of the body
    (aiohttp would otherwise read a stalled one for its lingering time)."""
    response.force_close()
    await response.prepare(request)
    await response.write_eof()
    request.protocol.force_close()
    return response
