"""A KRaft Kafka node on loopback, for development, tests and the demo.

The node's folder holds its configuration, data, log and pid file, so
``start``, ``status`` and ``stop`` can be called from different processes.
Alone it is a single-node cluster; ``bus.kafka.cluster`` runs three of them
as one cluster. With ``sasl`` it accepts only SASL/SCRAM-SHA-512 clients and
authorises them with Kafka's StandardAuthorizer (ACLs kept in the metadata log).
With ``tls`` every listener (clients, brokers, controllers) speaks TLS with a
certificate of the node's own CA (``bus.security.tls``), so plaintext is refused.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import signal
import socket
import ssl
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bus.errors import LocalKafkaError
from bus.kafka.jars import ensure_jars, kafka_version
from bus.security.tls import TlsFiles, ensure_server_files

HOST = "127.0.0.1"
SCRAM = "SCRAM-SHA-512"
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
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
    protocol: str = "PLAINTEXT"
    ca_file: Path | None = None

    def describe(self) -> str:
        state = f"running (pid {self.pid})" if self.running else "stopped"
        text = (
            f"kafka {self.version}: {state}\n"
            f"  address:  {self.bootstrap_servers} ({self.protocol})\n"
            f"  data dir: {self.data_dir}\n"
            f"  log file: {self.log_file}"
        )
        if self.ca_file is not None:
            text += (
                f"\n  CA file:  {self.ca_file} (clients: BUS_SECURITY_PROTOCOL={self.protocol} "
                f"BUS_SSL_CAFILE={self.ca_file})"
            )
        return text


@dataclass(frozen=True)
class SaslAdmin:
    """The super user the brokers authenticate as; its SCRAM credential is set at format time."""

    username: str
    password: str

    def client_kwargs(self) -> dict[str, Any]:
        """aiokafka options to connect as this user."""
        return {
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": SCRAM,
            "sasl_plain_username": self.username,
            "sasl_plain_password": self.password,
        }


@dataclass(frozen=True)
class Quorum:
    """This node's place in a multi-node cluster: its id, its controller port, all voters."""

    node_id: int
    controller_port: int
    voters: str
    cluster_id: str
    replication: int


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


