"""The gateway's one error body, ``{"error": ..., <details>}``, however an error arises.

Handlers answer with :func:`error_response`; :func:`json_errors` rewrites the
HTTP exceptions aiohttp raises itself (404, 405, 413); what aiohttp cannot parse
is answered by ``guard.GuardedHandler.handle_error``. :func:`raw_response` is
for answers written straight to a connection that has no request (headers too
late, a connection over the cap).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import Any

from aiohttp import hdrs, web
from aiohttp.typedefs import Middleware

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
JSON = "application/json"


def error_body(status: int, message: str | None, **extra: Any) -> dict[str, Any]:
    return {"error": message or HTTPStatus(status).phrase.lower(), **extra}


def error_response(
    status: int, message: str | None, *, headers: Mapping[str, str] | None = None, **extra: Any
) -> web.Response:
    return web.json_response(error_body(status, message, **extra), status=status, headers=headers)


def raw_response(
    status: int, message: str, *, headers: Mapping[str, str] | None = None, **extra: Any
) -> bytes:
    """A whole HTTP/1.1 error answer that closes the connection, as bytes."""
    body = json.dumps(error_body(status, message, **extra)).encode()
    lines = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        f"Content-Type: {JSON}; charset=utf-8",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
    ]
    return "\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + body


def json_errors() -> Middleware:
    """aiohttp's own errors (no route, wrong method, body over ``client_max_size``) in the
    gateway's JSON form, keeping headers such as ``Allow``."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            kept = {
                name: value
                for name, value in exc.headers.items()
                if name not in (hdrs.CONTENT_TYPE, hdrs.CONTENT_LENGTH)
            }
            return error_response(exc.status, exc.reason.lower(), headers=kept)

    return middleware
