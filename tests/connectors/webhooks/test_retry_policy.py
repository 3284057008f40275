"""Backoff doubles from the first delay up to the cap, with jitter."""

from __future__ import annotations

from connectors.webhooks import RetryPolicy


def test_the_delay_doubles_is_capped_and_jitter_keeps_it_between_half_and_all() -> None:
    policy = RetryPolicy(backoff_s=0.5, backoff_max_s=3.0)
    assert [policy.delay(n, rand=lambda: 1.0) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert policy.delay(3, rand=lambda: 0.0) == 1.0
