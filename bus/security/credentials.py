"""The principals' passwords, kept in one ``name=password`` file readable only by its owner.

``bus acl apply`` reads it, adds a random password for every principal that
has none yet and writes it back; operators hand each component its line
(as ``BUS_SASL_USERNAME`` / ``BUS_SASL_PASSWORD``).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from bus.errors import ConfigurationError


def read_passwords(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    found: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, password = line.partition("=")
        if not sep or not name.strip() or not password:
            raise ConfigurationError(f"{path}:{number}: expected name=password")
        found[name.strip()] = password
    return found


def with_new_passwords(known: dict[str, str], names: list[str]) -> dict[str, str]:
    """``known`` plus a fresh random password for each name missing from it."""
    return {**known, **{name: secrets.token_urlsafe(24) for name in names if name not in known}}


def write_passwords(path: Path, passwords: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("# Kafka SCRAM passwords of the bus's principals (bus acl apply)\n")
        out.writelines(f"{name}={password}\n" for name, password in sorted(passwords.items()))
