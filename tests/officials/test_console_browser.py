"""The officials' console in Debian's headless chromium, driven by Playwright, over the real API.

A real worker and broker behind it. Each view is checked with axe-core (from
``make tools``) at a monitor's size and a phone's, and photographed into
``build/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from playwright.async_api import Browser, Page, expect

from bus.catalogue import load_catalogue
from bus.client import Publisher
from bus.schemas.event import new_event
from tests.browser import chromium

pytestmark = [pytest.mark.broker, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / ".cache" / "node" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "build" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
NARROW = {"width": 360, "height": 740}
SIZES = {"desktop": DESKTOP, "phone": PHONE}
CONV = "gov.agencybus.conversation."
SLOW = 60_000


async def open_console(
    browser: Browser, url: str, size: dict[str, int], locale: str = "en-GB", idle_s: int = 0
) -> Page:
    context = await browser.new_context(
        viewport=size, locale=locale, timezone_id="Europe/Tallinn", is_mobile=size == PHONE
    )
    page = await context.new_page()
    await page.goto(url + "/" + (f"?idle={idle_s}" if idle_s else ""))
    await expect(page.locator("#token")).to_be_visible()
    return page


async def keep(page: Page, name: str) -> str:
    """A screenshot of the page as it is, for a person; returns the size's name."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"] if page.viewport_size else 0
    size = "phone" if width < 600 else "desktop"
    await page.screenshot(path=str(SCREENSHOTS / f"{name}-{size}.png"), full_page=True)
    return size


async def accessible(page: Page, name: str) -> None:
    """axe-core finds no violation in the page as it is; a screenshot is kept either way."""
    size = await keep(page, name)
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    result = json.loads(await page.evaluate("async () => JSON.stringify(await axe.run())"))
    assert result["passes"], "axe-core checked nothing"
    violations = result["violations"]
    found = [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(", ".join(map(str, node["target"])) for node in v["nodes"][:5])
        for v in violations
    ]
    assert not found, f"{name} at {size}:\n" + "\n".join(found)
    await fits(page, name)
    if size == "phone":  # the narrowest phone too
        await page.set_viewport_size(NARROW)
        await page.screenshot(path=str(SCREENSHOTS / f"{name}-narrow.png"), full_page=True)
        await fits(page, name)
        await page.set_viewport_size(PHONE)


async def fits(page: Page, name: str) -> None:
    """No sideways scrolling, and the bar takes at most a sixth of the screen's height."""
    width, wide, bar, high = await page.evaluate(
        "[innerWidth, document.documentElement.scrollWidth,"
        " document.querySelector('header').offsetHeight, innerHeight]"
    )
    assert wide <= width, f"{name} at {width} px wide scrolls sideways ({wide} px)"
    assert bar <= high / 6, f"{name} at {width} px: the bar is {bar} of {high} px high"


async def sign_in(page: Page, token: str, who: str) -> None:
    await page.fill("#token", token)
    await page.click("#login button")
    await expect(page.locator("#who")).to_contain_text(who)


