"""``bus kafka start|status|stop`` as a developer uses them."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bus.kafka.jars import ensure_jars, jars_dir, kafka_version
from bus.kafka.local import free_port
from bus.settings import Settings
from bus.supervise import run_bus


@pytest.mark.broker
@pytest.mark.slow
def test_start_status_stop_and_starting_twice_is_harmless(tmp_path: Path) -> None:
    port, node = str(free_port()), str(tmp_path / "node")
    started = run_bus("kafka", "start", "--port", port, "--data-dir", node)
    try:
        assert started.returncode == 0, started.stderr
        assert f"127.0.0.1:{port}" in started.stdout and "running" in started.stdout
        again = run_bus("kafka", "start", "--port", port, "--data-dir", node)
        assert again.returncode == 0 and "already running" in again.stdout
        status = run_bus("kafka", "status", "--port", port, "--data-dir", node)
        assert status.returncode == 0
        assert "data dir" in status.stdout and "kafka.log" in status.stdout
    finally:
        stopped = run_bus("kafka", "stop", "--port", port, "--data-dir", node)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    after = run_bus("kafka", "status", "--port", port, "--data-dir", node)
    assert after.returncode == 3 and "stopped" in after.stdout


def test_a_taken_port_gives_a_clear_error_and_no_hang(tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = str(blocker.getsockname()[1])
        result = run_bus("kafka", "start", "--port", port, "--data-dir", str(tmp_path))
    assert result.returncode == 1
    assert f"port {port}" in result.stderr and "--port" in result.stderr


def test_jars_are_fetched_once_and_then_reused() -> None:
    home = Settings().home
    first = ensure_jars(home)
    marker = first / ".complete"
    stamp = marker.stat().st_mtime_ns
    assert ensure_jars(home) == first == jars_dir(home)
    assert marker.stat().st_mtime_ns == stamp
    assert kafka_version(first).startswith("4.")
    assert any(jar.name.startswith("log4j-core") for jar in first.iterdir())


@pytest.mark.slow
def test_a_broker_that_dies_while_starting_reports_the_end_of_its_log(tmp_path: Path) -> None:
    node = tmp_path / "node"
    (node / "data").mkdir(parents=True)
    (node / "data" / "meta.properties").write_text(
        "version=1\nnode.id=7\ncluster.id=AAAAAAAAAAAAAAAAAAAAAA\n"
    )
    result = run_bus("kafka", "start", "--port", str(free_port()), "--data-dir", str(node))
    assert result.returncode == 1
    assert "exited with code" in result.stderr
    assert "kafka.log" in result.stderr and "node" in result.stderr.lower()
