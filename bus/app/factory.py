"""Build the bus's Faust application from the settings."""

from __future__ import annotations

from typing import Any

import faust

from bus.app.runtime import Runtime
from bus.kafka.admin import TopicSpec
from bus.settings import Settings


def faust_broker(bootstrap_servers: str) -> list[str]:
    return [f"kafka://{server.strip()}" for server in bootstrap_servers.split(",") if server]


def create_app(settings: Settings) -> tuple[Any, Runtime]:
    """The Faust app with every agent of the bus registered, and their shared runtime."""
    from bus.app.agents import echo

    app = faust.App(
        settings.app_id,
        broker=faust_broker(settings.bootstrap_servers),
        store="rocksdb://",
        datadir=str(settings.worker_data_dir),
        processing_guarantee=settings.processing_guarantee,
        topic_partitions=settings.topic_partitions,
        topic_allow_declare=True,
        producer_acks=-1,
        consumer_auto_offset_reset="earliest",
        web_enabled=False,
    )
    runtime = Runtime(settings)
    echo.register(app, runtime)
    return app, runtime


def worker_topics(settings: Settings) -> list[TopicSpec]:
    """The topics the worker's agents read and write, created before it starts."""
    n = settings.topic_partitions
    return [
        TopicSpec(settings.heartbeat_topic, n),
        TopicSpec(settings.echo_topic, n),
        TopicSpec(settings.dead_letter_topic, n),
    ]
