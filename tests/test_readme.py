"""Every code block of the README works as written, so the README cannot rot.

Each Python block runs as a script of its own, outside the project's folder,
against a broker, registry and gateway of this module, and does what the
README says it does; the long-running ones (an agency service, a webhook
receiver) are fed an event and stopped the way the README says. Every ``bus``
and ``make`` command line of the shell blocks must parse (a renamed command
or option fails here).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from bus.cli.main import build_parser
from bus.client import Publisher, Subscriber
from bus.kafka.local import free_port
from bus.settings import PROJECT_ROOT, Settings
from bus.supervise import Service, http_ok, run_bus, start_bus
from connectors.webhooks.delivery import RetryPolicy, post_with_retries

from .conftest import Api, Officials
from .probes import OwnBroker, until_status

README = PROJECT_ROOT / "README.md"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def blocks(*languages: str) -> list[str]:
    return [body for language, body in BLOCK.findall(README.read_text()) if language in languages]


def python_block(marker: str) -> str:
    """The one Python block holding ``marker``."""
    found = [block for block in blocks("python") if marker in block]
    assert len(found) == 1, f"{len(found)} Python blocks of the README hold {marker!r}"
    return found[0]


MARKERS = {
    "publisher": "Publisher(Settings())",
    "agency service": "Subscriber(settings",
    "gateway client": "aiohttp.ClientSession",
    "webhook receiver": "web.run_app",
    "scrubber": "Scrubber()",
}
"""Each Python block of the README, by a line only it has; each has its test below."""


def test_every_python_block_of_the_readme_has_a_test() -> None:
    for block in blocks("python"):
        owners = [name for name, marker in MARKERS.items() if marker in block]
        assert len(owners) == 1, f"no test (or several) runs this README block:\n{block}"


@dataclass
class Script:
    """A README block run as ``python block.py`` in a folder of its own."""

    process: subprocess.Popen[str]
    output: Path

    @classmethod
    def start(cls, block: str, folder: Path, env: dict[str, str]) -> Script:
        folder.mkdir(parents=True, exist_ok=True)
        script, output = folder / "block.py", folder / "output.txt"
        script.write_text(block)
        with output.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, str(script)],
                cwd=folder,
                env={**os.environ, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
            )
        return cls(process, output)

    @property
    def text(self) -> str:
        return self.output.read_text()

    def wait_for(self, text: str, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while text not in self.text:
            assert self.process.poll() is None, f"exited {self.process.returncode}:\n{self.text}"
            assert time.monotonic() < deadline, f"no {text!r} after {timeout_s} s:\n{self.text}"
            time.sleep(0.2)

    def finish(self, timeout_s: float = 120) -> int:
        try:
            return self.process.wait(timeout_s)
        finally:
            self.stop(signal.SIGKILL)

    def stop(self, signum: int) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        return self.process.wait(30)


def run_block(block: str, folder: Path, env: dict[str, str]) -> str:
    """Run a block to its end; its output, once it exited 0."""
    script = Script.start(block, folder, env)
    code = script.finish()
    assert code == 0, f"the README block exited {code}:\n{script.text}"
    return script.text


@dataclass
class Bus:
    """A broker of this module with the example catalogue's topics and a registry."""

    env: dict[str, str]
    folder: Path

    @property
    def settings(self) -> Settings:
        return Settings(
            bootstrap_servers=self.env["BUS_BOOTSTRAP_SERVERS"],
            schema_registry_url=self.env["BUS_SCHEMA_REGISTRY_URL"],
        )


@pytest.fixture(scope="module")
def readme_bus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bus]:
    broker = OwnBroker(free_port(), tmp_path_factory.mktemp("readme-kafka"))
    broker("start")
    registry: Service | None = None
    try:
        url = f"http://127.0.0.1:{free_port()}"
        env = {"BUS_BOOTSTRAP_SERVERS": broker.bootstrap_servers, "BUS_SCHEMA_REGISTRY_URL": url}
        applied = run_bus("topics", "apply", env=env)
        assert applied.returncode == 0, applied.stderr
        folder = tmp_path_factory.mktemp("readme")
        port = url.rsplit(":", 1)[1]
        registry = start_bus("registry", ["registry", "serve", "--port", port], env, folder)
        registry.wait_until(http_ok(url + "/subjects"), timeout_s=60)
        yield Bus(env, folder)
    finally:
        if registry is not None:
            registry.stop()
        broker("stop")


@pytest.mark.broker
def test_the_publisher_block_publishes_a_greeting(readme_bus: Bus, tmp_path: Path) -> None:
    output = run_block(python_block(MARKERS["publisher"]), tmp_path, readme_bus.env)
    assert re.fullmatch(r"published [0-9a-f-]{36}\n", output), output


@pytest.mark.broker
@pytest.mark.slow
def test_the_agency_service_block_answers_a_service_request_until_ctrl_c(
    readme_bus: Bus, tmp_path: Path
) -> None:
    service = Script.start(python_block(MARKERS["agency service"]), tmp_path, readme_bus.env)
    try:
        request_id = f"sr-{uuid.uuid4().hex[:8]}"
        created = asyncio.run(_request_and_answer(readme_bus.settings, request_id, service))
        assert created.header["request_id"] == request_id
    finally:
        code = service.stop(signal.SIGINT)
    assert code == 0, service.text
    assert "Traceback" not in service.text


