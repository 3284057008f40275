"""Keyed pseudonyms for the fields a contract marks ``"pii": true``.

HMAC-SHA256 of the value under a secret key: the same value gets the same
pseudonym in every field and event, so an auditor can follow one citizen
through the log, but cannot recover the value or test a guess without the key.
Map keys on a path are pseudonymised the same way, so no event data reaches
the audit record in clear.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from bus.errors import ConfigurationError
from bus.schemas.contracts import path_tokens
from bus.settings import Settings

PREFIX = "hmac:"
MIN_KEY_BYTES = 16


class Pseudonymizer:
    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ConfigurationError(
                f"the audit pseudonym key has {len(key)} bytes; use at least {MIN_KEY_BYTES} "
                "(e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)"
            )
        self._key = key

    def pseudonym(self, value: Any) -> str:
        """``hmac:`` and 32 hex digits (128 bits) of HMAC-SHA256 over the value."""
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
        mac = hmac.new(self._key, text.encode("utf-8"), hashlib.sha256).hexdigest()
        return PREFIX + mac[:32]

    def pseudonyms(self, data: Mapping[str, Any], pii_paths: Sequence[str]) -> dict[str, str]:
        """Pseudonym of every non-null personal-data value, by its concrete path.

        An array item's path is ``items[0]``; a map entry's is ``fields{hmac:...}``,
        the key's own pseudonym: a map key is event data (a name, an id code) like
        the value, and the path is copied into the audit record.
        """
        found: dict[str, str] = {}
        for path in pii_paths:
            for where, value in self._values(data, path_tokens(path), ""):
                for leaf, item in self._leaves(where, value):
                    found[leaf] = self.pseudonym(item)
        return found

    def _leaves(self, where: str, value: Any) -> Iterator[tuple[str, Any]]:
        """A marked map or array is pseudonymised entry by entry, so entries stay linkable."""
        if isinstance(value, dict):
            for key, item in value.items():
                yield from self._leaves(f"{where}{{{self.pseudonym(key)}}}", item)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                yield from self._leaves(f"{where}[{i}]", item)
        elif value is not None:
            yield where, value

    def _values(self, data: Any, tokens: list[str], where: str) -> Iterator[tuple[str, Any]]:
        if not tokens:
            yield where, data
            return
        token, rest = tokens[0], tokens[1:]
        if token == "[]":
            if isinstance(data, list):
                for i, item in enumerate(data):
                    yield from self._values(item, rest, f"{where}[{i}]")
        elif token == "{}":
            if isinstance(data, dict):
                for key, item in data.items():
                    yield from self._values(item, rest, f"{where}{{{self.pseudonym(key)}}}")
        elif isinstance(data, dict) and token in data:
            yield from self._values(data[token], rest, f"{where}.{token}" if where else token)


def pseudonym_key(settings: Settings) -> bytes:
    """The key from ``BUS_AUDIT_PSEUDONYM_KEY`` (hex, or text), else a generated one.

    A generated key is kept in ``<home>/audit/pseudonym.key`` (mode 0600) so
    pseudonyms stay stable across restarts; production sets the variable.
    """
    secret = settings.audit_pseudonym_key
    if secret is not None:
        text = secret.get_secret_value().strip()
        try:
            return bytes.fromhex(text)
        except ValueError:
            return text.encode("utf-8")
    path = settings.home / "audit" / "pseudonym.key"
    return bytes.fromhex(kept_secret(path, lambda: secrets.token_hex(32)).strip())


def kept_secret(path: Path, make: Callable[[], str]) -> str:
    """Read a secret file, creating it once if missing (0600, atomically, so racing
    processes all end up with the same secret)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(make())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    text = path.read_text()
    if not text.strip():
        raise ConfigurationError(f"{path} is empty; delete it or set the key in the environment")
    return text
