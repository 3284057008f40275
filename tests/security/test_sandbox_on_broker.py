"""A sandbox's candidate on a real secured broker: its input to read, its answers to write, no more.

``bus topics apply`` and ``bus acl apply`` set the sandbox up from a catalogue
that declares one, as an operator would; the candidate then tries every
topic a citizen, an agency service or an assistant reads.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from bus.catalogue import load_catalogue
from bus.client import Publisher, Subscriber
from bus.client.subscriber import Delivery
from bus.settings import Settings
from bus.supervise import Service, start_bus
from connectors.candidate.runner import run_candidate
from tests.security.applied import (
    Applied,
    apply_catalogue,
    consume_one,
    produce,
    refused_to_produce,
    refused_to_read,
    serve_registry,
)

pytestmark = [pytest.mark.broker, pytest.mark.slow]

CANDIDATE = "candidate-police-v2"
INPUT, ANSWERS = "bus.sandbox.police-v2.input", "bus.sandbox.police-v2.answers"


@pytest.fixture(scope="module")
def applied(secured_kafka: Settings, tmp_path_factory: pytest.TempPathFactory) -> Applied:
    """The admin applied a catalogue with one sandbox: its topics, users and ACLs."""
    folder = tmp_path_factory.mktemp("sandbox-acl")
    document = yaml.safe_load(Settings().catalogue.read_text())
    ends = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    document["sandboxes"] = [
        {"name": "police-v2", "authority": "police", "principal": CANDIDATE, "ends": ends}
    ]
    catalogue = folder / "catalogue.yaml"
    catalogue.write_text(yaml.safe_dump(document, sort_keys=False))
    return apply_catalogue(secured_kafka, folder, catalogue)


@pytest.fixture(scope="module")
def candidate(applied: Applied) -> Settings:
    """The candidate's settings."""
    return applied.as_(CANDIDATE)


async def test_the_candidate_reads_its_input_and_writes_its_answers(
    candidate: Settings, secured_kafka: Settings
) -> None:
    marker = uuid.uuid4().bytes
    await produce(secured_kafka, INPUT, marker)
    assert await consume_one(candidate, INPUT, f"{CANDIDATE}-a") == marker
    await produce(candidate, ANSWERS, marker)
    assert await consume_one(secured_kafka, ANSWERS, "admin-check") == marker


async def test_whatever_the_candidate_writes_elsewhere_is_denied(candidate: Settings) -> None:
    for topic in (
        "bus.assistant-events",
        "bus.assistant.police",
        "bus.inbox.police",
        "bus.service-updates",
        "bus.escalations",
        "bus.deadletters",
        INPUT,
    ):
        await refused_to_produce(candidate, topic)


async def test_the_candidate_reads_no_conversation_outside_its_input(candidate: Settings) -> None:
    for topic in ("bus.assistant-events", "bus.assistant.police", "bus.inbox.police"):
        await refused_to_read(candidate, topic)


async def test_the_feed_runs_as_the_auditor_and_the_candidate_answers_as_itself(
    secured_kafka: Settings, applied: Applied, tmp_path: Path
) -> None:
    """Real processes under their own principals: registry, the auditor's feed, the candidate."""
    registry, url = await serve_registry(applied, tmp_path)
    started: list[Service] = [registry]
    try:
        feed_env = {
            **applied.env_of("auditor"),
            "BUS_SCHEMA_REGISTRY_URL": url,
            "BUS_AGENTS": "sandbox",
            "BUS_APP_ID": "auditor",
            "BUS_WORKER_DIR": str(tmp_path / "state"),
        }
        feed = start_bus("worker", ["worker"], feed_env, tmp_path)
        started.append(feed)
        await asyncio.to_thread(feed.wait_until, lambda: feed.logged("Worker ready"), 90)
        assistant = applied.as_("assistant-police").model_copy(update={"schema_registry_url": url})
        async with Publisher(assistant) as publisher:
            turn = await publisher.emit(
                "bus.assistant-events",
                "gov.agencybus.conversation.MessageSent",
                source="assistant:police",
                authority="police",
                conversation_id=f"c-{uuid.uuid4()}",
                message_id="m1",
                author_role="END_USER",
                text="I lost my passport, my code is 37605030299",
            )
        candidate = applied.as_(CANDIDATE).model_copy(update={"schema_registry_url": url})
        box = load_catalogue(Path(applied.env["BUS_CATALOGUE"])).sandbox("police-v2")
        assert await run_candidate(candidate, box, limit=1) == 1
        async with Subscriber(
            applied.as_("auditor").model_copy(update={"schema_registry_url": url}),
            topics=[INPUT],
            group_id="auditor-check",
            on_error="skip",  # the raw marker of the first test
        ) as fed:
            seen = [delivery.event async for delivery in _first(fed)]
        assert [event.id for event in seen] == [turn.id]
        assert "37605030299" not in seen[0].data["text"]
        assert feed.running and not feed.logged("AuthorizationFailed"), feed.log_tail()
    finally:
        for service in started:
            service.stop()


async def _first(subscriber: Subscriber) -> AsyncIterator[Delivery]:
    async for delivery in subscriber:
        yield delivery
        return