async def _request_and_answer(settings: Settings, request_id: str, service: Script) -> object:
    """Put a service request in the tax board's inbox; wait for the block's status update."""
    async with Publisher(settings) as bus:
        created = await bus.emit(
            "bus.inbox.tax-board",
            "ServiceRequestCreated",
            source="assistant:tax-board",
            conversation_id="c-42",
            request_id=request_id,
            authority="tax-board",
            service_code="tax-refund",
        )
    await asyncio.to_thread(service.wait_for, f"accepted {request_id}")
    updates = Subscriber(settings, topics=["bus.service-updates"], group_id=uuid.uuid4().hex)
    async with updates, asyncio.timeout(60):
        async for delivery in updates:
            answer = delivery.event
            if answer.header.get("causation_id") == created.id:
                assert answer.type.endswith("ServiceRequestAccepted")
                assert answer.data["handled_by"] == "refunds unit"
                return created
    raise AssertionError("no status update")


@pytest.mark.broker
@pytest.mark.slow
def test_the_gateway_client_block_posts_events_and_reads_replies(
    readme_bus: Bus, tmp_path: Path
) -> None:
    port = free_port()
    keys = {"BUS_GATEWAY_KEY_TAX_BOT": uuid.uuid4().hex, "BUS_GATEWAY_HMAC_POLICE_BOT": "x"}
    example = PROJECT_ROOT / "deploy/connectors/gateway-clients.example.yaml"
    args = ["gateway", "serve", "--port", str(port), "--clients", str(example)]
    gateway = start_bus("gateway", args, {**readme_bus.env, **keys}, tmp_path / "logs")
    try:
        until_status(f"http://127.0.0.1:{port}/readyz", 200, timeout_s=90)
        env = {**readme_bus.env, **keys, "GATEWAY_URL": f"http://127.0.0.1:{port}"}
        output = run_block(python_block(MARKERS["gateway client"]), tmp_path / "client", env)
    finally:
        gateway.stop()
    assert re.match(r"accepted [0-9a-f-]{36}\n\d+ replies; ask next time after \d+\n$", output)


@pytest.mark.slow
def test_the_webhook_receiver_block_takes_the_bus_signed_calls_until_sigterm(
    tmp_path: Path,
) -> None:
    port, secret = free_port(), uuid.uuid4().hex
    env = {"BUS_WEBHOOK_SECRET_TAX_BOARD": secret, "PORT": str(port)}
    receiver = Script.start(python_block(MARKERS["webhook receiver"]), tmp_path, env)
    try:
        receiver.wait_for(f"http://0.0.0.0:{port}")
        delivered, refused = asyncio.run(_deliver(f"http://127.0.0.1:{port}/bus/events", secret))
        assert delivered.delivered and delivered.attempts == 1, delivered
        assert refused.permanent and "HTTP 401" in refused.error, refused
        receiver.wait_for("received gov.agencybus.servicerequest.ServiceRequestCreated e-1")
    finally:
        code = receiver.stop(signal.SIGTERM)
    assert code == 0, receiver.text
    assert receiver.text.count("received") == 1, "the repeated id was handled once"


async def _deliver(url: str, secret: str) -> tuple[object, object]:
    """Deliver one event twice with the webhook runner's own code, then once badly signed."""
    event = {"id": "e-1", "type": "gov.agencybus.servicerequest.ServiceRequestCreated", "data": {}}
    body = json.dumps(event).encode()
    policy = RetryPolicy(max_attempts=1)
    async with aiohttp.ClientSession() as session:
        delivered = await post_with_retries(session, url, secret, body, "e-1", policy)
        await post_with_retries(session, url, secret, body, "e-1", policy)
        refused = await post_with_retries(session, url, "wrong", body, "e-1", policy)
    return delivered, refused


def test_the_scrubber_block_prints_what_its_comment_says(tmp_path: Path) -> None:
    block = python_block(MARKERS["scrubber"])
    expected = re.findall(r"^# (.*)$", block, re.M)
    assert run_block(block, tmp_path, {}).splitlines() == expected


def _command_lines() -> list[list[str]]:
    """The words of every command line of the README's shell blocks, variables and
    comments left out, continuation lines joined."""
    lines = []
    for block in blocks("sh", "bash", "console"):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
                words.pop(0)
            if ">" in words:
                words = words[: words.index(">")]
            if words:
                lines.append(words)
    return lines


COMMANDS = _command_lines()


@pytest.mark.parametrize(
    "words", [w for w in COMMANDS if w[0] == "bus"], ids=lambda w: " ".join(w)[:60]
)
def test_every_bus_command_of_the_readme_parses(words: list[str]) -> None:
    try:
        args = build_parser().parse_args(words[1:])
    except SystemExit as exc:
        pytest.fail(f"`{shlex.join(words)}` does not parse (exit {exc.code})")
    assert callable(args.func)


