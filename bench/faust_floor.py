"""The Faust floor: a pass-through agent, the least a Faust agent can do per event.

It reads the topic as raw bytes and hands each record's key, value and headers
unchanged to the app's producer, on the same Faust as the router (its patches,
its producer settings) but without decoding, state or metrics. What the
router costs beyond it is the bus's own routing; what it costs beyond the
plain pipe is Faust's. Run as its own process (``python -m bench.faust_floor``,
the pipe's options) the way the pipe runs.
"""

from __future__ import annotations

from typing import Any

import faust

from bench.pipe import arguments
from bus.app import faust_fixes, faust_tuning
from bus.app.factory import THROUGHPUT, faust_broker
from bus.cli.worker import faust_worker


def create_app(bootstrap_servers: str, source: str, sink: str, group: str) -> Any:
    faust_fixes.apply()
    faust_tuning.apply()
    app = faust.App(
        group,
        broker=faust_broker(bootstrap_servers),
        store="memory://",
        producer_acks=-1,
        consumer_auto_offset_reset="earliest",
        web_enabled=False,
        **THROUGHPUT,
    )
    topic = app.topic(source, key_serializer="raw", value_serializer="raw")

    @app.agent(topic)
    async def pass_through(stream: Any) -> None:
        producer = await app.maybe_start_producer()  # at-least-once: the same one throughout
        async for event in stream.events():
            message = event.message
            headers = list(message.headers or ())
            await producer.send(sink, message.key, message.value, None, None, headers)

    return app


def main() -> None:
    args = arguments(__doc__)
    app = create_app(args.bootstrap_servers, args.source, args.sink, args.group)
    faust_worker(app, "info").execute_from_commandline()  # as ``bus worker`` runs it


if __name__ == "__main__":
    main()
