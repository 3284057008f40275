"""Per-client token buckets, on a clock the test moves."""

from __future__ import annotations

from connectors.gateway.ratelimit import RateLimit, RateLimiter


def test_a_burst_passes_then_a_request_per_interval_and_the_wait_is_in_whole_seconds() -> None:
    now = [0.0]
    limiter = RateLimiter({"bot": RateLimit(per_second=0.5, burst=2)}, clock=lambda: now[0])
    assert [limiter.retry_after("bot") for _ in range(3)] == [None, None, 2]
    now[0] = 1.0
    assert limiter.retry_after("bot") == 1  # half a token back; a refusal takes none
    now[0] = 2.0
    assert limiter.retry_after("bot") is None
    now[0] = 100.0
    assert [limiter.retry_after("bot") for _ in range(3)] == [None, None, 2]  # never over burst


def test_a_client_without_a_limit_always_passes() -> None:
    limiter = RateLimiter({"bot": RateLimit(per_second=1, burst=1)}, clock=lambda: 0.0)
    assert all(limiter.retry_after("other") is None for _ in range(1000))
