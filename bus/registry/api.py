"""The Confluent Schema Registry REST API (the part Avro serializers and tools use).

Paths, bodies and ``error_code`` values follow Confluent's, so Confluent's
clients, kcat, Kafka UI and our own ``RegistryClient`` all work against it.
Only Avro is supported; schema references are refused.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bus.errors import RegistryError, SchemaError
from bus.registry.compat import Compatibility, ParsedSchema, check_compatibility, parse_schema
from bus.registry.store import SchemaStore, Version, parse_version

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
STORE = web.AppKey("store", SchemaStore)

routes = web.RouteTableDef()


def reply(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, content_type=CONTENT_TYPE)


def _flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "false").lower() == "true"


def _store(request: web.Request) -> SchemaStore:
    return request.app[STORE]


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.text() or "{}")
    except json.JSONDecodeError as exc:
        message = f"the request body is not JSON: {exc}"
        raise RegistryError(message, status=400, error_code=400) from exc
    if not isinstance(body, dict):
        raise RegistryError("the request body must be a JSON object", status=400, error_code=400)
    return body


async def _schema(request: web.Request) -> ParsedSchema:
    """The Avro schema in a request body; 42201 if it is missing, invalid or not Avro."""
    body = await _body(request)
    kind = body.get("schemaType") or "AVRO"
    if kind != "AVRO":
        raise _invalid(f"schemaType {kind} is not supported by this registry; use AVRO")
    if body.get("references"):
        raise _invalid("schema references are not supported by this registry")
    text = body.get("schema")
    if not isinstance(text, str) or not text.strip():
        raise _invalid("the body has no 'schema' string")
    try:
        return parse_schema(text)
    except SchemaError as exc:
        raise _invalid(f"Invalid schema: {exc}") from exc


def _invalid(message: str) -> RegistryError:
    return RegistryError(message, status=422, error_code=42201)


def _level(body: dict[str, Any]) -> Compatibility:
    try:
        return Compatibility.parse(body.get("compatibility"))
    except ValueError as exc:
        raise RegistryError(str(exc), status=422, error_code=42203) from exc


def _described(v: Version, schema: str) -> dict[str, Any]:
    return {"subject": v.subject, "version": v.version, "id": v.schema_id, "schema": schema}


@web.middleware
async def errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Every error as Confluent's ``{"error_code", "message"}`` body."""
    try:
        return await handler(request)
    except RegistryError as exc:
        if exc.status >= 500:
            log.error("%s %s: %s", request.method, request.path, exc)
        return reply({"error_code": exc.error_code, "message": str(exc)}, exc.status)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return reply(
            {"error_code": exc.status, "message": f"HTTP {exc.status} {exc.reason}"}, exc.status
        )
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return reply({"error_code": 500, "message": "internal server error"}, 500)


@routes.get("/")
async def root(request: web.Request) -> web.Response:
    return reply({})


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    """Up only if the registry topic can be read to its end right now."""
    async with _store(request).view() as state:
        return reply({"status": "UP", "subjects": len(state.subjects())})


@routes.get("/schemas/types")
async def schema_types(request: web.Request) -> web.Response:
    return reply(["AVRO"])


@routes.get("/subjects")
async def subjects(request: web.Request) -> web.Response:
    async with _store(request).view() as state:
        return reply(state.subjects(deleted=_flag(request, "deleted")))


@routes.get("/subjects/{subject}/versions")
async def versions(request: web.Request) -> web.Response:
    subject = request.match_info["subject"]
    async with _store(request).view() as state:
        found = state.versions(subject, deleted=_flag(request, "deleted"))
        return reply([v.version for v in found])


@routes.post("/subjects/{subject}/versions")
async def register(request: web.Request) -> web.Response:
    schema = await _schema(request)
    schema_id = await _store(request).register(request.match_info["subject"], schema)
    return reply({"id": schema_id})


@routes.get("/subjects/{subject}/versions/{version}")
async def get_version(request: web.Request) -> web.Response:
    subject, spec = request.match_info["subject"], request.match_info["version"]
    async with _store(request).view() as state:
        found = state.version(subject, spec, deleted=_flag(request, "deleted"))
        return reply(_described(found, state.text(found.fingerprint)))


@routes.get("/subjects/{subject}/versions/{version}/schema")
async def get_version_schema(request: web.Request) -> web.Response:
    subject, spec = request.match_info["subject"], request.match_info["version"]
    async with _store(request).view() as state:
        found = state.version(subject, spec, deleted=_flag(request, "deleted"))
        return web.Response(text=state.text(found.fingerprint), content_type=CONTENT_TYPE)


