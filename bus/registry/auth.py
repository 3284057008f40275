"""Who may use the registry's API: HTTP Basic, as Confluent's registry does, and two roles.

The users file (``BUS_REGISTRY_USERS``, YAML) holds each user's name, role and
scrypt hash of the password; ``bus registry add-user`` writes it. A
``read-only`` user may read and look up schemas and test compatibility; a
``read-write`` user may also register and delete schemas and change the
compatibility levels. The health and metrics endpoints stay open for probes
and scrapers. The file is read again when it changes, so adding a user needs
no restart.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import os
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast, get_args

import yaml
from aiohttp import web

from bus.errors import ConfigurationError

Role = Literal["read-only", "read-write"]
ROLES: tuple[str, ...] = get_args(Role)
REALM = "agency-bus schema registry"
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
READING_POSTS = frozenset(
    {"/subjects/{subject}", "/compatibility/subjects/{subject}/versions/{version}"}
)
"""POSTs that only read: a schema lookup and a compatibility test (Confluent's read permission)."""
UNAUTHORIZED = 40101
FORBIDDEN = 40301
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_CACHE_SIZE = 1024


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    password_hash: str

    @property
    def may_write(self) -> bool:
        return self.role == "read-write"


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$hash`` (base64 parts): the hash kept in the users file."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    n, r, p = _SCRYPT["n"], _SCRYPT["r"], _SCRYPT["p"]
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest, validate=True)
        found = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt, validate=True),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(found, expected)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def load_users(path: Path) -> dict[str, User]:
    """The users of a users file; a wrong entry is a ConfigurationError naming it."""
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"cannot read the registry's users file {path}: {exc}") from exc
    entries = document.get("users") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ConfigurationError(f"{path}: expected a 'users' list (bus registry add-user)")
    users: dict[str, User] = {}
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise ConfigurationError(f"{path}: user {number} is not a mapping")
        name, role, hashed = entry.get("name"), entry.get("role"), entry.get("password_hash")
        if not isinstance(name, str) or not name or ":" in name:
            raise ConfigurationError(f"{path}: user {number} needs a name without ':'")
        if role not in ROLES:
            raise ConfigurationError(f"{path}: user {name!r}: role must be one of {ROLES}")
        if not isinstance(hashed, str) or not hashed.startswith("scrypt$"):
            raise ConfigurationError(
                f"{path}: user {name!r}: password_hash must be an scrypt hash; "
                "write it with `bus registry add-user`"
            )
        users[name] = User(name, cast(Role, role), hashed)
    return users


def add_user(path: Path, name: str, role: str, password: str) -> bool:
    """Add the user, or replace its role and password; True if it is new. Mode 0600."""
    if role not in ROLES or not name or ":" in name:
        raise ConfigurationError(f"a user needs a name without ':' and a role of {ROLES}")
    users = load_users(path) if path.exists() else {}
    new = name not in users
    users[name] = User(name, cast(Role, role), hash_password(password))
    entries = [
        {"name": u.name, "role": u.role, "password_hash": u.password_hash} for u in users.values()
    ]
    text = "# the schema registry's users (bus registry add-user)\n" + yaml.safe_dump(
        {"users": entries}, sort_keys=False
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    return new


def needs_write(method: str, route: str) -> bool:
    """Whether a request changes the registry; an unknown one counts as a change."""
    if method in ("GET", "HEAD", "OPTIONS"):
        return False
    return not (method == "POST" and route in READING_POSTS)


class UserBook:
    """The users file, read again when it changes, and the credentials it accepted.

    scrypt is slow on purpose, so an accepted ``Authorization`` header is
    remembered (a few, until the file changes) rather than hashed on every call.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: int | None = None
        self._users: dict[str, User] = {}
        self._accepted: dict[str, User] = {}
        self._dummy = hash_password(secrets.token_urlsafe())

    def users(self) -> dict[str, User]:
        try:
            stamp = self.path.stat().st_mtime_ns
        except OSError as exc:
            raise ConfigurationError(f"the registry's users file {self.path}: {exc}") from exc
        if stamp != self._stamp:
            self._users, self._stamp = load_users(self.path), stamp
            self._accepted.clear()
        return self._users

    async def authenticate(self, header: str | None) -> User | None:
        """The user whose Basic credentials are in ``header``, or None."""
        if not header or not header.lower().startswith("basic "):
            return None
        users = self.users()
        if header in self._accepted:
            return self._accepted[header]
        try:
            name, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
        except (ValueError, binascii.Error):
            return None
        user = users.get(name)
        # an unknown name costs a hash too, so timing does not tell which names exist
        hashed = user.password_hash if user else self._dummy
        if not await asyncio.to_thread(verify_password, password, hashed) or user is None:
            return None
        if len(self._accepted) >= _CACHE_SIZE:
            self._accepted.clear()
        self._accepted[header] = user
        return user


def basic_auth(
    book: UserBook, reply: Callable[[Any, int], web.Response]
) -> Callable[..., Awaitable[web.StreamResponse]]:
    """Middleware: 401 with ``WWW-Authenticate: Basic`` without valid credentials, 403 for a
    read-only user's change; ``reply`` writes Confluent's ``{error_code, message}`` body."""

    @web.middleware
    async def middleware(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if request.path in OPEN_PATHS:
            return await handler(request)
        user = await book.authenticate(request.headers.get("Authorization"))
        if user is None:
            response = reply(
                {
                    "error_code": UNAUTHORIZED,
                    "message": "Unauthorized: give a registry user's name and password "
                    "(HTTP Basic)",
                },
                401,
            )
            response.headers["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
            return response
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else request.path
        if needs_write(request.method, route) and not user.may_write:
            return reply(
                {
                    "error_code": FORBIDDEN,
                    "message": f"Forbidden: user {user.name!r} is read-only and may not "
                    f"{request.method} {request.path}",
                },
                403,
            )
        return await handler(request)

    return middleware
