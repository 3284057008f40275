"""The second baseline: the plain pipe on confluent-kafka (librdkafka), the worker's client.

It does what ``bench.pipe`` does, on the library the worker now uses: reads
a topic in a consumer group a batch at a time, sends every record (key,
value, headers) unchanged to one topic with the worker's producer settings
(``acks=all``, idempotent, 5 ms linger), flushes, then commits the batch's
offsets, so it loses nothing. The gap between it and the router is the
bus's own work; the gap between it and ``bench.pipe`` is the client's.
"""

from __future__ import annotations

import signal
from types import FrameType
from typing import Any

from confluent_kafka import Consumer, KafkaException, Producer

from bench.pipe import READY, arguments

BATCH = 2000
POLL_S = 0.2


def pipe(bootstrap_servers: str, source: str, sink: str, group: str) -> None:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": group,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "fetch.wait.max.ms": 50,  # as the worker's consumer
        }
    )
    producer = Producer(
        {
            "bootstrap.servers": bootstrap_servers,
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 5,
            "batch.size": 256 * 1024,
            "partitioner": "murmur2_random",
        }
    )
    stopping: list[int] = []
    failed: list[Any] = []

    def delivered(error: Any, message: Any) -> None:
        if error is not None:
            failed.append(error)

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.append(signum)

    def assigned(consumer: Any, partitions: list[Any]) -> None:
        print(READY, flush=True)  # after the first assignment: the pipe reads from now on

    signal.signal(signal.SIGTERM, stop)
    consumer.subscribe([source], on_assign=assigned)
    try:
        while not stopping:
            messages = consumer.consume(BATCH, POLL_S)
            for message in messages:
                if message.error() is not None:
                    raise KafkaException(message.error())
                _send(producer, sink, message, delivered)
            if messages:
                if producer.flush(30) or failed:
                    raise KafkaException(failed[0] if failed else "records not acknowledged")
                consumer.commit(asynchronous=False)
    finally:
        consumer.close()
        producer.flush(30)


def _send(producer: Producer, sink: str, message: Any, delivered: Any) -> None:
    """Like the worker's producer: one delivery report per record, errors kept."""
    headers = message.headers() or []
    while True:
        try:
            producer.produce(
                sink, message.value(), message.key(), headers=headers, on_delivery=delivered
            )
            return
        except BufferError:  # the local queue is full: let deliveries drain it
            producer.poll(0.05)


def main() -> None:
    args = arguments(__doc__)
    pipe(args.bootstrap_servers, args.source, args.sink, args.group)


if __name__ == "__main__":
    main()
