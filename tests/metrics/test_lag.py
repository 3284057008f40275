"""Consumer lag from log ends and positions, and gauges for revoked partitions removed."""

from __future__ import annotations

import uuid

from prometheus_client import REGISTRY

from bus.metrics.lag import LagSampler, lags


def _gauge(topic: str, partition: int) -> float | None:
    labels = {"topic": topic, "partition": str(partition)}
    return REGISTRY.get_sample_value("bus_consumer_lag_messages", labels)


def test_lag_is_log_end_minus_next_offset_and_never_negative() -> None:
    ends = {("t", 0): 10, ("t", 1): 5, ("t", 2): None, ("t", 3): 7}
    positions = {("t", 0): 4, ("t", 1): 6, ("t", 2): 1}
    assert lags(ends, positions) == {("t", 0): 6, ("t", 1): 0}


def test_partitions_no_longer_assigned_disappear_from_the_gauge() -> None:
    topic = f"lag-{uuid.uuid4().hex[:8]}"
    sampler = LagSampler(consumer=None, interval_s=1.0)
    sampler.show({(topic, 0): 3, (topic, 1): 0})
    assert _gauge(topic, 0) == 3
    assert _gauge(topic, 1) == 0
    sampler.show({(topic, 1): 2})
    assert _gauge(topic, 0) is None
    assert _gauge(topic, 1) == 2


def test_an_idle_partition_shows_its_lag_from_its_committed_offset_or_log_start() -> None:
    from confluent_kafka import TopicPartition

    topic = f"lag-{uuid.uuid4().hex[:8]}"

    class Quiet:
        """A consumer that has delivered nothing: positions unknown, log from 5 to 9."""

        def assignment(self) -> list[TopicPartition]:
            return [TopicPartition(topic, 0), TopicPartition(topic, 1)]

        def get_watermark_offsets(self, tp: TopicPartition, cached: bool) -> tuple[int, int]:
            return 5, 9

        def position(self, partitions: list[TopicPartition]) -> list[TopicPartition]:
            return [TopicPartition(tp.topic, tp.partition, -1001) for tp in partitions]

    sampler = LagSampler(Quiet(), interval_s=1.0)
    sampler.starting({(topic, 0): 7, (topic, 1): -1001})
    sampler.sample({})
    assert _gauge(topic, 0) == 2  # from the committed offset
    assert _gauge(topic, 1) == 4  # nothing committed: from the log start
