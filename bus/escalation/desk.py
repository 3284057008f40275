"""The escalator's decisions: plain functions from an event and a conversation's state to outputs.

``on_conversation`` applies the owner's policies to an assistant's or agency
service's event and may open a case; ``on_action`` carries out an official's
action (or the timer's deadline check) on the conversation's case. Both update
the state in place and return the events to send; nothing here touches Kafka.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from bus.catalogue import Authority, Catalogue
from bus.errors import CaseActionError
from bus.escalation import case as transitions
from bus.escalation import events
from bus.escalation.availability import unavailability
from bus.escalation.case import Case
from bus.escalation.policy import Escalate, evaluate, overdue
from bus.escalation.presence import PresenceBoard
from bus.escalation.state import ConversationState
from bus.schemas.event import Event
from bus.schemas.types import CLIENT_LEFT, CONVERSATION_ENDED, REDIRECTED
from bus.schemas.types import INTENT_CLASSIFIED as INTENT

ENDINGS = frozenset({CONVERSATION_ENDED, CLIENT_LEFT})


@dataclass(frozen=True)
class Output:
    topic: str
    event: Event


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def on_conversation(
    event: Event,
    state: ConversationState,
    catalogue: Catalogue,
    board: PresenceBoard,
    now: datetime,
) -> list[Output]:
    """Follow who owns the conversation, then open a case if the owner's policy fires."""
    _follow_owner(event, state, catalogue)
    state.ended = state.ended or event.type in ENDINGS
    owner = catalogue.authority(state.owner)
    if owner is None:
        return []
    fired = evaluate(event, state.signals, owner.escalation, ms(now))
    if fired is None or state.open_case is not None:
        return []
    conversation = str(event.header.get("conversation_id") or event.subject)
    return open_case(state, conversation, fired, owner, catalogue, board, now, event.id)


def _follow_owner(event: Event, state: ConversationState, catalogue: Catalogue) -> None:
    if state.host is None:
        host = (
            catalogue.authority_of_source(event.source)
            or catalogue.authority(event.header.get("authority"))
            or catalogue.fallback
        )
        state.host = state.owner = host.code if host else None
    if event.type == REDIRECTED:
        target = catalogue.authority(str(event.data.get("forwarded_to")))
        state.owner = target.code if target else state.owner
    elif event.type == INTENT:
        target = catalogue.authority_for_intent(str(event.data.get("intent", "")))
        state.owner = target.code if target else state.owner


def open_case(
    state: ConversationState,
    conversation_id: str,
    fired: Escalate,
    authority: Authority,
    catalogue: Catalogue,
    board: PresenceBoard,
    now: datetime,
    cause: str | None,
) -> list[Output]:
    """A new case in ``authority``'s queue; the citizen is told if no one can answer now."""
    state.opened += 1
    case = Case(
        case_id=f"case-{uuid.uuid4().hex[:12]}",
        conversation_id=conversation_id,
        authority=authority.code,
        host=state.host or authority.code,
        trigger=fired.trigger,
        policy=fired.policy,
        opened_at_ms=ms(now),
        first_response_due_ms=ms(now) + int(authority.escalation.first_response_s * 1000),
    )
    state.case = case
    outputs = [Output(catalogue.topics.escalations, events.opened(case, cause, now, fired.detail))]
    return outputs + _availability(case, catalogue, board, now, cause)


def _availability(
    case: Case, catalogue: Catalogue, board: PresenceBoard, now: datetime, cause: str | None
) -> list[Output]:
    authority = catalogue.authority(case.authority)
    found = unavailability(authority, now, board) if authority else None
    case.waiting = found.reason if found else None
    if found is None:
        return []
    event = events.conversation_event(
        "Unavailable",
        case,
        cause,
        now,
        reason=found.reason,
        available_again_at=found.available_again_at,
    )
    return [Output(catalogue.topics.escalations, event), *_to_host(case, catalogue, event)]


def _to_host(case: Case, catalogue: Catalogue, event: Event) -> list[Output]:
    host = catalogue.authority(case.host)
    return [Output(host.assistant_topic, event)] if host else []


