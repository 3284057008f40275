"""The issue's aims beside the figures."""

from __future__ import annotations

from bench import aims
from bench.report import Row


def test_the_exactly_once_latency_aim_follows_the_commit_interval() -> None:
    assert aims.exactly_once_p99(0.1).target == 130.0
    assert aims.exactly_once_p99(0.5).target == 530.0
    assert aims.exactly_once_p99(0.1).text("ms") == "<= 130.0 ms"


def test_ratio_aims_read_as_the_issue_states_them() -> None:
    assert aims.ROUTER_VS_PIPE.text("events/s") == ">= 1.00x"
    assert aims.ROUTER_VS_CONFLUENT.text("events/s") == ">= 0.50x"
    assert aims.P99_MS.text("ms") == "<= 20.0 ms"
    assert aims.EXACTLY_ONCE.text("events/s") == ">= 0.80x"
    assert aims.AUDIT.text("events/s") == ">= 0.85x"
    assert aims.SCALING.text("events/s") == ">= 1.50x"
    assert aims.SOAK.text("MiB") == "<= 1.10x"


def test_memory_that_grows_a_fifth_misses_the_soak_aim() -> None:
    grown = Row("soak memory (RSS)", "MiB", "after 1,000,000", "after 200,000", [240.0], [200.0])
    steady = Row("soak memory (RSS)", "MiB", "after 1,000,000", "after 200,000", [210.0], [200.0])
    assert aims.SOAK.met(grown) is False
    assert aims.SOAK.met(steady) is True
