"""Probing long-running processes over HTTP, and a broker of one test to stop and start again."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bus.supervise import run_bus


def get_json(url: str) -> tuple[int, dict[str, Any]]:
    """The status and JSON body of a GET; 0 when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status), json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")
    except OSError:
        return 0, {}


def until_status(
    url: str, status: int, timeout_s: float, saying: str | None = None
) -> dict[str, Any]:
    """The body of the first answer with ``status`` (and a ``reason`` holding ``saying``, if
    given: a readiness that passes through other reasons first); fails after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        found, body = get_json(url)
        if found == status and (saying is None or saying in str(body.get("reason", ""))):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"{url}: expected {status}, last {found} {body}")
        time.sleep(0.5)


@dataclass
class OwnBroker:
    """A broker of this test only (``bus kafka start/stop --port P --data-dir D``)."""

    port: int
    folder: Path

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __call__(self, action: str) -> None:
        where = ["--port", str(self.port), "--data-dir", str(self.folder)]
        result = run_bus("kafka", action, *where)
        assert result.returncode == 0, result.stderr


def connector_files(catalogue_path: Path, folder: Path, prefix: str) -> tuple[Path, dict[str, str]]:
    """A webhook for the catalogue's first authority (an address nothing answers: its inbox
    stays empty) and a gateway clients file with one assistant of it; the clients file and
    the secrets' environment variables, named ``<prefix>_WEBHOOK_SECRET`` and ``_GATEWAY_KEY``."""
    document = yaml.safe_load(catalogue_path.read_text())
    first = document["authorities"][0]
    first["webhook"] = "http://127.0.0.1:9/never-called"
    first["webhook_secret"] = "${" + prefix + "_WEBHOOK_SECRET}"
    catalogue_path.write_text(yaml.safe_dump(document))
    clients = folder / "clients.yaml"
    client = {
        "name": f"{first['code']}-bot",
        "authority": first["code"],
        "api_keys": ["${" + prefix + "_GATEWAY_KEY}"],
    }
    clients.write_text(yaml.safe_dump({"clients": [client]}))
    return clients, {f"{prefix}_WEBHOOK_SECRET": "hook-secret", f"{prefix}_GATEWAY_KEY": "key"}
