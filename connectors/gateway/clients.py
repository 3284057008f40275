"""The assistants allowed to call the gateway, read from a YAML file named by the settings.

```yaml
clients:
  - name: tax-bot                 # shown in logs; the X-Bus-Client header of signed requests
    authority: tax-board          # the catalogue authority whose assistant this is
    api_keys: ["${TAX_BOT_KEY}"]  # Authorization: Bearer <key>; several allow rotation
    hmac_secret: ${TAX_BOT_HMAC}  # or sign each request (X-Bus-Timestamp, X-Bus-Signature)
    rate_limit: {per_second: 20, burst: 40}  # optional; over it: 429 with Retry-After
```
"""

from __future__ import annotations

import hmac
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bus.catalogue import Catalogue
from bus.errors import ConfigurationError
from connectors.base.secrets import resolve_secret
from connectors.base.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from connectors.gateway.ratelimit import RateLimit

CLIENT_HEADER = "X-Bus-Client"


class _RateLimitEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    per_second: float = Field(gt=0)
    burst: int | None = Field(None, ge=1, description="default: per_second, at least 1")


class _ClientEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    authority: str = Field(min_length=1)
    api_keys: tuple[str, ...] = ()
    hmac_secret: str | None = None
    rate_limit: _RateLimitEntry | None = None


class _ClientsFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    clients: tuple[_ClientEntry, ...]


@dataclass(frozen=True)
class GatewayClient:
    """An assistant known to the gateway, with its secrets resolved."""

    name: str
    authority: str
    api_keys: tuple[str, ...] = ()
    hmac_secret: str | None = None
    rate_limit: RateLimit | None = None

    @property
    def source(self) -> str:
        """The ``header.source`` of its events; the router reads the authority from it."""
        return f"assistant:{self.authority}"

    def __repr__(self) -> str:  # never print secrets
        return f"GatewayClient(name={self.name!r}, authority={self.authority!r})"


def load_clients(
    path: Path, catalogue: Catalogue, environ: Mapping[str, str] | None = None
) -> list[GatewayClient]:
    """Read and check the clients file; every client's authority must be in the catalogue."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        entries = _ClientsFile.model_validate(document).clients
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigurationError(f"{path}: not a valid gateway clients file: {exc}") from exc
    clients = []
    for entry in entries:
        where = f"{path}: client {entry.name!r}"
        if catalogue.authority(entry.authority) is None:
            raise ConfigurationError(
                f"{where}: authority {entry.authority!r} is not in the catalogue"
            )
        if not entry.api_keys and entry.hmac_secret is None:
            raise ConfigurationError(f"{where}: give it api_keys or an hmac_secret")
        keys = tuple(resolve_secret(key, where, environ) for key in entry.api_keys)
        secret = (
            None if entry.hmac_secret is None else resolve_secret(entry.hmac_secret, where, environ)
        )
        clients.append(GatewayClient(entry.name, entry.authority, keys, secret, _rate_limit(entry)))
    if len({c.name for c in clients}) != len(clients):
        raise ConfigurationError(f"{path}: client names must be unique")
    return clients


def _rate_limit(entry: _ClientEntry) -> RateLimit | None:
    given = entry.rate_limit
    if given is None:
        return None
    burst = given.burst if given.burst is not None else max(1, math.ceil(given.per_second))
    return RateLimit(given.per_second, burst)


class Authenticator:
    """Finds the client behind a request by its API key or its HMAC signature."""

    def __init__(self, clients: list[GatewayClient], tolerance_s: int = 300) -> None:
        self._clients = clients
        self._by_name = {client.name: client for client in clients}
        self._tolerance_s = tolerance_s

    def authenticate(self, headers: Mapping[str, str], body: bytes) -> GatewayClient | None:
        authorization = headers.get("Authorization", "")
        if authorization.startswith("Bearer "):
            return self._by_key(authorization.removeprefix("Bearer ").strip())
        client = self._by_name.get(headers.get(CLIENT_HEADER, ""))
        if client is None or client.hmac_secret is None:
            return None
        signed = verify(
            client.hmac_secret,
            headers.get(TIMESTAMP_HEADER),
            headers.get(SIGNATURE_HEADER),
            body,
            tolerance_s=self._tolerance_s,
        )
        return client if signed else None

    def _by_key(self, key: str) -> GatewayClient | None:
        found = None
        for client in self._clients:  # compare with every key, so timing tells nothing
            for known in client.api_keys:
                if hmac.compare_digest(known.encode(), key.encode()):
                    found = client
        return found