def test_every_make_target_of_the_readme_exists() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z-]+):", makefile, re.M))
    for words in COMMANDS:
        if words[0] == "make":
            assert set(words[1:]) <= targets, shlex.join(words)


def test_the_readme_shows_commands_of_every_kind() -> None:
    assert {words[0] for words in COMMANDS} >= {"bus", "make"}


def _settings_table() -> str:
    section = README.read_text().split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    return "\n".join(line for line in section.splitlines() if line.startswith("| `BUS_"))


def test_the_settings_table_lists_every_setting_and_no_other() -> None:
    listed = set(re.findall(r"`(BUS_[A-Z0-9_]+)`", _settings_table()))
    fields = {f"BUS_{name.upper()}" for name in Settings.model_fields}
    assert listed - fields == set(), "the README lists settings that do not exist"
    assert fields - listed == set(), "settings missing from the README's table"


def test_the_commands_table_names_every_command() -> None:
    section = README.read_text().split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.split(" | ")[0] for line in section.splitlines() if line.startswith("| `bus ")]
    for path, parser in build_parser().walk():
        if path and not parser.subcommands():  # a command that runs
            group = [row for row in rows if row.startswith(f"| `bus {path[0]}")]
            assert any(all(word in row for word in path) for row in group), (
                f"`bus {' '.join(path)}` is missing from the README's commands"
            )


def _walkthrough() -> list[tuple[list[str], str]]:
    """The command lines of *Running the parts by hand*, each with its comment."""
    section = README.read_text().split("\n## Running the parts by hand\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    lines = []
    for language, block in BLOCK.findall(section):
        assert language == "sh"
        for line in block.splitlines():
            command, _, comment = line.partition("#")
            lines.append((shlex.split(command), comment))
    return lines


@pytest.mark.broker
@pytest.mark.slow
def test_the_walkthrough_starts_each_part_by_hand_and_stops_it(tmp_path: Path) -> None:
    """The walkthrough as written, on ports and folders of this test (options and settings
    added); the parts in terminals are stopped with SIGTERM before ``bus kafka stop``."""
    ports = {name: free_port() for name in ("kafka", "registry", "worker", "officials")}
    where = ["--port", str(ports["kafka"]), "--data-dir", str(tmp_path / "kafka")]
    env = {
        "BUS_BOOTSTRAP_SERVERS": f"127.0.0.1:{ports['kafka']}",
        "BUS_REGISTRY_PORT": str(ports["registry"]),
        "BUS_SCHEMA_REGISTRY_URL": f"http://127.0.0.1:{ports['registry']}",
        "BUS_METRICS_PORT": str(ports["worker"]),
        "BUS_WORKER_DIR": str(tmp_path / "worker"),
        "BUS_OFFICIALS_PORT": str(ports["officials"]),
    }
    officials = tmp_path / "officials.yaml"
    token = ""
    running: list[Service] = []
    steps = _walkthrough()
    assert steps[0][0] == ["bus", "kafka", "start"] and steps[-1][0] == ["bus", "kafka", "stop"]
    try:
        for words, comment in steps:
            args = [str(officials) if word == "officials.yaml" else word for word in words[1:]]
            if args[0] == "kafka":
                args += where
            if args[:2] == ["kafka", "stop"]:  # Ctrl-C in each terminal first
                for service in reversed(running):
                    service.stop()
                    assert service.process.returncode == 0, service.log_tail()
            if "terminal" in comment:  # runs until stopped
                running.append(start_bus(args[0], args, env, tmp_path / "logs"))
                url = f"http://127.0.0.1:{ports[args[0]]}"
                until_status(url + "/readyz", 200, timeout_s=120)
                if args[0] == "officials":  # signed in with the token the walkthrough made
                    me = Api(url, Officials(officials, {"anna": token})).call(
                        "GET", "/api/me", "anna"
                    )
                    assert me[0] == 200 and me[1]["authority"] == "police", me
                continue
            ran = run_bus(*args, env=env)
            assert ran.returncode == 0, (words, ran.stderr)
            if args[:2] == ["officials", "token"]:
                token = _officials_file(officials, ran.stdout)
        assert [service.name for service in running] == ["registry", "worker", "officials"]
    finally:
        for service in running:
            service.stop()
        run_bus("kafka", "stop", *where)
    for service in running:
        errors = [line for line in service.log_tail(10_000).splitlines() if " ERROR " in line]
        assert not errors, errors


def _officials_file(path: Path, printed: str) -> str:
    """The example officials file with the first official's digest from ``bus officials token``;
    the token."""
    digest = re.search(r"token_sha256: ([0-9a-f]{64})", printed)
    token = re.search(r"^token .*: (\S+)$", printed, re.M)
    assert digest and token, printed
    example = (PROJECT_ROOT / "deploy/officials/officials.example.yaml").read_text()
    first = re.search(r"token_sha256: ([0-9a-f]{64})", example)
    assert first
    path.write_text(example.replace(first.group(1), digest.group(1)))
    return token.group(1)
