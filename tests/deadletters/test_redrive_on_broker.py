"""Dead letters on the real broker: a router refuses a request, the catalogue is fixed, the
operator lists the letter and sends it back, and the request reaches its authority."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from bus.client import Publisher
from bus.deadletters.queue import REDRIVEN_FROM
from bus.schemas.event import new_event
from bus.settings import Settings
from bus.supervise import Service, run_bus
from tests.audit.broker import write_catalogue
from tests.records import read_records

pytestmark = [pytest.mark.broker, pytest.mark.slow]

SR = "gov.agencybus.servicerequest."


def _bus(settings: Settings, catalogue: Path, *args: str) -> str:
    env = {
        "BUS_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "BUS_SCHEMA_REGISTRY_URL": settings.schema_registry_url,
        "BUS_CATALOGUE": str(catalogue),
    }
    result = run_bus(*args, env=env)
    assert result.returncode == 0, f"bus {' '.join(args)}: {result.stderr}{result.stdout}"
    return result.stdout


async def test_a_letter_sent_back_after_the_fix_reaches_its_authority(
    settings_with_registry: Settings,
    start_worker: Callable[..., Service],
    tmp_path: Path,
    unique_name: Callable[[str], str],
) -> None:
    settings = settings_with_registry
    prefix = unique_name("dlq")
    catalogue = write_catalogue(tmp_path, prefix)
    app = unique_name("app")
    worker = start_worker("router", catalogue=str(catalogue), agents="router", app_id=app)
    await asyncio.to_thread(worker.wait_until, lambda: worker.logged("Worker ready"), 90)
    request, other = (
        new_event(
            SR + "ServiceRequestCreated",
            source="assistant:tax-board",
            conversation_id=conversation,
            request_id=f"r-{conversation}",
            service_code=service,
        )
        for conversation, service in (("c-1", "vehicle-tax"), ("c-2", "dog-licence"))
    )
    async with Publisher(settings) as publisher:
        await publisher.publish(f"{prefix}.assistant-events", request)
        await publisher.publish(f"{prefix}.assistant-events", other)
    await read_records(settings.bootstrap_servers, f"{prefix}.deadletters", 2, 90)
    worker.stop()

    listed = json.loads(
        _bus(
            settings,
            catalogue,
            "deadletters",
            "list",
            "--format",
            "json",
            "--topic",
            f"{prefix}.deadletters",
        )
    )
    assert sorted(item["reason"] for item in listed) == ["no-authority-for-service"] * 2
    assert {item["headers"]["ce_id"] for item in listed} == {request.id, other.id}
    shown = _bus(settings, catalogue, "deadletters", "list", "--last", "1")  # the catalogue's
    assert (
        len([row for row in shown.splitlines() if "router  no-authority-for-service" in row]) == 1
    )
    assert "2 dead letters:" in shown and f"2  {prefix}.assistant-events  no-authority" in shown

    document = yaml.safe_load(catalogue.read_text())
    document["authorities"][0]["services"].append("vehicle-tax")  # the fix
    catalogue.write_text(yaml.safe_dump(document, sort_keys=False))
    worker = start_worker("router-fixed", catalogue=str(catalogue), agents="router", app_id=app)
    await asyncio.to_thread(worker.wait_until, lambda: worker.logged("Worker ready"), 90)

    common = ("--topic", f"{prefix}.deadletters", "--reason", "no-authority-for-service")
    dry = _bus(settings, catalogue, "deadletters", "redrive", *common, "--dry-run")
    assert f"would send 2 to {prefix}.assistant-events" in dry
    sent = _bus(settings, catalogue, "deadletters", "redrive", *common)
    assert "sent 2 of 2" in sent
    (delivered,) = await read_records(
        settings.bootstrap_servers, f"{prefix}.inbox.tax-board", 1, 90
    )
    headers = dict(delivered.headers or [])
    assert headers["ce_id"].decode() == request.id
    assert headers[REDRIVEN_FROM].decode().startswith(f"{prefix}.deadletters:")
    # the request still unowned is refused again, so nothing is lost on the way
    letters = await read_records(settings.bootstrap_servers, f"{prefix}.deadletters", 3, 90)
    ids = [dict(letter.headers or [])["ce_id"].decode() for letter in letters]
    assert sorted(ids) == sorted([request.id, other.id, other.id])
    assert worker.running, worker.log_tail()