@routes.delete("/subjects/{subject}/versions/{version}")
async def delete_version(request: web.Request) -> web.Response:
    subject, spec = request.match_info["subject"], request.match_info["version"]
    deleted = await _store(request).delete_version(
        subject, spec, permanent=_flag(request, "permanent")
    )
    return reply(deleted)


@routes.post("/subjects/{subject}")
async def lookup(request: web.Request) -> web.Response:
    subject = request.match_info["subject"]
    schema = await _schema(request)
    async with _store(request).view() as state:
        state.versions(subject, deleted=True)
        found = state.find(subject, schema.fingerprint)
        if found is None or (found.deleted and not _flag(request, "deleted")):
            raise RegistryError(
                f"Schema not found under subject '{subject}'.", status=404, error_code=40403
            )
        return reply(_described(found, state.text(found.fingerprint)))


@routes.delete("/subjects/{subject}")
async def delete_subject(request: web.Request) -> web.Response:
    subject = request.match_info["subject"]
    store = _store(request)
    return reply(await store.delete_subject(subject, permanent=_flag(request, "permanent")))


def _schema_id(request: web.Request) -> int:
    try:
        return int(request.match_info["id"])
    except ValueError:
        raise RegistryError("Schema not found.", status=404, error_code=40403) from None


@routes.get("/schemas/ids/{id}")
async def schema_by_id(request: web.Request) -> web.Response:
    async with _store(request).view() as state:
        return reply({"schema": state.by_id(_schema_id(request))})


@routes.get("/schemas/ids/{id}/schema")
async def raw_schema_by_id(request: web.Request) -> web.Response:
    async with _store(request).view() as state:
        return web.Response(text=state.by_id(_schema_id(request)), content_type=CONTENT_TYPE)


@routes.get("/schemas/ids/{id}/versions")
async def schema_uses(request: web.Request) -> web.Response:
    schema_id = _schema_id(request)
    async with _store(request).view() as state:
        state.by_id(schema_id)
        uses = state.uses_of(schema_id)
        return reply([{"subject": v.subject, "version": v.version} for v in uses])


@routes.post("/compatibility/subjects/{subject}/versions/{version}")
async def test_compatibility(request: web.Request) -> web.Response:
    """Check against that one version, in the direction of the subject's level."""
    subject, spec = request.match_info["subject"], request.match_info["version"]
    schema = await _schema(request)
    async with _store(request).view() as state:
        level = state.compatibility(subject)
        live = state.live_schemas(subject)
        if parse_version(spec) is None and not live:
            return reply({"is_compatible": True, "messages": []})
        against = state.version(subject, spec)
        old = [(v, s) for v, s in live if v == against.version]
        direct = Compatibility(level.value.removesuffix("_TRANSITIVE"))
        messages = check_compatibility(schema.avro, old, direct)
        return reply({"is_compatible": not messages, "messages": messages})


@routes.get("/config")
async def get_global_config(request: web.Request) -> web.Response:
    async with _store(request).view() as state:
        return reply({"compatibilityLevel": state.compatibility(None)})


@routes.put("/config")
async def put_global_config(request: web.Request) -> web.Response:
    level = _level(await _body(request))
    await _store(request).set_config(None, level)
    return reply({"compatibility": level})


@routes.delete("/config")
async def delete_global_config(request: web.Request) -> web.Response:
    return reply({"compatibilityLevel": await _store(request).delete_config(None)})


@routes.get("/config/{subject}")
async def get_config(request: web.Request) -> web.Response:
    subject = request.match_info["subject"]
    async with _store(request).view() as state:
        level = state.config(subject)
        if level is None and _flag(request, "defaultToGlobal"):
            level = state.compatibility(None)
        if level is None:
            raise RegistryError(
                f"Subject '{subject}' does not have subject-level compatibility configured",
                status=404,
                error_code=40408,
            )
        return reply({"compatibilityLevel": level})


@routes.put("/config/{subject}")
async def put_config(request: web.Request) -> web.Response:
    level = _level(await _body(request))
    await _store(request).set_config(request.match_info["subject"], level)
    return reply({"compatibility": level})


@routes.delete("/config/{subject}")
async def delete_config(request: web.Request) -> web.Response:
    level = await _store(request).delete_config(request.match_info["subject"])
    return reply({"compatibilityLevel": level})
