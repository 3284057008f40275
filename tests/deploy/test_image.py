"""The chart's image, built with podman from Debian's packages, runs the bus on the real broker."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bus.kafka.local import free_port
from bus.settings import Settings

from ..probes import until_status

ROOT = Path(__file__).resolve().parents[2]
TAG = "localhost/agency-bus:test"
# What deploy/container/build.sh passes too: runc copes with this machine's hybrid cgroups, and
# limits below podman's defaults need no CAP_SYS_RESOURCE.
RUNTIME = ["--runtime", "runc", "--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096"]


def podman(*args: str, timeout_s: float = 120.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["podman", *args], capture_output=True, text=True, timeout=timeout_s, check=False
    )


def in_image(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``bus ARGS`` in a throwaway container on the host's network (the broker is on loopback)."""
    options = [item for key, value in (env or {}).items() for item in ("--env", f"{key}={value}")]
    return podman("run", "--rm", *RUNTIME, "--network", "host", *options, TAG, *args)


@pytest.fixture(scope="module")
def image() -> Iterator[str]:
    build = subprocess.run(
        [str(ROOT / "deploy" / "container" / "build.sh"), TAG],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={**os.environ, "PYTHON": sys.executable},  # the wheels from this environment's pip
    )
    assert build.returncode == 0, build.stderr[-3000:]
    try:
        yield TAG
    finally:
        podman("rmi", "--force", TAG)


def test_the_image_runs_bus_and_its_worker_help_as_a_non_root_user(image: str) -> None:
    for args in (["--help"], ["worker", "--help"]):
        result = in_image(*args)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"usage: bus {' '.join(args[:-1])}".rstrip())
    assert podman("run", "--rm", *RUNTIME, "--entrypoint", "id", image, "-u").stdout.strip() == (
        "10001"
    )


def test_the_image_carries_the_contracts_and_the_catalogue(image: str) -> None:
    result = in_image("asyncapi")
    assert result.returncode == 0, result.stderr
    assert "conversation" in result.stdout and "asyncapi: 3.0.0" in result.stdout


def test_a_worker_in_the_image_gets_ready_on_the_real_broker_and_stops_cleanly_on_sigterm(
    image: str, bus_settings: Settings, registry_url: str
) -> None:
    env = {
        "BUS_BOOTSTRAP_SERVERS": bus_settings.bootstrap_servers,
        "BUS_SCHEMA_REGISTRY_URL": registry_url,
    }
    applied = in_image("topics", "apply", env=env)
    assert applied.returncode == 0, applied.stderr
    port = free_port()
    name = f"bus-image-test-{uuid.uuid4().hex[:8]}"
    worker_env = {
        **env,
        "BUS_AGENTS": "router",
        "BUS_APP_ID": name,
        "BUS_METRICS_PORT": str(port),
    }
    options = [item for key, value in worker_env.items() for item in ("--env", f"{key}={value}")]
    started = podman(
        "run", "--detach", "--name", name, *RUNTIME, "--network", "host", *options, image, "worker"
    )
    assert started.returncode == 0, started.stderr
    try:
        until_status(f"http://127.0.0.1:{port}/readyz", 200, timeout_s=90)
        stopped = podman("stop", "--time", "30", name)
        assert stopped.returncode == 0, stopped.stderr
        exit_code = podman("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip()
        assert exit_code == "0", podman("logs", name).stderr[-3000:]
    finally:
        podman("rm", "--force", name)
