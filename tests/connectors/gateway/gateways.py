"""A catalogue, clients and requests for the gateway tests (plain helpers, not fixtures)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bus.catalogue import Catalogue

NewTopic = Callable[..., Awaitable[str]]
KEY = "test-key-tax-bot"
SECRET = "test-hmac-police-bot"
SECRETS = {"GW_TEST_KEY": KEY, "GW_TEST_HMAC": SECRET}
CLIENTS = (
    "clients:\n"
    "  - {name: tax-bot, authority: tax-board, api_keys: ['${GW_TEST_KEY}']}\n"
    "  - {name: police-bot, authority: police, hmac_secret: '${GW_TEST_HMAC}'}\n"
)


def message(text: str = "Where is my refund?", **header: Any) -> dict[str, Any]:
    return {
        "header": {"conversation_id": "conv-1", **header},
        "message_id": "m-1",
        "author_role": "END_USER",
        "text": text,
    }


def bearer(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def catalogue_and_clients(
    new_topic: NewTopic, tmp_path: Path, clients_file: str = CLIENTS
) -> tuple[Catalogue, Path]:
    events = await new_topic("gw.assistant-events", 3)
    tax_assistant = await new_topic("gw.assistant.tax-board")
    police_assistant = await new_topic("gw.assistant.police")
    catalogue = Catalogue.model_validate(
        {
            "authorities": {
                "tax-board": {
                    "code": "tax-board",
                    "name": "Tax",
                    "assistant_topic": tax_assistant,
                },
                "police": {"code": "police", "name": "Police", "assistant_topic": police_assistant},
            },
            "topics": {"assistant_events": events},
        }
    )
    clients = tmp_path / "clients.yaml"
    clients.write_text(clients_file)
    return catalogue, clients
