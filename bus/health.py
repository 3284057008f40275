"""``/healthz`` and ``/readyz`` for every long-running process, and the one Kafka check they use.

Alive (``/healthz``: 200 ``{"status": "alive"}``) means the process answers
HTTP, so a supervisor restarts only one that does not. Ready (``/readyz``)
means it can do its work now: 200 ``{"status": "ready"}``, or 503
``{"status": "not ready", "reason": ...}`` naming what is missing, so
Kubernetes sends it no traffic (and an operator reads why) while Kafka is
away or its state is not read yet; the worker serves the same handlers
(``bus.worker.health``).

Checks are plain functions returning None or the reason and do no I/O, so a
probe answers at once whatever the cluster does; ``KafkaCheck`` asks the
cluster in the background instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient

from bus.kafka.connection import librdkafka_config
from bus.lifecycle import AsyncResource
from bus.metrics.http import add_metrics_route
from bus.settings import Settings

log = logging.getLogger(__name__)

Check = Callable[[], str | None]
"""None when ready, else why not (said in the 503's body)."""
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CHECK_S = 5.0
CHECK_TIMEOUT_S = 3.0


def reason(checks: tuple[Check, ...]) -> str | None:
    """Every failing check's reason, or None when all pass."""
    found = [why for check in checks if (why := check()) is not None]
    return "; ".join(found) or None


def readiness_handler(*checks: Check) -> Handler:
    """A ``/readyz`` handler: 200 when every check passes, else 503 with the reasons."""

    async def readyz(request: web.Request) -> web.Response:
        why = reason(checks)
        if why is None:
            return web.json_response({"status": "ready"})
        return web.json_response({"status": "not ready", "reason": why}, status=503)

    return readyz


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


def add_health_routes(app: web.Application, *checks: Check) -> None:
    """``/healthz`` and ``/readyz`` on ``app``; checks that are resources start with it."""
    app.router.add_get("/healthz", healthz)
    add_readiness_route(app, *checks)


def add_readiness_route(app: web.Application, *checks: Check) -> None:
    """``/readyz`` alone, for an app that has its own ``/healthz``."""
    app.router.add_get("/readyz", readiness_handler(*checks))
    for check in checks:
        if isinstance(check, AsyncResource):
            app.cleanup_ctx.append(_running(check))


def _running(resource: AsyncResource) -> Callable[[web.Application], AsyncIterator[None]]:
    async def context(app: web.Application) -> AsyncIterator[None]:
        async with resource:
            yield

    return context


class KafkaCheck(AsyncResource):
    """Whether the cluster answered a metadata request within the last check.

    Asks every ``interval_s`` in the background with a librdkafka admin client
    (the worker's check, with this process's principal), so ``/readyz`` never
    waits on the cluster.
    """

    def __init__(
        self,
        settings: Settings,
        interval_s: float = CHECK_S,
        timeout_s: float = CHECK_TIMEOUT_S,
    ) -> None:
        self.settings = settings
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self.error: str | None = "not checked yet"
        self._task: asyncio.Task[None] | None = None

    def __call__(self) -> str | None:
        return None if self.error is None else f"Kafka does not answer: {self.error}"

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="kafka-check")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        admin = AdminClient(librdkafka_config(self.settings))
        while True:
            error = await asyncio.to_thread(self._ask, admin)
            if error != self.error:
                if error is None:
                    log.info("Kafka at %s answers", self.settings.bootstrap_servers)
                else:
                    log.warning("Kafka at %s: %s", self.settings.bootstrap_servers, error)
            self.error = error
            await asyncio.sleep(self.interval_s)

    def _ask(self, admin: AdminClient) -> str | None:
        try:
            admin.list_topics(timeout=self.timeout_s)
        except KafkaException as exc:
            error = exc.args[0] if exc.args else exc
            return error.str() if isinstance(error, KafkaError) else str(error)
        finally:
            admin.poll(0)  # hands librdkafka's log lines to Python's logging
        return None


class HealthServer(AsyncResource):
    """``/metrics``, ``/healthz`` and ``/readyz`` on ``host:port``, for a process without an
    HTTP server of its own (``bus webhooks run``, ``bus rasa-bridge``).

    A busy port is logged, not raised: health and metrics must never stop the bus from working.
    """

    def __init__(self, host: str, port: int, *checks: Check) -> None:
        self.host = host
        self.port = port
        self.app = web.Application()
        add_metrics_route(self.app)
        add_health_routes(self.app, *checks)
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        runner = web.AppRunner(self.app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except OSError as exc:
            log.error(
                "cannot serve /metrics, /healthz, /readyz on %s:%d (%s); pick a free port",
                self.host,
                self.port,
                exc,
            )
            await runner.cleanup()
            return
        self._runner = runner
        log.info("metrics and health at http://%s:%d/", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def task_check(name: str, tasks: Callable[[], list[asyncio.Task[Any]]]) -> Check:
    """Not ready once one of the tasks has ended (a loop that should run until stopped)."""

    def check() -> str | None:
        ended = [task.get_name() for task in tasks() if task.done()]
        return f"{name} stopped: {', '.join(ended)}" if ended else None

    return check


def loop_health(
    settings: Settings,
    port: int | None,
    name: str,
    tasks: Callable[[], list[asyncio.Task[Any]]],
) -> HealthServer | None:
    """The health server of a process whose work is ``tasks`` (ready while Kafka answers and
    none has ended); None without a port (health not served)."""
    if port is None:
        return None
    return HealthServer(settings.metrics_host, port, KafkaCheck(settings), task_check(name, tasks))
