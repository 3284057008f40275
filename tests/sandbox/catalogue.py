"""A test catalogue (``tests.audit.broker.write_catalogue``) with one sandbox for the tax board."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.audit.broker import write_catalogue


def with_sandbox(
    tmp_path: Path, prefix: str, *, sensitive: tuple[str, ...] = (), **box: Any
) -> tuple[Path, dict[str, Any]]:
    """The catalogue's path and its sandbox ``tax-v2`` (``box`` overrides its fields);
    ``sensitive``: intents the tax board escalates as sensitive."""
    path = write_catalogue(tmp_path, prefix)
    document = yaml.safe_load(path.read_text())
    if sensitive:
        document["authorities"][0]["escalation"] = {"sensitive_intents": list(sensitive)}
    sandbox = {
        "name": "tax-v2",
        "authority": "tax-board",
        "principal": "candidate-tax-v2",
        "ends": "2099-01-01T00:00:00Z",
        "input": f"{prefix}.sandbox.input",
        "answers": f"{prefix}.sandbox.answers",
        **box,
    }
    document["sandboxes"] = [sandbox]
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path, sandbox
