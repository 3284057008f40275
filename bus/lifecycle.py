"""Start/stop plus ``async with`` for the bus's long-lived clients, written once."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class AsyncResource:
    """Subclasses implement ``start`` and ``stop``; ``async with`` calls them."""

    async def start(self) -> None:
        """Nothing to open by default (a client may connect lazily)."""

    async def stop(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
