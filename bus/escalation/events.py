"""The events the escalator writes, built from a case and what caused them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from bus.escalation.case import Case
from bus.schemas.event import Event, new_event
from bus.schemas.types import CONVERSATION, ESCALATION

SOURCE = "bus:escalator"


def at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def case_event(name: str, case: Case, cause: str | None, now: datetime, **fields: Any) -> Event:
    """An escalation event about ``case``; the case id is also the correlation id."""
    return new_event(
        ESCALATION + name,
        source=SOURCE,
        conversation_id=case.conversation_id,
        authority=case.authority,
        correlation_id=case.case_id,
        causation_id=cause,
        occurred_at=now,
        case_id=case.case_id,
        **fields,
    )


def conversation_event(
    name: str, case: Case, cause: str | None, now: datetime, source: str = SOURCE, **fields: Any
) -> Event:
    """An event in the citizen's conversation, sent to the host's assistant."""
    return new_event(
        CONVERSATION + name,
        source=source,
        conversation_id=case.conversation_id,
        authority=case.authority,
        correlation_id=case.case_id,
        causation_id=cause,
        occurred_at=now,
        **fields,
    )


def opened(case: Case, cause: str | None, now: datetime, summary: str) -> Event:
    return case_event(
        "CaseOpened",
        case,
        cause,
        now,
        handling_authority=case.authority,
        trigger=case.trigger,
        policy=case.policy,
        first_response_due=at(case.first_response_due_ms),
        summary=summary,
    )


def official_message(
    case: Case, cause: str | None, now: datetime, official: str, name: str | None, text: str
) -> Event:
    """The official's reply, written as a conversation message with the official's role."""
    return conversation_event(
        "MessageSent",
        case,
        cause,
        now,
        source=f"official:{case.authority}",
        message_id=str(uuid.uuid4()),
        author_role="BACKOFFICE_USER",
        author_id=official,
        author_display_name=name,
        text=text,
    )


def rejected(
    conversation_id: str | None,
    action: Event,
    reason: str,
    detail: str,
    now: datetime,
) -> Event:
    return new_event(
        ESCALATION + "CaseActionRejected",
        source=SOURCE,
        conversation_id=conversation_id,
        authority=action.data.get("official_authority"),
        correlation_id=action.data.get("case_id"),
        causation_id=action.id,
        occurred_at=now,
        case_id=action.data.get("case_id"),
        action=action.data.get("action") or "OTHER",
        official_id=action.data.get("official_id"),
        reason=reason,
        detail=detail,
    )
