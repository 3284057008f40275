"""The sandbox feed: Kafka in and out around ``bus.sandbox.feed``.

It reads the assistants' topic and copies each sandbox's sampled citizen
turns, scrubbed, to the sandbox's input (which the auditor records, so the
panel can prove what the candidate saw); it also reads the candidates'
answers and dead-letters those that are not bus events or name no turn the
sandbox was fed (``bus.sandbox.turns``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

from bus.audit.log import log_consumer, partitions_of
from bus.catalogue import Catalogue
from bus.errors import DecodeError
from bus.kafka.connection import security_kwargs
from bus.privacy.scrubber import Scrubber
from bus.sandbox.feed import answer_problem, fed, feeds, unknown_turn
from bus.sandbox.turns import FedTurns
from bus.schemas.runtime import Runtime
from bus.settings import Settings
from bus.worker.outputs import Outputs
from bus.worker.processor import Processor
from bus.worker.record import Record


def _now() -> datetime:
    return datetime.now(UTC)


class SandboxFeed(Processor):
    name = "sandbox"

    def __init__(
        self,
        settings: Settings,
        catalogue: Catalogue,
        runtime: Runtime,
        outputs: Outputs,
        scrubber: Scrubber,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.sandboxes = tuple(box for box in catalogue.sandboxes if box.live)
        self.input_of = {box.answers: box.input for box in catalogue.sandboxes}
        """Each sandbox's answers topic -> its input topic."""
        self.reads = (catalogue.topics.assistant_events, *sorted(self.input_of))
        self.dead_letters = catalogue.topics.dead_letters
        self.runtime = runtime
        self.outputs = outputs
        self.scrubber = scrubber
        self.clock = clock
        security = security_kwargs(settings)
        self.turns = FedTurns(
            partial(log_consumer, settings.bootstrap_servers, **security),
            partial(partitions_of, settings.bootstrap_servers, **security),
        )

    async def start(self) -> None:
        await self.turns.start()

    async def stop(self) -> None:
        await self.turns.stop()

    async def process(self, record: Record) -> None:
        if record.topic in self.input_of:
            await self._check_answer(record)
            return
        try:
            event = await self.runtime.decode(record.value or b"")
        except DecodeError:
            return  # the router dead-letters it; a sandbox is fed bus events only
        now = self.clock()
        for box in self.sandboxes:
            if feeds(box, event, now):
                turn = fed(event, self.runtime.contracts[event.type], self.scrubber)
                value, headers = self.runtime.wire(turn)
                self.outputs.send(box.input, turn.key, value, headers)
                self.metrics.routed(box.input, turn.type)

    async def _check_answer(self, record: Record) -> None:
        try:
            event = await self.runtime.decode(record.value or b"")
        except DecodeError as exc:
            self.outputs.dead_letter(self.dead_letters, record, exc.reason, str(exc), self.name)
            return
        problem = answer_problem(event)
        if problem is None:
            turn, input_topic = str(event.header["causation_id"]), self.input_of[record.topic]
            if not await self.turns.holds(input_topic, turn):
                problem = unknown_turn(turn, input_topic)
        if problem is not None:
            self.outputs.dead_letter(self.dead_letters, record, *problem, self.name)
