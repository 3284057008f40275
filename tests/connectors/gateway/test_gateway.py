"""The HTTP gateway against the real broker and registry, over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from bus.catalogue import Catalogue
from bus.client import Publisher, new_event
from bus.kafka.admin import TopicSpec, ensure_topics
from bus.kafka.local import LocalKafka, free_port
from bus.schemas.cloudevents import parse_ce_headers
from bus.settings import Settings
from connectors.base.signing import signed_headers
from connectors.gateway import Gateway, GatewayClient, load_clients
from connectors.gateway.clients import CLIENT_HEADER
from tests.records import read_records

from .gateways import KEY, SECRET, SECRETS, NewTopic, bearer, catalogue_and_clients, message

pytestmark = pytest.mark.broker
CONVERSATION = "gov.agencybus.conversation."


ACCEPTED = {
    "server": "gateway",
    "method": "POST",
    "route": "/v1/events/{type}",
    "status": "202",
}


def scraped(text: str, name: str, labels: dict[str, str]) -> float:
    """A sample's value in a /metrics page (0 when the series is not there)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0


async def test_a_json_event_is_written_with_acks_all_before_the_202_names_its_id(
    gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    before = REGISTRY.get_sample_value("bus_http_requests_total", ACCEPTED) or 0.0
    async with http.post(
        f"{gateway.url}/v1/events/MessageSent", json=message(), headers=bearer()
    ) as answer:
        assert answer.status == 202, await answer.text()
        accepted = await answer.json()
    [record] = await read_records(
        gateway.settings.bootstrap_servers, gateway.catalogue.topics.assistant_events, 1
    )
    event = await gateway.runtime.decode(record.value)
    assert event.id == accepted["id"]
    assert event.type == CONVERSATION + "MessageSent"
    assert event.data["text"] == "Where is my refund?"
    assert event.source == "assistant:tax-board"
    assert event.header["authority"] == "tax-board"
    assert record.key == b"conv-1"
    assert record.offset == accepted["offset"]
    ce = parse_ce_headers(record.headers)
    assert ce is not None and ce.id == accepted["id"]
    async with http.get(f"{gateway.url}/metrics") as answer:
        assert answer.status == 200
        page = await answer.text()
    assert scraped(page, "bus_http_requests_total", ACCEPTED) == before + 1
    assert scraped(page, "bus_gateway_produce_seconds_count", {}) >= 1


async def test_cloudevents_in_binary_and_structured_mode_become_bus_events(
    gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    binary_id = str(uuid.uuid4())
    binary = {
        **bearer(),
        "ce-specversion": "1.0",
        "ce-id": binary_id,
        "ce-source": "https://tax.example/bot",
        "ce-type": CONVERSATION + "IntentClassified",
        "ce-subject": "conv-ce",
        "ce-time": "2026-01-02T03:04:05.678Z",
    }
    fields = {"intent": "tax.refund", "confidence": 0.93}
    async with http.post(f"{gateway.url}/v1/events", json=fields, headers=binary) as answer:
        assert answer.status == 202, await answer.text()
        assert (await answer.json())["id"] == binary_id

    structured = {
        "specversion": "1.0",
        "id": "vendor-42",
        "source": "https://tax.example/bot",
        "type": "Greeting",
        "subject": "conv-ce",
        "data": {"text": "Tere!", "language": "et"},
    }
    headers = {**bearer(), "Content-Type": "application/cloudevents+json"}
    async with http.post(
        f"{gateway.url}/v1/events", data=json.dumps(structured), headers=headers
    ) as answer:
        assert answer.status == 202, await answer.text()
        derived = (await answer.json())["id"]
    assert derived == str(uuid.uuid5(uuid.NAMESPACE_URL, "https://tax.example/bot#vendor-42"))

    records = await read_records(
        gateway.settings.bootstrap_servers, gateway.catalogue.topics.assistant_events, 2
    )
    events = [await gateway.runtime.decode(r.value) for r in records]
    by_type = {e.type.rpartition(".")[2]: e for e in events}
    intent, greeting = by_type["IntentClassified"], by_type["Greeting"]
    assert intent.data["intent"] == "tax.refund" and intent.data["confidence"] == 0.93
    assert intent.subject == "conv-ce"
    assert intent.occurred_at is not None and intent.occurred_at.year == 2026
    assert greeting.data["text"] == "Tere!" and greeting.id == derived
    assert {r.key for r in records} == {b"conv-ce"}


async def test_a_signed_request_is_accepted_its_replay_keeps_the_id_and_a_bad_one_is_401(
    gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    body = json.dumps(message()).encode()
    good = {CLIENT_HEADER: "police-bot", "Content-Type": "application/json"}
    good.update(signed_headers(SECRET, body))
    async with http.post(f"{gateway.url}/v1/events/MessageSent", data=body, headers=good) as answer:
        assert answer.status == 202, await answer.text()
        first = (await answer.json())["id"]
    async with http.post(
        f"{gateway.url}/v1/events/MessageSent", data=body, headers=good
    ) as replayed:
        assert replayed.status == 202
        assert (await replayed.json())["id"] == first
    forged = {**good, **signed_headers("not-the-secret", body)}
    async with http.post(
        f"{gateway.url}/v1/events/MessageSent", data=body, headers=forged
    ) as answer:
        assert answer.status == 401
    records = await read_records(
        gateway.settings.bootstrap_servers, gateway.catalogue.topics.assistant_events, 2
    )
    events = [await gateway.runtime.decode(r.value) for r in records]
    assert {e.source for e in events} == {"assistant:police"}
    assert events[0].id == events[1].id  # a replay repeats the id, so consumers drop it


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({}, message()),
        ({"Authorization": "Bearer wrong-key"}, message()),
        ({CLIENT_HEADER: "police-bot"}, message()),
    ],
    ids=["no-credentials", "unknown-key", "unsigned"],
)
async def test_an_unknown_caller_gets_401_and_nothing_is_written(
    gateway: Gateway, http: aiohttp.ClientSession, headers: dict[str, str], body: Any
) -> None:
    async with http.post(
        f"{gateway.url}/v1/events/MessageSent", json=body, headers=headers
    ) as answer:
        assert answer.status == 401
        assert "unknown caller" in (await answer.json())["error"]


async def test_malformed_json_is_400(gateway: Gateway, http: aiohttp.ClientSession) -> None:
    headers = {**bearer(), "Content-Type": "application/json"}
    async with http.post(
        f"{gateway.url}/v1/events/MessageSent", data=b'{"text": "unterminated', headers=headers
    ) as answer:
        assert answer.status == 400
        assert "not valid JSON" in (await answer.json())["error"]
    async with http.post(f"{gateway.url}/v1/events", json=message(), headers=bearer()) as answer:
        assert answer.status == 400
        assert "name the event type" in (await answer.json())["error"]


@pytest.mark.parametrize(
    ("type_name", "body", "field"),
    [
        ("MessageSent", {**message(), "author_role": "ROBOT"}, "author_role"),
        ("MessageSent", {k: v for k, v in message().items() if k != "text"}, "text"),
        ("MessageSent", {**message(), "txet": "typo"}, "txet"),
        ("MessageSent", message(occurred_at="yesterday"), "header.occurred_at"),
        ("IntentClassified", {"intent": "tax", "confidence": "high"}, "confidence"),
        ("NoSuchEvent", message(), "type"),
        ("MessageSent", message(authority="police"), "header.authority"),
    ],
    ids=[
        "bad-enum",
        "missing-field",
        "unknown-field",
        "bad-time",
        "wrong-type",
        "unknown-type",
        "other-authority",
    ],
)
async def test_an_event_that_does_not_fit_its_schema_is_422_naming_field_and_schema(
    gateway: Gateway,
    http: aiohttp.ClientSession,
    type_name: str,
    body: dict[str, Any],
    field: str,
) -> None:
    async with http.post(
        f"{gateway.url}/v1/events/{type_name}", json=body, headers=bearer()
    ) as answer:
        assert answer.status == 422
        problem = await answer.json()
    assert problem["field"] == field
    expected = type_name if type_name == "NoSuchEvent" else CONVERSATION + type_name
    assert problem["schema"] == expected
    assert field in problem["error"]


async def test_a_body_over_the_limit_is_413(gateway: Gateway, http: aiohttp.ClientSession) -> None:
    too_large = {**ACCEPTED, "status": "413"}
    before = REGISTRY.get_sample_value("bus_http_requests_total", too_large) or 0.0
    async with http.post(
        f"{gateway.url}/v1/events/MessageSent", json=message("x" * 8000), headers=bearer()
    ) as answer:
        assert answer.status == 413
        assert (await answer.json())["max_bytes"] == 4096
    assert REGISTRY.get_sample_value("bus_http_requests_total", too_large) == before + 1


async def test_an_unreachable_broker_is_503_and_nothing_is_acknowledged(
    settings_with_registry: Settings,
    new_topic: NewTopic,
    tmp_path: Path,
    http: aiohttp.ClientSession,
) -> None:
    catalogue, path = await catalogue_and_clients(new_topic, tmp_path)
    clients = load_clients(path, catalogue, SECRETS)
    settings = settings_with_registry.model_copy(
        update={
            "bootstrap_servers": f"127.0.0.1:{free_port()}",  # nothing listens there
            "gateway_port": 0,
            "gateway_produce_timeout_s": 1.0,
        }
    )
    async with (
        Gateway(settings, catalogue, clients) as gateway,
        http.post(
            f"{gateway.url}/v1/events/MessageSent", json=message(), headers=bearer()
        ) as answer,
    ):
        assert answer.status == 503
        problem = await answer.json()
    assert problem["retry"] is True
    assert "id" not in problem
    assert "nothing was delivered" in problem["error"]


async def reply_for(conversation: str, text: str) -> Any:
    return new_event(
        CONVERSATION + "MessageSent",
        source="assistant:police",
        conversation_id=conversation,
        message_id=str(uuid.uuid4()),
        author_role="BOT",
        text=text,
    )


async def until_replies_are_read(gateway: Gateway, http: aiohttp.ClientSession) -> None:
    async with asyncio.timeout(60):
        while True:
            async with http.get(f"{gateway.url}/healthz") as answer:
                if all((await answer.json())["replies"].values()):
                    return
            await asyncio.sleep(0.2)


async def test_an_assistant_long_polls_the_replies_of_its_conversations(
    gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    await until_replies_are_read(gateway, http)
    topic = gateway.catalogue.authorities["tax-board"].assistant_topic
    poll = asyncio.create_task(
        _get_json(http, f"{gateway.url}/v1/replies?conversation_id=conv-9&wait=30", bearer())
    )
    async with Publisher(gateway.settings) as publisher:
        await publisher.publish(topic, await reply_for("conv-8", "not yours"))
        await publisher.publish(topic, await reply_for("conv-9", "Your refund is on its way"))
    answer = await poll
    [reply] = answer["events"]
    assert reply["subject"] == "conv-9"
    assert reply["data"]["text"] == "Your refund is on its way"
    assert answer["next"] == reply["seq"]
    both = await _get_json(http, f"{gateway.url}/v1/replies?after=0", bearer())
    assert [e["subject"] for e in both["events"]] == ["conv-8", "conv-9"]


async def test_an_assistant_streams_replies_as_server_sent_events(
    gateway: Gateway, http: aiohttp.ClientSession
) -> None:
    await until_replies_are_read(gateway, http)
    topic = gateway.catalogue.authorities["tax-board"].assistant_topic
    async with http.get(
        f"{gateway.url}/v1/replies/stream?conversation_id=conv-s", headers=bearer()
    ) as stream:
        assert stream.status == 200
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        async with Publisher(gateway.settings) as publisher:
            await publisher.publish(topic, await reply_for("conv-s", "first"))
            await publisher.publish(topic, await reply_for("conv-s", "second"))
        frames = await _sse_frames(stream, 2)
    assert [f["event"] for f in frames] == [CONVERSATION + "MessageSent"] * 2
    assert [json.loads(f["data"])["data"]["text"] for f in frames] == ["first", "second"]
    assert int(frames[1]["id"]) > int(frames[0]["id"])


async def _get_json(http: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> Any:
    async with http.get(url, headers=headers) as answer:
        assert answer.status == 200, await answer.text()
        return await answer.json()


async def _sse_frames(stream: aiohttp.ClientResponse, count: int) -> list[dict[str, str]]:
    frames: list[dict[str, str]] = []
    frame: dict[str, str] = {}
    async with asyncio.timeout(30):
        async for raw in stream.content:
            line = raw.decode().rstrip("\n")
            if not line:
                if frame:
                    frames.append(frame)
                    frame = {}
                if len(frames) == count:
                    return frames
            elif not line.startswith(":"):
                name, _, value = line.partition(": ")
                frame[name] = value
    return frames


@pytest.mark.slow
async def test_a_broker_that_stops_while_the_gateway_runs_gets_503_not_202(
    settings_with_registry: Settings, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    node = LocalKafka(settings_with_registry.home, port=free_port(), data_dir=tmp_path / "node")
    await asyncio.to_thread(node.start)
    try:
        events = "gw.dying.assistant-events"
        await ensure_topics(node.bootstrap_servers, [TopicSpec(events, 1)])
        catalogue = Catalogue.model_validate(
            {
                "authorities": {"tax-board": {"code": "tax-board", "name": "Tax"}},
                "topics": {"assistant_events": events},
            }
        )
        clients = [GatewayClient("tax-bot", "tax-board", (KEY,))]
        settings = settings_with_registry.model_copy(
            update={
                "bootstrap_servers": node.bootstrap_servers,
                "gateway_port": 0,
                "gateway_produce_timeout_s": 2.0,
            }
        )
        async with Gateway(settings, catalogue, clients) as gateway:
            url = f"{gateway.url}/v1/events/MessageSent"
            async with http.post(url, json=message("before"), headers=bearer()) as answer:
                assert answer.status == 202, await answer.text()
            await asyncio.to_thread(node.stop)
            async with http.post(url, json=message("after"), headers=bearer()) as answer:
                assert answer.status == 503
                assert "id" not in await answer.json()
    finally:
        await asyncio.to_thread(node.stop)
