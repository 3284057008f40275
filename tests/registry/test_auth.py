"""The registry's users: HTTP Basic (401), read-only and read-write roles (403), over HTTPS.

The unit tests check the users file and the role of each route; the others run
a real ``bus registry serve --users --certfile --keyfile`` on the test broker and
call it as ``bus schemas``, the Publisher and a plain HTTP client would.
"""

from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bus.client import Publisher
from bus.errors import ConfigurationError, RegistryError
from bus.kafka.local import free_port
from bus.registry.auth import add_user, hash_password, load_users, needs_write, verify_password
from bus.schemas.registry_client import registry_client
from bus.security.tls import TlsFiles, ensure_server_files
from bus.settings import Settings
from bus.supervise import Service, run_bus, start_bus

from ..conftest import NewTopicFactory

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
SCHEMA = json.dumps(
    {"type": "record", "name": "Note", "fields": [{"name": "text", "type": "string"}]}
)


def test_a_password_verifies_against_its_hash_and_no_other() -> None:
    hashed = hash_password("correct horse")
    assert hashed.startswith("scrypt$16384$8$1$") and "correct" not in hashed
    assert verify_password("correct horse", hashed)
    assert not verify_password("correct horse!", hashed)
    assert not verify_password("correct horse", "scrypt$garbage")
    assert hash_password("correct horse") != hashed  # salted


