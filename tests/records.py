"""Reading what landed on a topic, as the broker tests check it."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer

READ_TIMEOUT_S = 30.0


async def read_records(
    bootstrap: str, topic: str, count: int, timeout_s: float = READ_TIMEOUT_S
) -> list[Any]:
    """At least ``count`` records of ``topic`` from its start, by partition and offset, without
    a group; fails naming how many came if fewer arrive within ``timeout_s``."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    records: list[Any] = []
    await consumer.start()
    try:
        async with asyncio.timeout(timeout_s):
            while len(records) < count:
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    records.extend(batch)
    except TimeoutError:
        raise AssertionError(
            f"{topic}: {len(records)} of {count} records in {timeout_s}s"
        ) from None
    finally:
        await consumer.stop()
    return sorted(records, key=lambda record: (record.partition, record.offset))
