"""The aims issue 15 sets for the figures, in one place, printed beside the ratios."""

from __future__ import annotations

from bench.report import Aim

ROUTER_VS_PIPE = Aim(1.0)
"""Router throughput (one worker, at-least-once) at least the plain aiokafka pipe's."""
ROUTER_VS_CONFLUENT = Aim(0.5)
"""... and at least half the plain confluent-kafka pipe's."""
EXACTLY_ONCE = Aim(0.8)
"""The router under exactly-once at least 0.8x itself under at-least-once."""
AUDIT = Aim(0.85)
"""The router with the auditor beside it at least 0.85x the router alone."""
SCALING = Aim(1.5)
"""Two workers route at least 1.5x what one does."""
SOAK = Aim(1.10, at_most=True)
"""The worker's memory after all the soak's events at most 1.10x that after a fifth."""
AIMED_RATE = 1000.0
"""The offered load (events/s) the latency aims are set at."""
P99_MS = Aim(20.0, at_most=True, of_value=True)
"""p99 at ``AIMED_RATE`` under at-least-once."""
EXACTLY_ONCE_P99_EXTRA_MS = 30.0
"""p99 at ``AIMED_RATE`` under exactly-once: at most the commit interval plus this."""


def exactly_once_p99(commit_interval_s: float) -> Aim:
    return Aim(commit_interval_s * 1000 + EXACTLY_ONCE_P99_EXTRA_MS, at_most=True, of_value=True)


PRIVACY_RECALL = Aim(1.0, of_value=True)
"""The scrubber finds every check-digit-valid identifier of the corpus."""
PRIVACY_PRECISION = Aim(0.99, of_value=True)
"""... and at most 1 in 100 of its finds is not one."""
