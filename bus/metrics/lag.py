"""Consumer lag per assigned partition: the log end minus the next offset to process."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from bus.metrics.definitions import CONSUMER_LAG

Partition = tuple[str, int]


def lags(
    highwaters: Mapping[Partition, int | None], positions: Mapping[Partition, int | None]
) -> dict[Partition, int]:
    """Messages behind per partition; a partition missing either offset is left out."""
    result: dict[Partition, int] = {}
    for key, end in highwaters.items():
        position = positions.get(key)
        if end is not None and position is not None and end >= 0 and position >= 0:
            result[key] = max(0, int(end) - int(position))
    return result


class LagSampler:
    """Sets ``bus_consumer_lag_messages`` from a librdkafka consumer; forgets revoked partitions.

    The log ends come from the fetch responses librdkafka already has (no request
    to the broker); the position is what the loop handled, else the consumer's.
    """

    def __init__(self, consumer: Any, interval_s: float) -> None:
        self._consumer = consumer
        self._interval = interval_s
        self._next = 0.0
        self._shown: set[Partition] = set()
        self._starts: dict[Partition, int] = {}

    def starting(self, committed: Mapping[Partition, int]) -> None:
        """The committed offsets of a new assignment: where a partition that has not
        delivered a message yet will be read from (none: its log start, as the worker
        resets to the earliest offset), so its lag shows before its first message."""
        self._starts = dict(committed)

    def sample(self, handled: Mapping[Partition, int]) -> None:
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + self._interval
        assigned = self._consumer.assignment()
        highwaters: dict[Partition, int | None] = {}
        lows: dict[Partition, int] = {}
        for tp in assigned:
            low, high = self._consumer.get_watermark_offsets(tp, cached=True)
            highwaters[(tp.topic, tp.partition)] = high
            lows[(tp.topic, tp.partition)] = low
        positions: dict[Partition, int | None] = {}
        for tp in self._consumer.position(assigned):
            key = (tp.topic, tp.partition)
            start = self._starts.get(key, -1)
            positions[key] = tp.offset if tp.offset >= 0 else start if start >= 0 else lows[key]
        positions.update({key: offset for key, offset in handled.items() if key in positions})
        self.show(lags(highwaters, positions))

    def show(self, current: Mapping[Partition, int]) -> None:
        for topic, partition in self._shown - set(current):
            CONSUMER_LAG.remove(topic, str(partition))
        for (topic, partition), value in current.items():
            CONSUMER_LAG.labels(topic, str(partition)).set(value)
        self._shown = set(current)
