"""Run the officials' API: a publisher, the case view following Kafka, the HTTP server.

The view follows the escalations, the conversations' topics and the officials'
presence."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from bus.catalogue import Catalogue, load_catalogue
from bus.client import Publisher
from bus.errors import DecodeError
from bus.escalation.presence import PresenceBoard
from bus.health import KafkaCheck, add_health_routes
from bus.kafka.connection import security_kwargs
from bus.kafka.follow import TopicFollower
from bus.lifecycle import AsyncResource
from bus.officials.api import OfficialsApi
from bus.officials.auth import Directory
from bus.officials.view import CaseView
from bus.settings import Settings

log = logging.getLogger(__name__)


class OfficialsServer(AsyncResource):
    """Serves once its view has read the escalations and conversations so far."""

    def __init__(
        self, settings: Settings, catalogue: Catalogue | None = None, port: int | None = None
    ) -> None:
        self.settings = settings
        self.catalogue = catalogue or load_catalogue(settings.catalogue)
        self.port = settings.officials_port if port is None else port
        self.directory = Directory.load(settings.officials, set(self.catalogue.authorities))
        self.view = CaseView(presence=PresenceBoard(settings.presence_lease))
        self.publisher = Publisher(settings)
        topics = self.catalogue.topics
        followed = [topics.escalations, topics.assistant_events, topics.presence]
        followed += [a.assistant_topic for a in self.catalogue.authorities.values()]
        self.follower = TopicFollower(
            settings.bootstrap_servers,
            followed,
            self._apply,
            on_restart=self.view.clear,
            **security_kwargs(settings),
        )
        self._runner: web.AppRunner | None = None

    async def _apply(self, record: Any) -> None:
        try:
            event = await self.publisher.codec.decode_async(record.value)
        except DecodeError as exc:  # the router dead-letters the shared topics' bad input
            log.debug("skipping %s[%s]@%s: %s", record.topic, record.partition, record.offset, exc)
            return
        self.view.apply(event)

    async def start(self) -> None:
        """Read, then serve; if either fails (a port in use), close what was opened."""
        try:
            await self.publisher.start()
            await self.follower.start()
            await self.follower.caught_up.wait()
            api = OfficialsApi(self.catalogue, self.directory, self.view, self.publisher)
            app = api.app()
            add_health_routes(app, self._caught_up, KafkaCheck(self.settings))
            self._runner = web.AppRunner(app, access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, self.settings.officials_host, self.port)
            await site.start()
        except BaseException:
            await self.stop()
            raise
        log.info("officials' API on http://%s:%s/", self.settings.officials_host, self.port)

    def _caught_up(self) -> str | None:
        if self.follower.caught_up.is_set():
            return None
        return "reading the escalations, conversations and presence so far"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        await self.follower.stop()
        await self.publisher.stop()
