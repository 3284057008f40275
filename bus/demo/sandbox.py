"""The demo's sandbox leg: a candidate assistant for one authority, judged against production.

The police's production assistant answers a dozen citizens (some type their
personal code or phone number); a sandbox declared for this run replays that
time range into its input, scrubbed; the reference keyword candidate answers
from there; ``bus sandbox report`` compares the two. Each run has its own
sandbox (and topics), so its report covers this run's turns only.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bus.catalogue import Catalogue
from bus.catalogue.sandbox import Sandbox, TimeRange
from bus.client import Publisher
from bus.kafka.topics import apply_topics
from bus.sandbox.replayed import feed_ranges
from bus.sandbox.report import headline
from bus.sandbox.write import sandbox_report, write_report
from bus.schemas.event import Event, new_event
from bus.schemas.types import HANDOFF_REQUESTED, INTENT_CLASSIFIED, MESSAGE_SENT
from bus.settings import Settings
from connectors.candidate.runner import run_candidate

AUTHORITY = "police"
CONVERSATIONS = [
    ("How do I renew my passport? My code is 37605030299.", "passport", 0.93),
    ("I lost my ID card on the bus", "id-card", 0.88),
    ("Can I get a firearms permit for hunting?", "firearms", 0.91),
    ("My wallet was stolen, call me at +372 5123 4567", "lost-property", 0.72),
    ("How long is a passport valid?", "passport", 0.97),
    ("I need a residence permit for my wife", "residence-permit", 0.81),
    ("Is the border open at night?", "border", 0.66),
    ("I want to talk to a human", "passport", 0.41),
    ("Where do I pick up my new identity card?", "id-card", 0.86),
    ("My gun licence expires next month", "firearms", 0.79),
    ("Someone found my lost keys?", "lost-property", 0.58),
    ("Passport photo rules, please", "passport", 0.95),
]


def _conversation(question: str, intent: str, confidence: float) -> list[Event]:
    """One citizen turn and the production assistant's answers to it."""
    ids: dict[str, Any] = {
        "source": f"assistant:{AUTHORITY}",
        "authority": AUTHORITY,
        "conversation_id": str(uuid.uuid4()),
    }
    turn = new_event(MESSAGE_SENT, **ids, message_id="m1", author_role="END_USER", text=question)
    classified = new_event(
        INTENT_CLASSIFIED, **ids, message_id="m1", intent=intent, confidence=confidence
    )
    if confidence < 0.5 or intent == "firearms":
        trigger = "LOW_CONFIDENCE" if confidence < 0.5 else "SENSITIVE_TOPIC"
        answer = new_event(HANDOFF_REQUESTED, **ids, trigger=trigger, requested_by="BOT")
    else:
        answer = new_event(
            MESSAGE_SENT,
            **ids,
            message_id="m2",
            author_role="BOT",
            text="Here is how it works.",
            in_reply_to="m1",
        )
    return [turn, classified, answer]


async def _leg(settings: Settings, catalogue: Catalogue, out: Path) -> tuple[dict[str, Any], Path]:
    began = datetime.now(UTC)
    async with Publisher(settings) as publisher:
        for question, intent, confidence in CONVERSATIONS:
            events = _conversation(question, intent, confidence)
            await publisher.publish_many(catalogue.topics.assistant_events, events)
    name = f"demo-{AUTHORITY}-{began.strftime('%Y%m%d%H%M%S')}"
    box = Sandbox(
        name=name,
        authority=AUTHORITY,
        principal=f"candidate-{name}",
        live=False,
        replay=(TimeRange(start=began, end=datetime.now(UTC) + timedelta(seconds=1)),),
        ends=began + timedelta(days=1),
    )
    ours = Catalogue.model_validate({**dict(catalogue), "sandboxes": (box,)})
    specs = [spec for spec in ours.topic_specs() if spec.name in box.topics()]
    await apply_topics(settings.bootstrap_servers, specs)
    fed = await feed_ranges(settings, ours, name)
    await run_candidate(settings, box, limit=fed)
    report = await sandbox_report(settings, ours, name)
    return report, write_report(report, out / name)


def run_sandbox_leg(settings: Settings, catalogue: Catalogue, out: Path) -> int:
    """Run the leg and print the report's headline figures and path; 1 if it leaked."""
    if AUTHORITY not in catalogue.authorities:
        print(f"sandbox: skipped, the catalogue has no {AUTHORITY!r} authority")
        return 0
    report, page = asyncio.run(_leg(settings, catalogue, out))
    print()
    print(f"sandbox {report['sandbox']}: a keyword candidate against the police's assistant")
    for label, value in headline(report):
        print(f"  {label:<45} {value}")
    print(f"  report: {page}")
    return 1 if report["candidate"]["personal_data"] else 0
