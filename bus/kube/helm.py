"""The facts the Helm chart takes from the code instead of repeating them.

``deploy/helm/agency-bus/files/principals.json`` is this function's output
(``bus catalogue export --helm``; a test checks it is current): the worker
roles with their agents and app ids, and the principal each command runs as,
so the chart's Deployments run exactly what ``bus acl apply`` and the Strimzi
KafkaUsers grant.
"""

from __future__ import annotations

from typing import Any

from bus.security.principals import ASSISTANT, COMPONENTS, ROLES, worker_app_id
from bus.settings import Settings

HELM_FILE = "deploy/helm/agency-bus/files/principals.json"


def chart_principals(settings: Settings) -> dict[str, Any]:
    """Worker roles (agents, app id, principal) and the other commands' principals."""
    return {
        "generatedBy": "bus catalogue export --helm; do not edit",
        "workers": {
            role: {
                "agents": ",".join(agents),
                "appId": worker_app_id(role, settings),
                "principal": role,
            }
            for role, agents in ROLES.items()
        },
        "components": dict(COMPONENTS),
        "rasaBridge": ASSISTANT.replace("{code}", "%s"),
    }
