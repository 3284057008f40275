"""``bus schemas register|check|list`` against a real registry process."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bus.kafka.local import free_port
from bus.settings import PROJECT_ROOT
from bus.supervise import http_ok, run_bus, start_bus

pytestmark = pytest.mark.broker

GREETING = "gov.agencybus.conversation.Greeting"


@pytest.fixture
def own_registry(
    tmp_path: Path, bus_env: dict[str, str], unique_name: Callable[[str], str]
) -> Iterator[dict[str, str]]:
    """A registry process on a fresh topic, and a private copy of the contracts."""
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
    before = run_bus("schemas", "check", env=own_registry)
    assert before.returncode == 0, before.stderr
    assert f"new          {GREETING}" in before.stdout

    registered = run_bus("schemas", "register", env=own_registry)
    assert registered.returncode == 0, registered.stderr
    assert GREETING in registered.stdout and " v1" in registered.stdout

    listed = run_bus("schemas", "list", env=own_registry)
    assert GREETING in listed.stdout and "latest v1" in listed.stdout

    schemas = Path(own_registry["BUS_SCHEMAS_DIR"])
    _edit_greeting(
        schemas,
        {"name": "mood", "type": ["null", "string"], "default": None, "doc": "optional: fine"},
    )
    compatible = run_bus("schemas", "check", env=own_registry)
    assert compatible.returncode == 0
    assert f"compatible   {GREETING}" in compatible.stdout

    _edit_greeting(schemas, {"name": "channel", "type": "string", "doc": "required: breaks"})
    incompatible = run_bus("schemas", "check", env=own_registry)
    assert incompatible.returncode == 1
    assert f"incompatible {GREETING}" in incompatible.stdout
    assert "channel" in incompatible.stdout
