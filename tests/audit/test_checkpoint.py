"""Checkpoint keys: every accepted form loads, the public half verifies, others do not."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bus.audit.checkpoint import (
    CheckpointSigner,
    CheckpointVerifier,
    load_private_key,
    load_public_key,
    private_pem,
    public_pem,
    signing_key,
    verify_key,
)
from bus.errors import ConfigurationError
from bus.settings import Settings

from .chains import T0


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def test_a_signed_checkpoint_verifies_and_any_changed_field_does_not() -> None:
    key = Ed25519PrivateKey.generate()
    checkpoint = CheckpointSigner(key).sign(2, 41, b"h" * 32, T0)
    verifier = CheckpointVerifier(key.public_key())
    assert verifier.problem(checkpoint) is None
    for field, value in (("offset", 42), ("partition", 3), ("head_hash", b"g" * 32)):
        assert verifier.problem({**checkpoint, field: value}) is not None, field


def test_the_private_key_loads_from_pem_hex_base64_or_a_file(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    path = tmp_path / "signing.pem"
    path.write_text(private_pem(key))
    forms = [private_pem(key), _raw(key).hex(), base64.b64encode(_raw(key)).decode(), str(path)]
    for form in forms:
        assert _raw(load_private_key(form)) == _raw(key)
    public = key.public_key()
    for form in (public_pem(public), str(path)):
        assert CheckpointVerifier(load_public_key(form)).key_id == CheckpointVerifier(public).key_id


def test_a_key_that_is_not_ed25519_is_refused_with_the_setting_to_fix() -> None:
    with pytest.raises(ConfigurationError, match="BUS_AUDIT_SIGNING_KEY"):
        load_private_key("not a key")


def test_without_settings_a_key_pair_is_generated_once_and_its_public_half_verifies(
    tmp_path: Path,
) -> None:
    settings = Settings(home=tmp_path)
    key = signing_key(settings)
    assert _raw(signing_key(settings)) == _raw(key)
    public_file = tmp_path / "audit" / "checkpoint-verify-key.pem"
    checkpoint = CheckpointSigner(key).sign(0, 1, b"h" * 32, T0)
    assert CheckpointVerifier(load_public_key(str(public_file))).problem(checkpoint) is None
    assert CheckpointVerifier(verify_key(settings)).problem(checkpoint) is None
