"""Run a connector until SIGINT or SIGTERM, then let it stop cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable


def run_until_signalled(main: Callable[[], Awaitable[None]]) -> int:
    """Run ``main()`` in a fresh event loop; a signal cancels it so its cleanup runs."""

    async def runner() -> None:
        task = asyncio.ensure_future(main())
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(runner())
    return 0


def serve_metrics(port: int | None, host: str = "127.0.0.1") -> None:
    """Expose ``/metrics`` for Prometheus on ``host:port`` when a port is given
    (``bus.metrics.http.serve_metrics``: a busy port is logged, not raised)."""
    if port is not None:
        from bus.metrics.http import serve_metrics as serve

        serve(host, port)
