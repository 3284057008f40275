"""Settings of Faust's consumer that its App options cannot reach, applied by ``create_app``.

Faust builds its consumer with ``fetch_max_wait_ms=1500``. While the router
works through a batch, the fetch in flight often covers only idle partitions
(the service-update topic, the echo agent's heartbeats), so the broker holds
it for 1.5 s and the assistants' partitions that were just drained wait for
it: ``make bench`` measured p50 latencies of 0.1-1.6 s at 200 events/s
because of this. The worker uses the bus's short wait
(``bus.kafka.connection.FETCH_MAX_WAIT_MS``) like its other consumers.
"""

from __future__ import annotations

from typing import Any

from faust.transport.drivers import aiokafka as faust_aiokafka

from bus.kafka.connection import FETCH_MAX_WAIT_MS

_APPLIED = "_bus_fetch_wait"


def _with_short_fetch_wait(create: Any) -> Any:
    def create_worker_consumer(self: Any, transport: Any) -> Any:
        consumer = create(self, transport)
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS  # read when the consumer starts
        return consumer

    return create_worker_consumer


def apply() -> None:
    cls = faust_aiokafka.AIOKafkaConsumerThread
    if not getattr(cls, _APPLIED, False):
        create = cls._create_worker_consumer
        setattr(cls, "_create_worker_consumer", _with_short_fetch_wait(create))  # noqa: B010
        setattr(cls, _APPLIED, True)
