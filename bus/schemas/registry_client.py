"""An async client of the Confluent Schema Registry REST API.

It speaks only the public REST API, so it works the same against our own
``bus registry serve``, Confluent, Karapace or Apicurio's Confluent-compatible
endpoint.
"""

from __future__ import annotations

import base64
import json
import ssl
from typing import Any
from urllib.parse import quote

import aiohttp
from yarl import URL

from bus.errors import ConfigurationError, RegistryError
from bus.lifecycle import AsyncResource
from bus.settings import Settings

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
SUBJECT_NOT_FOUND = 40401
VERSION_NOT_FOUND = 40402
SCHEMA_NOT_FOUND = 40403
UNREACHABLE = 50300
"""Our own code, not Confluent's: nothing answered at the registry's address."""
_ADVICE = {
    401: "set BUS_SCHEMA_REGISTRY_USER and BUS_SCHEMA_REGISTRY_PASSWORD to a registry user",
    403: "this registry user may only read: use a read-write user to change the registry",
}


def registry_client(settings: Settings) -> RegistryClient:
    """The client of ``BUS_SCHEMA_REGISTRY_URL`` with the settings' credentials and CA."""
    password = settings.schema_registry_password
    if settings.schema_registry_user and password is None:
        raise ConfigurationError(
            "BUS_SCHEMA_REGISTRY_USER needs its password: set BUS_SCHEMA_REGISTRY_PASSWORD"
        )
    context = None
    if settings.schema_registry_url.lower().startswith("https:"):
        cafile = settings.schema_registry_cafile or settings.ssl_cafile
        try:
            context = ssl.create_default_context(cafile=cafile)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigurationError(
                f"cannot load the registry's CA file {cafile} (BUS_SCHEMA_REGISTRY_CAFILE, "
                f"else BUS_SSL_CAFILE): {exc}"
            ) from exc
    user = None
    if settings.schema_registry_user and password is not None:
        user = (settings.schema_registry_user, password.get_secret_value())
    return RegistryClient(settings.schema_registry_url, user=user, ssl_context=context)


