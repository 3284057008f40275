"""Exactly-once: an event's outputs and state in the transaction that commits its offset.

Under ``processing_guarantee="exactly_once"`` Faust keeps one transactional
producer per source partition and commits a partition's offsets in that
partition's transaction. Two defects break the atomicity, and both were seen
in the router's kill-and-restart test (the exactly-once auditor and escalator
share them):

1. **Outputs join the wrong transaction.** Faust picks the transaction by the
   *output* record's partition, and only when the consumer happens to hold
   metadata for the output topic; otherwise the record goes out through the
   plain producer, outside every transaction. An audit record of an event read
   from partition 0 joined partition 2's transaction, and audit-trail records
   were not transactional at all: committed before the event's offset (seen
   twice after a restart), or left in a transaction whose partition had
   nothing to commit (aborted, so lost, when the worker died). Here a record
   sent while an agent handles an event joins the transaction of that event's
   source partition, as in Kafka Streams.
2. **State written after the commit.** A table write goes to Faust's producer
   buffer and is sent by a background task; at-least-once commits flush that
   buffer first, exactly-once commits do not. The changelog record of an event
   could so land in the next transaction and be aborted with it, while the
   event's offset and outputs were committed: the restarted worker recovered
   state that never saw the event. Here the buffer is drained before the
   transactions commit.

A stopping worker commits twice; offsets acked after the first commit, which
ended the transactions, are left for the next owner instead of failing the
stop with ``IllegalOperation``.

Changelog records keep Faust's choice of transaction: their partition is their
source partition's.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Mapping
from typing import Any

from faust import current_event
from faust.transport import consumer as faust_consumer
from faust.types import TP

_APPLIED = "_bus_transactions"
log = logging.getLogger(__name__)


def transactional_id(app: Any, source: TP) -> str:
    """The id under which Faust commits ``source``'s offsets (``TransactionManager.commit``)."""
    group = app.assignor.group_for_topic(source.topic)
    return f"{app.conf.id}-{group}-{source.partition}"


def _in_source_transaction(original: Any) -> Any:
    async def send(
        self: Any,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None,
        timestamp: float | None,
        headers: Any,
        **_: Any,
    ) -> Awaitable[Any]:
        event = current_event()
        if event is None or topic in self.app.tables.changelog_topics:
            sent: Awaitable[Any] = await original(
                self, topic, key, value, partition, timestamp, headers
            )
            return sent
        sent = await self.producer.send(
            topic,
            key,
            value,
            partition,  # None: the transactional producer partitions by key itself
            timestamp,
            headers,
            transactional_id=transactional_id(self.app, event.message.tp),
        )
        return sent

    return send


def _in_transaction(manager: Any, source: TP) -> bool:
    producer = manager.producer._transaction_producers.get(transactional_id(manager.app, source))
    return producer is not None and bool(producer._txn_manager.is_in_transaction())


def _after_buffered_writes(original: Any) -> Any:
    async def commit(self: Any, offsets: Mapping[TP, int], *args: Any, **kwargs: Any) -> bool:
        buffer = self.app.producer.buffer
        while buffer.size:  # ``flush`` gives up after 0.1 s without progress
            await buffer.flush()
        # A stopping worker commits twice, and the first commit ended the transactions.
        ended = [tp for tp in offsets if not _in_transaction(self, tp)]
        if ended:
            log.info("Not committing %s: their transactions have ended (read again)", ended)
            offsets = {tp: offset for tp, offset in offsets.items() if tp not in ended}
        if not offsets:
            return False
        committed: bool = await original(self, offsets, *args, **kwargs)
        return committed

    return commit


def apply() -> None:
    manager = faust_consumer.TransactionManager
    if getattr(manager, _APPLIED, False):
        return
    setattr(manager, "send", _in_source_transaction(manager.send))  # noqa: B010
    setattr(manager, "commit", _after_buffered_writes(manager.commit))  # noqa: B010
    setattr(manager, _APPLIED, True)
