"""The escalator: Kafka around ``bus.escalation.desk``.

It reads the assistants' events, the agency services' status updates and the
case actions (officials' and its own deadline checks), all keyed by
conversation id and co-partitioned with its store of conversation states.
One worker owns a conversation at a time, so it alone decides each claim: of
two concurrent claims exactly one wins. Its tick asks for deadline checks
through the actions topic, so a check is handled in the conversation's order
like any other action; a follower beside the loop keeps the officials'
presence.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime

from bus.catalogue import Catalogue
from bus.errors import DecodeError
from bus.escalation import ConversationState, PresenceBoard, due, on_action, on_conversation
from bus.escalation.metrics import observe_queues, observe_step, snapshot
from bus.kafka.connection import security_kwargs
from bus.kafka.follow import TopicFollower
from bus.schemas.event import new_event
from bus.schemas.runtime import Runtime
from bus.schemas.types import CASE_ACTION_REQUESTED, OFFICIAL_PRESENCE_CHANGED
from bus.settings import Settings
from bus.worker.outputs import Outputs
from bus.worker.processor import Processor
from bus.worker.record import Record
from bus.worker.router import co_partitions
from bus.worker.state import Store

STORE = "escalator-conversations"
log = logging.getLogger(__name__)


class Escalator(Processor):
    name = "escalator"

    def __init__(
        self,
        settings: Settings,
        catalogue: Catalogue,
        runtime: Runtime,
        outputs: Outputs,
        changelog: str,
    ) -> None:
        topics = catalogue.topics
        self.reads = (topics.assistant_events, topics.service_updates, topics.escalation_actions)
        co_partitions(catalogue, self.reads)
        self.conversations: Store[ConversationState] = Store(STORE, changelog, _dump, _load)
        self.stores = (self.conversations,)
        self.tick_s = settings.escalation_check_s
        self.settings = settings
        self.catalogue = catalogue
        self.runtime = runtime
        self.outputs = outputs
        self.actions = topics.escalation_actions
        self.dead_letters = topics.dead_letters
        self.board = PresenceBoard(settings.presence_lease)
        self.asked: dict[str, float] = {}
        self.presence_topic = topics.presence
        self.presence: TopicFollower | None = None

    async def start(self) -> None:
        self.presence = TopicFollower(
            self.settings.bootstrap_servers,
            [self.presence_topic],
            self._apply_presence,
            on_restart=self.board.officials.clear,
            **security_kwargs(self.settings),
        )
        await self.presence.start()

    async def stop(self) -> None:
        if self.presence is not None:
            await self.presence.stop()

    async def process(self, record: Record) -> None:
        is_action = record.topic == self.actions
        try:
            event = await self.runtime.decode(record.value or b"")
        except DecodeError as exc:
            if is_action:  # the router dead-letters the shared topics' bad input
                self._reject(record, exc.reason, str(exc))
            return
        key = event.header.get("conversation_id")
        refused = _refused(event.type, key, record.key, is_action)
        if refused is not None:
            if is_action:  # the router answers for the shared topics
                self._reject(record, *refused)
            return
        conversation = str(key)
        state = self.conversations.get(record.partition, conversation) or ConversationState()
        now = datetime.now(UTC)
        before = snapshot(state.case)
        if is_action:
            sent = on_action(event, state, self.catalogue, self.board, now)
            self.asked.pop(conversation, None)
        else:
            sent = on_conversation(event, state, self.catalogue, self.board, now)
        observe_step(before, state.case, now)
        if not state.finished:
            self.conversations.put(record.partition, conversation, state)
        else:  # keeps the store (and the deadline scan) small
            self.conversations.delete(record.partition, conversation)
        for out in sent:
            value, headers = self.runtime.wire(out.event)
            self.outputs.send(out.topic, out.event.key, value, headers)
            self.metrics.routed(out.topic, out.event.type)

    async def tick(self) -> None:
        """Ask for a deadline check of each conversation with a deadline passed."""
        now, clock = datetime.now(UTC), time.monotonic()
        states = {
            key: state
            for partition in self.conversations.partitions
            for key, state in self.conversations.items(partition)
        }
        observe_queues(states.values(), self.catalogue.authorities)
        for key, state in states.items():
            if self.asked.get(key, 0.0) > clock or not due(state, now):
                continue
            self.asked[key] = clock + 10 * self.settings.escalation_check_s
            check = new_event(
                CASE_ACTION_REQUESTED,
                source="bus:escalator-timer",
                conversation_id=key,
                action="CHECK_DEADLINES",
            )
            value, headers = self.runtime.wire(check)
            self.outputs.send(self.actions, check.key, value, headers)

    def _reject(self, record: Record, reason: str, error: str) -> None:
        self.outputs.dead_letter(self.dead_letters, record, reason, error, self.name)

    async def _apply_presence(self, message: object) -> None:
        value = getattr(message, "value", None) or b""
        try:
            event = await self.runtime.decode(value)
        except DecodeError as exc:
            log.warning("presence: not a bus event (%s)", exc)
            return
        if event.type == OFFICIAL_PRESENCE_CHANGED:
            authority = str(event.header.get("authority") or "")
            official, presence = str(event.data["official_id"]), str(event.data["presence"])
            self.board.apply(official, authority, presence, event.occurred_at)


def _refused(
    type_name: str, conversation_id: object, key: bytes | None, is_action: bool
) -> tuple[str, str] | None:
    """A dead-letter reason and error for what the escalator cannot take, else None."""
    if not conversation_id or key != str(conversation_id).encode():
        return "wrong-key", "the Kafka key must be the header's conversation id"
    if is_action and type_name != CASE_ACTION_REQUESTED:
        return "unroutable-type", f"{type_name} is no case action"
    return None


def _dump(state: ConversationState) -> bytes:
    return json.dumps(state.to_json(), separators=(",", ":")).encode()


def _load(raw: bytes) -> ConversationState:
    return ConversationState.from_json(json.loads(raw))
