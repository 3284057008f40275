"""Helpers for the escalation and audit services to keep their metrics.

Call them where the state changes; ``authority`` must be a catalogue code and
``chain`` an audit-topic partition (label values stay bounded).
"""

from __future__ import annotations

from datetime import datetime

from bus.metrics.definitions import (
    AUDIT_CHAIN_HALTED,
    AUDIT_CHAIN_HEAD,
    AUDIT_CHECKPOINTS,
    AUDIT_LAST_CHECKPOINT,
    AUDIT_LAST_CHECKPOINT_SEQUENCE,
    AUDIT_RECORDS,
    ESCALATION_CASES,
    ESCALATION_CLAIM_WAIT_SECONDS,
    ESCALATION_OPEN_CASES,
    ESCALATION_QUEUE_DEPTH,
    ESCALATION_SLA_BREACHES,
)

TRANSITIONS = ("opened", "claimed", "released", "transferred", "resolved", "breached")


def case_transition(authority: str, transition: str) -> None:
    """Count one lifecycle step of a case (one of ``TRANSITIONS``)."""
    if transition not in TRANSITIONS:
        raise ValueError(f"transition {transition!r} is not one of {', '.join(TRANSITIONS)}")
    ESCALATION_CASES.labels(authority, transition).inc()


def escalation_queue(authority: str, waiting: int, open_cases: int) -> None:
    """The authority's current queue: unclaimed cases, and all unresolved ones."""
    ESCALATION_QUEUE_DEPTH.labels(authority).set(waiting)
    ESCALATION_OPEN_CASES.labels(authority).set(open_cases)


def claim_waited(authority: str, seconds: float) -> None:
    """A case was claimed ``seconds`` after it was opened (or released)."""
    ESCALATION_CLAIM_WAIT_SECONDS.labels(authority).observe(max(0.0, seconds))


def sla_breached(authority: str, level: str) -> None:
    """A case missed a service level (e.g. ``claim`` or ``resolve``)."""
    ESCALATION_SLA_BREACHES.labels(authority, level).inc()


def audit_appended(chain: int, sequence: int, count: int = 1) -> None:
    """``count`` records were appended to ``chain`` (its audit-topic partition);
    ``sequence`` is the position (offset) of its new head."""
    AUDIT_RECORDS.labels(str(chain)).inc(count)
    AUDIT_CHAIN_HEAD.labels(str(chain)).set(sequence)


def audit_checkpointed(chain: int, sequence: int, at: datetime) -> None:
    """A signed checkpoint of ``chain``, covering it up to ``sequence``, was written ``at``."""
    AUDIT_CHECKPOINTS.labels(str(chain)).inc()
    AUDIT_LAST_CHECKPOINT.labels(str(chain)).set(at.timestamp())
    AUDIT_LAST_CHECKPOINT_SEQUENCE.labels(str(chain)).set(sequence)


def audit_halted(chain: int, halted: bool = True) -> None:
    """``chain`` is halted (or, with False, written again by a writer that could prove it)."""
    AUDIT_CHAIN_HALTED.labels(str(chain)).set(1 if halted else 0)
