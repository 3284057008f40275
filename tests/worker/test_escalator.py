"""The escalator in a real ``bus worker`` and the officials' API in a real ``bus officials serve``.

Conversations are published on the real broker; the tests read the outcome
through the officials' API (what an official sees) and the assistants' topics
(what the citizen's assistant receives).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bus.catalogue import load_catalogue
from bus.client import Publisher
from bus.kafka.local import free_port
from bus.schemas.codec import AvroCodec
from bus.schemas.event import Event, new_event

pytestmark = [pytest.mark.broker, pytest.mark.slow]

CONV = "gov.agencybus.conversation."
SR = "gov.agencybus.servicerequest."


def conversation(
    name: str, conversation_id: str, authority: str = "police", **fields: Any
) -> Event:
    return new_event(
        CONV + name, source=f"assistant:{authority}", conversation_id=conversation_id, **fields
    )


def citizen(conversation_id: str, text: str, authority: str = "police") -> Event:
    return conversation(
        "MessageSent",
        conversation_id,
        authority,
        message_id=uuid.uuid4().hex,
        author_role="END_USER",
        text=text,
    )


def new_conversation() -> str:
    return f"conv-{uuid.uuid4().hex[:10]}"


async def read_until(
    bootstrap: str, topic: str, codec: AvroCodec, found: Callable[[Event], bool]
) -> Event:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    try:
        async with asyncio.timeout(90):
            async for record in consumer:
                event = await codec.decode_async(record.value)
                if found(event):
                    return event
    finally:
        await consumer.stop()
    raise AssertionError("unreachable")


async def read_raw_until(bootstrap: str, topic: str, found: Callable[[Any], bool]) -> Any:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        async with asyncio.timeout(90):
            async for record in consumer:
                if found(record):
                    return record
    finally:
        await consumer.stop()
    raise AssertionError("unreachable")


def cases(transition: str, authority: str = "police") -> str:
    return f'bus_escalation_cases_total{{authority="{authority}",transition="{transition}"}}'


async def test_each_policy_opens_a_case_and_the_citizen_hears_when_no_one_can_answer(
    escalation_system: Callable[..., Any],
) -> None:
    system = escalation_system(first_response_s=8)  # the acceptance beats it even on a busy machine
    api = system.api
    topics = load_catalogue(system.catalogue_path).topics
    status, _ = await api.acall("PUT", "/api/presence", "anna", {"presence": "online"})
    assert status == 200
    c = {name: new_conversation() for name in ("human", "unsure", "intent", "word", "rating")}
    c |= {"late": new_conversation(), "accepted": new_conversation()}
    c |= {"closed": new_conversation(), "nobody": new_conversation()}
    late = new_event(
        SR + "ServiceRequestCreated",
        source="assistant:police",
        conversation_id=c["late"],
        request_id="r-late",
        service_code="passport-application",
    )
    on_time = new_event(
        SR + "ServiceRequestCreated",
        source="assistant:police",
        conversation_id=c["accepted"],
        request_id="r-on-time",
        service_code="passport-application",
    )
    async with Publisher(system.settings) as publisher:
        await publisher.publish_many(
            topics.assistant_events,
            [
                conversation(
                    "HandoffRequested",
                    c["human"],
                    trigger="CITIZEN_REQUEST",
                    requested_by="END_USER",
                ),
                conversation("IntentClassified", c["unsure"], intent="passport", confidence=0.3),
                conversation("IntentClassified", c["unsure"], intent="passport", confidence=0.2),
                conversation(
                    "IntentClassified", c["intent"], intent="passport.stolen", confidence=1
                ),
                citizen(c["word"], "My neighbour made a threat against me"),
                conversation("ConversationRated", c["rating"], score=1, scale_max=5),
                late,
                on_time,
                conversation(
                    "HandoffRequested",
                    c["closed"],
                    "tax-board",
                    trigger="CITIZEN_REQUEST",
                    requested_by="END_USER",
                ),
                conversation(
                    "HandoffRequested",
                    c["nobody"],
                    "social-insurance",
                    trigger="CITIZEN_REQUEST",
                    requested_by="END_USER",
                ),
            ],
        )
        accepted = publisher.status_update(on_time, "ServiceRequestAccepted", source="service:x")
        await publisher.publish(topics.service_updates, accepted)

        expected = {
            "human": ("CITIZEN_REQUEST", "human-request"),
            "unsure": ("LOW_CONFIDENCE", "low-confidence"),
            "intent": ("SENSITIVE_TOPIC", "sensitive-intent"),
            "word": ("SENSITIVE_TOPIC", "sensitive-keyword"),
            "rating": ("OTHER", "low-rating"),
            "late": ("SERVICE_LEVEL", "service-level"),
        }
        for name, (trigger, policy) in expected.items():
            case = await api.case_of(c[name], "anna", trigger=trigger, policy=policy)
            assert case["authority"] == "police"
            assert "neighbour" not in str(case["summary"])  # the detail names the rule only

        # A missed first-response service level is on record and in the queue.
        breached = await api.case_of(c["human"], "anna", breached=True)
        assert breached["status"] == "open"

        # Outside working hours, and with no official online, the case waits.
        closed = await api.case_of(c["closed"], "carl", waiting="ORGANIZATION")
        assert closed["authority"] == "tax-board"
        told = await read_until(
            system.settings.bootstrap_servers,
            load_catalogue(system.catalogue_path).authorities["tax-board"].assistant_topic,
            publisher.codec,
            lambda e: e.type == CONV + "Unavailable" and e.subject == c["closed"],
        )
        assert told.data["reason"] == "ORGANIZATION"
        assert told.data["available_again_at"] is not None
        nobody = await read_until(
            system.settings.bootstrap_servers,
            topics.escalations,
            publisher.codec,
            lambda e: e.type == CONV + "Unavailable" and e.subject == c["nobody"],
        )
        assert nobody.data["reason"] == "OFFICIALS"

    # The request accepted in time never escalated (the late one has by now).
    _, queue = await api.acall("GET", "/api/cases", "anna")
    assert c["accepted"] not in {case["conversation_id"] for case in queue["cases"]}


async def test_one_of_two_concurrent_claims_wins_and_officials_act_only_on_their_cases(
    escalation_system: Callable[..., Any], scraped: Callable[..., Awaitable[dict[str, float]]]
) -> None:
    metrics_port = free_port()  # the worker's, and the restarted worker's after it
    system = escalation_system(metrics_port=str(metrics_port))
    api = system.api
    topics = load_catalogue(system.catalogue_path).topics
    first, second = new_conversation(), new_conversation()
    async with Publisher(system.settings) as publisher:
        for conversation_id in (first, second):
            await publisher.publish(
                topics.assistant_events,
                conversation(
                    "HandoffRequested",
                    conversation_id,
                    trigger="CITIZEN_REQUEST",
                    requested_by="END_USER",
                ),
            )
            await publisher.publish(topics.assistant_events, citizen(conversation_id, "Help me"))
    case = await api.case_of(first, "anna")
    path = f"/api/cases/{case['case_id']}"

    assert (await api.acall("GET", "/api/cases", None))[0] == 401
    assert (await api.acall("POST", path + "/claim", "?"))[0] == 401
    assert (await api.acall("GET", path, "carl"))[0] == 403
    assert (await api.acall("POST", path + "/claim", "carl"))[0] == 403
    _, carls = await api.acall("GET", "/api/cases", "carl")
    assert case["case_id"] not in {c["case_id"] for c in carls["cases"]}

    assert (await api.acall("POST", "/api/cases/case-nope/claim", "anna"))[0] == 404
    assert (await api.acall("POST", path + "/reply", "anna", {"text": " "}))[0] == 400
    assert (await api.acall("POST", path + "/resolve", "anna", {"resolution": "BORED"}))[0] == 400
    assert (await api.acall("PUT", "/api/presence", "anna", {"presence": "away"}))[0] == 400

    claims = await asyncio.gather(
        api.acall("POST", path + "/claim", "anna"), api.acall("POST", path + "/claim", "bert")
    )
    assert sorted(status for status, _ in claims) == [200, 409]
    winner = "anna" if claims[0][0] == 200 else "bert"
    loser = "bert" if winner == "anna" else "anna"
    assert dict(claims)[409]["error"] == "already-claimed"
    assert dict(claims)[200]["case"]["official_id"] == winner

    assert (await api.acall("POST", path + "/reply", loser, {"text": "Hi"}))[0] == 409
    status, replied = await api.acall("POST", path + "/reply", winner, {"text": "I can help."})
    assert status == 200 and replied["event"] == CONV + "MessageSent"
    _, detail = await api.acall("GET", path, winner)
    assert [m["text"] for m in detail["messages"]] == ["Help me", "I can help."]
    assert detail["messages"][-1]["role"] == "BACKOFFICE_USER"

    # The worker stops with the case claimed; a new one with empty local state
    # recovers it from the table's changelog.
    system.worker.stop()
    restarted = system.start_worker_again("fresh-state")
    assert restarted.running
    assert (await api.acall("POST", path + "/claim", loser))[0] == 409
    status, resolved = await api.acall(
        "POST", path + "/resolve", winner, {"resolution": "ACCEPTED", "text": "answered"}
    )
    assert status == 200 and resolved["case"]["status"] == "resolved"
    assert (await api.acall("POST", path + "/claim", loser))[0] == 409

    other = await api.case_of(second, "anna")
    other_path = f"/api/cases/{other['case_id']}"
    assert (await api.acall("POST", other_path + "/claim", "bert"))[0] == 200
    assert (await api.acall("POST", other_path + "/release", "bert"))[0] == 200
    status, moved = await api.acall(
        "POST", other_path + "/transfer", "anna", {"to_authority": "tax-board"}
    )
    assert status == 200 and moved["case"]["authority"] == "tax-board"
    assert (await api.acall("GET", other_path, "anna"))[0] == 403
    assert (await api.acall("GET", other_path, "carl"))[0] == 200
    # The restarted worker counted what it did to both cases (not what it recovered).
    await scraped(
        f"http://127.0.0.1:{metrics_port}/metrics",
        {
            cases("opened"): 0,
            cases("claimed"): 1,
            cases("released"): 1,
            cases("transferred"): 1,
            cases("resolved"): 1,
            'bus_escalation_claim_wait_seconds_count{authority="police"}': 1,
        },
    )

    # What is not a case action on the actions topic becomes a dead letter with its bytes.
    producer = AIOKafkaProducer(bootstrap_servers=system.settings.bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(topics.escalation_actions, b"not an action", key=b"c-x")
    finally:
        await producer.stop()
    letter = await read_raw_until(
        system.settings.bootstrap_servers,
        topics.dead_letters,
        lambda record: record.value == b"not an action",
    )
    assert dict(letter.headers)["bus_dlq_reason"] == b"not-wire-format"


async def test_an_exactly_once_escalator_opens_breaches_and_settles_claims(
    escalation_system: Callable[..., Any], scraped: Callable[..., Awaitable[dict[str, float]]]
) -> None:
    metrics_port = free_port()
    system = escalation_system(
        first_response_s=2, processing_guarantee="exactly_once", metrics_port=str(metrics_port)
    )
    api = system.api
    topics = load_catalogue(system.catalogue_path).topics
    conversation_id = new_conversation()
    async with Publisher(system.settings) as publisher:
        await publisher.publish(
            topics.assistant_events,
            conversation(
                "HandoffRequested", conversation_id, trigger="CITIZEN_REQUEST", requested_by="BOT"
            ),
        )
    case = await api.case_of(conversation_id, "anna", breached=True)
    path = f"/api/cases/{case['case_id']}/claim"
    claims = await asyncio.gather(api.acall("POST", path, "anna"), api.acall("POST", path, "bert"))
    assert sorted(status for status, _ in claims) == [200, 409]

    # The worker's /metrics has the case's life and the queues; the API's its requests.
    found = await scraped(
        f"http://127.0.0.1:{metrics_port}/metrics",
        {
            cases("opened"): 1,
            cases("breached"): 1,
            cases("claimed"): 1,
            'bus_escalation_sla_breaches_total{authority="police",level="first-response"}': 1,
            'bus_escalation_claim_wait_seconds_count{authority="police"}': 1,
            'bus_escalation_queue_depth{authority="police"}': 0,
            'bus_escalation_open_cases{authority="police"}': 1,
            'bus_escalation_open_cases{authority="tax-board"}': 0,
        },
    )
    consumed = (
        'bus_events_consumed_total{agent="escalator",event_type="CaseActionRequested",'
        f'topic="{topics.escalation_actions}"}}'
    )
    assert found[consumed] >= 2  # the two claims (and the timer's deadline checks)
    await scraped(
        api.url + "/metrics",
        {
            'bus_http_requests_total{method="POST",route="/api/cases/{case_id}/claim",'
            f'server="officials",status="{status}"}}': 1
            for status in ("200", "409")
        },
        timeout_s=0,
    )
