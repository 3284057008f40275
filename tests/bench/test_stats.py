"""Percentiles and medians of the bench, by the nearest-rank method."""

from __future__ import annotations

import pytest

from bench.stats import latency_summary, median, percentile, ratio


def test_percentile_takes_the_nearest_rank_without_interpolating() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0


def test_percentile_of_a_few_values_rounds_the_rank_up() -> None:
    assert percentile([10.0, 20.0, 30.0], 50) == 20.0
    assert percentile([10.0, 20.0, 30.0], 99) == 30.0
    assert percentile([7.0], 1) == 7.0


def test_percentile_refuses_no_values_and_out_of_range_q() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)
    with pytest.raises(ValueError, match="outside"):
        percentile([1.0], 0)


def test_latency_summary_is_in_milliseconds_from_unsorted_seconds() -> None:
    seconds = [0.004, 0.001, 0.003, 0.002, 0.100]
    summary = latency_summary(seconds)
    assert summary == pytest.approx({"p50": 3.0, "p95": 100.0, "p99": 100.0, "max": 100.0})


def test_median_of_runs_and_missing_runs() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([1.0, 2.0]) == 1.5
    assert median([]) is None


def test_ratio_is_bus_over_baseline_and_none_when_undefined() -> None:
    assert ratio(50.0, 200.0) == 0.25
    assert ratio(None, 1.0) is None
    assert ratio(1.0, None) is None
    assert ratio(1.0, 0.0) is None
