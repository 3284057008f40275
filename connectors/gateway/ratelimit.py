"""Per-client rate limits: a token bucket per client name, from the clients file.

``burst`` requests may come at once; after that one more each ``1 / per_second``
seconds. A request over the limit is answered 429 with ``Retry-After``: the whole
seconds until the bucket holds a token again.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimit:
    per_second: float
    burst: int


class RateLimiter:
    """Takes one token per request from the client's bucket; clients without a limit pass."""

    def __init__(
        self, limits: Mapping[str, RateLimit], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limits = dict(limits)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # name -> (tokens, when)

    def retry_after(self, name: str) -> int | None:
        """None if the request may go ahead (its token is taken), else seconds to wait."""
        limit = self._limits.get(name)
        if limit is None:
            return None
        now = self._clock()
        tokens, then = self._buckets.get(name, (float(limit.burst), now))
        tokens = min(float(limit.burst), tokens + (now - then) * limit.per_second)
        if tokens >= 1.0:
            self._buckets[name] = (tokens - 1.0, now)
            return None
        self._buckets[name] = (tokens, now)
        return max(1, math.ceil((1.0 - tokens) / limit.per_second))
