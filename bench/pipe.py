"""The baseline: a plain aiokafka consume -> produce pipe, as fast as Python goes.

It reads a topic in a consumer group, sends every record (key, value,
headers) unchanged to one topic with ``acks=all``, waits for the batch's
acknowledgements and commits, so it loses nothing, like the router. Run as
its own process (``python -m bench.pipe``) the way the router runs in a worker.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

READY = "pipe ready"


async def pipe(bootstrap_servers: str, source: str, sink: str, group: str) -> None:
    consumer = AIOKafkaConsumer(
        source,
        bootstrap_servers=bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers, acks="all", linger_ms=0, max_batch_size=262144
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await producer.start()
    await consumer.start()
    print(READY, flush=True)
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=200, max_records=2000)
            pending = [
                await producer.send(
                    sink, record.value, key=record.key, headers=list(record.headers)
                )
                for records in batches.values()
                for record in records
            ]
            if pending:
                await asyncio.gather(*pending)
                await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()


def arguments(description: str | None) -> argparse.Namespace:
    """The options every pipe process takes (``BenchEnv.start_pipe`` passes them)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--bootstrap-servers", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--sink", required=True)
    parser.add_argument("--group", required=True)
    return parser.parse_args()


def main() -> None:
    args = arguments(__doc__)
    asyncio.run(pipe(args.bootstrap_servers, args.source, args.sink, args.group))


if __name__ == "__main__":
    main()
