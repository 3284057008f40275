"""Consumer lag per assigned partition: the log end minus the next offset to process."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bus.metrics import agents
from bus.metrics.definitions import CONSUMER_LAG

Partition = tuple[str, int]


def lags(
    highwaters: Mapping[Partition, int | None], positions: Mapping[Partition, int | None]
) -> dict[Partition, int]:
    """Messages behind per partition; a partition missing either offset is left out."""
    result: dict[Partition, int] = {}
    for key, end in highwaters.items():
        position = positions.get(key)
        if end is not None and position is not None:
            result[key] = max(0, int(end) - int(position))
    return result


class LagSampler:
    """Sets ``bus_consumer_lag_messages`` from a Faust consumer; forgets revoked partitions."""

    def __init__(self) -> None:
        self._shown: set[Partition] = set()

    async def sample(self, consumer: Any) -> dict[Partition, int]:
        tps = list(consumer.assignment())
        ends = await consumer.highwaters(*tps) if tps else {}
        highwaters = {(tp.topic, tp.partition): end for tp, end in ends.items()}
        positions: dict[Partition, int | None] = {}
        for tp in tps:
            key = (tp.topic, tp.partition)
            # What the agents finished, else (nothing handled since the assignment) the
            # consumer's fetch position, which starts at the committed offset.
            positions[key] = agents.processed.get(key)
            if positions[key] is None:
                positions[key] = await consumer.position(tp)
        current = lags(highwaters, positions)
        self.show(current)
        return current

    def show(self, current: Mapping[Partition, int]) -> None:
        for topic, partition in self._shown - set(current):
            CONSUMER_LAG.remove(topic, str(partition))
        for (topic, partition), value in current.items():
            CONSUMER_LAG.labels(topic, str(partition)).set(value)
        self._shown = set(current)
