"""Medians and latency percentiles, by the nearest-rank method (no interpolation)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def median(samples: Sequence[float]) -> float | None:
    """The median of the runs, or None when no run produced a figure."""
    return statistics.median(samples) if samples else None


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0 < q <= 100) of ascending values, nearest rank."""
    if not sorted_values:
        raise ValueError("no values to take a percentile of")
    if not 0 < q <= 100:
        raise ValueError(f"percentile {q} is outside (0, 100]")
    rank = math.ceil(q / 100 * len(sorted_values))
    return sorted_values[rank - 1]


def latency_summary(latencies_s: Sequence[float]) -> dict[str, float]:
    """p50, p95, p99 and max in milliseconds."""
    ordered = sorted(latencies_s)
    summary = {f"p{q}": percentile(ordered, q) * 1000 for q in (50, 95, 99)}
    summary["max"] = ordered[-1] * 1000
    return summary


def ratio(bus: float | None, baseline: float | None) -> float | None:
    """bus / baseline, or None when either is missing or the baseline is zero."""
    if bus is None or baseline is None or baseline == 0:
        return None
    return bus / baseline
