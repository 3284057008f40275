"""Signed checkpoints: an Ed25519 signature over a chain's head at one audit offset.

A checkpoint pins the chain up to that record: rewriting any earlier record, even
with every later hash recomputed, no longer matches a signed head. The public key
is all a verifier needs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bus.audit.pseudonym import kept_secret
from bus.audit.record import from_ms, to_ms
from bus.errors import ConfigurationError
from bus.settings import Settings

CHECKPOINT_DOMAIN = b"agencybus-audit-checkpoint-v1\x00"
_FIELDS = struct.Struct(">iq")


def signed_bytes(partition: int, offset: int, head_hash: bytes, signed_at_ms: int) -> bytes:
    """What a checkpoint's signature covers: partition, offset, head hash, time."""
    return (
        CHECKPOINT_DOMAIN
        + _FIELDS.pack(partition, offset)
        + head_hash
        + struct.pack(">q", signed_at_ms)
    )


def key_id(public: Ed25519PublicKey) -> str:
    """First 16 hex digits of SHA-256 over the raw public key."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


class CheckpointSigner:
    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.key_id = key_id(private.public_key())

    def signature(self, message: bytes) -> bytes:
        return self._private.sign(message)

    def sign(
        self, partition: int, offset: int, head_hash: bytes, signed_at: datetime
    ) -> dict[str, Any]:
        """An ``AuditCheckpoint`` record for the record at ``offset`` with ``head_hash``."""
        signed_at = from_ms(to_ms(signed_at))  # what Avro keeps: milliseconds
        message = signed_bytes(partition, offset, head_hash, to_ms(signed_at))
        return {
            "partition": partition,
            "offset": offset,
            "head_hash": head_hash,
            "signed_at": signed_at,
            "signature": self._private.sign(message),
            "key_id": self.key_id,
        }


class CheckpointVerifier:
    def __init__(self, public: Ed25519PublicKey) -> None:
        self._public = public
        self.key_id = key_id(public)

    def problem(self, checkpoint: Mapping[str, Any]) -> str | None:
        """Why the checkpoint's signature is not good, or None when it is."""
        message = signed_bytes(
            checkpoint["partition"],
            checkpoint["offset"],
            checkpoint["head_hash"],
            to_ms(checkpoint["signed_at"]),
        )
        return self.signature_problem(
            "checkpoint", checkpoint["key_id"], checkpoint["signature"], message
        )

    def signature_problem(
        self, what: str, signed_with: str, signature: bytes, message: bytes
    ) -> str | None:
        """Why ``signature`` over ``message`` is not this key's, or None when it is."""
        if signed_with != self.key_id:
            return f"{what} signed with key {signed_with!r}, but the verify key is {self.key_id!r}"
        try:
            self._public.verify(signature, message)
        except InvalidSignature:
            return f"{what} signature does not verify (forged or altered)"
        return None


def _material(spec: str) -> bytes:
    """A key given as a file path or as the value itself."""
    text = spec.strip()
    if "-----BEGIN" not in text and len(text) < 512:
        path = Path(text).expanduser()
        if path.is_file():
            return path.read_bytes()
    return text.encode()


def _raw32(data: bytes) -> bytes | None:
    text = data.strip().decode("ascii", "replace")
    for decode in (bytes.fromhex, base64.b64decode):
        try:
            raw = decode(text)
        except (ValueError, binascii.Error):
            continue
        if len(raw) == 32:
            return raw
    return None


def load_private_key(spec: str) -> Ed25519PrivateKey:
    data = _material(spec)
    if b"-----BEGIN" in data:
        key = serialization.load_pem_private_key(data, password=None)
        if isinstance(key, Ed25519PrivateKey):
            return key
        raise ConfigurationError("the audit signing key is a PEM key, but not an Ed25519 one")
    raw = _raw32(data)
    if raw is None:
        raise ConfigurationError(
            "the audit signing key is neither a file nor a PEM, hex or base64 Ed25519 key "
            "(set BUS_AUDIT_SIGNING_KEY)"
        )
    return Ed25519PrivateKey.from_private_bytes(raw)


def load_public_key(spec: str) -> Ed25519PublicKey:
    data = _material(spec)
    if b"PRIVATE KEY" in data:
        return load_private_key(spec).public_key()
    if b"-----BEGIN" in data:
        key = serialization.load_pem_public_key(data)
        if isinstance(key, Ed25519PublicKey):
            return key
        raise ConfigurationError("the audit verify key is a PEM key, but not an Ed25519 one")
    raw = _raw32(data)
    if raw is None:
        raise ConfigurationError(
            "the audit verify key is neither a file nor a PEM, hex or base64 Ed25519 public key "
            "(set BUS_AUDIT_VERIFY_KEY or pass --public-key)"
        )
    return Ed25519PublicKey.from_public_bytes(raw)


def private_pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    """``BUS_AUDIT_SIGNING_KEY``, else a key generated once in ``<home>/audit/``."""
    if settings.audit_signing_key:
        return load_private_key(settings.audit_signing_key)
    path = settings.home / "audit" / "checkpoint-signing-key.pem"
    key = load_private_key(kept_secret(path, lambda: private_pem(Ed25519PrivateKey.generate())))
    public = path.with_name("checkpoint-verify-key.pem")
    if not public.exists():
        public.write_text(public_pem(key.public_key()))
    return key


def verify_key(settings: Settings, given: str | None = None) -> Ed25519PublicKey:
    """The key checkpoints are verified with: given, set, or the signing key's public half."""
    spec = given or settings.audit_verify_key or settings.audit_signing_key
    if spec:
        return load_public_key(spec)
    kept = settings.home / "audit" / "checkpoint-verify-key.pem"
    if not kept.is_file():
        raise ConfigurationError(
            f"no key to verify checkpoints with: pass --public-key, set BUS_AUDIT_VERIFY_KEY, "
            f"or run where the worker kept its key ({kept})"
        )
    return load_public_key(str(kept))
