"""The demo's escalation part: policies open cases, officials claim, answer and resolve them.

It runs the officials' API as its own process, as an operator would, with an
officials file of fresh tokens, and plays two officials of one authority
through the API: both claim the same case at once (one wins, one gets 409),
the winner answers the citizen and resolves it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from bus.catalogue import Authority, Catalogue
from bus.client import Publisher
from bus.errors import BusError
from bus.kafka.local import free_port
from bus.officials.auth import new_token
from bus.schemas.event import Event, new_event
from bus.schemas.types import CONVERSATION as CONV
from bus.settings import Settings
from bus.supervise import Service, http_ok, start_bus

TIMEOUT_S = 60.0
OFFICIALS = ("demo-anna", "demo-bert")


def start_officials_api(
    settings: Settings, authority: Authority, env: dict[str, str], started: ExitStack
) -> tuple[str, dict[str, str], Service]:
    """The officials' API on a free port with two officials of ``authority``."""
    folder = settings.home / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    tokens, entries = {}, []
    for official in OFFICIALS:
        token, digest = new_token()
        tokens[official] = token
        name = official.removeprefix("demo-").title()
        entries.append(
            {"id": official, "name": name, "authority": authority.code, "token_sha256": digest}
        )
    officials = Path(folder / "officials.yaml")
    officials.write_text(yaml.safe_dump({"officials": entries}))
    port = free_port()
    server = start_bus(
        "officials",
        ["officials", "serve", "--port", str(port)],
        {**env, "BUS_OFFICIALS": str(officials)},
        folder,
    )
    started.callback(server.stop)
    url = f"http://127.0.0.1:{port}"
    server.wait_until(http_ok(url + "/"), timeout_s=120)
    return url, tokens, server


def conversations(authority: Authority) -> list[tuple[str, list[Event]]]:
    """Three citizens whose conversations trip three different policies."""
    me = f"assistant:{authority.code}"
    intent = authority.intents[0] if authority.intents else "unknown"

    def event(kind: str, conversation: str, **fields: Any) -> Event:
        return new_event(CONV + kind, source=me, conversation_id=conversation, **fields)

    asked, unsure, unhappy = (str(uuid.uuid4()) for _ in range(3))
    return [
        (
            asked,
            [
                event(
                    "MessageSent",
                    asked,
                    message_id="m1",
                    author_role="END_USER",
                    text="Can I talk to a person, please?",
                ),
                event(
                    "HandoffRequested",
                    asked,
                    trigger="CITIZEN_REQUEST",
                    requested_by="END_USER",
                ),
            ],
        ),
        (
            unsure,
            [
                event("IntentClassified", unsure, intent=intent, confidence=0.2),
                event("IntentClassified", unsure, intent=intent, confidence=0.3),
            ],
        ),
        (unhappy, [event("ConversationRated", unhappy, score=1, scale_max=5)]),
    ]


async def play(
    settings: Settings, catalogue: Catalogue, authority: Authority, url: str, tokens: dict[str, str]
) -> list[str]:
    """Publish the conversations, then work the first case through the API; lines to print."""
    played = conversations(authority)
    async with Publisher(settings) as publisher:
        for _, events in played:
            for event in events:
                await publisher.publish(catalogue.topics.assistant_events, event)
    anna, bert = ({"Authorization": f"Bearer {tokens[official]}"} for official in OFFICIALS)
    lines: list[str] = []
    async with aiohttp.ClientSession(url) as http:
        await _call(http, "PUT", "/api/presence", anna, {"presence": "online"})
        wanted = {conversation for conversation, _ in played}
        cases = await _wait_for_cases(http, anna, wanted)
        for case in cases:
            waiting = f", waiting: {case['waiting'].lower()}" if case["waiting"] else ""
            lines.append(
                f"  opened   {case['case_id']}  {case['policy']:<16} {case['trigger']}{waiting}"
            )
        first = next(c for c in cases if c["policy"] == "human-request")
        path = f"/api/cases/{first['case_id']}"
        claims = await asyncio.gather(
            _call(http, "POST", path + "/claim", anna), _call(http, "POST", path + "/claim", bert)
        )
        statuses = sorted(status for status, _ in claims)
        lines.append(
            f"  claimed  {first['case_id']}  two officials at once: {statuses[0]} and {statuses[1]}"
        )
        winner = anna if claims[0][0] == 200 else bert
        status, _ = await _call(
            http,
            "POST",
            path + "/reply",
            winner,
            {"text": "Hello, an official here. How can I help?"},
        )
        lines.append(f"  replied  {first['case_id']}  as the official: {status}")
        status, body = await _call(
            http, "POST", path + "/resolve", winner, {"resolution": "ACCEPTED"}
        )
        outcome = body["case"]["resolution"] if status == 200 else status
        lines.append(f"  resolved {first['case_id']}  {outcome}")
        _, detail = await _call(http, "GET", path, winner)
        roles = [message["role"] for message in detail["messages"]]
        ok = statuses == [200, 409] and status == 200 and "BACKOFFICE_USER" in roles
    lines.append(f"escalation as expected: {'yes' if ok else 'NO'}")
    return lines


async def _call(
    http: aiohttp.ClientSession,
    method: str,
    path: str,
    headers: dict[str, str],
    body: dict[str, Any] | None = None,
) -> tuple[int, Any]:
    async with http.request(method, path, headers=headers, json=body) as response:
        return response.status, await response.json()


async def _wait_for_cases(
    http: aiohttp.ClientSession, headers: dict[str, str], conversations: set[str]
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        _, body = await _call(http, "GET", "/api/cases", headers)
        found = [case for case in body["cases"] if case["conversation_id"] in conversations]
        if len(found) == len(conversations):
            return found
        await asyncio.sleep(0.3)
    raise BusError(f"the escalator opened no cases within {TIMEOUT_S:.0f}s; see the worker log")


def run_escalation(
    settings: Settings, catalogue: Catalogue, env: dict[str, str], started: ExitStack
) -> bool:
    """Print the escalation part of the demo; True if every step went as expected."""
    authority = next(iter(catalogue.authorities.values()))
    url, tokens, _server = start_officials_api(settings, authority, env, started)
    print()
    print(f"escalation to {authority.name}'s officials (API and console at {url}/):")
    lines = asyncio.run(play(settings, catalogue, authority, url, tokens))
    print("\n".join(lines))
    return lines[-1].endswith("yes")
