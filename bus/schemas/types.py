"""Every event type's full name, once: code names a type by constant, never by literal.

The names are the Avro records' full names in ``schemas/`` (a test checks that
each constant has a contract and each contract a constant).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from bus.errors import SchemaError

NAMESPACE = "gov.agencybus."
CONVERSATION = NAMESPACE + "conversation."
SERVICE_REQUEST = NAMESPACE + "servicerequest."
ESCALATION = NAMESPACE + "escalation."
AUDIT = NAMESPACE + "audit."
DEAD_LETTER_FAMILY = NAMESPACE + "deadletter."
EVENT_HEADER = NAMESPACE + "common.EventHeader"
"""The header record every event embeds (a shared type, not an event)."""

# audit
AUDIT_CHECKPOINT = AUDIT + "AuditCheckpoint"
AUDIT_LOG_ENTRY = AUDIT + "AuditLogEntry"
AUDIT_RECORD = AUDIT + "AuditRecord"
# conversation
AUTHENTICATION_COMPLETED = CONVERSATION + "AuthenticationCompleted"
AUTHENTICATION_REQUESTED = CONVERSATION + "AuthenticationRequested"
CLIENT_LEFT = CONVERSATION + "ClientLeft"
CONTACT_INFO_ANSWERED = CONVERSATION + "ContactInfoAnswered"
CONTACT_INFO_REQUESTED = CONVERSATION + "ContactInfoRequested"
CONVERSATION_ENDED = CONVERSATION + "ConversationEnded"
CONVERSATION_RATED = CONVERSATION + "ConversationRated"
CONVERSATION_STATUS_CHANGED = CONVERSATION + "ConversationStatusChanged"
GREETING = CONVERSATION + "Greeting"
HANDOFF_REQUESTED = CONVERSATION + "HandoffRequested"
INTENT_CLASSIFIED = CONVERSATION + "IntentClassified"
MESSAGE_READ = CONVERSATION + "MessageRead"
MESSAGE_SENT = CONVERSATION + "MessageSent"
OFFICIAL_PRESENCE_CHANGED = CONVERSATION + "OfficialPresenceChanged"
PERMISSION_ANSWERED = CONVERSATION + "PermissionAnswered"
PERMISSION_ASKED = CONVERSATION + "PermissionAsked"
REDIRECTED = CONVERSATION + "Redirected"
TAKEN_OVER = CONVERSATION + "TakenOver"
UNAVAILABLE = CONVERSATION + "Unavailable"
# deadletter
DEAD_LETTER = DEAD_LETTER_FAMILY + "DeadLetter"
# escalation
CASE_ACTION_REJECTED = ESCALATION + "CaseActionRejected"
CASE_ACTION_REQUESTED = ESCALATION + "CaseActionRequested"
CASE_CLAIMED = ESCALATION + "CaseClaimed"
CASE_OPENED = ESCALATION + "CaseOpened"
CASE_RELEASED = ESCALATION + "CaseReleased"
CASE_RESOLVED = ESCALATION + "CaseResolved"
CASE_TRANSFERRED = ESCALATION + "CaseTransferred"
SERVICE_LEVEL_BREACHED = ESCALATION + "ServiceLevelBreached"
# servicerequest
SERVICE_REQUEST_ACCEPTED = SERVICE_REQUEST + "ServiceRequestAccepted"
SERVICE_REQUEST_COMPLETED = SERVICE_REQUEST + "ServiceRequestCompleted"
SERVICE_REQUEST_CREATED = SERVICE_REQUEST + "ServiceRequestCreated"
SERVICE_REQUEST_IN_PROGRESS = SERVICE_REQUEST + "ServiceRequestInProgress"
SERVICE_REQUEST_NEEDS_INFORMATION = SERVICE_REQUEST + "ServiceRequestNeedsInformation"
SERVICE_REQUEST_REJECTED = SERVICE_REQUEST + "ServiceRequestRejected"


def short_name(type_name: str) -> str:
    """``gov.agencybus.conversation.Greeting`` -> ``Greeting``."""
    return type_name.rsplit(".", 1)[-1]


def full_name(name: str, known: Iterable[str]) -> str | None:
    """A full type name for ``name``, which may be short (``Greeting``); None if unknown."""
    if name in known:
        return name
    matches = [full for full in known if short_name(full) == name]
    return matches[0] if len(matches) == 1 else None


def resolve(name: str, known: Iterable[str]) -> str:
    """The full type name for a full or short ``name``; SchemaError saying what exists if none.

    Every place a person names a type (the client, ``bus replay --type``) takes both.
    """
    known = sorted(known)
    found = full_name(name, known)
    if found is not None:
        return found
    same = [full for full in known if short_name(full) == name]
    if same:
        raise SchemaError(f"event type {name!r} is ambiguous: give one of {', '.join(same)}")
    close = difflib.get_close_matches(name, sorted({short_name(full) for full in known}), n=3)
    hint = f": did you mean {' or '.join(close)}?" if close else ""
    raise SchemaError(
        f"unknown event type {name!r}{hint} (the types are the contracts in schemas/, by full "
        f"or short name: {GREETING} or Greeting)"
    )
