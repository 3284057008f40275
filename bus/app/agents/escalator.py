"""The escalator agent: Kafka and Faust around ``bus.escalation.desk``.

It reads the assistants' events, the agency services' status updates and the
case actions (officials' and its own timer's), all keyed by conversation id
and co-partitioned with its table of conversation states. One worker owns a
conversation at a time, so it alone decides each claim: of two concurrent
claims exactly one wins. A task beside it follows the officials' presence
and asks for deadline checks through the same actions topic, because only
the agent may change the table.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

from bus.app.runtime import Runtime
from bus.app.stream import events, send_dead_letter, send_event
from bus.catalogue import Catalogue
from bus.client import Publisher
from bus.errors import ConfigurationError, DecodeError
from bus.escalation import ConversationState, PresenceBoard, due, on_action, on_conversation
from bus.escalation.metrics import observe_queues, observe_step, snapshot
from bus.kafka.connection import security_kwargs
from bus.kafka.follow import TopicFollower
from bus.schemas.event import new_event

NAME = "escalator"
TABLE = "escalator-conversations"
ACTION = "gov.agencybus.escalation.CaseActionRequested"
PRESENCE = "gov.agencybus.conversation.OfficialPresenceChanged"
log = logging.getLogger(__name__)


def register(app: Any, runtime: Runtime, catalogue: Catalogue) -> None:
    topics = catalogue.topics
    raw = {"key_serializer": "raw", "value_serializer": "raw"}
    source = app.topic(
        topics.assistant_events, topics.service_updates, topics.escalation_actions, **raw
    )
    dead_letters = app.topic(topics.dead_letters, **raw)
    outputs: dict[str, Any] = {}
    conversations = app.Table(TABLE, default=None, partitions=_partitions(catalogue))
    board = PresenceBoard()
    asked: dict[str, float] = {}

    def output(name: str) -> Any:
        if name not in outputs:
            outputs[name] = app.topic(name, **raw)
        return outputs[name]

    async def escalator(stream: Any) -> None:
        async for item in events(stream, NAME):
            message = item.message
            is_action = message.topic == topics.escalation_actions
            try:
                event = await runtime.decode(message.value)
            except DecodeError as exc:
                if is_action:  # the router dead-letters the shared topics' bad input
                    await send_dead_letter(dead_letters, message, exc.reason, str(exc), NAME)
                continue
            key = event.header.get("conversation_id")
            refused = _refused(event.type, key, message.key, is_action)
            if refused is not None:
                if is_action:  # the router answers for the shared topics
                    await send_dead_letter(dead_letters, message, *refused, NAME)
                continue
            state = ConversationState.from_json(conversations.get(str(key)))
            now = datetime.now(UTC)
            before = snapshot(state.case)
            try:
                if is_action:
                    sent = on_action(event, state, catalogue, board, now)
                    asked.pop(str(key), None)
                else:
                    sent = on_conversation(event, state, catalogue, board, now)
            except Exception as exc:  # a bug must not block the partition: keep the bytes
                log.exception("escalator failed on %s", event.type)
                await send_dead_letter(dead_letters, message, "escalator-failed", repr(exc), NAME)
                continue
            observe_step(before, state.case, now)
            if not state.finished:
                conversations[str(key)] = state.to_json()
            elif str(key) in conversations:
                del conversations[str(key)]  # keeps the table (and the deadline scan) small
            for out in sent:
                await send_event(output(out.topic), out.event, runtime)

    async def ask_for_checks(publisher: Publisher) -> None:
        now, clock = datetime.now(UTC), time.monotonic()
        states = {key: ConversationState.from_json(value) for key, value in conversations.items()}
        observe_queues(states.values(), catalogue.authorities)
        for key, state in states.items():
            if asked.get(key, 0.0) > clock or not due(state, now):
                continue
            asked[key] = clock + 10 * runtime.settings.escalation_check_s
            check = new_event(
                ACTION, source="bus:escalator-timer", conversation_id=key, action="CHECK_DEADLINES"
            )
            await publisher.publish(topics.escalation_actions, check)

    async def apply_presence(record: Any) -> None:
        event = await runtime.decode(record.value)
        if event.type == PRESENCE:
            authority = str(event.header.get("authority") or "")
            board.apply(str(event.data["official_id"]), authority, str(event.data["presence"]))

    async def beside_the_agent() -> None:
        """Follow the officials' presence and ask for deadline checks, until the worker stops.

        The checks go through the actions topic with a plain producer of their
        own: only the agent may write the table, and under exactly-once Faust's
        producer only sends inside the agent's transactions.
        """
        settings = runtime.settings
        follower = TopicFollower(
            settings.bootstrap_servers,
            [topics.presence],
            apply_presence,
            **security_kwargs(settings),
        )
        async with follower, Publisher(settings) as publisher:
            while True:
                await asyncio.sleep(settings.escalation_check_s)
                try:
                    await ask_for_checks(publisher)
                except Exception:  # a table mid-rebalance; the next round asks again
                    log.exception("cannot look for missed service levels this round")

    app.agent(source, name=NAME)(escalator)
    app.task(beside_the_agent)


def _refused(
    type_name: str, conversation_id: Any, key: bytes | None, is_action: bool
) -> tuple[str, str] | None:
    """A dead-letter reason and error for what the escalator cannot take, else None."""
    if not conversation_id or key != str(conversation_id).encode():
        return "wrong-key", "the Kafka key must be the header's conversation id"
    if is_action and type_name != ACTION:
        return "unroutable-type", f"{type_name} is no case action"
    return None


def _partitions(catalogue: Catalogue) -> int:
    """The table's changelog must be partitioned like each of the agent's source topics."""
    specs = {spec.name: spec for spec in catalogue.topic_specs()}
    names = (
        catalogue.topics.assistant_events,
        catalogue.topics.service_updates,
        catalogue.topics.escalation_actions,
    )
    counts = {specs[name].partitions for name in names}
    if len(counts) != 1:
        raise ConfigurationError(
            f"{', '.join(names)} must have the same number of partitions (the escalator "
            f"keeps one table keyed by conversation over all three); got {counts}"
        )
    return counts.pop()
