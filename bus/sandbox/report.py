"""The panel's comparison of a candidate with the production assistant on the same turns. Pure.

Input: the turns the sandbox was fed, the candidate's answers and the
production assistant's events, each with its Kafka timestamp. An answer
belongs to a turn by ``causation_id`` (the turn's ``event_id``); the
production assistant's also by ``message_id``/``in_reply_to`` of the turn's
message, or, naming nothing, by being in a conversation with one fed turn, since
assistants outside the sandbox need not set ``causation_id``. A candidate's
answer must name its turn.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bus.catalogue.escalation import EscalationPolicy
from bus.catalogue.names import intent_matches
from bus.escalation.policy import Signals, evaluate
from bus.privacy.finder import find
from bus.schemas.event import Event
from bus.schemas.types import HANDOFF_REQUESTED, INTENT_CLASSIFIED, MESSAGE_SENT

SIDES = ("candidate", "production")
BUCKETS = 10
PSEUDONYM = re.compile(r"<[a-z_-]+:hmac:[^>\s]+>")
"""A scrubbed identifier echoed back: still personal data, if pseudonymised."""


@dataclass(frozen=True)
class Timed:
    """An event and its Kafka timestamp (ms)."""

    event: Event
    timestamp_ms: int


@dataclass
class Answers:
    """One side's answers to one turn."""

    intent: str | None = None
    confidence: float | None = None
    replied: bool = False
    handoff: bool = False
    first_ms: int | None = None
    events: list[Timed] = field(default_factory=list)

    def add(self, item: Timed) -> None:
        event = item.event
        self.events.append(item)
        if self.first_ms is None or item.timestamp_ms < self.first_ms:
            self.first_ms = item.timestamp_ms
        if event.type == INTENT_CLASSIFIED and self.intent is None:
            self.intent = str(event.data.get("intent"))
            self.confidence = float(event.data.get("confidence", 0.0))
        elif event.type == MESSAGE_SENT:
            self.replied = True
        elif event.type == HANDOFF_REQUESTED:
            self.handoff = True


@dataclass(frozen=True)
class Finding:
    """An answer that contains personal data: which, and where (never the value itself)."""

    turn_id: str
    answer_id: str
    kinds: tuple[str, ...]


def _is_answer(event: Event) -> bool:
    if event.type == MESSAGE_SENT:
        return event.data.get("author_role") == "BOT"
    return event.type in (INTENT_CLASSIFIED, HANDOFF_REQUESTED)


def _turn_of(
    event: Event,
    by_id: set[str],
    by_message: dict[tuple[str, str], str],
    only: dict[str, str | None],
) -> str | None:
    cause = event.header.get("causation_id")
    if cause in by_id:
        return str(cause)
    message = event.data.get("message_id") if event.type == INTENT_CLASSIFIED else None
    message = event.data.get("in_reply_to") if event.type == MESSAGE_SENT else message
    if message:
        return by_message.get((str(event.subject), str(message)))
    return only.get(str(event.subject)) if cause is None else None


def match(
    turns: Sequence[Timed], events: Iterable[Timed], *, authority: str | None = None
) -> dict[str, Answers]:
    """Each turn's answers among ``events`` (of ``authority``'s assistant, when given)."""
    by_id = {str(t.event.id) for t in turns}
    by_message = {
        (str(t.event.subject), str(t.event.data.get("message_id"))): str(t.event.id) for t in turns
    }
    # a conversation's only fed turn is what an answer naming nothing answers
    only: dict[str, str | None] = {}
    for t in turns:
        subject = str(t.event.subject)
        only[subject] = None if subject in only else str(t.event.id)
    found: dict[str, Answers] = {turn_id: Answers() for turn_id in by_id}
    for item in events:
        event = item.event
        if not _is_answer(event):
            continue
        if authority is not None and event.header.get("authority") not in (authority, None):
            continue
        turn = _turn_of(event, by_id, by_message, only if authority is not None else {})
        if turn is not None:
            found[turn].add(item)
    return found


def personal_data(answers: dict[str, Answers]) -> list[Finding]:
    """Every answer whose text carries an identifier or an echoed pseudonym."""
    found = []
    for turn_id, side in sorted(answers.items()):
        for item in side.events:
            text = " ".join(
                str(item.event.data.get(key) or "") for key in ("text", "detail", "intent")
            )
            kinds = sorted({str(finding.kind) for finding in find(text)})
            if PSEUDONYM.search(text):
                kinds.append("pseudonym")
            if kinds:
                found.append(Finding(turn_id, str(item.event.id), tuple(kinds)))
    return found


