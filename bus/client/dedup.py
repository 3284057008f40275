"""Recently seen event ids, so a redelivered event is handled once."""

from __future__ import annotations

from collections import OrderedDict


class RecentIds:
    """The last ``capacity`` event ids, least recently seen evicted first.

    At-least-once delivery repeats an event when a producer or router retries
    before its commit; repeats arrive close together, so a bounded window
    catches them without the memory of a full id set.
    """

    def __init__(self, capacity: int = 100_000) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, not {capacity}")
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()

    def seen(self, event_id: str) -> bool:
        """Whether ``event_id`` was seen before; either way it becomes the most recent."""
        if event_id in self._ids:
            self._ids.move_to_end(event_id)
            return True
        self._ids[event_id] = None
        if len(self._ids) > self.capacity:
            self._ids.popitem(last=False)
        return False

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)
