"""The demo's connectors leg through a real worker: gateway in, webhook out, replies back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import pytest
import yaml

from bus.catalogue import load_catalogue
from bus.demo.connectors import run_connectors_leg
from bus.kafka.admin import ensure_topics
from bus.settings import Settings
from bus.supervise import Service

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def test_an_http_assistant_and_a_webhook_service_complete_a_service_request(
    settings_with_registry: Settings,
    start_worker: Callable[..., Service],
    unique_name: Callable[[str], str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    prefix = unique_name("leg")
    catalogue_path = tmp_path / "catalogue.yaml"
    catalogue_path.write_text(
        yaml.safe_dump(
            {
                "topics": {
                    "defaults": {"partitions": 2},
                    "assistant_events": f"{prefix}.assistant-events",
                    "service_updates": f"{prefix}.service-updates",
                    "dead_letters": f"{prefix}.deadletters",
                },
                "authorities": [
                    {
                        "code": code,
                        "name": name,
                        "inbox": f"{prefix}.inbox.{code}",
                        "assistant_topic": f"{prefix}.assistant.{code}",
                        "services": [service],
                        "intents": [intent],
                    }
                    for code, name, service, intent in [
                        ("police", "Police", "passport-application", "passport"),
                        ("tax-board", "Tax Board", "income-tax-return", "tax"),
                    ]
                ],
            }
        )
    )
    app_id = unique_name("leg-app")
    settings = settings_with_registry.model_copy(
        update={
            "catalogue": catalogue_path,
            "app_id": app_id,
            "dead_letter_topic": f"{prefix}.deadletters",
        }
    )
    catalogue = load_catalogue(catalogue_path)
    asyncio.run(ensure_topics(settings.bootstrap_servers, catalogue.topic_specs()))
    dead_letters = f"{prefix}.deadletters"
    start_worker(catalogue=str(catalogue_path), app_id=app_id, dead_letter_topic=dead_letters)

    with ExitStack() as started:
        code = run_connectors_leg(settings, catalogue, started, tmp_path / "leg")
    output = capsys.readouterr().out
    assert code == 0, output
    assert "agency service got 4 signed webhook calls" in output
    assert "ServiceRequestAccepted, ServiceRequestCompleted" in output
    assert "connectors: OK" in output
