"""The officials' console in Debian's headless chromium, driven by Playwright, over the real API."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from playwright.async_api import async_playwright, expect

from bus.catalogue import load_catalogue
from bus.client import Publisher
from bus.schemas.event import new_event

pytestmark = [pytest.mark.broker, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CONV = "gov.agencybus.conversation."


async def test_an_official_claims_a_case_in_the_console_and_the_reply_reaches_the_citizen(
    escalation_system: Callable[..., Any],
) -> None:
    system = escalation_system()
    catalogue = load_catalogue(system.catalogue_path)
    conversation_id = f"conv-{uuid.uuid4().hex[:10]}"
    async with Publisher(system.settings) as publisher:
        for event in (
            new_event(
                CONV + "MessageSent",
                source="assistant:police",
                conversation_id=conversation_id,
                message_id="m1",
                author_role="END_USER",
                text="I lost my passport abroad",
            ),
            new_event(
                CONV + "HandoffRequested",
                source="assistant:police",
                conversation_id=conversation_id,
                trigger="CITIZEN_REQUEST",
                requested_by="END_USER",
            ),
        ):
            await publisher.publish(catalogue.topics.assistant_events, event)
        case = await system.api.case_of(conversation_id, "anna")

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = await browser.new_page()
                await page.goto(system.api.url + "/")
                await page.fill("#token", system.officials.tokens["anna"])
                await page.click("#login button")
                await expect(page.locator("#who")).to_contain_text("Anna Tamm (police)")
                await page.click(f"li[data-case-id='{case['case_id']}']")
                conversation = page.locator("#conversation")
                await expect(conversation).to_contain_text("I lost my passport abroad")
                await page.click("#claim")
                await expect(page.locator("#meta")).to_contain_text("claimed by anna")
                await page.fill("#reply", "Please report it to the nearest embassy.")
                await page.click("#send")
                await expect(conversation).to_contain_text(
                    "Anna Tamm: Please report it to the nearest embassy.", timeout=60_000
                )
                await page.select_option("#resolution", "ACCEPTED")
                await page.click("#resolve")
                await expect(page.locator(f"li[data-case-id='{case['case_id']}']")).to_have_count(
                    0, timeout=60_000
                )
            finally:
                await browser.close()

        # The citizen's assistant received the official's reply on its topic.
        consumer = AIOKafkaConsumer(
            catalogue.authorities["police"].assistant_topic,
            bootstrap_servers=system.settings.bootstrap_servers,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            async with asyncio.timeout(60):
                async for record in consumer:
                    event = await publisher.codec.decode_async(record.value)
                    if event.type == CONV + "MessageSent" and event.subject == conversation_id:
                        break
        finally:
            await consumer.stop()
    assert event.data["author_role"] == "BACKOFFICE_USER"
    assert event.data["author_id"] == "anna"
    assert event.data["text"] == "Please report it to the nearest embassy."
