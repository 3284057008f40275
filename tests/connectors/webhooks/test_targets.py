"""Webhook targets come from the catalogue, with their secrets from the environment."""

from __future__ import annotations

import pytest

from bus.catalogue import Catalogue
from bus.errors import ConfigurationError
from connectors.webhooks import targets_from_catalogue


def catalogue(**police: str) -> Catalogue:
    return Catalogue.model_validate(
        {
            "authorities": {
                "police": {"code": "police", "name": "Police", **police},
                "tax-board": {"code": "tax-board", "name": "Tax"},
            }
        }
    )


def test_only_authorities_with_a_webhook_are_targets_and_their_secret_is_resolved() -> None:
    found = targets_from_catalogue(
        catalogue(webhook="https://police.example/hook", webhook_secret="${POLICE_HOOK}"),
        {"POLICE_HOOK": "s-1"},
    )
    assert [(t.authority, t.inbox, t.url, t.secret) for t in found] == [
        ("police", "bus.inbox.police", "https://police.example/hook", "s-1")
    ]
    assert "s-1" not in repr(found)


def test_a_webhook_without_a_secret_is_refused_with_the_variable_to_set() -> None:
    with pytest.raises(ConfigurationError, match="BUS_WEBHOOK_SECRET_POLICE"):
        targets_from_catalogue(catalogue(webhook="https://police.example/hook"), {})
