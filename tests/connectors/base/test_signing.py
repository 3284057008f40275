"""HMAC signatures over timestamp and body."""

from __future__ import annotations

from connectors.base.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, signed_headers, verify


def test_a_signature_verifies_only_with_its_secret_body_and_timestamp() -> None:
    headers = signed_headers("s3cret", b'{"a": 1}', now=1_700_000_000)
    stamp, signature = headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER]
    assert signature.startswith("sha256=")
    assert verify("s3cret", stamp, signature, b'{"a": 1}', now=1_700_000_010)
    assert not verify("other", stamp, signature, b'{"a": 1}', now=1_700_000_010)
    assert not verify("s3cret", stamp, signature, b'{"a": 2}', now=1_700_000_010)
    assert not verify("s3cret", "1700000001", signature, b'{"a": 1}', now=1_700_000_010)


def test_an_old_or_missing_timestamp_is_refused_so_captured_requests_cannot_be_replayed() -> None:
    signature = sign("s3cret", 1_700_000_000, b"body")
    assert not verify("s3cret", "1700000000", signature, b"body", now=1_700_000_301)
    assert not verify("s3cret", None, signature, b"body", now=1_700_000_000)
    assert not verify("s3cret", "soon", signature, b"body", now=1_700_000_000)
