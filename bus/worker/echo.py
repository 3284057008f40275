"""The echo processor: proves the whole path (decode, typed event, encode, produce).

Every event on the heartbeat topic comes back on the echo topic, decoded and
re-encoded with the local contract; bad input goes to the dead-letter topic.
"""

from __future__ import annotations

from bus.errors import DecodeError
from bus.schemas.runtime import Runtime
from bus.settings import Settings
from bus.worker.outputs import Outputs
from bus.worker.processor import Processor
from bus.worker.record import Record


class Echo(Processor):
    name = "echo"

    def __init__(self, settings: Settings, runtime: Runtime, outputs: Outputs) -> None:
        self.reads = (settings.heartbeat_topic,)
        self.sink = settings.echo_topic
        self.dead_letters = settings.dead_letter_topic
        self.runtime = runtime
        self.outputs = outputs

    async def process(self, record: Record) -> None:
        try:
            event = await self.runtime.decode(record.value or b"")
        except DecodeError as exc:
            self.outputs.dead_letter(self.dead_letters, record, exc.reason, str(exc), self.name)
            return
        value, headers = self.runtime.wire(event)
        self.outputs.send(self.sink, event.key, value, headers)
        self.metrics.routed(self.sink)
