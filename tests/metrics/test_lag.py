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
