"""Secrets in configuration files are written as ``${VARIABLE}`` and read from the environment."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from bus.errors import ConfigurationError

_REFERENCE = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


def resolve_secret(value: str, where: str, environ: Mapping[str, str] | None = None) -> str:
    """The secret itself: the named variable's value for ``${NAME}``, else ``value`` as written.

    A file in version control should only ever hold the ``${NAME}`` form.
    """
    match = _REFERENCE.match(value.strip())
    if match is None:
        return value
    env = os.environ if environ is None else environ
    name = match.group(1)
    secret = env.get(name)
    if not secret:
        raise ConfigurationError(f"{where} reads its secret from ${{{name}}}, which is not set")
    return secret
