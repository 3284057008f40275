"""Read a sandbox's topics back for the report: every decodable event, in partition order."""

from __future__ import annotations

from collections.abc import Sequence

from bus.audit.replay import Replayed, ReplayFilter, replay
from bus.kafka.connection import security_kwargs
from bus.schemas.runtime import Runtime
from bus.settings import Settings


class _Kept:
    """A replay sink that keeps what it is given."""

    def __init__(self) -> None:
        self.items: list[Replayed] = []

    async def write(self, item: Replayed) -> None:
        self.items.append(item)

    async def close(self) -> None:
        return None


async def collect(
    settings: Settings, topics: Sequence[str], where: ReplayFilter | None = None
) -> list[Replayed]:
    """Every event of ``topics`` (within ``where``) up to their ends when called."""
    runtime = Runtime(settings)
    try:
        codec = await runtime.codec()
        kept = _Kept()
        await replay(
            settings.bootstrap_servers,
            codec,
            topics,
            where or ReplayFilter(),
            kept,
            security=security_kwargs(settings),
        )
        return kept.items
    finally:
        await runtime.close()
