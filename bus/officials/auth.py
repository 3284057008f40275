"""Who is calling: bearer tokens mapped to an official and an authority by configuration.

The officials file (``BUS_OFFICIALS``) keeps only each token's SHA-256, so the
file itself holds no secret; ``supervisor: true`` marks who sees the
authority's figures; ``bus officials token`` makes a token and its line.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bus.errors import ConfigurationError

EXAMPLE = "deploy/officials/officials.example.yaml"
"""An officials file to start from (in the project's folder), named in the errors."""


class Official(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    authority: str = Field(min_length=1)
    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    supervisor: bool = False
    """Sees the supervisor's figures of the authority (queue, officials, service levels)."""


class _File(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    officials: list[Official]


def _problems(exc: ValidationError) -> str:
    """Each problem on one line's worth: where in the file, and what."""
    found = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "the file"
        what = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
        found.append(f"{where}: {what}")
    return "; ".join(found)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh random token and the digest to put in the officials file."""
    token = secrets.token_urlsafe(32)
    return token, digest(token)


@dataclass(frozen=True)
class Directory:
    officials: tuple[Official, ...]

    @classmethod
    def load(cls, path: Path | None, authorities: set[str]) -> Directory:
        if path is None:
            raise ConfigurationError(
                "the officials' API needs the officials file (id, name, authority, token_sha256 "
                "each): --officials FILE or BUS_OFFICIALS"
            )
        where = f"officials file {path} (--officials or BUS_OFFICIALS)"
        try:
            parsed = _File.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigurationError(f"{where}: {exc}") from exc
        except ValidationError as exc:
            raise ConfigurationError(f"{where}: {_problems(exc)}; see {EXAMPLE}") from None
        for official in parsed.officials:
            if official.authority not in authorities:
                raise ConfigurationError(
                    f"officials file {path}: {official.id} works for {official.authority!r}, "
                    "which is not in the catalogue"
                )
        return cls(tuple(parsed.officials))

    def authenticate(self, authorization: str | None) -> Official | None:
        """The official whose token is in an ``Authorization: Bearer`` header, else None."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        given = digest(token.strip())
        found = None
        for official in self.officials:  # compare with all, in constant time each
            if hmac.compare_digest(given, official.token_sha256):
                found = official
        return found
