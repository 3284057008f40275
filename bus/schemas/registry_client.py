"""An async client of the Confluent Schema Registry REST API.

It speaks only the public REST API, so it works the same against our own
``bus registry serve``, Confluent, Karapace or Apicurio's Confluent-compatible
endpoint.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import aiohttp
from yarl import URL

from bus.errors import RegistryError
from bus.lifecycle import AsyncResource

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
SUBJECT_NOT_FOUND = 40401
VERSION_NOT_FOUND = 40402
SCHEMA_NOT_FOUND = 40403
UNREACHABLE = 50300
"""Our own code, not Confluent's: nothing answered at the registry's address."""


class RegistryClient(AsyncResource):
    """A registry client with caches for what cannot change.

    A schema id always names the same schema, and a (subject, schema) pair keeps
    its id, so both are cached for the client's lifetime.
    """

    def __init__(self, url: str, *, timeout_s: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
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
            self._session = aiohttp.ClientSession(
                timeout=self._timeout, headers={"Accept": CONTENT_TYPE}
            )
        what = f"registry {self.url}" + (f", subject '{subject}'" if subject is not None else "")
        data = None if body is None else json.dumps(body)
        try:
            async with self._session.request(
                method,
                URL(self.url + path, encoded=True),
                data=data,
                headers={"Content-Type": CONTENT_TYPE} if data is not None else None,
            ) as response:
                text = await response.text()
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
            raise RegistryError(
                f"{what}: {message} (HTTP {response.status}, error {code})",
                status=response.status,
                error_code=code,
            )
        if answer is None:
            raise RegistryError(f"{what}: {method} {path} answered no JSON: {text[:200]!r}")
        return answer


def _q(segment: str) -> str:
    """One URL path segment, with ``/`` and every other special character escaped."""
    return quote(segment, safe="")
