"""Feed a sandbox its replayed time ranges: past citizen turns from the assistants' topic.

One-shot and repeatable (``bus sandbox replay NAME``): turns already in the
input are skipped, so running it again after a crash or a new range feeds
each turn once. Ranges go by Kafka timestamps, as ``bus replay`` does; the
same sampling, scrubbing and end date apply as to live traffic, and the
auditor records the input like any other topic.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bus.audit.replay import Replayed, ReplayFilter, replay
from bus.catalogue import Catalogue
from bus.catalogue.sandbox import Sandbox
from bus.client import Publisher
from bus.errors import ConfigurationError
from bus.kafka.connection import security_kwargs
from bus.privacy.scrubber import Scrubber
from bus.sandbox.collect import collect
from bus.sandbox.feed import fed, feeds
from bus.schemas.types import MESSAGE_SENT
from bus.settings import Settings


class _Feeder:
    """A replay sink that publishes each new sampled turn, scrubbed, to the sandbox input."""

    def __init__(
        self, box: Sandbox, publisher: Publisher, scrubber: Scrubber, seen: set[str]
    ) -> None:
        self.box = box
        self.publisher = publisher
        self.scrubber = scrubber
        self.seen = seen
        self.now = datetime.now(UTC)
        self.fed = 0

    async def write(self, item: Replayed) -> None:
        event = item.event
        if str(event.id) in self.seen or not feeds(self.box, event, self.now):
            return
        turn = fed(event, self.publisher.contracts[event.type], self.scrubber)
        await self.publisher.publish(self.box.input, turn)
        self.seen.add(str(event.id))
        self.fed += 1

    async def close(self) -> None:
        return None


async def feed_ranges(settings: Settings, catalogue: Catalogue, name: str) -> int:
    """Feed sandbox ``name`` the turns of its replay ranges; returns how many were new."""
    box = catalogue.sandbox(name)
    if not box.replay:
        raise ConfigurationError(f"sandbox {name!r} has no replay range; add one under replay:")
    seen = {str(item.event.id) for item in await collect(settings, [box.input])}
    async with Publisher(settings) as publisher:
        feeder = _Feeder(box, publisher, Scrubber.from_settings(settings), seen)
        for window in box.replay:
            where = ReplayFilter(
                start_ms=int(window.start.timestamp() * 1000),
                end_ms=int(window.end.timestamp() * 1000),
                authority=box.authority,
                event_types=(MESSAGE_SENT,),
            )
            await replay(
                settings.bootstrap_servers,
                publisher.codec,
                [catalogue.topics.assistant_events],
                where,
                feeder,
                security=security_kwargs(settings),
            )
    return feeder.fed
