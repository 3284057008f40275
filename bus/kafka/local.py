"""A single-node KRaft Kafka on loopback, for development, tests and the demo.

The node's folder holds its configuration, data, log and pid file, so
``start``, ``status`` and ``stop`` can be called from different processes.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from bus.errors import LocalKafkaError
from bus.kafka.jars import ensure_jars, kafka_version

HOST = "127.0.0.1"
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 30.0

_LOG4J2 = """\
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.stdout.ref = STDOUT
logger.kafka.name = kafka
logger.kafka.level = info
logger.apache.name = org.apache.kafka
logger.apache.level = warn
logger.state.name = state.change.logger
logger.state.level = warn
"""


@dataclass(frozen=True)
class KafkaStatus:
    running: bool
    pid: int | None
    bootstrap_servers: str
    data_dir: Path
    log_file: Path
    version: str

    def describe(self) -> str:
        state = f"running (pid {self.pid})" if self.running else "stopped"
        return (
            f"kafka {self.version}: {state}\n"
            f"  address:  {self.bootstrap_servers}\n"
            f"  data dir: {self.data_dir}\n"
            f"  log file: {self.log_file}"
        )


def port_is_free(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except (OSError, IndexError):
        return True
    return state != "Z"


async def answers_metadata(bootstrap_servers: str, timeout_s: float = 5.0) -> bool:
    """Whether a broker at the address answers a metadata request."""
    from aiokafka.client import AIOKafkaClient

    quiet = logging.getLogger("aiokafka")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    client = AIOKafkaClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=3000)
    try:
        await asyncio.wait_for(client.bootstrap(), timeout_s)
        return True
    except Exception:
        return False
    finally:
        await client.close()
        quiet.setLevel(level)  # as it was (the CLI keeps aiokafka at WARNING)


class LocalKafka:
    """One combined broker+controller node, bound to loopback on ``port``."""

    def __init__(
        self, home: Path, port: int = 9092, data_dir: Path | None = None, heap: str = "512m"
    ) -> None:
        self.home = home
        self.port = port
        self.heap = heap
        self._process: subprocess.Popen[bytes] | None = None
        self.node_dir = data_dir or home / "kafka" / f"node-{port}"
        self.data_dir = self.node_dir / "data"
        self.log_file = self.node_dir / "kafka.log"
        self.pid_file = self.node_dir / "kafka.pid"
        self.config_file = self.node_dir / "server.properties"

    @property
    def bootstrap_servers(self) -> str:
        return f"{HOST}:{self.port}"

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _pid_alive(pid) else None

    def status(self) -> KafkaStatus:
        from bus.kafka.jars import jars_dir

        return KafkaStatus(
            running=self.pid() is not None,
            pid=self.pid(),
            bootstrap_servers=self.bootstrap_servers,
            data_dir=self.data_dir,
            log_file=self.log_file,
            version=kafka_version(jars_dir(self.home)),
        )

    def start(self) -> KafkaStatus:
        """Start the node unless it runs already; return once it answers metadata requests."""
        if self.pid() is not None:
            return self.status()
        if not port_is_free(self.port):
            raise LocalKafkaError(
                f"port {self.port} on {HOST} is taken by another process: stop it, "
                "or start the bus's Kafka on another port with --port"
            )
        jars = ensure_jars(self.home)
        self.node_dir.mkdir(parents=True, exist_ok=True)
        self._write_config()
        if not (self.data_dir / "meta.properties").exists():
            self._format(jars)
        self._launch(jars)
        self._wait_until_ready()
        return self.status()

    def stop(self) -> bool:
        """Stop the node cleanly (SIGTERM, then SIGKILL after a grace period)."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while _pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _pid_alive(pid):
            os.killpg(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        return True

    def _java(self, jars: Path) -> list[str]:
        return [
            "java",
            "-cp",
            f"{jars}/*",
            f"-Dlog4j2.configurationFile={self.node_dir / 'log4j2.properties'}",
            "-Djava.awt.headless=true",
        ]

    def _write_config(self) -> None:
        controller_port = self._controller_port()
        lines = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{HOST}:{controller_port}",
            "listeners": f"PLAINTEXT://{HOST}:{self.port},CONTROLLER://{HOST}:{controller_port}",
            "advertised.listeners": f"PLAINTEXT://{HOST}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.data_dir),
            "num.partitions": "1",
            "auto.create.topics.enable": "false",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "10",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "4",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "log.segment.bytes": str(64 * 1024 * 1024),
        }
        text = "".join(f"{key}={value}\n" for key, value in lines.items())
        self.config_file.write_text(text)
        (self.node_dir / "log4j2.properties").write_text(_LOG4J2)

    def _controller_port(self) -> int:
        """Keep the controller port of an earlier start when it is still free."""
        try:
            for line in self.config_file.read_text().splitlines():
                if line.startswith("controller.quorum.voters="):
                    port = int(line.rsplit(":", 1)[1])
                    if port_is_free(port):
                        return port
        except (OSError, ValueError):
            pass
        return free_port()

    def _format(self, jars: Path) -> None:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        command = [
            *self._java(jars),
            "kafka.tools.StorageTool",
            "format",
            "--ignore-formatted",
            f"--cluster-id={cluster_id}",  # an id may start with "-"
            "-c",
            str(self.config_file),
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise LocalKafkaError(
                f"formatting Kafka's storage in {self.data_dir} failed:\n"
                f"{result.stdout}{result.stderr}"
            )

    def _launch(self, jars: Path) -> None:
        command = [
            *self._java(jars),
            f"-Xmx{self.heap}",
            "-Xms128m",
            "-XX:+UseG1GC",
            "kafka.Kafka",
            str(self.config_file),
        ]
        with self.log_file.open("ab") as log:
            process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pid_file.write_text(str(process.pid))
        self._process = process

    def _wait_until_ready(self) -> None:
        process = self._process
        assert process is not None, "_launch() comes first"
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise LocalKafkaError(
                    f"Kafka exited with code {process.returncode} while starting; "
                    f"the end of {self.log_file}:\n{self.log_tail()}"
                )
            if asyncio.run(answers_metadata(self.bootstrap_servers, timeout_s=3.0)):
                return
            time.sleep(0.5)
        self.stop()
        raise LocalKafkaError(
            f"Kafka did not answer on {self.bootstrap_servers} within {START_TIMEOUT_S:.0f}s; "
            f"the end of {self.log_file}:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log written)"
