"""Which citizen turns a sandbox is fed, and in what form: pure functions, no Kafka.

A turn is a citizen's ``MessageSent`` (author ``END_USER``) of the sandbox's
authority. Sampling is by conversation (a stable hash), so a candidate sees
whole conversations, the same ones on every run. The fed turn keeps its
``event_id``: the candidate's answers name it (``causation_id``) and the
report finds the production assistant's answers to the same turn by it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from bus.catalogue.sandbox import Sandbox
from bus.privacy.fields import scrubbed
from bus.privacy.scrubber import Scrubber
from bus.schemas.contracts import Contract
from bus.schemas.event import Event
from bus.schemas.types import HANDOFF_REQUESTED, INTENT_CLASSIFIED, MESSAGE_SENT

ANSWERS = (INTENT_CLASSIFIED, MESSAGE_SENT, HANDOFF_REQUESTED)
"""What a candidate may answer with."""
SAMPLING_BUCKETS = 10_000


def is_citizen_turn(event: Event, authority: str) -> bool:
    return (
        event.type == MESSAGE_SENT
        and event.header.get("authority") == authority
        and event.data.get("author_role") == "END_USER"
    )


def sampled(box: Sandbox, conversation_id: str) -> bool:
    """Whether the conversation is in the sandbox's sample: the same answer every time."""
    if box.sampling >= 1:
        return True
    digest = hashlib.sha256(f"{box.name}\0{conversation_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % SAMPLING_BUCKETS < box.sampling * SAMPLING_BUCKETS


def feeds(box: Sandbox, event: Event, now: datetime) -> bool:
    """Whether ``box`` gets ``event``: a sampled citizen turn of its authority, before the end."""
    conversation = event.header.get("conversation_id")
    return (
        not box.ended(now)
        and is_citizen_turn(event, box.authority)
        and isinstance(conversation, str)
        and sampled(box, conversation)
    )


def fed(event: Event, contract: Contract, scrubber: Scrubber) -> Event:
    """The turn as the candidate sees it: free text scrubbed, other personal data pseudonymised."""
    return Event(event.type, scrubbed(event.data, contract, scrubber))


def answer_problem(event: Event) -> tuple[str, str] | None:
    """``(reason, error)`` if ``event`` is no answer a candidate may give, else None."""
    if event.type not in ANSWERS:
        allowed = ", ".join(name.rpartition(".")[2] for name in ANSWERS)
        return "not-an-answer", f"a candidate answers with {allowed}, not {event.type}"
    if not event.header.get("causation_id"):
        return (
            "names-no-turn",
            "an answer must name the turn it answers: set header.causation_id to the "
            "turn's event_id",
        )
    return None


def unknown_turn(turn: str, input_topic: str) -> tuple[str, str]:
    """``(reason, error)`` for an answer whose ``causation_id`` names no turn of the input."""
    return (
        "unknown-turn",
        f"the answer names turn {turn!r}, which {input_topic} does not hold: set "
        "header.causation_id to the event_id of a turn read from it",
    )
