"""A sandbox end to end on the real broker: worker feed, reference candidate, report in Chromium."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.async_api import expect

from bus.client import Publisher
from bus.sandbox.collect import collect
from bus.schemas.event import Event, new_event
from bus.schemas.types import INTENT_CLASSIFIED, MESSAGE_SENT
from bus.settings import Settings
from bus.supervise import Service, run_bus
from tests.browser import chromium
from tests.sandbox.catalogue import with_sandbox

pytestmark = [pytest.mark.broker, pytest.mark.slow]

QUESTIONS = [
    ("When is my income tax return due?", "tax.income"),
    ("Do I pay customs on a parcel from abroad?", "customs"),
    ("My code is 37605030299, what is my tax debt?", "tax.debt"),
    ("I want to talk to a human please", "tax"),
]


def _production(question: str, intent: str) -> list[Event]:
    conversation = f"c-{uuid.uuid4().hex[:8]}"
    common = {"source": "assistant:tax-board", "authority": "tax-board"}
    return [
        new_event(
            MESSAGE_SENT,
            **common,
            conversation_id=conversation,
            message_id="m1",
            author_role="END_USER",
            text=question,
        ),
        new_event(
            INTENT_CLASSIFIED,
            **common,
            conversation_id=conversation,
            message_id="m1",
            intent=intent,
            confidence=0.8,
        ),
        new_event(
            MESSAGE_SENT,
            **common,
            conversation_id=conversation,
            message_id="m2",
            author_role="BOT",
            text="Here is what to do.",
            in_reply_to="m1",
        ),
    ]


async def test_the_report_compares_the_candidate_with_production_and_renders_in_a_browser(
    settings_with_registry: Settings,
    start_worker: Callable[..., Service],
    tmp_path: Path,
    unique_name: Callable[[str], str],
) -> None:
    settings = settings_with_registry
    prefix = unique_name("sbe")
    catalogue, _ = with_sandbox(tmp_path, prefix, sensitive=("tax.income",))
    worker = start_worker(
        "feed", catalogue=str(catalogue), agents="sandbox", app_id=unique_name("app")
    )
    await asyncio.to_thread(worker.wait_until, lambda: worker.logged("Worker ready"), 90)
    async with Publisher(settings) as publisher:
        for question, intent in QUESTIONS:
            await publisher.publish_many(
                f"{prefix}.assistant-events", _production(question, intent)
            )
    env = {
        "BUS_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "BUS_SCHEMA_REGISTRY_URL": settings.schema_registry_url,
        "BUS_CATALOGUE": str(catalogue),
    }
    candidate = await asyncio.to_thread(
        run_bus, "sandbox", "candidate", "tax-v2", "--limit", str(len(QUESTIONS)), env=env
    )
    assert candidate.returncode == 0, candidate.stderr
    assert f"answered {len(QUESTIONS)} turn(s)" in candidate.stdout
    deadline = time.monotonic() + 60
    while len(await collect(settings, [f"{prefix}.sandbox.answers"])) < 2 * len(QUESTIONS):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.5)

    out = tmp_path / "report"
    result = await asyncio.to_thread(
        run_bus, "sandbox", "report", "tax-v2", "--out", str(out), env=env
    )
    assert result.returncode == 0, result.stderr
    assert f"report: {out / 'report.html'}" in result.stdout
    report = json.loads((out / "report.json").read_text())
    assert report["turns"] == len(QUESTIONS)
    assert report["intent_agreement"]["compared"] == len(QUESTIONS)
    assert report["intent_agreement"]["agreed"] == 2  # tax.income and customs
    assert report["candidate"]["personal_data"] == []  # it saw the code scrubbed, echoes nothing
    assert report["candidate"]["handoffs"] == 1
    assert len(report["candidate"]["sensitive_without_human"]) == 1  # tax.income, answered
    assert report["candidate"]["escalations"]["sensitive-intent"] == 1
    assert report["production"]["escalations"]["sensitive-intent"] == 1

    async with chromium() as browser:
        page = await browser.new_page()
        await page.goto((out / "report.html").as_uri())
        await expect(page).to_have_title("Sandbox tax-v2 (tax-board)")
        await expect(page.locator("#headline .figure").first).to_contain_text("4")
        charts = page.locator("svg.chart")
        await expect(charts).to_have_count(3)
        for index in range(3):
            box = await charts.nth(index).bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 100
        bars = page.locator("svg.chart rect.bar[data-series='candidate']")
        assert await bars.count() > 0
        await expect(page.locator("#personal-data")).to_contain_text("None")
