"""One lane per partition: its records delivered one at a time, in offset order.

A conversation's events share a key, hence a partition, hence a lane, so
they arrive in order; a conversation whose endpoint call is being retried
holds up only the conversations that share its partition, not the whole
inbox. The consumer commits each lane's progress as it goes.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

Handler = Callable[[Any], Awaitable[None]]


class Lane:
    def __init__(self, handle: Handler) -> None:
        self.done_offset: int | None = None
        """The offset to commit: one past the last record delivered or dead-lettered."""
        self._handle = handle
        self._queue: deque[Any] = deque()
        self._more = asyncio.Event()
        self.task = asyncio.create_task(self._run())

    @property
    def backlog(self) -> int:
        return len(self._queue)

    def add(self, records: list[Any]) -> None:
        self._queue.extend(records)
        self._more.set()

    async def close(self) -> None:
        """Stop at once; what was not finished is delivered again from the last commit."""
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            if not self._queue:
                self._more.clear()
                await self._more.wait()
                continue
            record = self._queue[0]
            await self._handle(record)
            self._queue.popleft()
            self.done_offset = record.offset + 1
