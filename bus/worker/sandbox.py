"""The sandbox feed: Kafka in and out around ``bus.sandbox.feed``.

It reads the assistants' topic and copies each sandbox's sampled citizen
turns, scrubbed, to the sandbox's input (which the auditor records, so the
panel can prove what the candidate saw); it also reads the candidates'
answers and dead-letters those that are not bus events or name no turn.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from bus.catalogue import Catalogue
from bus.errors import DecodeError
from bus.privacy.scrubber import Scrubber
from bus.sandbox.feed import answer_problem, fed, feeds
from bus.schemas.runtime import Runtime
from bus.worker.outputs import Outputs
from bus.worker.processor import Processor
from bus.worker.record import Record


def _now() -> datetime:
    return datetime.now(UTC)


class SandboxFeed(Processor):
    name = "sandbox"

    def __init__(
        self,
        catalogue: Catalogue,
        runtime: Runtime,
        outputs: Outputs,
        scrubber: Scrubber,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.sandboxes = tuple(box for box in catalogue.sandboxes if box.live)
        self.answers = {box.answers for box in catalogue.sandboxes}
        self.reads = (catalogue.topics.assistant_events, *sorted(self.answers))
        self.dead_letters = catalogue.topics.dead_letters
        self.runtime = runtime
        self.outputs = outputs
        self.scrubber = scrubber
        self.clock = clock

    async def process(self, record: Record) -> None:
        if record.topic in self.answers:
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
        if (problem := answer_problem(event)) is not None:
            self.outputs.dead_letter(self.dead_letters, record, *problem, self.name)
