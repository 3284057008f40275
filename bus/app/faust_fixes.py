"""Corrections to faust-streaming's offset bookkeeping, applied when the bus builds its app.

Faust commits an offset once every message before it is "acked". Three
defects let events go unprocessed, and two of them let the commit move past
them, so a worker that is killed, or simply rebalanced, loses them for good:

1. **Uncommitted partitions are not re-read.** After a rebalance Faust drops
   what it had prefetched and calls aiokafka's ``seek_to_committed``, which
   only seeks partitions with a committed offset above 0. A partition the group
   never committed stays where the dropped prefetch left it. Such partitions
   are sought to the beginning here (what ``auto_offset_reset="earliest"``
   means for them), and the beginning is reported as their committed offset.
2. **Skipped messages are acked.** A message fetched under an older consumer
   generation, or while flow control is paused for a rebalance, is skipped by
   the stream and still acked, so the next commit covers it although no agent
   saw it. Here the consumer remembers such skipped offsets instead, and never
   commits past one until the message, read again after the rebalance's seek,
   has really been processed. The Cython stream iterator inlines the ack and
   cannot be corrected, so the pure-Python iterator is used.
3. **Stale reads survive a seek.** The fetch loop remembers the last offset it
   handed to the streams and drops anything below it. When a rebalance seeks
   back while the loop is still handing over an older batch, the rest of that
   batch moves the remembered offset forward again, and every message read
   again after the seek is dropped: the partition stalls (with fix 2) or its
   events are lost (without). Here the loop abandons a batch as soon as a seek
   happens and does not record a read that a seek overtook.

All three were seen losing events in the router's kill-and-restart test.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from faust import streams as faust_streams
from faust.transport import consumer as faust_consumer
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP

_APPLIED = "_bus_offset_fixes"
_SKIPPED = "_bus_skipped"
_SEEKS = "_bus_seeks"


async def _seek_to_committed(consumer: Any) -> Mapping[Any, int]:
    committed = dict(await consumer.seek_to_committed())
    uncommitted = [tp for tp, offset in committed.items() if not offset]
    if uncommitted:
        await consumer.seek_to_beginning(*uncommitted)
        committed.update(await consumer.beginning_offsets(uncommitted))
    return committed


async def _thread_seek_to_committed(self: Any) -> Mapping[Any, int]:
    result: Mapping[Any, int] = await self.call_thread(_seek_to_committed, self._ensure_consumer())
    return result


def _skipped(consumer: Any, tp: TP) -> set[int]:
    offsets: set[int] = consumer.__dict__.setdefault(_SKIPPED, {}).setdefault(tp, set())
    return offsets


def _remember_skipped(original: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    """Only the stream's skip path acks a message it never tracked."""

    def ack(self: Any, message: Any) -> bool:
        tp, offset = message.tp, message.offset
        if not message.tracked and self.app.topics.acks_enabled_for(message.topic):
            if offset not in self._acked_index[tp]:
                _skipped(self, tp).add(offset)
            return False
        _skipped(self, tp).discard(offset)
        return original(self, message)

    return ack


def _hold_before_skipped(
    original: Callable[[Any, TP], int | None],
) -> Callable[[Any, TP], int | None]:
    """Faust's own choice of offset, from the acked offsets below the first skipped one."""

    def new_offset(self: Any, tp: TP) -> int | None:
        skipped = _skipped(self, tp)
        committed = self._committed_offset[tp] or 0
        skipped.difference_update([offset for offset in skipped if offset < committed])
        if not skipped:
            return original(self, tp)
        hold = min(skipped)
        acked: list[int] = self._acked[tp]
        later = [offset for offset in acked if offset >= hold]
        acked[:] = [offset for offset in acked if offset < hold]
        try:
            return original(self, tp)
        finally:
            acked.extend(later)

    return new_offset


def _counting_seeks(original: Callable[..., Any]) -> Callable[..., Any]:
    async def seek(self: Any, *args: Any) -> Any:
        self.__dict__[_SEEKS] = self.__dict__.get(_SEEKS, 0) + 1
        return await original(self, *args)

    return seek


async def _drain_messages(self: Any, fetcher: Any) -> None:  # pragma: no cover
    """Faust's fetch loop, except that a seek abandons the batch being handed over (fix 3)."""
    callback = self.callback
    get_read_offset = self._read_offset.__getitem__
    set_read_offset = self._read_offset.__setitem__
    acks_enabled_for = self.app.topics.acks_enabled_for
    commit_every = self._commit_every
    consumer_stopped = self._stopped.is_set
    fetcher_stopped = fetcher._stopped.is_set

    def seeks() -> int:
        count: int = self.__dict__.get(_SEEKS, 0)
        return count

    try:
        while not (consumer_stopped() or fetcher_stopped()):
            self.diag.set_flag(faust_consumer.CONSUMER_FETCHING)
            batch = self.getmany(timeout=1.0)
            await self.sleep(0)
            seeks_at_start = seeks()
            if not self.should_stop:
                handed = 0
                async for tp, message in batch:
                    if seeks() != seeks_at_start:
                        break
                    handed += 1
                    if handed % 100 == 0:
                        await asyncio.sleep(0)
                    offset = message.offset
                    read = get_read_offset(tp)
                    if read is not None and offset < read:
                        continue
                    if read and offset - read > 1 and acks_enabled_for(message.topic):
                        await self._add_gap(tp, read + 1, offset)
                    if commit_every is not None and self._n_acked >= commit_every:
                        self._n_acked = 0
                        await self.commit()
                    await self.wait_first(callback(message), self.suspend_flow.wait())
                    if seeks() != seeks_at_start:
                        break
                    set_read_offset(tp, offset)
            self.diag.unset_flag(faust_consumer.CONSUMER_FETCHING)
    except self.consumer_stopped_errors:
        if self.transport.app.should_stop:
            return
        raise
    except asyncio.CancelledError:
        if self.transport.app.should_stop:
            return
        raise
    finally:
        self.diag.unset_flag(faust_consumer.CONSUMER_FETCHING)


def apply() -> None:
    consumer_cls = faust_consumer.Consumer
    if getattr(consumer_cls, _APPLIED, False):
        return
    thread_cls = faust_aiokafka.AIOKafkaConsumerThread
    setattr(thread_cls, "seek_to_committed", _thread_seek_to_committed)  # noqa: B010
    setattr(consumer_cls, "ack", _remember_skipped(consumer_cls.ack))  # noqa: B010
    setattr(consumer_cls, "_new_offset", _hold_before_skipped(consumer_cls._new_offset))  # noqa: B010
    setattr(consumer_cls, "perform_seek", _counting_seeks(consumer_cls.perform_seek))  # noqa: B010
    setattr(consumer_cls, "seek", _counting_seeks(consumer_cls.seek))  # noqa: B010
    setattr(consumer_cls, "_drain_messages", _drain_messages)  # noqa: B010
    setattr(faust_streams, "_CStreamIterator", None)  # noqa: B010
    setattr(consumer_cls, _APPLIED, True)
