"""The workers' state holds no personal data, as the data map says of their changelogs.

Every contract's event, every string in it marked with its own path, goes
through the router and the escalator (a whole case too: opened, claimed,
replied to, resolved with a note); then no mark of a personal-data field may
be in either processor's state as its changelog would carry it.
"""

from __future__ import annotations

import json
import re
import uuid
from itertools import count
from typing import Any

from bus.escalation import ConversationState, on_action, on_conversation
from bus.routing import SubjectState, route
from bus.schemas.contracts import Contract, load_contracts
from bus.schemas.event import Event
from bus.schemas.samples import PRIMITIVE_SAMPLES, SAMPLE_TIME_MS
from bus.settings import PROJECT_ROOT
from tests.escalation.test_desk import CATALOGUE, NOW, action, board, handoff

CONTRACTS = load_contracts(PROJECT_ROOT / "schemas")
MARK = re.compile(r"<<([A-Za-z0-9_.]+)@([a-z_.\[\]{}]+)>>")


def _marked(contract: Contract) -> dict[str, Any]:
    """A datum of ``contract`` whose every string is ``<<Short@path>>``, every optional set,
    every array and map one entry long (a map's key marked too)."""
    short = contract.name.rsplit(".", 1)[1]
    named: dict[str, Any] = {}

    def remember(schema: dict[str, Any]) -> None:
        name = schema["name"]
        named[name] = named[name.rsplit(".", 1)[-1]] = schema
        if "namespace" in schema:
            named[f"{schema['namespace']}.{name}"] = schema

    def fill(schema: Any, path: str) -> Any:
        if isinstance(schema, str) and schema in named:
            schema = named[schema]
        if isinstance(schema, list):
            return fill(next(b for b in schema if b != "null"), path)
        if schema == "string":
            return f"<<{short}@{path}>>"
        if not isinstance(schema, dict):
            return PRIMITIVE_SAMPLES[schema]
        kind = schema["type"]
        if kind == "record":
            remember(schema)
            prefix = f"{path}." if path else ""
            return {f["name"]: fill(f["type"], prefix + f["name"]) for f in schema["fields"]}
        if kind == "enum":
            remember(schema)
            return schema["symbols"][0]
        if kind == "fixed":
            return bytes(schema["size"])
        if kind == "array":
            return [fill(schema["items"], path)]
        if kind == "map":
            return {f"<<{short}@{path}>>": fill(schema["values"], path)}
        if schema.get("logicalType") == "uuid":
            return str(uuid.uuid4())
        if schema.get("logicalType", "").startswith("timestamp"):
            return SAMPLE_TIME_MS
        return fill(kind, path)

    return dict(fill(contract.schema, ""))


def _event(name: str, contract: Contract) -> Event:
    data = _marked(contract)
    for field in data:  # authorities the catalogue knows, so the events are taken, not refused
        if field.endswith("authority") or field.startswith("forwarded_"):
            data[field] = "tax-board" if field == "forwarded_to" else "police"
    data["header"].update(
        event_id=str(uuid.uuid4()),
        source="assistant:police",
        authority="police",
        conversation_id="c1",
        request_id="r1",
    )
    return Event(name, data)


def _personal_marks_in(state: dict[str, Any]) -> list[str]:
    found = MARK.findall(json.dumps(state))
    return sorted(
        f"{short}.{path}" for short, path in found if path in CONTRACTS_BY_SHORT[short].pii_fields
    )


CONTRACTS_BY_SHORT = {name.rsplit(".", 1)[1]: c for name, c in CONTRACTS.items()}


def test_no_personal_data_field_reaches_the_router_or_the_escalator_state() -> None:
    positions = count()
    subject, conversation, presence = SubjectState(), ConversationState(), board(("anna", "police"))
    on_conversation(handoff(), conversation, CATALOGUE, presence, NOW)
    assert conversation.case is not None
    case_id = conversation.case.case_id
    for name, contract in sorted(CONTRACTS.items()):
        if not contract.has_header:
            continue  # not a conversation's or request's event: neither processor takes it
        event = _event(name, contract)
        for origin in ("assistant", "service"):
            route(event, origin, subject, CATALOGUE, f"t:0:{next(positions)}")
        if name.endswith("CaseActionRequested"):
            on_action(event, conversation, CATALOGUE, presence, NOW)
        else:
            on_conversation(event, conversation, CATALOGUE, presence, NOW)
    for kind, fields in (
        ("CLAIM", {}),
        ("REPLY", {"text": "<<CaseActionRequested@text>>"}),
        ("RESOLVE", {"resolution": "ACCEPTED", "note": "<<CaseResolved@note>>"}),
    ):
        shown = {"official_display_name": "<<CaseActionRequested@official_display_name>>"}
        on_action(action(kind, case_id, **shown, **fields), conversation, CATALOGUE, presence, NOW)
    assert conversation.case is not None and conversation.case.resolution == "ACCEPTED"
    held = {"router": subject.to_json(), "escalator": conversation.to_json()}
    assert MARK.search(json.dumps(held)), "nothing marked reached the state: the test tests nothing"
    assert _personal_marks_in(held) == []
