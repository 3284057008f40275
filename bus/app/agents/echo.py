"""The echo agent: proves the whole path (decode, typed event, encode, produce).

Every event on the heartbeat topic comes back on the echo topic, decoded and
re-encoded with the local contract; bad input goes to the dead-letter topic.
"""

from __future__ import annotations

from typing import Any

from bus.app.runtime import Runtime
from bus.app.stream import decoded, send_event

NAME = "echo"


def register(app: Any, runtime: Runtime) -> None:
    settings = runtime.settings
    raw = {"key_serializer": "raw", "value_serializer": "raw"}
    source = app.topic(settings.heartbeat_topic, **raw)
    sink = app.topic(settings.echo_topic, **raw)
    dead_letters = app.topic(settings.dead_letter_topic, **raw)

    async def echo(stream: Any) -> None:
        async for event in decoded(stream, runtime, dead_letters, NAME):
            await send_event(sink, event, runtime)

    app.agent(source, name=NAME)(echo)