def on_action(
    action: Event,
    state: ConversationState,
    catalogue: Catalogue,
    board: PresenceBoard,
    now: datetime,
) -> list[Output]:
    """Carry out a CaseActionRequested; a refused action becomes CaseActionRejected."""
    conversation = action.header.get("conversation_id")
    if action.data.get("action") == "CHECK_DEADLINES":
        return check_deadlines(state, str(conversation), catalogue, board, now, action.id)
    try:
        return _act(action, state, catalogue, board, now)
    except CaseActionError as exc:
        event = events.rejected(conversation, action, exc.reason, str(exc), now)
        return [Output(catalogue.topics.escalations, event)]


def _act(
    action: Event,
    state: ConversationState,
    catalogue: Catalogue,
    board: PresenceBoard,
    now: datetime,
) -> list[Output]:
    data = action.data
    case = state.case
    if case is None or case.case_id != data.get("case_id"):
        raise CaseActionError(
            "unknown-case", f"no case {data.get('case_id')!r} in this conversation"
        )
    official = str(data.get("official_id") or "")
    authority = str(data.get("official_authority") or "")
    cause, escalations = action.id, catalogue.topics.escalations
    kind = data.get("action")
    if kind == "CLAIM":
        transitions.claim(case, official, authority)
        claimed = events.case_event("CaseClaimed", case, cause, now, official_id=official)
        taken = events.conversation_event(
            "TakenOver",
            case,
            cause,
            now,
            official_id=official,
            official_display_name=data.get("official_display_name"),
        )
        return [Output(escalations, claimed), *_to_host(case, catalogue, taken)]
    if kind == "RELEASE":
        transitions.release(case, official, authority)
        case.queued_at_ms = ms(now)
        released = events.case_event(
            "CaseReleased", case, cause, now, official_id=official, reason=data.get("text")
        )
        return [Output(escalations, released)]
    if kind == "TRANSFER":
        target = catalogue.authority(data.get("to_authority"))
        if target is None:
            raise CaseActionError(
                "unknown-authority", f"{data.get('to_authority')!r} is not in the catalogue"
            )
        transitions.transfer(case, official, authority, target.code)
        case.queued_at_ms = ms(now)
        moved = events.case_event(
            "CaseTransferred",
            case,
            cause,
            now,
            from_authority=authority,
            to_authority=target.code,
            official_id=official,
            reason=data.get("text"),
        )
        state.owner = target.code
        return [Output(escalations, moved), *_availability(case, catalogue, board, now, cause)]
    if kind == "REPLY":
        text = str(data.get("text") or "")
        if not text.strip():
            raise CaseActionError("empty-reply", "a reply needs text")
        transitions.reply(case, official, authority, ms(now))
        name = data.get("official_display_name")
        message = events.official_message(case, cause, now, official, name, text)
        return _to_host(case, catalogue, message)
    if kind == "RESOLVE":
        resolution = str(data.get("resolution") or "OTHER")
        transitions.resolve(case, official, authority, resolution)
        resolved = events.case_event(
            "CaseResolved",
            case,
            cause,
            now,
            resolution=resolution,
            official_id=official,
            note=data.get("text"),
        )
        return [Output(escalations, resolved)]
    raise CaseActionError("unknown-action", f"action {kind!r} is not supported")


def check_deadlines(
    state: ConversationState,
    conversation_id: str,
    catalogue: Catalogue,
    board: PresenceBoard,
    now: datetime,
    cause: str | None,
) -> list[Output]:
    """The timer's visit: breach a case past its first-response deadline, escalate late requests."""
    outputs: list[Output] = []
    case = state.open_case
    if case is not None and transitions.breach(case, ms(now)):
        breached = events.case_event(
            "ServiceLevelBreached",
            case,
            cause,
            now,
            deadline=events.at(case.first_response_due_ms),
            breached_at=now,
            service_level="first-response",
        )
        outputs.append(Output(catalogue.topics.escalations, breached))
    owner = catalogue.authority(state.owner)
    if owner is not None and state.open_case is None:
        fired = overdue(state.signals, ms(now))
        if fired is not None:
            outputs += open_case(state, conversation_id, fired, owner, catalogue, board, now, cause)
    return outputs


def due(state: ConversationState, now: datetime) -> bool:
    """Whether the timer should ask for a deadline check of this conversation."""
    now_ms = ms(now)
    case = state.open_case
    if (
        case is not None
        and not case.breached
        and case.first_response_at_ms is None
        and case.first_response_due_ms <= now_ms
    ):
        return True
    return state.open_case is None and any(d <= now_ms for d in state.signals.pending.values())
