"""Processor state: a dict per partition in memory, every change in a compacted changelog.

The changelog topic is the state; memory is a cache of it. A worker that is
assigned a partition reads the partition's changelog from its start to its
end before it handles a record of that partition, so a restarted worker, or
another one taking over, continues from exactly what was committed. Under
exactly-once the changelog records are in the same transaction as the
outputs and the offsets, so the restored state is that of the committed
offsets; under at-least-once it may be ahead of them, and processors repeat
their decisions for records they see again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition

from bus.errors import BusError

log = logging.getLogger(__name__)
V = TypeVar("V")

RESTORE_BATCH = 1000
RESTORE_STALL_S = 30.0


@dataclass
class Store(Generic[V]):
    """One named store of a processor, partitioned like the topics it reads.

    ``dump`` and ``load`` turn values into changelog bytes and back; a value is
    dumped once per key and flush, however often it changed in between.
    """

    name: str
    changelog: str
    dump: Callable[[V], bytes]
    load: Callable[[bytes], V]
    _data: dict[int, dict[str, V]] = field(default_factory=dict)
    _dirty: dict[int, set[str]] = field(default_factory=dict)

    def get(self, partition: int, key: str) -> V | None:
        return self._data.get(partition, {}).get(key)

    def put(self, partition: int, key: str, value: V) -> None:
        self._data.setdefault(partition, {})[key] = value
        self._dirty.setdefault(partition, set()).add(key)

    def delete(self, partition: int, key: str) -> None:
        if self._data.get(partition, {}).pop(key, None) is not None:
            self._dirty.setdefault(partition, set()).add(key)

    def items(self, partition: int) -> list[tuple[str, V]]:
        return list(self._data.get(partition, {}).items())

    @property
    def partitions(self) -> set[int]:
        return set(self._data)

    def changes(self) -> Iterator[tuple[int, bytes, bytes | None]]:
        """Each changed key once, with its value's bytes (None: deleted), then forget them."""
        dirty, self._dirty = self._dirty, {}
        for partition, keys in dirty.items():
            values = self._data.get(partition, {})
            for key in keys:
                value = values.get(key)
                yield partition, key.encode(), None if value is None else self.dump(value)

    def restored(self, partition: int, entries: dict[bytes, bytes]) -> None:
        self._data[partition] = {key.decode(): self.load(value) for key, value in entries.items()}
        self._dirty.pop(partition, None)

    def drop(self, partitions: set[int] | None = None) -> None:
        """Forget partitions (all if None): another worker may change them from now on."""
        for partition in list(self._data) if partitions is None else partitions:
            self._data.pop(partition, None)
            self._dirty.pop(partition, None)


class RestoreError(BusError):
    """A changelog could not be read to its end; the worker stops rather than guess state."""


def restore(consumer: Consumer, stores: list[Store[Any]], partitions: set[int]) -> int:
    """Fill ``stores`` for ``partitions`` from their changelogs; returns records read.

    ``consumer`` reads read_committed without a group. A partition is done when
    the consumer's position reaches the end the broker gave at the start (the
    position passes transaction markers too, which are never handed out).
    """
    wanted = [(store, p) for store in stores for p in sorted(partitions)]
    entries: dict[tuple[str, int], dict[bytes, bytes]] = {}
    ends: dict[tuple[str, int], int] = {}
    for store, p in wanted:
        entries[(store.changelog, p)] = {}
        low, high = _watermarks(consumer, TopicPartition(store.changelog, p))
        if high > low:
            ends[(store.changelog, p)] = high
    count = 0
    if ends:
        consumer.assign([TopicPartition(t, p, OFFSET_BEGINNING) for t, p in ends])
        try:
            count = _read_to_ends(consumer, entries, ends)
        finally:
            consumer.unassign()
    for store, p in wanted:
        store.restored(p, entries[(store.changelog, p)])
    return count


def _watermarks(consumer: Consumer, tp: TopicPartition) -> tuple[int, int]:
    """The partition's log start and end; waits out a topic whose leader is being elected.

    A changelog the worker has just created may have no leader for a moment
    (``NOT_LEADER_FOR_PARTITION``, ``UNKNOWN_TOPIC_OR_PART``): retried, not fatal.
    """
    deadline = time.monotonic() + RESTORE_STALL_S
    while True:
        try:
            low, high = consumer.get_watermark_offsets(tp, timeout=10, cached=False)
            return int(low), int(high)
        except KafkaException as exc:
            if exc.args[0].fatal() or time.monotonic() > deadline:
                raise RestoreError(
                    f"cannot find where changelog {tp.topic}[{tp.partition}] ends: {exc}"
                ) from exc
            log.info("changelog %s[%s] not ready yet (%s)", tp.topic, tp.partition, exc)
            time.sleep(0.5)


def _read_to_ends(
    consumer: Consumer,
    entries: dict[tuple[str, int], dict[bytes, bytes]],
    ends: dict[tuple[str, int], int],
) -> int:
    pending = dict(ends)
    count, progress = 0, time.monotonic()
    while pending:
        for message in consumer.consume(RESTORE_BATCH, 0.2):
            error = message.error()
            if error is not None:
                if error.fatal():
                    raise RestoreError(f"cannot read changelog {message.topic()}: {error}")
                log.debug("changelog %s: %s", message.topic(), error)
                continue
            table = entries[(str(message.topic()), int(message.partition() or 0))]
            key, value = message.key() or b"", message.value()
            if value is None:
                table.pop(key, None)
            else:
                table[key] = value
            count += 1
            progress = time.monotonic()
        positions = consumer.position([TopicPartition(t, p) for t, p in pending])
        for tp in positions:
            if tp.offset >= pending[(tp.topic, tp.partition)]:
                del pending[(tp.topic, tp.partition)]
        if pending and time.monotonic() - progress > RESTORE_STALL_S:
            raise RestoreError(
                f"changelog partitions {sorted(pending)} stopped short of their ends for "
                f"{RESTORE_STALL_S:.0f}s; is the broker reachable?"
            )
    return count