async def answers_metadata(bootstrap_servers: str, timeout_s: float = 5.0, **security: Any) -> bool:
    """Whether a broker at the address answers a metadata request."""
    from aiokafka.client import AIOKafkaClient

    quiet = logging.getLogger("aiokafka")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    client = AIOKafkaClient(
        bootstrap_servers=bootstrap_servers, request_timeout_ms=3000, **security
    )
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
        self,
        home: Path,
        port: int = 9092,
        data_dir: Path | None = None,
        heap: str = "512m",
        *,
        sasl: SaslAdmin | None = None,
        quorum: Quorum | None = None,
        tls: bool = False,
        tls_dir: Path | None = None,
    ) -> None:
        self.home = home
        self.port = port
        self.heap = heap
        self.sasl = sasl
        self.quorum = quorum
        self.tls = tls
        self._process: subprocess.Popen[bytes] | None = None
        self.node_dir = data_dir or home / "kafka" / f"node-{port}"
        self.tls_dir = tls_dir or self.node_dir / "tls"
        """Where the CA and the broker's certificate live (a cluster's nodes share one)."""
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

    @property
    def protocol(self) -> str:
        """Kafka's name of the security protocol this node's listeners speak."""
        return ("SASL_" if self.sasl else "") + ("SSL" if self.tls else "PLAINTEXT")

    @property
    def ca_file(self) -> Path:
        return self.tls_dir / "ca.pem"

    def status(self) -> KafkaStatus:
        """What the node runs as; stop and status take no --tls, so the set-up is read back."""
        from bus.kafka.jars import jars_dir

        protocol = self._recorded_protocol() or self.protocol
        return KafkaStatus(
            running=self.pid() is not None,
            pid=self.pid(),
            bootstrap_servers=self.bootstrap_servers,
            data_dir=self.data_dir,
            log_file=self.log_file,
            version=kafka_version(jars_dir(self.home)),
            protocol=protocol,
            ca_file=self.ca_file if protocol.endswith("SSL") else None,
        )

    def start(self) -> KafkaStatus:
        """Start the node unless it runs already; return once it answers metadata requests."""
        if self.launch():
            self.wait_until_ready()
        return self.status()

    def launch(self) -> bool:
        """Start the node's process without waiting; False if it runs already."""
        if self.pid() is not None:
            return False
        if not port_is_free(self.port):
            raise LocalKafkaError(
                f"port {self.port} on {HOST} is taken by another process: stop it, "
                "or start the bus's Kafka on another port with --port"
            )
        jars = ensure_jars(self.home)
        self.node_dir.mkdir(parents=True, exist_ok=True)
        self._check_security_mode()
        self._write_config()
        if not (self.data_dir / "meta.properties").exists():
            self._format(jars)
        self._launch(jars)
        return True

    @property
    def client_security(self) -> dict[str, Any]:
        """aiokafka options a client (as the super user) needs for this node."""
        options = self.sasl.client_kwargs() if self.sasl else {}
        if self.tls:
            options["security_protocol"] = self.protocol
            options["ssl_context"] = ssl.create_default_context(cafile=self.ca_file)
        return options

    def _recorded_protocol(self) -> str | None:
        try:
            found = (self.node_dir / "security").read_text().strip()
        except OSError:
            return None
        return {"sasl": "SASL_PLAINTEXT"}.get(found, found.upper())

    def _check_security_mode(self) -> None:
        """A node keeps the protocol it was set up with: one formatted without SCRAM
        credentials cannot start with SASL, and one set up with TLS never falls back to
        plaintext by a start that forgot ``--tls``."""
        marker = self.node_dir / "security"
        wanted = self.protocol
        if not (self.data_dir / "meta.properties").exists():
            marker.write_text(wanted)
            return
        found = self._recorded_protocol() or "PLAINTEXT"
        if found != wanted:
            raise LocalKafkaError(
                f"the node in {self.node_dir} was set up {found}, not {wanted}: "
                "start it as before, or give another --data-dir"
            )

    def terminate(self) -> None:
        """Send SIGTERM without waiting (``stop`` waits)."""
        pid = self.pid()
        if pid is not None:
            os.killpg(pid, signal.SIGTERM)

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> bool:
        """Stop the node cleanly (SIGTERM, then SIGKILL after ``timeout_s``)."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
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
        if self.quorum is None:
            node_id, controller_port = 1, self._controller_port()
            voters, replication = f"1@{HOST}:{controller_port}", 1
        else:
            node_id, controller_port = self.quorum.node_id, self.quorum.controller_port
            voters, replication = self.quorum.voters, self.quorum.replication
        min_isr = str(min(2, replication))
        listener = self.protocol
        lines = {
            "process.roles": "broker,controller",
            "node.id": str(node_id),
            "controller.quorum.voters": voters,
            "listeners": f"{listener}://{HOST}:{self.port},CONTROLLER://{HOST}:{controller_port}",
            "advertised.listeners": f"{listener}://{HOST}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": listener,
            "listener.security.protocol.map": f"{listener}:{listener},CONTROLLER:{listener}",
            "log.dirs": str(self.data_dir),
            "num.partitions": "1",
            "default.replication.factor": str(replication),
            "min.insync.replicas": min_isr,
            "auto.create.topics.enable": "false",
            "offsets.topic.replication.factor": str(replication),
            "offsets.topic.num.partitions": "10",
            "transaction.state.log.replication.factor": str(replication),
            "transaction.state.log.min.isr": min_isr,
            "transaction.state.log.num.partitions": "4",
            # A dead worker's open transaction holds its partitions until the coordinator
            # aborts it: look for timed-out transactions every second, not every 10 s.
            "transaction.abort.timed.out.transaction.cleanup.interval.ms": "1000",
            "share.coordinator.state.topic.replication.factor": str(replication),
            "share.coordinator.state.topic.min.isr": min_isr,
            "group.initial.rebalance.delay.ms": "0",
            "log.segment.bytes": str(64 * 1024 * 1024),
            **(self._sasl_config() if self.sasl else {}),
            **(self._tls_config() if self.tls else {}),
        }
        text = "".join(f"{key}={value}\n" for key, value in lines.items())
        self.config_file.write_text(text)
        self.config_file.chmod(0o600)  # it holds the super user's password when secured
        (self.node_dir / "log4j2.properties").write_text(_LOG4J2)

    def _sasl_config(self) -> dict[str, str]:
        """SCRAM for clients and between brokers, PLAIN to the controllers, ACLs enforced.

        Controllers cannot use SCRAM (its credentials live in the metadata they
        serve), so the controller listener uses PLAIN with the super user only.
        """
        assert self.sasl is not None
        user, password = self.sasl.username, self.sasl.password
        plain = "org.apache.kafka.common.security.plain.PlainLoginModule"
        scram = "org.apache.kafka.common.security.scram.ScramLoginModule"
        return {
            "sasl.enabled.mechanisms": SCRAM,
            "sasl.mechanism.inter.broker.protocol": SCRAM,
            "sasl.mechanism.controller.protocol": "PLAIN",
            "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
            "listener.name.controller.plain.sasl.jaas.config": (
                f'{plain} required username="{user}" password="{password}" '
                f'user_{user}="{password}";'
            ),
            f"listener.name.{self.protocol.lower()}.scram-sha-512.sasl.jaas.config": (
                f'{scram} required username="{user}" password="{password}";'
            ),
            "authorizer.class.name": AUTHORIZER,
            "super.users": f"User:{user}",
            "allow.everyone.if.no.acl.found": "false",
        }

    def _tls_config(self) -> dict[str, str]:
        """The node's certificate, key and CA inline as PEM (Kafka reads a PEM key from a
        file only when it is encrypted); every listener, the controllers' too, uses them."""
        files: TlsFiles = ensure_server_files(self.tls_dir, "broker")

        def inline(path: Path) -> str:
            return path.read_text().strip().replace("\n", "\\n")

        return {
            "ssl.keystore.type": "PEM",
            "ssl.keystore.certificate.chain": inline(files.cert),
            "ssl.keystore.key": inline(files.key),
            "ssl.truststore.type": "PEM",
            "ssl.truststore.certificates": inline(files.ca),
            "ssl.endpoint.identification.algorithm": "https",
        }

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
        cluster_id = self.quorum.cluster_id if self.quorum else new_cluster_id()
        command = [
            *self._java(jars),
            "kafka.tools.StorageTool",
            "format",
            "--ignore-formatted",
            f"--cluster-id={cluster_id}",  # an id may start with "-"
            "-c",
            str(self.config_file),
        ]
        if self.sasl:
            name, password = self.sasl.username, self.sasl.password
            command += ["--add-scram", f"{SCRAM}=[name={name},password={password}]"]
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

    def wait_until_ready(self) -> None:
        """Return once the node answers metadata requests; stop it and raise if it does not."""
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
            if asyncio.run(
                answers_metadata(self.bootstrap_servers, timeout_s=3.0, **self.client_security)
            ):
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


def new_cluster_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
