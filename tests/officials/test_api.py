"""What the officials' API tells the console: what each official may do, who holds a case,
the whole conversation, and the supervisor's figures. Real worker, broker and API."""

from __future__ import annotations

import asyncio
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from bus.catalogue import load_catalogue
from bus.client import Publisher
from bus.schemas.event import new_event

pytestmark = [pytest.mark.broker, pytest.mark.slow]

CONV = "gov.agencybus.conversation."
NOTHING = {"claim": False, "release": False, "transfer": False, "reply": False, "resolve": False}


async def test_the_api_says_what_each_official_may_do_and_who_holds_a_refused_case(
    escalation_system: Callable[..., Any],
) -> None:
    system = escalation_system()
    api = system.api
    conversation_id = f"conv-{uuid.uuid4().hex[:10]}"
    catalogue = load_catalogue(system.catalogue_path)
    async with Publisher(system.settings) as publisher:
        for kind, fields in (
            ("MessageSent", {"message_id": "m1", "author_role": "END_USER", "text": "Help me"}),
            ("MessageSent", {"message_id": "m2", "author_role": "BOT", "text": "What about?"}),
            ("HandoffRequested", {"trigger": "CITIZEN_REQUEST", "requested_by": "END_USER"}),
        ):
            event = new_event(
                CONV + kind, source="assistant:police", conversation_id=conversation_id, **fields
            )
            await publisher.publish(catalogue.topics.assistant_events, event)
    case = await api.case_of(conversation_id, "anna")
    assert case["can"] == {**NOTHING, "claim": True, "transfer": True}
    assert (case["preview"], case["waiting"]) == ("Help me", "OFFICIALS")
    path = f"/api/cases/{case['case_id']}"

    status, _ = await api.acall("PUT", "/api/presence", "bert", {"presence": "online"})
    assert status == 200
    case = await api.case_of(conversation_id, "anna", waiting=None)  # bert is online now
    assert (await api.acall("POST", path + "/claim", "anna"))[0] == 200
    status, refused = await api.acall("POST", path + "/claim", "bert")
    assert (status, refused["error"], refused["holder_name"]) == (
        409,
        "already-claimed",
        "Anna Tamm",
    )

    _, annas = await api.acall("GET", path, "anna")
    assert annas["case"]["can"] == {
        "claim": False,
        "release": True,
        "transfer": True,
        "reply": True,
        "resolve": True,
    }
    assert annas["case"]["official_name"] == "Anna Tamm"
    kinds = [(turn["kind"], turn.get("role")) for turn in annas["turns"]]
    assert kinds == [
        ("message", "END_USER"),
        ("message", "BOT"),
        ("handoff", None),
        ("taken-over", None),
    ]
    assert [m["role"] for m in annas["messages"]] == ["END_USER", "BOT"]
    _, berts = await api.acall("GET", path, "bert")
    assert berts["case"]["can"] == NOTHING

    status, refused = await api.acall("GET", "/api/supervisor", "bert")
    assert (status, refused["error"]) == (403, "not-supervisor")
    status, refused = await api.acall("GET", "/api/supervisor?tz=Nowhere/Atlantis", "anna")
    assert (status, refused["error"]) == (400, "bad-time-zone")
    status, figures = await api.acall("GET", "/api/supervisor?tz=Europe/Tallinn", "anna")
    assert status == 200, figures
    assert (figures["queue_length"], figures["open_cases"]) == (0, 1)
    assert (figures["claimed_now"], figures["claimed_today"]) == ({"anna": 1}, {"anna": 1})
    assert figures["officials_online"] == ["bert"]
    assert figures["names"] == {"anna": "Anna Tamm", "bert": "Bert Kask"}


async def test_the_console_is_served_as_modules_that_browsers_check_on_each_load(
    escalation_system: Callable[..., Any],
) -> None:
    system = escalation_system()

    def head(path: str) -> tuple[str, str]:
        with urllib.request.urlopen(system.api.url + path, timeout=30) as response:
            return response.headers["Content-Type"], response.headers["Cache-Control"]

    page = await asyncio.to_thread(head, "/")
    script = await asyncio.to_thread(head, "/static/console.js")
    words = await asyncio.to_thread(head, "/static/messages.json")
    assert page == ("text/html", "no-cache")
    assert "javascript" in script[0] and script[1] == "no-cache"
    assert words == ("application/json", "no-cache")
