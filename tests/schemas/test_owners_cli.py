"""``bus schemas register|check|list`` against a real registry process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bus.settings import PROJECT_ROOT

pytestmark = pytest.mark.broker

GREETING = "gov.agencybus.conversation.Greeting"


def _bus(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bus.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
        check=False,
    )


@pytest.fixture
def own_registry(tmp_path: Path, bus_env: dict[str, str], unique_name) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A registry process on a fresh topic, and a private copy of the contracts."""
    from bus.kafka.local import free_port
    from bus.supervise import http_ok, start_bus

    port = free_port()
    env = {**bus_env, "BUS_REGISTRY_TOPIC": unique_name("_schemas")}
    registry = start_bus("registry", ["registry", "serve", "--port", str(port)], env, tmp_path)
    registry.wait_until(http_ok(f"http://127.0.0.1:{port}/subjects"))
    shutil.copytree(PROJECT_ROOT / "schemas", tmp_path / "schemas")
    yield {
        **env,
        "BUS_SCHEMA_REGISTRY_URL": f"http://127.0.0.1:{port}",
        "BUS_SCHEMAS_DIR": str(tmp_path / "schemas"),
    }
    registry.stop()


def _edit_greeting(schemas: Path, field: dict[str, object]) -> None:
    path = schemas / "conversation" / "greeting.avsc"
    schema = json.loads(path.read_text())
    schema["fields"].append(field)
    path.write_text(json.dumps(schema))


def test_check_register_list_and_an_incompatible_change_fails_check(
    own_registry: dict[str, str],
) -> None:
    before = _bus(own_registry, "schemas", "check")
    assert before.returncode == 0, before.stderr
    assert f"new          {GREETING}" in before.stdout

    registered = _bus(own_registry, "schemas", "register")
    assert registered.returncode == 0, registered.stderr
    assert GREETING in registered.stdout and " v1" in registered.stdout

    listed = _bus(own_registry, "schemas", "list")
    assert GREETING in listed.stdout and "latest v1" in listed.stdout

    schemas = Path(own_registry["BUS_SCHEMAS_DIR"])
    _edit_greeting(
        schemas,
        {"name": "mood", "type": ["null", "string"], "default": None, "doc": "optional: fine"},
    )
    compatible = _bus(own_registry, "schemas", "check")
    assert compatible.returncode == 0
    assert f"compatible   {GREETING}" in compatible.stdout

    _edit_greeting(schemas, {"name": "channel", "type": "string", "doc": "required: breaks"})
    incompatible = _bus(own_registry, "schemas", "check")
    assert incompatible.returncode == 1
    assert f"incompatible {GREETING}" in incompatible.stdout
    assert "channel" in incompatible.stdout
