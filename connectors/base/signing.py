"""HMAC-SHA256 signatures over a timestamp and a body, as webhook providers use them.

The signed message is ``<timestamp>.<body>``, so a captured request cannot be
replayed later with a fresh timestamp.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Bus-Signature"
TIMESTAMP_HEADER = "X-Bus-Timestamp"
SCHEME = "sha256="
DEFAULT_TOLERANCE_S = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The value of the signature header: ``sha256=<hex>``."""
    message = str(timestamp).encode() + b"." + body
    return SCHEME + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """Timestamp and signature headers for ``body``, signed now."""
    timestamp = int(time.time() if now is None else now)
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, timestamp, body)}


def verify(
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    *,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
    now: float | None = None,
) -> bool:
    """Whether ``signature`` signs ``body`` at ``timestamp``, which is within the tolerance."""
    if not timestamp or not signature or not timestamp.isdigit():
        return False
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)
