"""One signed POST, retried with exponential backoff and jitter while retrying can help.

5xx answers, 408, 429, timeouts and connection errors are retried; any other
answer below 200 or from 300 up is the endpoint refusing the event, and
retrying would only repeat the refusal.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp

from connectors.base.metrics import WEBHOOK_ATTEMPTS
from connectors.base.signing import signed_headers

log = logging.getLogger(__name__)
RETRIABLE_STATUS = {408, 429}
EVENT_ID_HEADER = "X-Bus-Event-Id"
ATTEMPT_HEADER = "X-Bus-Delivery-Attempt"


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    backoff_s: float = 0.5
    backoff_max_s: float = 30.0
    timeout_s: float = 10.0

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Before attempt ``attempt + 1``: doubling from ``backoff_s``, capped, jittered 50-100%."""
        ceiling = min(self.backoff_max_s, self.backoff_s * 2.0 ** (attempt - 1))
        return float(ceiling) * (0.5 + 0.5 * rand())


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    attempts: int
    error: str = ""
    permanent: bool = False
    """The endpoint refused the event (a 4xx): dead-lettered without further attempts."""


async def post_with_retries(
    session: aiohttp.ClientSession,
    url: str,
    secret: str,
    body: bytes,
    event_id: str,
    policy: RetryPolicy,
    content_type: str = "application/cloudevents+json",
    authority: str = "",
) -> Outcome:
    """POST until a 2xx, a refusal or the last attempt; each attempt signed afresh."""
    error = ""
    for attempt in range(1, policy.max_attempts + 1):
        headers = {
            "Content-Type": content_type,
            EVENT_ID_HEADER: event_id,
            ATTEMPT_HEADER: str(attempt),
            **signed_headers(secret, body),
        }
        try:
            timeout = aiohttp.ClientTimeout(total=policy.timeout_s)
            async with session.post(url, data=body, headers=headers, timeout=timeout) as answer:
                status = answer.status
                text = (await answer.text(errors="replace"))[:500]
        except (TimeoutError, aiohttp.ClientError) as exc:
            error = f"attempt {attempt}: {type(exc).__name__}: {exc or 'timed out'}"
        else:
            if 200 <= status < 300:
                WEBHOOK_ATTEMPTS.labels(authority, "delivered").inc()
                return Outcome(True, attempt)
            error = f"attempt {attempt}: HTTP {status}: {text}"
            if status < 500 and status not in RETRIABLE_STATUS:
                WEBHOOK_ATTEMPTS.labels(authority, "refused").inc()
                return Outcome(False, attempt, error, permanent=True)
        WEBHOOK_ATTEMPTS.labels(authority, "failed").inc()
        if attempt < policy.max_attempts:
            delay = policy.delay(attempt)
            log.info(
                "webhook %s for event %s failed (%s); retrying in %.2fs",
                url,
                event_id,
                error,
                delay,
            )
            await asyncio.sleep(delay)
    return Outcome(False, policy.max_attempts, error)