def test_add_user_writes_a_private_file_and_replaces_a_users_password(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    assert add_user(path, "reader", "read-only", "pw-1")
    assert add_user(path, "writer", "read-write", "pw-2")
    assert not add_user(path, "reader", "read-only", "pw-3")
    assert path.stat().st_mode & 0o077 == 0
    users = load_users(path)
    assert {name: user.role for name, user in users.items()} == {
        "reader": "read-only",
        "writer": "read-write",
    }
    assert verify_password("pw-3", users["reader"].password_hash)
    assert "pw-" not in path.read_text()


@pytest.mark.parametrize(
    "document",
    [
        "users: nobody",
        "users: [{name: a, role: admin, password_hash: 'scrypt$1'}]",
        "users: [{name: a, role: read-only, password_hash: plain}]",
        "users: [{name: 'a:b', role: read-only, password_hash: 'scrypt$1'}]",
    ],
    ids=["not a list", "unknown role", "not a hash", "colon in name"],
)
def test_a_wrong_users_file_is_refused_with_what_to_fix(tmp_path: Path, document: str) -> None:
    path = tmp_path / "users.yaml"
    path.write_text(document)
    with pytest.raises(ConfigurationError, match=str(path)):
        load_users(path)


def test_reads_lookups_and_compatibility_tests_are_reads_and_the_rest_writes() -> None:
    assert not needs_write("GET", "/subjects/{subject}/versions")
    assert not needs_write("POST", "/subjects/{subject}")
    assert not needs_write("POST", "/compatibility/subjects/{subject}/versions/{version}")
    assert needs_write("POST", "/subjects/{subject}/versions")
    assert needs_write("PUT", "/config")
    assert needs_write("DELETE", "/subjects/{subject}")
    assert needs_write("PATCH", "/somewhere/new")


# --- a real registry process with users, over HTTPS --------------------------------------

PASSWORDS = {"reader": uuid.uuid4().hex, "writer": uuid.uuid4().hex}


@dataclass(frozen=True)
class SecuredRegistry:
    url: str
    tls: TlsFiles
    env: dict[str, str]

    def settings(self, base: Settings, user: str | None) -> Settings:
        password = SecretStr(PASSWORDS[user]) if user else None
        return base.model_copy(
            update={
                "schema_registry_url": self.url,
                "schema_registry_cafile": self.tls.ca,
                "schema_registry_user": user,
                "schema_registry_password": password,
            }
        )

    def env_of(self, user: str) -> dict[str, str]:
        return {
            **self.env,
            "BUS_SCHEMA_REGISTRY_USER": user,
            "BUS_SCHEMA_REGISTRY_PASSWORD": PASSWORDS[user],
        }

    def call(
        self,
        method: str,
        path: str,
        auth: tuple[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        headers = {"Content-Type": CONTENT_TYPE}
        if auth is not None:
            headers["Authorization"] = "Basic " + base64.b64encode(":".join(auth).encode()).decode()
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data, headers, method=method)
        context = ssl.create_default_context(cafile=self.tls.ca)
        try:
            with urllib.request.urlopen(request, timeout=30, context=context) as response:
                return response.status, json.loads(response.read()), dict(response.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}"), dict(exc.headers)


@pytest.fixture(scope="module")
def secured_registry(
    bus_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SecuredRegistry]:
    folder = tmp_path_factory.mktemp("secured-registry")
    users = folder / "users.yaml"
    for name, role in (("reader", "read-only"), ("writer", "read-write")):
        args = ["registry", "add-user", name, "--role", role, "--users", str(users)]
        added = run_bus(*args, input=PASSWORDS[name] + "\n")
        assert added.returncode == 0, added.stderr
    tls = ensure_server_files(folder / "tls", "registry")
    port = free_port()
    env = {**bus_env, "BUS_REGISTRY_TOPIC": f"_schemas.auth.{uuid.uuid4().hex[:8]}"}
    args = ["registry", "serve", "--port", str(port), "--users", str(users)]
    args += ["--certfile", str(tls.cert), "--keyfile", str(tls.key)]
    registry: Service = start_bus("registry", args, env, folder)
    try:
        registry.wait_until(lambda: registry.logged("schema registry replayed"), timeout_s=60)
        yield SecuredRegistry(f"https://127.0.0.1:{port}", tls, env)
    finally:
        registry.stop()


@pytest.mark.broker
def test_without_or_with_wrong_credentials_the_registry_answers_401_basic(
    secured_registry: SecuredRegistry,
) -> None:
    for auth in (None, ("reader", "wrong"), ("nobody", PASSWORDS["reader"])):
        status, body, headers = secured_registry.call("GET", "/subjects", auth)
        assert status == 401 and body["error_code"] == 40101, auth
        assert headers["WWW-Authenticate"].startswith("Basic realm=")
    status, _, _ = secured_registry.call("GET", "/healthz")
    assert status == 200  # probes need no credentials


@pytest.mark.broker
def test_a_read_only_user_reads_and_is_forbidden_to_write(
    secured_registry: SecuredRegistry,
) -> None:
    reader = ("reader", PASSWORDS["reader"])
    subject = f"auth-{uuid.uuid4().hex[:8]}-value"
    assert secured_registry.call("GET", "/subjects", reader)[0] == 200
    status, body, _ = secured_registry.call(
        "POST", f"/subjects/{subject}/versions", reader, {"schema": SCHEMA}
    )
    assert status == 403 and body["error_code"] == 40301 and "read-only" in body["message"]
    status, body, _ = secured_registry.call("PUT", "/config", reader, {"compatibility": "NONE"})
    assert status == 403
    writer = ("writer", PASSWORDS["writer"])
    status, body, _ = secured_registry.call(
        "POST", f"/subjects/{subject}/versions", writer, {"schema": SCHEMA}
    )
    assert status == 200 and body["id"] >= 1
    status, body, _ = secured_registry.call(
        "POST", f"/subjects/{subject}", reader, {"schema": SCHEMA}
    )
    assert status == 200 and body["version"] == 1  # a lookup is a read


@pytest.mark.broker
def test_bus_schemas_takes_the_registry_user_from_the_settings(
    secured_registry: SecuredRegistry,
) -> None:
    env = {
        "BUS_SCHEMA_REGISTRY_URL": secured_registry.url,
        "BUS_SCHEMA_REGISTRY_CAFILE": str(secured_registry.tls.ca),
    }
    anonymous = run_bus("schemas", "list", env=secured_registry.env | env)
    assert anonymous.returncode == 1
    assert "HTTP 401" in anonymous.stderr and "BUS_SCHEMA_REGISTRY_USER" in anonymous.stderr
    refused = run_bus("schemas", "register", env=secured_registry.env_of("reader") | env)
    assert refused.returncode == 1
    assert "HTTP 403" in refused.stderr and "read-write user" in refused.stderr
    registered = run_bus("schemas", "register", env=secured_registry.env_of("writer") | env)
    assert registered.returncode == 0, registered.stderr
    listed = run_bus("schemas", "list", env=secured_registry.env_of("reader") | env)
    assert listed.returncode == 0 and "gov.agencybus" in listed.stdout


@pytest.mark.broker
async def test_the_publisher_registers_its_schemas_as_a_read_write_user(
    secured_registry: SecuredRegistry, bus_settings: Settings, new_topic: NewTopicFactory
) -> None:
    topic = await new_topic("auth")
    settings = secured_registry.settings(bus_settings, "writer")
    async with Publisher(settings) as publisher:
        await publisher.emit(
            topic,
            "gov.agencybus.conversation.Greeting",
            source="assistant:police",
            conversation_id=f"c-{uuid.uuid4()}",
            text="Tere!",
            language="et",
        )
    with pytest.raises(RegistryError, match="HTTP 401"):
        async with Publisher(secured_registry.settings(bus_settings, None)):
            pass


@pytest.mark.broker
async def test_a_client_that_does_not_trust_the_registrys_certificate_is_refused(
    secured_registry: SecuredRegistry, bus_settings: Settings
) -> None:
    settings = secured_registry.settings(bus_settings, "reader")
    untrusting = settings.model_copy(update={"schema_registry_cafile": None, "ssl_cafile": None})
    with pytest.raises(RegistryError, match="BUS_SCHEMA_REGISTRY_CAFILE"):
        async with registry_client(untrusting) as client:
            await client.subjects()
    plain = settings.model_copy(
        update={"schema_registry_url": secured_registry.url.replace("https:", "http:")}
    )
    with pytest.raises(RegistryError):
        async with registry_client(plain) as client:
            await client.subjects()
    async with registry_client(settings) as client:
        assert isinstance(await client.subjects(), list)
