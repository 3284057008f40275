"""Start the bus's own commands as child processes, wait for them, stop them.

The demo and the tests run the registry and workers as real processes, the
way an operator would, so a crash or a restart is a real one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bus.errors import BusError


@dataclass
class Service:
    name: str
    process: subprocess.Popen[bytes]
    log_file: Path

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def logged(self, text: str) -> bool:
        try:
            return text in self.log_file.read_text(errors="replace")
        except OSError:
            return False

    def wait_until(self, ready: Callable[[], bool], timeout_s: float = 60.0) -> None:
        """Poll ``ready`` until it is true; fail with the log's tail if the process dies."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.running:
                raise BusError(
                    f"{self.name} exited with code {self.process.returncode}; "
                    f"the end of {self.log_file}:\n{self.log_tail()}"
                )
            if ready():
                return
            time.sleep(0.2)
        raise BusError(
            f"{self.name} was not ready after {timeout_s:.0f}s; "
            f"the end of {self.log_file}:\n{self.log_tail()}"
        )

    def stop(self, timeout_s: float = 20.0) -> None:
        """SIGTERM, then SIGKILL if it does not stop in time."""
        if self.running:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process.wait()

    def kill(self) -> None:
        """SIGKILL the whole process group, as a crash would."""
        if self.running:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def start_bus(name: str, args: list[str], env: Mapping[str, str], log_dir: Path) -> Service:
    """Run ``bus ARGS`` in its own process group with its output in ``log_dir/NAME.log``."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / f"{name}.log"
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bus.cli.main", *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **env},
            start_new_session=True,
        )
    return Service(name, process, log_file)


def run_bus(
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 180.0,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``bus ARGS`` to completion, as a user at a shell would, and return its output
    (``input``: what is piped to its standard input)."""
    return subprocess.run(
        [sys.executable, "-m", "bus.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        input=input,
        env={**os.environ, **(env or {})},
        check=False,
    )


def http_ok(url: str) -> Callable[[], bool]:
    """A readiness check: the URL answers 2xx."""

    def check() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return 200 <= int(response.status) < 300
        except (urllib.error.URLError, OSError):
            return False

    return check
