"""Corrections to faust-streaming's offset bookkeeping, applied when the bus builds its app.

Faust commits an offset once every message before it is "acked". Four
defects let events go unprocessed, and three of them let the commit move past
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
   saw it. When several agents read the topic, the router may skip a message
   the auditor has processed, and the last ack is the skip. Here a message
   acked by a stream that did not hand it to its agent is marked, and the
   consumer remembers its offset instead of acking it: no commit passes it
   until the message, read again after the rebalance's seek, has really been
   processed. The Cython stream iterator inlines the ack and cannot be
   corrected, so the pure-Python iterator is used.
3. **Stale reads survive a seek.** The fetch loop remembers the last offset it
   handed to the streams and drops anything below it. When a rebalance seeks
   back while the loop is still handing over a batch fetched before the seek,
   the rest of that batch moves the remembered offset forward again and every
   message read again after the seek is dropped. Here each partition has a
   seek epoch, bumped in the consumer's thread in the same step as the seek,
   and a fetched batch carries the epochs it was fetched under: a record
   fetched before its partition was sought is not handed over (it is read
   again from the new position).
4. **Gaps count as processed.** When the next record of a partition is more
   than one offset past the last one handed over, Faust records the hole as
   acked (meant for transaction markers and compaction), so any message lost
   between fetch and stream is committed unseen. Here the loop first reads the
   hole again from its start; only a hole that is still there is accepted.
   After a seek to the committed offsets, Faust counts the committed offset
   itself as read; here it counts as unread, so a first record past it is a
   hole too (read again) instead of passing the committed one unseen.

All four were seen losing events in the router's kill-and-restart test.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from weakref import WeakSet

from faust import streams as faust_streams
from faust.transport import consumer as faust_consumer
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP
from faust.types import tuples as faust_tuples

from bus.app.commit_gate import gate_of

_APPLIED = "_bus_offset_fixes"
_SKIPPED = "_bus_skipped"
_SKIPPED_MESSAGES = "_bus_skipped_messages"
_EPOCHS = "_bus_seek_epochs"
_BATCH_EPOCHS = "_bus_batch_epochs"
_REREAD = "_bus_reread"
_SEEKING = "_bus_seeking"
log = logging.getLogger(__name__)


def _epochs(consumer: Any) -> dict[TP, int]:
    epochs: dict[TP, int] = consumer.__dict__.setdefault(_EPOCHS, {})
    return epochs


def _moved(consumer: Any, partitions: Iterable[TP]) -> None:
    """Mark records fetched so far for ``partitions`` as stale; call right before seeking."""
    epochs = _epochs(consumer)
    for tp in partitions:
        epochs[tp] = epochs.get(tp, 0) + 1


async def _thread_seek_to_committed(self: Any) -> Mapping[TP, int]:
    """aiokafka's ``seek_to_committed``, with never-committed partitions at their beginning.

    Runs in the consumer's thread. Every offset is looked up before the first
    seek, so the epochs move in the same step as the positions (no fetch in
    between).
    """
    consumer = self._ensure_consumer()

    async def lookup() -> dict[TP, int]:
        committed: dict[TP, int] = {}
        for tp in consumer.assignment():
            committed[tp] = await consumer.committed(tp)
        uncommitted = [tp for tp, offset in committed.items() if not offset]
        if uncommitted:
            committed.update(await consumer.beginning_offsets(uncommitted))
        _moved(self.consumer, committed)
        for tp, offset in committed.items():
            consumer.seek(tp, offset)
        return committed

    result: Mapping[TP, int] = await self.call_thread(lookup)
    return result


def _moving(original: Callable[..., Any]) -> Callable[..., Any]:
    """A thread-side seek of one partition that bumps its epoch first."""

    def seek(self: Any, partition: TP, offset: int) -> Any:
        _moved(self.consumer, [partition])
        return original(self, partition, offset)

    return seek


def _moving_wait(original: Callable[..., Any]) -> Callable[..., Any]:
    """A thread-side seek of several partitions that bumps their epochs first."""

    async def seek_wait(self: Any, consumer: Any, partitions: Mapping[TP, int]) -> Any:
        _moved(self.consumer, partitions)  # the original seeks before its first await
        return await original(self, consumer, partitions)

    return seek_wait


def _holding_during_seek(original: Callable[..., Any]) -> Callable[..., Any]:
    """While every partition is being sought, records fetched before are not handed over."""

    async def perform_seek(self: Any) -> None:
        self.__dict__[_SEEKING] = dict(_epochs(self))
        try:
            await original(self)
            # Faust records the committed offset itself as read, so a first record past it
            # would not count as a hole (fix 4) and the committed one could go unseen.
            for tp, offset in list(self._read_offset.items()):
                if offset and offset == self._committed_offset.get(tp):
                    self._read_offset[tp] = offset - 1
        finally:
            self.__dict__[_SEEKING] = None

    return perform_seek


def _tagging_epochs(original: Callable[..., Any]) -> Callable[..., Any]:
    """Remember the epochs a batch was fetched under (in the thread, with the fetch)."""

    async def fetch_records(self: Any, consumer: Any, *args: Any, **kwargs: Any) -> Any:
        records = await original(self, consumer, *args, **kwargs)
        self.consumer.__dict__[_BATCH_EPOCHS] = dict(_epochs(self.consumer))
        return records

    return fetch_records


def _skipped(consumer: Any, tp: TP) -> set[int]:
    offsets: set[int] = consumer.__dict__.setdefault(_SKIPPED, {}).setdefault(tp, set())
    return offsets


def _skipped_messages(consumer: Any) -> WeakSet[Any]:
    messages: WeakSet[Any] = consumer.__dict__.setdefault(_SKIPPED_MESSAGES, WeakSet())
    return messages


def _skipping(consumer: Any, message: Any) -> bool:
    """Whether this ack comes from a stream's skip path rather than after its agent's work.

    A stream skips while flow control is suspended or for an older generation,
    and acks at once; a stream that handed the event over has it as its task's
    current event (hand-acking agents set it before they ack).
    """
    app = consumer.app
    if app.flow_control.is_active() and message.generation_id == app.consumer_generation_id:
        return False
    event = faust_streams.current_event()
    return event is None or event.message is not message


def _noting_skips(original: Callable[..., bool]) -> Callable[..., bool]:
    """Mark a message one of its streams skipped, whichever stream acks it last."""

    def ack(self: Any, consumer: Any, n: int = 1) -> bool:
        if _skipping(consumer, self):
            _skipped_messages(consumer).add(self)
        return original(self, consumer, n)

    return ack


def _remember_skipped(original: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    """A message a stream skipped (or never tracked) is remembered, not acked."""

    def ack(self: Any, message: Any) -> bool:
        tp, offset = message.tp, message.offset
        skipped = not message.tracked or message in _skipped_messages(self)
        if skipped and self.app.topics.acks_enabled_for(message.topic):
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


async def _drain_messages(self: Any, fetcher: Any) -> None:  # pragma: no cover
    """Faust's fetch loop, without records fetched before a seek (3) or unread holes (4)."""
    callback = self.callback
    get_read_offset = self._read_offset.__getitem__
    set_read_offset = self._read_offset.__setitem__
    acks_enabled_for = self.app.topics.acks_enabled_for
    commit_every = self._commit_every
    consumer_stopped = self._stopped.is_set
    fetcher_stopped = fetcher._stopped.is_set
    epochs = _epochs(self)
    reread: dict[TP, int] = self.__dict__.setdefault(_REREAD, {})
    gate = gate_of(self.app)

    try:
        while not (consumer_stopped() or fetcher_stopped()):
            self.diag.set_flag(faust_consumer.CONSUMER_FETCHING)
            batch = self.getmany(timeout=1.0)
            await self.sleep(0)
            if not self.should_stop:
                handed = 0
                async for tp, message in batch:
                    fetched_under = self.__dict__.get(_BATCH_EPOCHS, {})
                    epoch = fetched_under.get(tp, 0)
                    if epochs.get(tp, 0) != epoch:
                        continue  # fetched before a seek moved the partition (fix 3)
                    seeking = self.__dict__.get(_SEEKING)
                    if seeking is not None and epoch <= seeking.get(tp, 0):
                        continue  # the seek under way will move it: this one is read again
                    handed += 1
                    if handed % 100 == 0:
                        await asyncio.sleep(0)
                    offset = message.offset
                    read = get_read_offset(tp)
                    if read is not None and offset < read:
                        continue
                    if offset < reread.get(tp, -1):  # fix 4 found what a hole hid
                        end = reread.pop(tp) - 1
                        log.warning(
                            "%s: offsets %d-%d had been skipped; read again", tp, offset, end
                        )
                    if read and offset - read > 1 and acks_enabled_for(message.topic):
                        if reread.get(tp) != offset:  # fix 4: read the hole again first
                            reread[tp] = offset
                            await self.seek_wait({tp: read + 1})
                            set_read_offset(tp, read)
                            continue
                        reread.pop(tp)  # the hole is real: transaction markers or compaction
                        await self._add_gap(tp, read + 1, offset)
                    if commit_every is not None and self._n_acked >= commit_every:
                        self._n_acked = 0
                        await self.commit()
                    if gate is not None and not gate.delivering:
                        await gate.delivery()  # an exactly-once commit drains what was handed over
                    await self.wait_first(callback(message), self.suspend_flow.wait())
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
    setattr(faust_tuples.Message, "ack", _noting_skips(faust_tuples.Message.ack))  # noqa: B010
    setattr(consumer_cls, "_new_offset", _hold_before_skipped(consumer_cls._new_offset))  # noqa: B010
    setattr(consumer_cls, "perform_seek", _holding_during_seek(consumer_cls.perform_seek))  # noqa: B010
    setattr(thread_cls, "seek", _moving(thread_cls.seek))  # noqa: B010
    setattr(thread_cls, "_seek_wait", _moving_wait(thread_cls._seek_wait))  # noqa: B010
    setattr(thread_cls, "_fetch_records", _tagging_epochs(thread_cls._fetch_records))  # noqa: B010
    setattr(consumer_cls, "_drain_messages", _drain_messages)  # noqa: B010
    setattr(faust_streams, "_CStreamIterator", None)  # noqa: B010
    setattr(consumer_cls, _APPLIED, True)