class RegistryClient(AsyncResource):
    """A registry client with caches for what cannot change.

    A schema id always names the same schema, and a (subject, schema) pair keeps
    its id, so both are cached for the client's lifetime.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 10.0,
        user: tuple[str, str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """``user``: a name and password sent as HTTP Basic, as Confluent's clients do."""
        self.url = url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._headers = {"Accept": CONTENT_TYPE}
        if user is not None:
            token = base64.b64encode(":".join(user).encode()).decode()
            self._headers["Authorization"] = f"Basic {token}"
        self._ssl: ssl.SSLContext | bool = ssl_context or True
        self._session: aiohttp.ClientSession | None = None
        self._by_id: dict[int, str] = {}
        self._ids: dict[tuple[str, str], int] = {}

    async def stop(self) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def register(self, subject: str, schema: str) -> int:
        """Register ``schema`` under ``subject`` (or find it there); return its id."""
        cached = self._ids.get((subject, schema))
        if cached is None:
            body = {"schema": schema, "schemaType": "AVRO"}
            answer = await self._call("POST", f"/subjects/{_q(subject)}/versions", subject, body)
            cached = self._ids[(subject, schema)] = int(answer["id"])
        return cached

    async def schema_by_id(self, schema_id: int) -> str:
        if schema_id not in self._by_id:
            answer = await self._call("GET", f"/schemas/ids/{int(schema_id)}", None)
            self._by_id[schema_id] = str(answer["schema"])
        return self._by_id[schema_id]

    async def lookup(self, subject: str, schema: str) -> tuple[int, int] | None:
        """(id, version) of ``schema`` under ``subject``, or None if it is not there."""
        try:
            answer = await self._call(
                "POST", f"/subjects/{_q(subject)}", subject, {"schema": schema}
            )
        except RegistryError as exc:
            if exc.error_code in (SUBJECT_NOT_FOUND, SCHEMA_NOT_FOUND):
                return None
            raise
        return int(answer["id"]), int(answer["version"])

    async def latest(self, subject: str) -> tuple[int, int, str] | None:
        """(id, version, schema) of the subject's latest version, or None if it has none."""
        try:
            answer = await self._call("GET", f"/subjects/{_q(subject)}/versions/latest", subject)
        except RegistryError as exc:
            if exc.error_code in (SUBJECT_NOT_FOUND, VERSION_NOT_FOUND):
                return None
            raise
        return int(answer["id"]), int(answer["version"]), str(answer["schema"])

    async def versions(self, subject: str) -> list[int]:
        return [
            int(v) for v in await self._call("GET", f"/subjects/{_q(subject)}/versions", subject)
        ]

    async def subjects(self) -> list[str]:
        return [str(s) for s in await self._call("GET", "/subjects", None)]

    async def test_compatibility(
        self, subject: str, schema: str, version: int | str = "latest"
    ) -> tuple[bool, list[str]]:
        """Whether ``schema`` may follow ``version``, with the registry's reasons if not.

        A subject with no versions yet accepts anything, whatever the registry
        says about the missing subject.
        """
        path = f"/compatibility/subjects/{_q(subject)}/versions/{_q(str(version))}?verbose=true"
        try:
            answer = await self._call("POST", path, subject, {"schema": schema})
        except RegistryError as exc:
            if version == "latest" and exc.error_code in (SUBJECT_NOT_FOUND, VERSION_NOT_FOUND):
                return True, []
            raise
        return bool(answer["is_compatible"]), [str(m) for m in answer.get("messages") or []]

    async def get_compatibility(self, subject: str | None = None) -> str:
        """The level in force for ``subject`` (its own, else the global one)."""
        if subject is None:
            return str((await self._call("GET", "/config", None))["compatibilityLevel"])
        path = f"/config/{_q(subject)}?defaultToGlobal=true"
        return str((await self._call("GET", path, subject))["compatibilityLevel"])

    async def set_compatibility(self, level: str, subject: str | None = None) -> str:
        path = "/config" if subject is None else f"/config/{_q(subject)}"
        answer = await self._call("PUT", path, subject, {"compatibility": level})
        return str(answer["compatibility"])

    async def delete_subject(self, subject: str, *, permanent: bool = False) -> list[int]:
        """Soft-delete the subject (hard-delete with ``permanent`` after a soft delete)."""
        path = f"/subjects/{_q(subject)}" + ("?permanent=true" if permanent else "")
        deleted = await self._call("DELETE", path, subject)
        self._ids = {key: value for key, value in self._ids.items() if key[0] != subject}
        return [int(v) for v in deleted]

    async def _call(
        self, method: str, path: str, subject: str | None, body: dict[str, Any] | None = None
    ) -> Any:
        """One request; any failure becomes a ``RegistryError`` naming the subject."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout, headers=self._headers)
        what = f"registry {self.url}" + (f", subject '{subject}'" if subject is not None else "")
        data = None if body is None else json.dumps(body)
        try:
            async with self._session.request(
                method,
                URL(self.url + path, encoded=True),
                data=data,
                headers={"Content-Type": CONTENT_TYPE} if data is not None else None,
                ssl=self._ssl,
            ) as response:
                text = await response.text()
        except aiohttp.ClientConnectorCertificateError as exc:
            raise RegistryError(
                f"the schema registry at {self.url} has a certificate this client does not "
                f"trust ({exc.certificate_error}): set BUS_SCHEMA_REGISTRY_CAFILE to the CA "
                "that signed it",
                status=503,
                error_code=UNREACHABLE,
            ) from exc
        except aiohttp.ClientConnectorError as exc:
            raise RegistryError(
                f"the schema registry at {self.url} is unreachable ({exc.os_error}); start it "
                "with `bus registry serve` or set BUS_SCHEMA_REGISTRY_URL",
                status=503,
                error_code=UNREACHABLE,
            ) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RegistryError(
                f"{what}: {method} {path} failed: {exc!r}", status=503, error_code=UNREACHABLE
            ) from exc
        try:
            answer = json.loads(text) if text else None
        except json.JSONDecodeError:
            answer = None
        if response.status >= 300:
            error = answer if isinstance(answer, dict) else {}
            message = error.get("message") or text[:200] or response.reason
            code = int(error.get("error_code") or response.status)
            advice = f"; {_ADVICE[response.status]}" if response.status in _ADVICE else ""
            raise RegistryError(
                f"{what}: {message} (HTTP {response.status}, error {code}){advice}",
                status=response.status,
                error_code=code,
            )
        if answer is None:
            raise RegistryError(f"{what}: {method} {path} answered no JSON: {text[:200]!r}")
        return answer


def _q(segment: str) -> str:
    """One URL path segment, with ``/`` and every other special character escaped."""
    return quote(segment, safe="")
