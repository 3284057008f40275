"""Escalation to human officials: policies, the case lifecycle, presence and availability."""

from bus.escalation.case import Case, Status
from bus.escalation.desk import Output, check_deadlines, due, on_action, on_conversation
from bus.escalation.presence import PresenceBoard
from bus.escalation.state import ConversationState

__all__ = [
    "Case",
    "ConversationState",
    "Output",
    "PresenceBoard",
    "Status",
    "check_deadlines",
    "due",
    "on_action",
    "on_conversation",
]
