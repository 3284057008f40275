"""Every command fails with one line that says what to do, run as a user runs it: ``bus ...``.

Exit 2 is a usage or configuration error (fix the call), 1 a failure (fix the world).
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bus.kafka.local import free_port
from bus.officials.auth import new_token
from bus.settings import Settings
from bus.supervise import run_bus

PUBLIC_KEY = "11" * 32  # any 32 bytes: a verify key that is never needed


def error_line(stderr: str) -> str:
    """The one line of stderr, which must be ``bus: error: ...``: no traceback, no log noise."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("bus: error: "), stderr
    return lines[0]


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port something else listens on."""
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        yield int(blocker.getsockname()[1])


@pytest.mark.parametrize(
    "command",
    [
        ["topics", "apply"],
        ["audit", "verify", "--public-key", PUBLIC_KEY],
        ["audit", "archive", "--out", "{tmp}"],
        ["replay"],
    ],
    ids=["topics apply", "audit verify", "audit archive", "replay"],
)
def test_without_a_broker_a_command_says_to_start_one_or_point_at_one(
    command: list[str], tmp_path: Path
) -> None:
    closed = f"127.0.0.1:{free_port()}"
    args = [arg.replace("{tmp}", str(tmp_path / "archive")) for arg in command]
    result = run_bus(*args, env={"BUS_BOOTSTRAP_SERVERS": closed})
    assert result.returncode == 1
    line = error_line(result.stderr)
    assert f"cannot reach Kafka at {closed}" in line
    assert "bus kafka start" in line and "BUS_BOOTSTRAP_SERVERS" in line


def test_an_option_after_the_command_names_the_broker_the_error_is_about() -> None:
    closed = f"127.0.0.1:{free_port()}"
    result = run_bus("topics", "apply", "--bootstrap-server", closed)
    assert result.returncode == 1
    assert f"cannot reach Kafka at {closed}" in error_line(result.stderr)


def test_a_bad_setting_names_the_variable_and_the_values_it_takes() -> None:
    result = run_bus("topics", "apply", env={"BUS_PROCESSING_GUARANTEE": "bogus"})
    assert result.returncode == 2
    line = error_line(result.stderr)
    assert "BUS_PROCESSING_GUARANTEE='bogus'" in line
    assert "at_least_once" in line and "exactly_once" in line


def test_an_unknown_option_is_a_usage_error_that_points_at_the_help() -> None:
    result = run_bus("topics", "apply", "--no-such-option")
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("bus: error: unrecognized arguments: --no-such-option")
    assert "--help" in last and "Traceback" not in result.stderr


@pytest.mark.broker
def test_the_registry_on_a_taken_port_says_so_and_how_to_choose_another(
    kafka_bootstrap: str, taken_port: int
) -> None:
    env = {
        "BUS_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "BUS_REGISTRY_TOPIC": f"_schemas.test.{uuid.uuid4().hex[:8]}",
    }
    result = run_bus("registry", "serve", "--port", str(taken_port), env=env, timeout_s=60)
    assert result.returncode == 1
    line = error_line(_without_logs(result.stderr))
    assert f"('127.0.0.1', {taken_port})" in line and "address already in use" in line
    assert "--port" in line


@pytest.mark.broker
def test_the_officials_api_on_a_taken_port_says_so_and_closes_its_kafka_clients(
    settings_with_registry: Settings, catalogue_path: Path, tmp_path: Path
) -> None:
    env = {
        "BUS_BOOTSTRAP_SERVERS": settings_with_registry.bootstrap_servers,
        "BUS_SCHEMA_REGISTRY_URL": settings_with_registry.schema_registry_url,
        "BUS_CATALOGUE": str(catalogue_path),
    }
    applied = run_bus("topics", "apply", env=env)
    assert applied.returncode == 0, applied.stderr
    officials = tmp_path / "officials.yaml"
    entry = {"id": "anna", "name": "Anna Tamm", "authority": "police"}
    officials.write_text(yaml.safe_dump({"officials": [{**entry, "token_sha256": new_token()[1]}]}))
    with socket.socket() as blocker:  # on another loopback address: --host is the one used
        blocker.bind(("127.0.0.2", 0))
        blocker.listen()
        port = str(blocker.getsockname()[1])
        where = ["--officials", str(officials), "--host", "127.0.0.2", "--port", port]
        result = run_bus("officials", "serve", *where, env=env, timeout_s=120)
    assert result.returncode == 1
    assert "Unclosed" not in result.stderr
    line = error_line(_without_logs(result.stderr))
    assert f"('127.0.0.2', {port})" in line and "address already in use" in line


def _without_logs(stderr: str) -> str:
    """A server logs at INFO while it starts (to stderr, as services do); keep the rest."""
    return "\n".join(line for line in stderr.splitlines() if " INFO " not in line)