async def tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab (only Tab) until ``selector`` has the focus."""
    for _ in range(limit):
        if await page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"{selector} cannot be reached with Tab")


def row(page: Page, text: str) -> Any:
    return page.locator("#cases li", has_text=text)


async def publish_conversation(system: Any, conversation_id: str, question: str) -> None:
    catalogue = load_catalogue(system.catalogue_path)
    async with Publisher(system.settings) as publisher:
        for kind, fields in (
            ("MessageSent", {"message_id": "m1", "author_role": "END_USER", "text": question}),
            (
                "MessageSent",
                {
                    "message_id": "m2",
                    "author_role": "BOT",
                    "author_id": "police-bot",
                    "text": "I can help with passports. What happened?",
                },
            ),
            ("HandoffRequested", {"trigger": "CITIZEN_REQUEST", "requested_by": "END_USER"}),
        ):
            event = new_event(
                CONV + kind, source="assistant:police", conversation_id=conversation_id, **fields
            )
            await publisher.publish(catalogue.topics.assistant_events, event)


async def citizen_says(system: Any, conversation_id: str, text: str) -> None:
    catalogue = load_catalogue(system.catalogue_path)
    async with Publisher(system.settings) as publisher:
        event = new_event(
            CONV + "MessageSent",
            source="assistant:police",
            conversation_id=conversation_id,
            message_id=uuid.uuid4().hex,
            author_role="END_USER",
            text=text,
        )
        await publisher.publish(catalogue.topics.assistant_events, event)


async def publish_unsure(system: Any, conversation_id: str, words: str) -> None:
    """A citizen the bot does not understand twice: a low-confidence case."""
    catalogue = load_catalogue(system.catalogue_path)
    async with Publisher(system.settings) as publisher:
        for number, confidence in ((1, 0.2), (2, 0.3)):
            for kind, fields in (
                (
                    "MessageSent",
                    {"message_id": f"u{number}", "author_role": "END_USER", "text": words},
                ),
                (
                    "IntentClassified",
                    {"message_id": f"u{number}", "intent": "passport", "confidence": confidence},
                ),
                (
                    "MessageSent",
                    {
                        "message_id": f"b{number}",
                        "author_role": "BOT",
                        "text": "Sorry, I did not understand.",
                    },
                ),
            ):
                event = new_event(
                    CONV + kind,
                    source="assistant:police",
                    conversation_id=conversation_id,
                    **fields,
                )
                await publisher.publish(catalogue.topics.assistant_events, event)


async def reply_reached_the_citizen(system: Any, conversation_id: str, text: str) -> None:
    catalogue = load_catalogue(system.catalogue_path)
    consumer = AIOKafkaConsumer(
        catalogue.authorities["police"].assistant_topic,
        bootstrap_servers=system.settings.bootstrap_servers,
        auto_offset_reset="earliest",
    )
    async with Publisher(system.settings) as publisher:
        await consumer.start()
        try:
            async with asyncio.timeout(60):
                async for record in consumer:
                    event = await publisher.codec.decode_async(record.value)
                    if (
                        event.type == CONV + "MessageSent"
                        and event.subject == conversation_id
                        and event.data["author_role"] == "BACKOFFICE_USER"
                    ):
                        break
        finally:
            await consumer.stop()
    assert event.data["author_id"] == "anna"
    assert event.data["text"] == text


async def walk_a_case(system: Any, browser: Browser, steps: dict[str, Any]) -> None:
    """The whole case: anna (a monitor) and bert (a phone) of the police, carl of the tax board."""
    tokens = system.officials.tokens
    conversation_id = f"conv-{uuid.uuid4().hex[:10]}"
    question = f"I lost my passport abroad ({conversation_id[-4:]})"
    answer = "Please report it to the nearest embassy."
    anna = await open_console(browser, system.api.url, DESKTOP)
    bert = await open_console(browser, system.api.url, PHONE)
    await bert.clock.install()  # to hold bert's view still, below
    carl = await open_console(browser, system.api.url, DESKTOP)

    await steps["sign_in"](anna, tokens["anna"], "Anna Tamm")
    await publish_conversation(system, conversation_id, question)
    # It arrives by itself, in plain words, with a countdown to its service level.
    case = row(anna, question)
    await expect(case).to_contain_text("The citizen asked for a person", timeout=SLOW)
    await expect(case).to_contain_text(re.compile(r"due in \d+ min"))
    await expect(anna).to_have_title("(1) Officials' console")  # seen from another tab
    await steps["open"](anna, question)
    conversation = anna.locator("#conversation")
    await expect(conversation).to_contain_text(question)
    await expect(conversation).to_contain_text("Assistant (bot)")
    await expect(conversation).to_contain_text("I can help with passports. What happened?")
    await expect(conversation).to_contain_text("The citizen asked to talk to a person")
    await expect(anna.locator("#release")).to_be_disabled()
    await expect(anna.locator("#resolve")).to_be_disabled()
    await expect(anna.locator("#send")).to_be_disabled()

    # bert sees it too, on his phone; his view is then held still, as if slow.
    await steps["sign_in"](bert, tokens["bert"], "Bert Kask")
    await expect(row(bert, question)).to_be_visible(timeout=SLOW)
    await steps["open"](bert, question)
    await expect(bert.locator("#claim")).to_be_enabled()
    await bert.clock.pause_at(await bert.evaluate("Date.now()") + 1000)

    await steps["claim"](anna)
    await expect(anna.locator("#fact-status")).to_have_text("You are handling it", timeout=SLOW)
    await expect(anna.locator("#claim")).to_be_disabled()
    await expect(anna.locator("#reply")).to_be_enabled()

    # bert's claim is refused, in words; then his view catches up.
    await steps["claim"](bert)
    await expect(bert.locator("#notice")).to_have_text(
        "You could not claim this case: Anna Tamm has already claimed it.", timeout=SLOW
    )
    await expect(bert.locator("#claim")).to_be_disabled()
    await expect(bert.locator("#fact-status")).to_have_text("Handled by Anna Tamm")
    await bert.clock.resume()

    await steps["reply"](anna, answer)
    await expect(conversation).to_contain_text("Anna Tamm (official)", timeout=SLOW)
    await expect(conversation).to_contain_text(answer)
    await expect(anna.locator("#reply")).to_have_value("")
    await reply_reached_the_citizen(system, conversation_id, answer)
    # The citizen writes again: it appears by itself, and only it is announced.
    await citizen_says(system, conversation_id, "Thank you, I will.")
    await expect(conversation).to_contain_text("Thank you, I will.", timeout=SLOW)
    await expect(anna.locator("#announcer")).to_have_text(
        "New message from Citizen: Thank you, I will."
    )
    await expect(conversation.locator("li", has_text=question)).to_have_count(1)

    await steps["transfer"](anna, "Tax and Customs Board")
    await expect(anna.locator("#status")).to_contain_text("transferred to Tax and Customs Board")
    await expect(row(anna, question)).to_have_count(0, timeout=SLOW)

    await steps["sign_in"](carl, tokens["carl"], "Carl Saar")
    await expect(row(carl, question)).to_be_visible(timeout=SLOW)
    await steps["open"](carl, question)
    await steps["claim"](carl)
    await expect(carl.locator("#fact-status")).to_have_text("You are handling it", timeout=SLOW)
    await steps["resolve"](carl)
    await expect(carl.locator("#status")).to_have_text("The case was resolved.", timeout=SLOW)
    await expect(row(carl, question)).to_have_count(0, timeout=SLOW)

    for page in (anna, bert, carl):
        await steps["sign_out"](page)
        await expect(page.locator("#token")).to_be_visible()
        await expect(page.locator("#status")).to_have_text("You have signed out.")
    status, body = await system.api.acall("GET", "/api/supervisor?tz=Europe/Tallinn", "anna")
    assert status == 200, body
    assert body["presence"] == {"anna": "offline", "bert": "offline"}


class Mouse:
    @staticmethod
    async def sign_in(page: Page, token: str, who: str) -> None:
        await sign_in(page, token, who)

    @staticmethod
    async def open(page: Page, text: str) -> None:
        await row(page, text).locator("button").click()
        await expect(page.locator("#case-title")).to_be_visible()

    @staticmethod
    async def claim(page: Page) -> None:
        await page.click("#claim")

    @staticmethod
    async def reply(page: Page, text: str) -> None:
        await page.fill("#reply", text)
        await page.click("#send")

    @staticmethod
    async def transfer(page: Page, authority: str) -> None:
        await page.select_option("#transfer-to", label=authority)
        await page.click("#transfer")

    @staticmethod
    async def resolve(page: Page) -> None:
        await page.select_option("#resolution", "ACCEPTED")
        await page.click("#resolve")
        dialog = page.locator("#confirm")
        await expect(dialog).to_be_visible()
        await expect(dialog).to_contain_text("Answered, the citizen accepted")
        await page.click("#confirm-ok")

    @staticmethod
    async def sign_out(page: Page) -> None:
        await page.click("#sign-out")


class Keyboard:
    """Only Tab, Enter, Space and typing; nothing is clicked."""

    @staticmethod
    async def sign_in(page: Page, token: str, who: str) -> None:
        await tab_to(page, "#token")
        await page.keyboard.type(token)
        await page.keyboard.press("Enter")
        await expect(page.locator("#who")).to_contain_text(who)

    @staticmethod
    async def open(page: Page, text: str) -> None:
        case_id = await row(page, text).get_attribute("data-case-id")
        await tab_to(page, f"li[data-case-id='{case_id}'] button")
        await page.keyboard.press("Enter")
        await expect(page.locator("#case-title")).to_be_focused()

    @staticmethod
    async def claim(page: Page) -> None:
        await tab_to(page, "#claim")
        await keep(page, "keyboard-focus")  # to see the focus ring
        await page.keyboard.press("Space")

    @staticmethod
    async def reply(page: Page, text: str) -> None:
        await tab_to(page, "#reply")
        await page.keyboard.type(text)
        await tab_to(page, "#send")
        await page.keyboard.press("Enter")

    @staticmethod
    async def transfer(page: Page, authority: str) -> None:
        await tab_to(page, "#transfer-to")
        await page.keyboard.type(authority[:3])  # a closed select picks by its first letters
        await expect(page.locator("#transfer-to option:checked")).to_have_text(authority)
        await tab_to(page, "#transfer")
        await page.keyboard.press("Enter")

    @staticmethod
    async def resolve(page: Page) -> None:
        await tab_to(page, "#resolve")
        await page.keyboard.press("Enter")
        await expect(page.locator("#confirm")).to_be_visible()
        await expect(page.locator("#confirm-cancel")).to_be_focused()  # the safe choice first
        await page.keyboard.press("Tab")
        await expect(page.locator("#confirm-ok")).to_be_focused()
        await page.keyboard.press("Enter")

    @staticmethod
    async def sign_out(page: Page) -> None:
        await page.keyboard.press("Shift+Tab")  # from wherever the focus is, back to the bar
        await tab_to(page, "#sign-out")
        await page.keyboard.press("Enter")


def steps(kind: type) -> dict[str, Any]:
    return {
        name: getattr(kind, name)
        for name in ("sign_in", "open", "claim", "reply", "transfer", "resolve", "sign_out")
    }


async def test_officials_walk_a_case_through_the_console_with_the_mouse(
    escalation_system: Callable[..., Any],
) -> None:
    system = escalation_system()
    async with chromium() as browser:
        await walk_a_case(system, browser, steps(Mouse))


async def test_officials_walk_a_case_through_the_console_with_the_keyboard_alone(
    escalation_system: Callable[..., Any],
) -> None:
    system = escalation_system()
    async with chromium() as browser:
        await walk_a_case(system, browser, steps(Keyboard))


async def test_each_view_is_accessible_at_a_monitors_and_a_phones_size(
    escalation_system: Callable[..., Any],
) -> None:
    """Sign-in, the queue with a low-confidence case, the confirmation, the supervisor's
    view, in English and Estonian: no axe-core violation, and a screenshot of each."""
    system = escalation_system(first_response_s=90)
    tokens = system.officials.tokens
    unsure = f"conv-{uuid.uuid4().hex[:10]}"
    words = f"my papers went away, what now ({unsure[-4:]})"
    await publish_unsure(system, unsure, words)
    async with chromium() as browser:
        for size_name, size in SIZES.items():
            page = await open_console(browser, system.api.url, size)
            await accessible(page, "sign-in")
            await page.fill("#token", "not-a-token")
            await page.click("#login button")
            await expect(page.locator("#login-error")).to_have_text(
                "Your access token was not accepted. Check it and sign in again."
            )
            await accessible(page, "sign-in-refused")
            await sign_in(page, tokens["anna"], "Anna Tamm")
            await expect(row(page, words)).to_be_visible(timeout=SLOW)
            await accessible(page, "queue")
            await row(page, words).locator("button").click()
            conversation = page.locator("#conversation")
            # From the first turn, with the bot's turns and the intents behind the case.
            # Six turns; on the phone (after the claim on the monitor) the take-over too.
            turns = 6 if size_name == "desktop" else 7
            await expect(conversation.locator("li")).to_have_count(turns, timeout=SLOW)
            await expect(conversation.locator("li").first).to_contain_text(words)
            await expect(conversation).to_contain_text(
                "The assistant took it as “passport”, 20% sure"
            )
            await expect(conversation).to_contain_text("Sorry, I did not understand.")
            await expect(page.locator("#fact-reason")).to_have_text(
                "The assistant did not understand the citizen"
            )
            await accessible(page, "case")
            if size_name == "desktop":
                await page.click("#claim")
                await expect(page.locator("#fact-status")).to_have_text(
                    "You are handling it", timeout=SLOW
                )
            await page.click("#resolve")
            await expect(page.locator("#confirm")).to_be_visible()
            await accessible(page, "confirm-resolve")
            await page.click("#confirm-cancel")
            await expect(page.locator("#confirm")).to_be_hidden()
            await expect(row(page, words)).to_be_visible()  # cancelled: nothing happened

            await page.click("#nav-supervisor")
            await expect(page.locator("#supervisor-title")).to_have_text(
                "Police and Border Guard Board today"
            )
            await expect(page.locator("#sv-open")).to_have_text("1")
            await accessible(page, "supervisor")

            await page.select_option("#language", "et")
            await expect(page.locator("html")).to_have_attribute("lang", "et")
            await expect(page.locator("#supervisor-title")).to_have_text(
                "Police and Border Guard Board täna"
            )
            await accessible(page, "supervisor-et")
            await page.click("#nav-queue")
            await expect(page.locator("#fact-reason")).to_have_text(
                "Vestlusrobot ei saanud kodanikust aru"
            )
            await accessible(page, "case-et")
            await page.select_option("#language", "en")
            await page.context.close()


async def test_the_console_speaks_the_browsers_language_and_sets_an_idle_official_away(
    escalation_system: Callable[..., Any],
) -> None:
    system = escalation_system()
    async with chromium() as browser:
        page = await open_console(browser, system.api.url, PHONE, locale="et-EE", idle_s=2)
        await expect(page.locator("#sign-in-title")).to_have_text("Sisselogimine")
        await page.fill("#token", system.officials.tokens["bert"])
        await page.keyboard.press("Enter")
        await expect(page.locator("#presence")).to_have_value("online")
        await expect(page.locator("#presence")).to_have_value("idle", timeout=SLOW)
        await expect(page.locator("#status")).to_contain_text("eemal")
        await presence_is(system, "bert", "idle")
        await page.mouse.move(10, 10)
        await page.keyboard.press("Shift")
        await expect(page.locator("#presence")).to_have_value("online")
        figures = await presence_is(system, "bert", "online")
        assert figures["officials_online"] == ["bert"]


async def test_an_open_console_renews_the_presence_and_a_lost_one_lapses_to_offline(
    escalation_system: Callable[..., Any],
) -> None:
    system = escalation_system(presence_lease_s=3)  # the console renews every second
    async with chromium() as browser:
        page = await open_console(browser, system.api.url, DESKTOP)
        await sign_in(page, system.officials.tokens["bert"], "Bert")
        await expect(page.locator("#presence")).to_have_value("online")
        await presence_is(system, "bert", "online")
        await asyncio.sleep(4.5)  # past the lease: only the renewals keep bert online
        _, figures = await system.api.acall("GET", "/api/supervisor?tz=UTC", "anna")
        assert figures["presence"]["bert"] == "online"
        # the browser loses the API for good (a crash, a network gone): nobody says offline
        await page.route("**/api/presence", lambda route: route.abort())
        await presence_is(system, "bert", "offline")
        conversation = f"c-{uuid.uuid4().hex[:8]}"
        await publish_conversation(system, conversation, "I lost my passport")
        case = await case_in_queue(system, conversation)
        assert case["waiting"] == "OFFICIALS"  # the escalator let bert's presence lapse too
        await page.context.close()


async def case_in_queue(system: Any, conversation_id: str) -> dict[str, Any]:
    """The police queue's case of ``conversation_id`` once it is there, as anna sees it."""
    async with asyncio.timeout(60):
        while True:
            status, body = await system.api.acall("GET", "/api/cases", "anna")
            assert status == 200, body
            found = [c for c in body["cases"] if c["conversation_id"] == conversation_id]
            if found and found[0].get("waiting"):
                return dict(found[0])
            await asyncio.sleep(0.2)


async def presence_is(system: Any, official: str, expected: str) -> dict[str, Any]:
    """The supervisor's figures once they show ``official``'s presence as ``expected``."""
    async with asyncio.timeout(60):
        while True:
            status, figures = await system.api.acall("GET", "/api/supervisor?tz=UTC", "anna")
            assert status == 200, figures
            if figures["presence"][official] == expected:
                return dict(figures)
            await asyncio.sleep(0.2)
