"""``bus worker`` on the command line, before any Kafka is involved."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from bus.supervise import run_bus


def test_an_unknown_log_level_is_a_usage_error() -> None:
    result = run_bus("worker", "--loglevel", "chatty")
    assert result.returncode == 2
    assert "--loglevel" in result.stderr


def test_a_worker_stopped_while_it_starts_exits_0(tmp_path: Path) -> None:
    """SIGTERM before the loop takes it over: nothing is held yet, so a clean exit."""
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        port = silent.getsockname()[1]
        worker = subprocess.Popen(
            [sys.executable, "-m", "bus.cli.main", "worker"],
            env={"BUS_BOOTSTRAP_SERVERS": f"127.0.0.1:{port}", "BUS_HOME": str(tmp_path)},
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(3.0)  # imported, and waiting for the broker's first answer
        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=60)
    assert worker.returncode == 0, stderr
