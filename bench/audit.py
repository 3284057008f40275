"""Audit overhead: router throughput with and without the auditor in the same worker.

The auditor is switched by a boolean ``Settings`` field whose name contains
``audit`` (so ``BUS_<FIELD>=true|false`` in the worker's environment), once
an auditor agent module exists in ``bus.app.agents``. Until then the row
says it is not available instead of showing a number.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import Any

from bus.settings import Settings

AGENT_MODULES = ("bus.app.agents.audit", "bus.app.agents.auditor")


def has_auditor() -> bool:
    return any(importlib.util.find_spec(name) for name in AGENT_MODULES)


def switch_field(annotations: Mapping[str, Any]) -> str | None:
    """The first boolean field whose name mentions audit, e.g. ``audit_enabled``."""
    for name, annotation in annotations.items():
        if "audit" in name and annotation is bool:
            return name
    return None


def auditor_switch() -> str | None:
    """The settings field that turns the auditor on and off, or None if there is no auditor."""
    if not has_auditor():
        return None
    return switch_field({name: f.annotation for name, f in Settings.model_fields.items()})


def why_unavailable() -> str:
    if not has_auditor():
        return (
            "this build has no auditor agent (bus/app/agents/audit.py); it is measured as soon "
            "as the audit work is merged"
        )
    return (
        "the auditor has no on/off switch in Settings (a bool field named *audit*, set as "
        "BUS_<FIELD>); add one so the bench can run the router with and without it"
    )
