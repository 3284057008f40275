"""HTTP routes of the officials' API; each action is published and its outcome awaited.

The API never changes a case itself: it publishes a CaseActionRequested keyed
by the conversation, and the escalator (the one writer of that conversation's
state) decides. The answer is the escalator's outcome event, so two concurrent
claims get exactly one 200 and one 409.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from bus.catalogue import Catalogue
from bus.client import Publisher
from bus.escalation.case import Case, Status, allowed
from bus.metrics.http import add_metrics_route, http_metrics
from bus.officials.auth import Directory, Official
from bus.officials.view import CaseView
from bus.schemas.event import new_event
from bus.schemas.types import CASE_ACTION_REQUESTED as ACTION
from bus.schemas.types import OFFICIAL_PRESENCE_CHANGED as PRESENCE

STATIC = Path(__file__).parent / "static"
OUTCOME_TIMEOUT_S = 30.0
STATUS = {
    "already-claimed": 409,
    "not-claimed-by-you": 409,
    "case-closed": 409,
    "same-authority": 409,
    "foreign-authority": 403,
    "unknown-case": 404,
}
PRESENCES = {"online": "ONLINE", "idle": "IDLE", "offline": "OFFLINE"}
RESOLUTIONS = (
    "ACCEPTED",
    "CLIENT_LEFT_WITH_ANSWER",
    "CLIENT_LEFT_WITHOUT_RESOLUTION",
    "CLIENT_LEFT_FOR_UNKNOWN_REASONS",
    "HATE_SPEECH",
    "RESPONSE_SENT_TO_EMAIL",
    "OTHER",
)
Handler = Callable[[web.Request, Official], Awaitable[web.StreamResponse]]


def _error(status: int, reason: str, detail: str) -> web.Response:
    return web.json_response({"error": reason, "detail": detail}, status=status)


class OfficialsApi:
    def __init__(
        self, catalogue: Catalogue, directory: Directory, view: CaseView, publisher: Publisher
    ) -> None:
        self.catalogue = catalogue
        self.directory = directory
        self.view = view
        self.publisher = publisher

    @property
    def presence_renew_s(self) -> float | None:
        """How often an open console renews its official's presence: a third of the lease,
        so one lost renewal does not let it lapse; None: presence does not lapse."""
        lease = self.view.presence.lease
        return lease.total_seconds() / 3 if lease else None

    def app(self) -> web.Application:
        app = web.Application(middlewares=[http_metrics("officials")])
        add_metrics_route(app)
        guard = self._authenticated
        app.router.add_get("/", self._console)
        app.router.add_static("/static/", STATIC)
        app.on_response_prepare.append(_revalidate_console)
        app.router.add_get("/api/me", guard(self._me))
        app.router.add_get("/api/cases", guard(self._queue))
        app.router.add_get("/api/cases/{case_id}", guard(self._case))
        for action in ("claim", "release", "transfer", "reply", "resolve"):
            app.router.add_post(f"/api/cases/{{case_id}}/{action}", guard(self._action))
        app.router.add_put("/api/presence", guard(self._presence))
        app.router.add_get("/api/supervisor", guard(self._supervisor))
        return app

    async def _console(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "console.html")

    def _name(self, official_id: str | None) -> str | None:
        for known in self.directory.officials:
            if known.id == official_id:
                return known.name
        return official_id

    def _for(self, case: dict[str, Any], official: Official) -> dict[str, Any]:
        """The case as ``official`` sees it: names, the reason it waits now, and what they
        may do, by the escalator's own rules."""
        rules = Case(
            case_id=case["case_id"],
            conversation_id=str(case["conversation_id"]),
            authority=case["authority"],
            host=case["authority"],
            trigger=case["trigger"],
            policy=case["policy"],
            opened_at_ms=0,
            first_response_due_ms=0,
            status=Status(case["status"]),
            official_id=case["official_id"],
        )
        return {
            **case,
            "official_name": self._name(case["official_id"]),
            "waiting": self.view.waiting(case),
            "preview": self.view.preview(str(case["conversation_id"])),
            "can": allowed(rules, official.id, official.authority),
        }

    def _authenticated(self, handler: Handler) -> Callable[[web.Request], Awaitable[Any]]:
        async def guarded(request: web.Request) -> web.StreamResponse:
            official = self.directory.authenticate(request.headers.get("Authorization"))
            if official is None:
                response = _error(401, "unauthenticated", "send Authorization: Bearer <token>")
                response.headers["WWW-Authenticate"] = "Bearer"
                return response
            return await handler(request, official)

        return guarded

    async def _me(self, request: web.Request, official: Official) -> web.StreamResponse:
        others = sorted(code for code in self.catalogue.authorities if code != official.authority)
        return web.json_response(
            {
                "id": official.id,
                "name": official.name,
                "authority": official.authority,
                "authorities": {a.code: a.name for a in self.catalogue.authorities.values()},
                "supervisor": official.supervisor,
                "presence": self.view.presence_of(official.id),
                "presence_renew_s": self.presence_renew_s,
                "transfer_to": others,
                "resolutions": list(RESOLUTIONS),
            }
        )

    async def _queue(self, request: web.Request, official: Official) -> web.StreamResponse:
        cases = [self._for(case, official) for case in self.view.queue(official.authority)]
        return web.json_response({"cases": cases})

    def _own_case(self, request: web.Request, official: Official) -> dict[str, Any] | web.Response:
        case_id = request.match_info["case_id"]
        case = self.view.cases.get(case_id)
        if case is None:
            return _error(404, "unknown-case", f"no case {case_id!r}")
        if case["authority"] != official.authority:
            return _error(403, "foreign-authority", f"case {case_id} is not {official.authority}'s")
        return case

    async def _case(self, request: web.Request, official: Official) -> web.StreamResponse:
        case = self._own_case(request, official)
        if isinstance(case, web.Response):
            return case
        conversation = str(case["conversation_id"])
        return web.json_response(
            {
                "case": self._for(case, official),
                "turns": self.view.turns.get(conversation, []),
                "messages": self.view.messages(conversation),
            }
        )

    async def _action(self, request: web.Request, official: Official) -> web.StreamResponse:
        case = self._own_case(request, official)
        if isinstance(case, web.Response):
            return case
        action = request.path.rsplit("/", 1)[-1].upper()
        body = await _json_body(request)
        if isinstance(body, web.Response):
            return body
        fields = _action_fields(action, body)
        if isinstance(fields, web.Response):
            return fields
        event = new_event(
            ACTION,
            source=f"officials-api:{official.authority}",
            conversation_id=case["conversation_id"],
            authority=official.authority,
            correlation_id=case["case_id"],
            action=action,
            case_id=case["case_id"],
            official_id=official.id,
            official_authority=official.authority,
            official_display_name=official.name,
            **fields,
        )
        outcome = self.view.expect(str(event.id))
        try:
            await self.publisher.publish(self.catalogue.topics.escalation_actions, event)
            result = await asyncio.wait_for(outcome, OUTCOME_TIMEOUT_S)
        except TimeoutError:
            return _error(504, "no-outcome", "the escalator did not answer; is a worker running?")
        finally:
            self.view.forget(str(event.id))
        now = self.view.cases.get(case["case_id"], case)
        if result.type.endswith("CaseActionRejected"):
            reason = str(result.data["reason"])
            body = {"error": reason, "detail": str(result.data.get("detail", ""))}
            if now.get("official_id"):  # who holds it, for the console to say so in words
                body["holder_name"] = self._name(now["official_id"])
            return web.json_response(body, status=STATUS.get(reason, 400))
        return web.json_response(
            {"case": self._for(now, official), "event": result.type, "id": result.id}
        )

    async def _presence(self, request: web.Request, official: Official) -> web.StreamResponse:
        body = await _json_body(request)
        if isinstance(body, web.Response):
            return body
        presence = PRESENCES.get(str(body.get("presence", "")).lower())
        if presence is None:
            return _error(400, "bad-presence", f"presence must be one of {sorted(PRESENCES)}")
        event = new_event(
            PRESENCE,
            source=f"officials-api:{official.authority}",
            authority=official.authority,
            official_id=official.id,
            presence=presence,
        )
        await self.publisher.publish(
            self.catalogue.topics.presence, event, key=official.id.encode()
        )
        self.view.apply(event)  # this API's own view knows at once; the topic tells the rest
        return web.json_response({"official_id": official.id, "presence": presence.lower()})

    async def _supervisor(self, request: web.Request, official: Official) -> web.StreamResponse:
        if not official.supervisor:
            return _error(403, "not-supervisor", f"{official.id} is not a supervisor")
        try:
            zone = ZoneInfo(request.query.get("tz") or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            return _error(400, "bad-time-zone", f"unknown time zone {request.query.get('tz')!r}")
        authority = official.authority
        online = self.view.online(authority)
        figures = self.view.supervision.figures(authority, online, datetime.now(UTC), zone)
        colleagues = [o for o in self.directory.officials if o.authority == authority]
        figures["names"] = {o.id: o.name for o in colleagues}
        figures["presence"] = {o.id: self.view.presence_of(o.id) for o in colleagues}
        return web.json_response(figures)


async def _revalidate_console(request: web.Request, response: web.StreamResponse) -> None:
    """The console's files are checked with the server on each load (a 304 when unchanged),
    so an upgraded API never runs under yesterday's script."""
    if request.path == "/" or request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "no-cache"


async def _json_body(request: web.Request) -> dict[str, Any] | web.Response:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except json.JSONDecodeError as exc:
        return _error(400, "bad-json", f"the body is not JSON: {exc}")
    if not isinstance(body, dict):
        return _error(400, "bad-json", "the body must be a JSON object")
    return body


def _action_fields(action: str, body: dict[str, Any]) -> dict[str, Any] | web.Response:
    text = body.get("text")
    if text is not None and not isinstance(text, str):
        return _error(400, "bad-field", "text must be a string")
    if action == "REPLY" and not (text or "").strip():
        return _error(400, "bad-field", "a reply needs a non-empty text")
    fields: dict[str, Any] = {"text": text}
    if action == "TRANSFER":
        if not isinstance(body.get("to_authority"), str):
            return _error(400, "bad-field", "transfer needs to_authority (an authority code)")
        fields["to_authority"] = body["to_authority"]
    if action == "RESOLVE":
        resolution = body.get("resolution", "ACCEPTED")
        if resolution not in RESOLUTIONS:
            return _error(400, "bad-field", f"resolution must be one of {list(RESOLUTIONS)}")
        fields["resolution"] = resolution
    return fields
