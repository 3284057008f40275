"""The gateway's one error body, ``{"error": ..., <details>}``, however an error arises.

Handlers answer with :func:`error_response`; :func:`json_errors` rewrites the
HTTP exceptions aiohttp raises itself (404, 405, 413); what aiohttp cannot parse
is answered by ``guard.GuardedHandler.handle_error``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import Any

from aiohttp import hdrs, web
from aiohttp.typedefs import Middleware

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_body(status: int, message: str | None, **extra: Any) -> dict[str, Any]:
    return {"error": message or HTTPStatus(status).phrase.lower(), **extra}


def error_response(
    status: int, message: str | None, *, headers: Mapping[str, str] | None = None, **extra: Any
) -> web.Response:
    return web.json_response(error_body(status, message, **extra), status=status, headers=headers)


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