def sensitive_unattended(answers: dict[str, Answers], policy: EscalationPolicy) -> list[str]:
    """Turns classified as a sensitive intent and answered with no handoff to a human."""
    return sorted(
        turn_id
        for turn_id, side in answers.items()
        if side.intent is not None
        and any(intent_matches(prefix, side.intent) for prefix in policy.sensitive_intents)
        and side.replied
        and not side.handoff
    )


def escalations(
    turns: Sequence[Timed], answers: dict[str, Answers], policy: EscalationPolicy
) -> dict[str, int]:
    """How often each escalation policy fires over the turns and this side's answers."""
    by_conversation: dict[str, list[Timed]] = defaultdict(list)
    for turn in turns:
        by_conversation[str(turn.event.subject)].append(turn)
        by_conversation[str(turn.event.subject)] += answers[str(turn.event.id)].events
    fired: Counter[str] = Counter()
    for stream in by_conversation.values():
        signals = Signals()
        for item in sorted(stream, key=lambda timed: timed.timestamp_ms):
            if (hit := evaluate(item.event, signals, policy, item.timestamp_ms)) is not None:
                fired[hit.policy] += 1
    return dict(sorted(fired.items()))


def histogram(values: Iterable[float]) -> list[int]:
    """Counts in ``BUCKETS`` equal buckets of [0, 1]; 1.0 in the last."""
    counts = [0] * BUCKETS
    for value in values:
        counts[min(BUCKETS - 1, max(0, int(value * BUCKETS)))] += 1
    return counts


def percentile(values: Sequence[int], share: float) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _side(
    turns: Sequence[Timed],
    started: dict[str, int],
    answers: dict[str, Answers],
    policy: EscalationPolicy,
) -> dict[str, Any]:
    latencies = [
        max(0, side.first_ms - started[turn_id])
        for turn_id, side in answers.items()
        if side.first_ms is not None and turn_id in started
    ]
    confidences = [side.confidence for side in answers.values() if side.confidence is not None]
    leaks = personal_data(answers)
    return {
        "answered": sum(1 for side in answers.values() if side.events),
        "handoffs": sum(1 for side in answers.values() if side.handoff),
        "confidence_histogram": histogram(confidences),
        "escalations": escalations(turns, answers, policy),
        "latency_ms": {
            "p50": percentile(latencies, 0.5),
            "p95": percentile(latencies, 0.95),
            "max": max(latencies) if latencies else None,
        },
        "personal_data": [finding.__dict__ for finding in leaks],
        "sensitive_without_human": sensitive_unattended(answers, policy),
    }


def build_report(
    sandbox: str,
    authority: str,
    policy: EscalationPolicy,
    fed: Sequence[Timed],
    candidate: Iterable[Timed],
    production: Iterable[Timed],
    originals: dict[str, int],
) -> dict[str, Any]:
    """The report as JSON-ready data; ``originals`` maps turn id to its production timestamp."""
    ours = match(fed, candidate)
    theirs = match(fed, production, authority=authority)
    both = [
        (ours[t].intent, theirs[t].intent)
        for t in ours
        if ours[t].intent is not None and theirs[t].intent is not None
    ]
    agreed = sum(1 for mine, yours in both if mine == yours)
    disagreements = Counter(f"{mine} / {yours}" for mine, yours in both if mine != yours)
    fed_at = {str(t.event.id): t.timestamp_ms for t in fed}
    return {
        "sandbox": sandbox,
        "authority": authority,
        "turns": len(fed),
        "intent_agreement": {
            "compared": len(both),
            "agreed": agreed,
            "rate": round(agreed / len(both), 4) if both else None,
            "top_disagreements": dict(disagreements.most_common(10)),
        },
        "candidate": _side(fed, fed_at, ours, policy),
        "production": _side(fed, originals, theirs, policy),
    }


def headline(report: dict[str, Any]) -> list[tuple[str, str]]:
    """The few figures a panel reads first, as label and value."""
    agreement = report["intent_agreement"]
    rate = agreement["rate"]
    ours, theirs = report["candidate"], report["production"]

    def ms(value: int | None) -> str:
        return "n/a" if value is None else f"{value} ms"

    return [
        ("turns fed", str(report["turns"])),
        ("answered by the candidate", str(ours["answered"])),
        (
            "intent agreement",
            "n/a" if rate is None else f"{rate:.0%} of {agreement['compared']}",
        ),
        ("answers with personal data", str(len(ours["personal_data"]))),
        ("sensitive intents answered without a human", str(len(ours["sensitive_without_human"]))),
        (
            "candidate latency p50 / p95",
            f"{ms(ours['latency_ms']['p50'])} / {ms(ours['latency_ms']['p95'])}",
        ),
        (
            "production latency p50 / p95",
            f"{ms(theirs['latency_ms']['p50'])} / {ms(theirs['latency_ms']['p95'])}",
        ),
    ]
