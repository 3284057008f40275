"""Citizens' conversations across authorities, with where each event must end up.

The demo and the routing tests publish a scenario and compare what arrives
with ``expected``: for every event the assistants publish, the set of topics
it must reach; for every event that cannot be routed, the dead-letter reason.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from bus.catalogue import Authority, Catalogue
from bus.schemas.event import Event, new_event
from bus.schemas.types import CONVERSATION as CONV
from bus.schemas.types import SERVICE_REQUEST as SR

KINDS = ("answered", "redirected", "service-request")
"""Every tenth conversation is unroutable; the others cycle through these."""


@dataclass
class Scenario:
    events: list[Event] = field(default_factory=list)
    expected: dict[str, set[str]] = field(default_factory=dict)
    dead: dict[str, str] = field(default_factory=dict)
    redirects: dict[str, tuple[str, str]] = field(default_factory=dict)
    requests: dict[str, str] = field(default_factory=dict)
    """request id -> topic its status updates must come back to."""

    def add(self, event: Event, *topics: str) -> None:
        self.events.append(event)
        self.expected[event.id or ""] = set(topics)

    def reject(self, event: Event, reason: str) -> None:
        self.events.append(event)
        self.dead[event.id or ""] = reason


def build(catalogue: Catalogue, conversations: int, seed: int = 7) -> Scenario:
    """``conversations`` conversations of every kind, hosted by random authorities."""
    rng = random.Random(seed)
    authorities = list(catalogue.authorities.values())
    scenario = Scenario()
    for index in range(conversations):
        kind = "unroutable" if index % 10 == 0 else KINDS[index % 3]
        host = rng.choice(authorities)
        other = rng.choice([a for a in authorities if a.code != host.code and a.intents])
        _CONVERSATIONS[kind](scenario, host, other, rng)
    return scenario


def _ids(host: Authority) -> dict[str, Any]:
    return {"conversation_id": str(uuid.uuid4()), "authority": host.code}


def _say(source: str, role: str, text: str, **ids: Any) -> Event:
    return new_event(
        CONV + "MessageSent",
        source=source,
        message_id=str(uuid.uuid4()),
        author_role=role,
        text=text,
        **ids,
    )


def _ended(source: str, ids: dict[str, Any]) -> Event:
    return new_event(
        CONV + "ConversationEnded",
        source=source,
        reason="CLIENT_LEFT_WITH_ANSWER",
        ended_by="END_USER",
        **ids,
    )


def _answered(scenario: Scenario, host: Authority, other: Authority, rng: random.Random) -> None:
    ids, me = _ids(host), f"assistant:{host.code}"
    inbox = host.inbox
    scenario.add(new_event(CONV + "Greeting", source=me, text="Hello!", **ids), inbox)
    scenario.add(_say(me, "END_USER", f"A question for {host.name}", **ids), inbox)
    if host.intents:
        intent = new_event(
            CONV + "IntentClassified",
            source=me,
            intent=host.intents[0],
            confidence=round(rng.uniform(0.6, 0.99), 2),
            **ids,
        )
        scenario.add(intent, inbox)
    scenario.add(_say(me, "BOT", "Here is the answer.", **ids), inbox)
    scenario.add(
        new_event(CONV + "ConversationRated", source=me, score=rng.randint(3, 5), **ids), inbox
    )
    scenario.add(_ended(me, ids), inbox)


def _redirected(scenario: Scenario, host: Authority, other: Authority, rng: random.Random) -> None:
    ids, me, them = _ids(host), f"assistant:{host.code}", f"assistant:{other.code}"
    scenario.add(new_event(CONV + "Greeting", source=me, text="Hello!", **ids), host.inbox)
    scenario.add(_say(me, "END_USER", f"A question for {other.name}", **ids), host.inbox)
    intent = new_event(
        CONV + "IntentClassified", source=me, intent=other.intents[0], confidence=0.9, **ids
    )
    scenario.add(intent, other.inbox, other.assistant_topic)
    scenario.redirects[ids["conversation_id"]] = (host.code, other.code)
    forwarded = (other.inbox, other.assistant_topic)
    scenario.add(_say(me, "END_USER", "Thanks for passing me on.", **ids), *forwarded)
    scenario.add(_say(them, "BOT", f"{other.name} here.", **ids), other.inbox, host.assistant_topic)
    scenario.add(_ended(me, ids), *forwarded)


def _service_request(
    scenario: Scenario, host: Authority, other: Authority, rng: random.Random
) -> None:
    ids, me = _ids(host), f"assistant:{host.code}"
    provider = rng.choice([a for a in (host, other) if a.services] or [other])
    request_id = str(uuid.uuid4())
    scenario.add(_say(me, "END_USER", "I want to apply.", **ids), host.inbox)
    created = new_event(
        SR + "ServiceRequestCreated",
        source=me,
        request_id=request_id,
        service_code=provider.services[0],
        provider=provider.code,
        citizen_reference="38001010000",
        fields={"reason": "demo"},
        **ids,
    )
    scenario.add(created, provider.inbox)
    scenario.requests[request_id] = host.assistant_topic


def _unroutable(scenario: Scenario, host: Authority, other: Authority, rng: random.Random) -> None:
    ids, me = _ids(host), f"assistant:{host.code}"
    scenario.add(_say(me, "END_USER", "Can you book me a flight?", **ids), host.inbox)
    scenario.reject(
        new_event(
            SR + "ServiceRequestCreated",
            source=me,
            request_id=str(uuid.uuid4()),
            service_code="flight-booking",
            provider="travel-agency",
            **ids,
        ),
        "no-authority-for-service",
    )
    scenario.reject(
        new_event(
            CONV + "Redirected",
            source=me,
            forwarded_from=host.code,
            forwarded_to="airline",
            **ids,
        ),
        "unknown-authority",
    )


_CONVERSATIONS = {
    "answered": _answered,
    "redirected": _redirected,
    "service-request": _service_request,
    "unroutable": _unroutable,
}


def status_updates(created: Event, provider: Authority) -> Iterator[tuple[str, dict[str, Any]]]:
    """What a simulated agency service answers to a service request: accepted, completed."""
    yield SR + "ServiceRequestAccepted", {"handled_by": f"official:{provider.code}:1"}
    yield SR + "ServiceRequestCompleted", {"outcome": "granted"}
