"""The gateway's connections: aiohttp's connection handler, answering what it cannot parse
in the gateway's JSON error body.

aiohttp answers a malformed request (an oversized header, a bad request line) with
text/plain before any middleware sees it. :class:`GuardedHandler` is its connection
handler with that answer changed and nothing else: every request still goes through
the app.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import LineTooLong
from aiohttp.web_request import BaseRequest

from connectors.gateway.problems import error_response


class GuardedHandler(web.RequestHandler):
    """One connection of the gateway."""

    def __init__(self, manager: web.Server, **kwargs: Any) -> None:
        super().__init__(manager, loop=asyncio.get_running_loop(), **kwargs)

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
